"""Typed errors the service raises; ``filestore.http`` turns them into 4xx JSON responses."""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar


class FilestoreError(Exception):
    """A request the service refuses, with a message safe to show the client."""

    status: ClassVar[HTTPStatus] = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(FilestoreError):
    """The request is malformed or breaks a limit (400)."""

    status = HTTPStatus.BAD_REQUEST


class Forbidden(FilestoreError):
    """The caller may not do this, e.g. a wrong revert token (403)."""

    status = HTTPStatus.FORBIDDEN


class NotFound(FilestoreError):
    """No such file (404)."""

    status = HTTPStatus.NOT_FOUND


class Conflict(FilestoreError):
    """The file's state forbids the operation, e.g. reverting a stored file (409)."""

    status = HTTPStatus.CONFLICT
