"""Multipart uploads: sign parts lazily, list what S3 holds, complete only the planned file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from filestore.errors import (
    AlreadyUploaded,
    FileDeleted,
    FileNotFound,
    IncompleteUpload,
    InvalidPartNumber,
    InvalidRevertToken,
    NotMultipart,
    UploadAborted,
)
from filestore.models import FileId, FileRecord, Status
from filestore.observability import logger
from filestore.parts import PartPlan, completion_problems
from filestore.results import CompletedUpload, HeldParts, PartUpload
from filestore.storage import ObjectStorage, StoredObject
from filestore.tokens import token_matches

if TYPE_CHECKING:
    from filestore.repository import FileRepository, WriteOutcome
    from filestore.validation import PartRequest
    from runtime_context import Settings

# FileService's one way of recording an upload S3 reports (metrics and logs included).
RecordUpload = Callable[[FileId, StoredObject, datetime, bool], "WriteOutcome"]


def authorized_record(files: FileRepository, file_id: FileId, token: str) -> FileRecord:
    """The record ``token`` reverts: 404 for an unknown id, 403 for another file's token."""
    record = files.get(file_id)
    if record is None:
        raise FileNotFound(f"file {file_id} does not exist")
    if not token_matches(token, record.revert_token_hash):
        raise InvalidRevertToken("the revert token does not match this file")
    return record


class MultipartUploads:
    """The part routes and completion of FileService (one bucket, one table)."""

    def __init__(
        self,
        settings: Settings,
        files: FileRepository,
        objects: ObjectStorage,
        now: Callable[[], datetime],
        record_upload: RecordUpload,
    ) -> None:
        self._settings = settings
        self._files = files
        self._objects = objects
        self._now = now
        self._record_upload = record_upload

    def sign(
        self, file_id: FileId, token: str, requests: Sequence[PartRequest]
    ) -> list[PartUpload]:
        """Presigned UploadParts, each signing its part's planned length and its checksum; the
        pending file's expiry moves to UploadTimeout from now (the upload is active)."""
        record = self._multipart_record(file_id, token)
        _refuse_unless_pending(record)
        plan = _plan(record)
        for part in requests:
            if part.number > plan.part_count:
                raise InvalidPartNumber(
                    f"part {part.number} is beyond this file's {plan.part_count} parts"
                )
        if record.expire_at is not None and record.revert_token_hash is not None:
            expire_at = int(self._now().timestamp()) + self._settings.upload_timeout
            outcome = self._files.extend_expiry(
                file_id, expire_at=expire_at, token_hash=record.revert_token_hash
            )
            if not outcome.applied:
                if outcome.before is None:
                    raise FileNotFound(f"file {file_id} does not exist")
                _refuse_unless_pending(outcome.before)
        upload_id = _upload_id(record)
        return [
            PartUpload(
                number=part.number,
                request=self._objects.presign_part(
                    file_id,
                    upload_id,
                    number=part.number,
                    content_length=plan.part_length(part.number),
                    checksum_sha256=part.checksum_sha256,
                ),
            )
            for part in requests
        ]

    def held(self, file_id: FileId, token: str) -> HeldParts:
        """The parts S3 holds (every ListParts page), for a client resuming the upload."""
        record = self._multipart_record(file_id, token)
        _refuse_unless_pending(record)
        parts = self._objects.list_parts(file_id, _upload_id(record))
        if parts is None:
            raise self._gone(record)
        return HeldParts(parts=tuple(sorted(parts, key=lambda part: part.number)))

    def complete(self, file_id: FileId, token: str) -> CompletedUpload:
        """Check that S3 holds every planned part at its planned size, then complete with
        ``If-None-Match: *``. Completing again, or concurrently, answers the same."""
        record = self._multipart_record(file_id, token)
        if record.uploaded_at is not None:
            return CompletedUpload(file_id=file_id, status=record.status)
        upload_id = _upload_id(record)
        parts = self._objects.list_parts(file_id, upload_id)
        if parts is None:
            return self._record_completion(record)  # completed meanwhile, or aborted
        problems = completion_problems(_plan(record), parts)
        if problems:
            raise IncompleteUpload(
                f"nothing was completed: {'; '.join(problems)}; upload the missing parts"
                " (GET /file/{id}/parts lists what S3 holds) and complete again"
            )
        ordered = sorted(parts, key=lambda part: part.number)
        completion = self._objects.complete_multipart(file_id, upload_id, ordered)
        logger.info(
            "multipart completion", extra={"file_id": file_id, "completion": completion.value}
        )
        return self._record_completion(record)

    # ---- helpers ----------------------------------------------------------------------------

    def _multipart_record(self, file_id: FileId, token: str) -> FileRecord:
        record = authorized_record(self._files, file_id, token)
        if record.deleted_at is not None:
            raise FileDeleted(f"file {file_id} is deleted")
        if record.upload_id is None:
            raise NotMultipart(
                f"file {file_id} is a single upload (one presigned PUT); it has no parts"
            )
        return record

    def _record_completion(self, record: FileRecord) -> CompletedUpload:
        """Record what S3 now holds (as the CompleteMultipartUpload event would)."""
        stored = self._objects.head(record.id)
        if stored is None:
            raise self._gone(record)
        store = self._settings.store_on_upload
        outcome = self._record_upload(record.id, stored, self._now(), store)
        if outcome.applied:
            return CompletedUpload(
                file_id=record.id, status=Status.STORED if store else Status.UPLOADED
            )
        before = outcome.before
        if before is None or before.deleted_at is not None:
            # The ObjectCreated event removes an object whose record is gone or deleted.
            raise FileDeleted(f"file {record.id} was deleted while it was being completed")
        return CompletedUpload(file_id=record.id, status=before.status)

    def _gone(self, record: FileRecord) -> Exception:
        """Why S3 no longer knows the upload: the file was deleted, completed, or it expired."""
        now = self._files.get(record.id)
        if now is None or now.deleted_at is not None:
            return FileDeleted(f"file {record.id} is deleted")
        if now.uploaded_at is not None:
            return AlreadyUploaded(f"file {record.id} is uploaded; its parts are assembled")
        return UploadAborted(
            f"S3 no longer holds the multipart upload of file {record.id} (aborted after"
            " IncompleteUploadDays); create the file again"
        )


def _refuse_unless_pending(record: FileRecord) -> None:
    if record.deleted_at is not None:
        raise FileDeleted(f"file {record.id} is deleted")
    if record.uploaded_at is not None:
        raise AlreadyUploaded(f"file {record.id} is uploaded; its parts are assembled")


def _plan(record: FileRecord) -> PartPlan:
    if record.part_size is None:
        raise NotMultipart(f"file {record.id} has no part plan")
    return PartPlan(size=record.size, part_size=record.part_size)


def _upload_id(record: FileRecord) -> str:
    if record.upload_id is None:
        raise NotMultipart(f"file {record.id} is a single upload")
    return record.upload_id
