"""What FileService's operations return: typed values, turned into JSON only by filestore.views."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from filestore.models import FileId, FileRecord, Status, UploadKind
    from filestore.parts import HeldPart, PartPlan
    from filestore.storage import PresignedUpload


class ClientConfig(NamedTuple):
    """GET /config: the limits and mode a client needs before uploading."""

    max_file_size: int
    allowed_types: tuple[str, ...]
    store_on_upload: bool
    url_expiration: int
    max_name_length: int
    max_batch_size: int
    multipart_threshold: int
    part_size: int


class Upload(NamedTuple):
    """POST /file: a pending file, how its bytes reach S3, and the token that reverts it.

    A single upload carries its presigned PUT (``request``) and ``expires_at`` is the URL's
    expiry; a multipart upload carries its ``plan`` and ``expires_at`` is when the pending file
    expires unless a part signing moves it on.
    """

    file_id: FileId
    kind: UploadKind
    expires_at: datetime
    revert_token: str
    request: PresignedUpload | None = None
    plan: PartPlan | None = None


class PartUpload(NamedTuple):
    """POST /file/{id}/parts: one part's presigned UploadPart."""

    number: int
    request: PresignedUpload


class HeldParts(NamedTuple):
    """GET /file/{id}/parts: the parts S3 holds, in part-number order."""

    parts: tuple[HeldPart, ...]


class CompletedUpload(NamedTuple):
    """POST /file/{id}/complete: the file, now uploaded (or stored in store-on-upload mode), or
    deleted with the content check's reason in ``rejected``."""

    file_id: FileId
    status: Status
    rejected: str | None = None


class BatchProblem(StrEnum):
    """Why PUT or DELETE /files left one id out of its result."""

    NOT_FOUND = "not found"
    NOT_UPLOADED = "not uploaded"
    DELETED = "deleted"
    REJECTED = "rejected"  # the content check refused and removed it


class BatchResult(NamedTuple):
    """PUT or DELETE /files: the ids done, in request order, and the problem of each other id."""

    done: tuple[FileId, ...]
    problems: Mapping[FileId, BatchProblem]


class DescribedFile(NamedTuple):
    """POST /files: one record and, for a stored file, its presigned download URL."""

    record: FileRecord
    download_url: str | None


class UploadEventOutcome(StrEnum):
    """What one s3:ObjectCreated record led to."""

    RECORDED = "recorded"  # the upload is in the record now
    DUPLICATE = "duplicate"  # it already was: a repeated event
    REJECTED = "rejected"  # the content check refused it: object removed, record deleted
    REMOVED = "removed"  # the object had no live record (unknown, deleted or a foreign key)
    GONE = "gone"  # the object no longer exists
    IGNORED = "ignored"  # the event names another bucket


class ExpiryTally(NamedTuple):
    """One run of the expiry schedule."""

    expired: int  # files not stored in time, now deleted
    finished: int  # deletions started earlier and completed now
    skipped: int  # files a concurrent store or delete claimed first
