"""Recording an upload S3 reports: a check of its first bytes, then one conditional write."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from filestore.content import HEAD_BYTES, ContentVerdict, check_content, content_is_checked
from filestore.observability import Metric, count, logger

if TYPE_CHECKING:
    from datetime import datetime

    from filestore.models import FileId
    from filestore.repository import FileRepository, WriteOutcome
    from filestore.storage import ObjectStorage, StoredObject
    from runtime_context import Settings


class Recorded(NamedTuple):
    """What recording did: the conditional write's outcome, and the content check's reason
    when it refused the file (None when it passed)."""

    outcome: WriteOutcome
    rejected: str | None = None

    @property
    def rejected_now(self) -> bool:
        """Whether this write rejected the file (not a write that found it recorded already)."""
        return self.outcome.applied and self.rejected is not None


class UploadRecorder:
    """The one path from "S3 holds the object" to a record: the upload event (PUT or
    CompleteMultipartUpload), POST /file/{id}/complete and PUT /files' fallback all take it, so
    no file is ever uploaded or stored before its content has passed."""

    def __init__(self, settings: Settings, files: FileRepository, objects: ObjectStorage) -> None:
        self._allowed_types = settings.allowed_types
        self._files = files
        self._objects = objects

    def record(
        self, file_id: FileId, stored_object: StoredObject, now: datetime, *, store: bool
    ) -> Recorded | None:
        """Check the content, then record the upload (stored too with ``store``) or, refused,
        delete it with its reason in the same write. None when the object is gone meanwhile.

        A rejection is written before its object is removed: the event's retry finishes it.
        """
        verdict = self._judge(file_id, stored_object)
        if verdict is None:
            return None
        outcome = self._files.mark_uploaded(
            file_id,
            size=stored_object.size,
            content_type=stored_object.content_type,
            now=now,
            store=store,
            checksum_sha256=stored_object.checksum_sha256,
            rejected=verdict.rejected,
        )
        recorded = Recorded(outcome, verdict.rejected)
        if recorded.rejected_now:
            # A completed multipart upload has no parts left to abort: its object is all.
            self.finish_deletion(file_id, None)
            count(Metric.FILES_REJECTED)
            reason = {"file_id": file_id, "reason": verdict.rejected}
            logger.warning("upload rejected", extra=reason)
        elif outcome.applied:
            count(Metric.FILES_UPLOADED)
            count(Metric.BYTES_UPLOADED, stored_object.size)
            if store:
                count(Metric.FILES_STORED)
            logger.info(
                "upload recorded",
                extra={"file_id": file_id, "size": stored_object.size, "stored": store},
            )
        return recorded

    def _judge(self, file_id: FileId, stored_object: StoredObject) -> ContentVerdict | None:
        """The content check on the object's first bytes (one ranged GET); None when the object
        is gone. With AllowedTypes ``*`` nothing is read and everything passes."""
        if not content_is_checked(self._allowed_types):
            return ContentVerdict(detected=None)
        length = min(HEAD_BYTES, stored_object.size)
        head = self._objects.read_head(file_id, length) if length else b""
        if head is None:
            return None
        return check_content(stored_object.content_type, head, self._allowed_types)

    def finish_deletion(self, file_id: str, upload_id: str | None) -> None:
        """Abort the multipart upload first (a complete racing it then fails, or its object is
        removed next), delete the object, then drop the expiry attributes."""
        if upload_id is not None:
            self._objects.abort_multipart(file_id, upload_id)
        self._objects.delete(file_id)
        self._files.finish_deletion(file_id)
