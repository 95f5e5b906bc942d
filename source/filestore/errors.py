"""Typed errors the service refuses requests with, each with its HTTP status and stable code."""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar


class FilestoreError(Exception):
    """A refused request: ``filestore.http`` answers ``{"message", "code"}`` with ``status``.

    ``message`` is safe to show the client and may change; ``code`` names the refusal for
    programs and never changes (README, "Error codes"). Only the subclasses are raised.
    """

    status: ClassVar[HTTPStatus]
    code: ClassVar[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBody(FilestoreError):
    """The body is missing, not JSON, or not the shape the route takes (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "InvalidBody"


class InvalidFileId(FilestoreError):
    """A file id is not 32 lowercase hexadecimal characters (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "InvalidFileId"


class InvalidQueryParameter(FilestoreError):
    """A query string flag is neither yes nor no (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "InvalidQueryParameter"


class FileTooLarge(FilestoreError):
    """The declared size is above this deployment's MaxFileSize (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "FileTooLarge"


class TypeNotAllowed(FilestoreError):
    """The file's type matches none of this deployment's AllowedTypes (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "TypeNotAllowed"


class InvalidChecksum(FilestoreError):
    """A ``checksum_sha256`` is not the base64 of a 32-byte SHA-256 digest (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "InvalidChecksum"


class ChecksumNotForMultipart(FilestoreError):
    """A whole-file checksum for a multipart upload, which S3 cannot verify (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "ChecksumNotForMultipart"


class InvalidPartNumber(FilestoreError):
    """A part number outside 1..part_count of the file's plan (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "InvalidPartNumber"


class NotInThisMode(FilestoreError):
    """The route does not apply in this deployment's mode: PUT /files with StoreOnLoad (400)."""

    status = HTTPStatus.BAD_REQUEST
    code = "NotInThisMode"


class MissingRevertToken(FilestoreError):
    """DELETE /file/{id} without an X-Revert-Token header (403)."""

    status = HTTPStatus.FORBIDDEN
    code = "MissingRevertToken"


class InvalidRevertToken(FilestoreError):
    """The X-Revert-Token is not this file's (403)."""

    status = HTTPStatus.FORBIDDEN
    code = "InvalidRevertToken"


class FileNotFound(FilestoreError):
    """No file has this id (404)."""

    status = HTTPStatus.NOT_FOUND
    code = "FileNotFound"


class RouteNotFound(FilestoreError):
    """The function serves no such route; only a direct invocation meets it (404)."""

    status = HTTPStatus.NOT_FOUND
    code = "RouteNotFound"


class AlreadyStored(FilestoreError):
    """The file is stored, so its uploader can no longer revert it (409)."""

    status = HTTPStatus.CONFLICT
    code = "AlreadyStored"


class ChangedDuringRevert(FilestoreError):
    """The file changed while it was being reverted; trying again gives the final answer (409)."""

    status = HTTPStatus.CONFLICT
    code = "ChangedDuringRevert"


class FileDeleted(FilestoreError):
    """The file is deleted (reverted, expired or by an admin): no parts, no completion (409)."""

    status = HTTPStatus.CONFLICT
    code = "FileDeleted"


class NotMultipart(FilestoreError):
    """The file is a single upload (one presigned PUT): it has no parts (409)."""

    status = HTTPStatus.CONFLICT
    code = "NotMultipart"


class AlreadyUploaded(FilestoreError):
    """The multipart upload is complete: its parts can no longer be signed or listed (409)."""

    status = HTTPStatus.CONFLICT
    code = "AlreadyUploaded"


class IncompleteUpload(FilestoreError):
    """S3 lacks a planned part, or holds one of another size: nothing was completed (409)."""

    status = HTTPStatus.CONFLICT
    code = "IncompleteUpload"


class UploadAborted(FilestoreError):
    """S3 no longer knows the multipart upload (its lifecycle rule aborted it) (409)."""

    status = HTTPStatus.CONFLICT
    code = "UploadAborted"


class UnusableEvent(Exception):
    """An event a function cannot act on: an S3 notification without its records, bucket or key.

    Not a refused request (no status, no code): the invocation fails, so Lambda retries an
    asynchronous event and then dead-letters it, and the log shows one line,
    ``UnusableEvent: <what is missing>``. Fields a function does not need never raise it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
