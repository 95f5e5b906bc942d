"""Multipart uploads: sign parts lazily, list what S3 holds, complete only the planned file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from filestore.errors import (
    AlreadyUploaded,
    FileDeleted,
    FileNotFound,
    IncompleteUpload,
    InvalidPartNumber,
    NotMultipart,
    UploadAborted,
)
from filestore.models import FileId, FileRecord, Status
from filestore.observability import logger
from filestore.parts import PartPlan, completion_problems
from filestore.results import CompletedUpload, HeldParts, PartUpload
from filestore.tokens import authorized_record

if TYPE_CHECKING:
    from datetime import datetime

    from filestore.recording import UploadRecorder
    from filestore.repository import FileRepository
    from filestore.storage import ObjectStorage
    from filestore.validation import PartRequest
    from runtime_context import Settings


class MultipartUploads:
    """The part routes and completion of FileService (one bucket, one table)."""

    def __init__(
        self,
        settings: Settings,
        files: FileRepository,
        objects: ObjectStorage,
        now: Callable[[], datetime],
        recorder: UploadRecorder,
    ) -> None:
        self._settings = settings
        self._files = files
        self._objects = objects
        self._now = now
        self._recorder = recorder

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
        ``If-None-Match: *``. Completing again, or concurrently, answers the same: a file the
        content check refused included (status ``deleted`` with its ``rejected`` reason)."""
        record = authorized_record(self._files, file_id, token)
        if record.rejected is not None and record.upload_id is not None:
            return _refused(record.id, record.rejected)
        record = _require_multipart(record)
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
        return _require_multipart(authorized_record(self._files, file_id, token))

    def _record_completion(self, record: FileRecord) -> CompletedUpload:
        """Record what S3 now holds as the CompleteMultipartUpload event would: the content check
        first, so in store-on-upload mode no file is stored before its content has passed."""
        stored = self._objects.head(record.id)
        recorded = None
        if stored is not None:
            recorded = self._recorder.record(
                record.id, stored, self._now(), store=self._settings.store_on_upload
            )
        if recorded is None:
            raise self._gone(record)
        if recorded.rejected_now and recorded.rejected is not None:
            return _refused(record.id, recorded.rejected)
        if recorded.outcome.applied:
            status = Status.STORED if self._settings.store_on_upload else Status.UPLOADED
            return CompletedUpload(file_id=record.id, status=status)
        before = recorded.outcome.before
        if before is not None and before.rejected is not None:
            return _refused(record.id, before.rejected)  # the event's check refused it first
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


def _require_multipart(record: FileRecord) -> FileRecord:
    if record.deleted_at is not None:
        raise FileDeleted(f"file {record.id} is deleted")
    if record.upload_id is None:
        raise NotMultipart(
            f"file {record.id} is a single upload (one presigned PUT); it has no parts"
        )
    return record


def _refused(file_id: FileId, reason: str) -> CompletedUpload:
    """The answer for a file the content check refused: removed, its record deleted."""
    return CompletedUpload(file_id=file_id, status=Status.DELETED, rejected=reason)


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
