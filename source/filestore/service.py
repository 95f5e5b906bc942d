"""FileService: every Filestore operation on typed values, independent of HTTP and event shapes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from filestore import disposition
from filestore.content import HEAD_BYTES, ContentVerdict, check_content, content_is_checked
from filestore.errors import (
    AlreadyStored,
    ChangedDuringRevert,
    FileNotFound,
    InvalidRevertToken,
    NotInThisMode,
)
from filestore.models import FileId, FileRecord, Status, expiry_shard_of
from filestore.observability import Metric, count, logger
from filestore.repository import FileRepository, WriteOutcome
from filestore.results import (
    BatchProblem,
    BatchResult,
    ClientConfig,
    DescribedFile,
    ExpiryTally,
    Upload,
    UploadEventOutcome,
)
from filestore.storage import ObjectStorage, StoredObject
from filestore.validation import FILE_ID, MAX_BATCH_SIZE, MAX_NAME_LENGTH

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from filestore.validation import NewFile
    from runtime_context import Settings

Clock = Callable[[], datetime]
ID_ATTEMPTS = 3


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a revert token: the only form in which it is kept.

    Any header value hashes (a lone surrogate just cannot match), so it is a 403, never a 500.
    """
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()


class FileService:
    """Filestore's operations over one table and one bucket."""

    def __init__(
        self,
        settings: Settings,
        dynamodb_client: DynamoDBClient,
        s3_client: S3Client,
        clock: Clock = utc_now,
        *,
        query_page_size: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._files = FileRepository(
            dynamodb_client, settings.table_name, query_page_size=query_page_size, sleep=sleep
        )
        self._objects = ObjectStorage(
            s3_client, settings.bucket_name, url_expiration=settings.signed_url_expiration
        )

    # ---- public API -------------------------------------------------------------------------

    def config(self) -> ClientConfig:
        """GET /config: what a client needs to know before uploading."""
        return ClientConfig(
            max_file_size=self.settings.max_file_size,
            allowed_types=self.settings.allowed_types,
            store_on_upload=self.settings.store_on_upload,
            url_expiration=self.settings.signed_url_expiration,
            max_name_length=MAX_NAME_LENGTH,
            max_batch_size=MAX_BATCH_SIZE,
        )

    def create_upload(self, new_file: NewFile) -> Upload:
        """POST /file: a pending record and a presigned PUT URL for exactly this file."""
        now = self._now()
        token = secrets.token_urlsafe(32)
        record = self._insert_pending(new_file, token, now)
        request = self._objects.presign_upload(
            record.id, content_type=record.type, content_length=record.size
        )
        count(Metric.FILES_REQUESTED)
        details = {"file_id": record.id, "size": record.size, "type": record.type}
        logger.info("upload requested", extra=details)
        expires_at = now + timedelta(seconds=self.settings.signed_url_expiration)
        return Upload(file_id=record.id, request=request, expires_at=expires_at, revert_token=token)

    def file_status(self, file_id: FileId, token: str) -> FileRecord:
        """GET /file/{id}: the uploader reads its file's status (and why it was rejected)."""
        return self._uploaders_record(file_id, token)

    def revert(self, file_id: FileId, token: str) -> FileId:
        """DELETE /file/{id}: the uploader takes back a file it has not stored."""
        record = self._uploaders_record(file_id, token)
        if record.deleted_at is None:
            self._refuse_revert_if_stored(record)
            outcome = self._files.mark_deleted(
                file_id,
                now=self._now(),
                unless_stored=not self.settings.store_on_upload,
                token_hash=record.revert_token_hash,
            )
            if outcome.applied:
                count(Metric.FILES_DELETED)
            elif outcome.before is None:
                raise FileNotFound(f"file {file_id} does not exist")
            elif outcome.before.deleted_at is None:
                self._refuse_revert_if_stored(outcome.before)  # a store won the race
                raise ChangedDuringRevert(f"file {file_id} changed during the revert; try again")
        self._finish_deletion(file_id)
        logger.info("file reverted", extra={"file_id": file_id})
        return file_id

    def store(self, file_ids: list[FileId]) -> BatchResult:
        """PUT /files: keep uploaded files so they never expire."""
        if self.settings.store_on_upload:
            raise NotInThisMode(
                "files are stored on upload in this deployment (StoreOnLoad is True);"
                " PUT /files is not available"
            )
        now = self._now()
        done: list[FileId] = []
        problems: dict[FileId, BatchProblem] = {}
        for file_id in file_ids:
            problem = self._store_one(file_id, now)
            if problem is None:
                done.append(file_id)
            else:
                problems[file_id] = problem
        logger.info("files stored", extra={"stored": len(done), "problems": len(problems)})
        return BatchResult(done=tuple(done), problems=problems)

    def describe(
        self, file_ids: list[FileId], *, include_deleted: bool, include_nonstored: bool
    ) -> list[DescribedFile]:
        """POST /files: the records of the given ids, in request order, unknown ids left out."""
        records = self._files.get_many(file_ids)
        wanted = {Status.STORED}
        if include_deleted:
            wanted.add(Status.DELETED)
        if include_nonstored:
            wanted.update((Status.PENDING, Status.UPLOADED))
        described: list[DescribedFile] = []
        for file_id in file_ids:
            record = records.get(file_id)
            if record is None or record.status not in wanted:
                continue
            url = None
            if record.status is Status.STORED:
                url = self._objects.presign_download(
                    record.id,
                    content_type=record.type,
                    content_disposition=disposition.attachment(record.name),
                )
            described.append(DescribedFile(record=record, download_url=url))
        return described

    def delete(self, file_ids: list[FileId]) -> BatchResult:
        """DELETE /files: remove objects; the records stay, marked deleted."""
        now = self._now()
        done: list[FileId] = []
        problems: dict[FileId, BatchProblem] = {}
        for file_id in file_ids:
            outcome = self._files.mark_deleted(file_id, now=now)
            if not outcome.applied and outcome.before is None:
                problems[file_id] = BatchProblem.NOT_FOUND
                continue
            if outcome.applied:
                count(Metric.FILES_DELETED)
            self._finish_deletion(file_id)  # also retries an unfinished earlier deletion
            done.append(file_id)
        logger.info("files deleted", extra={"deleted": len(done), "problems": len(problems)})
        return BatchResult(done=tuple(done), problems=problems)

    def record_upload(self, bucket: str, key: str) -> UploadEventOutcome:
        """s3:ObjectCreated for one decoded key: record the upload, or remove an orphan object.

        An event for another bucket than this service's is ignored.
        """
        if bucket != self.settings.bucket_name:
            logger.warning("event for another bucket", extra={"bucket": bucket})
            return UploadEventOutcome.IGNORED
        stored_object = self._objects.head(key)
        if stored_object is None:
            logger.info("object already gone", extra={"key": key})
            return UploadEventOutcome.GONE
        if not FILE_ID.fullmatch(key):
            self._objects.delete(key)
            logger.warning("removed object with a foreign key", extra={"key": key})
            return UploadEventOutcome.REMOVED
        file_id = FileId(key)
        verdict = self._judge_content(file_id, stored_object)
        if verdict is None:
            logger.info("object already gone", extra={"key": key})
            return UploadEventOutcome.GONE
        outcome = self._mark_uploaded(
            file_id,
            stored_object,
            self._now(),
            store=self.settings.store_on_upload,
            rejected=verdict.rejected,
        )
        if outcome.applied and verdict.rejected is not None:
            return UploadEventOutcome.REJECTED
        if outcome.applied:
            return UploadEventOutcome.RECORDED
        if outcome.before is None or outcome.before.deleted_at is not None:
            self._objects.delete(file_id)
            if outcome.before is not None:
                self._files.finish_deletion(file_id)
            logger.info("removed object without a live record", extra={"file_id": file_id})
            return UploadEventOutcome.REMOVED
        logger.info("duplicate upload event", extra={"file_id": file_id})
        return UploadEventOutcome.DUPLICATE

    def expire(self) -> ExpiryTally:
        """The schedule: remove every file not stored in time, and finish stuck deletions."""
        now = self._now()
        expired = finished = skipped = 0
        for entry in self._files.expiring(now):
            if entry.deletion_started:
                self._finish_deletion(entry.id)
                finished += 1
                continue
            outcome = self._files.mark_deleted(entry.id, now=now, unless_stored=True, expired=True)
            if outcome.applied:
                self._finish_deletion(entry.id)
                expired += 1
            else:
                skipped += 1  # a concurrent store or delete won
        tally = ExpiryTally(expired=expired, finished=finished, skipped=skipped)
        count(Metric.FILES_EXPIRED, tally.expired)
        logger.info("expiry run", extra=asdict(tally))
        return tally

    # ---- helpers ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def _insert_pending(self, new_file: NewFile, token: str, now: datetime) -> FileRecord:
        temporary = not self.settings.store_on_upload
        expire_at = int(now.timestamp()) + self.settings.upload_timeout
        for _attempt in range(ID_ATTEMPTS):
            file_id = FileId(secrets.token_hex(16))
            record = FileRecord(
                id=file_id,
                name=new_file.name,
                type=new_file.type,
                size=new_file.size,
                created_at=now,
                revert_token_hash=hash_token(token),
                expiry_shard=expiry_shard_of(file_id) if temporary else None,
                expire_at=expire_at if temporary else None,
            )
            if self._files.put_new(record):
                return record
        raise RuntimeError(f"no free file id after {ID_ATTEMPTS} random draws")

    def _uploaders_record(self, file_id: FileId, token: str) -> FileRecord:
        """The record, when ``token`` is the revert token POST /file handed out for it."""
        record = self._files.get(file_id)
        if record is None:
            raise FileNotFound(f"file {file_id} does not exist")
        if record.revert_token_hash is None or not hmac.compare_digest(
            hash_token(token), record.revert_token_hash
        ):
            raise InvalidRevertToken("the revert token does not match this file")
        return record

    def _refuse_revert_if_stored(self, record: FileRecord) -> None:
        if record.stored_at is not None and not self.settings.store_on_upload:
            raise AlreadyStored(f"file {record.id} is already stored; revert no longer applies")

    def _store_one(self, file_id: FileId, now: datetime) -> BatchProblem | None:
        outcome = self._files.mark_stored(file_id, now=now)
        before = outcome.before
        if not outcome.applied and before and not before.deleted_at and not before.uploaded_at:
            # Not uploaded yet, as far as the table knows: the S3 event may still be on its
            # way, so ask S3, check the content and record the upload ourselves before storing.
            stored_object = self._objects.head(file_id)
            verdict = None if stored_object is None else self._judge_content(file_id, stored_object)
            if stored_object is not None and verdict is not None:
                recorded = self._mark_uploaded(
                    file_id, stored_object, now, store=False, rejected=verdict.rejected
                )
                if recorded.applied and verdict.rejected is not None:
                    return BatchProblem.REJECTED
            # Or no object (not uploaded, or removed by an event just now): the record says why.
            outcome = self._files.mark_stored(file_id, now=now)
        if outcome.applied:
            if outcome.before is None or outcome.before.stored_at is None:
                count(Metric.FILES_STORED)
            return None
        if outcome.before is None:
            return BatchProblem.NOT_FOUND
        if outcome.before.deleted_at is not None:
            return BatchProblem.REJECTED if outcome.before.rejected else BatchProblem.DELETED
        return BatchProblem.NOT_UPLOADED

    def _judge_content(self, file_id: FileId, stored_object: StoredObject) -> ContentVerdict | None:
        """The content check on the object's first bytes; None when the object is gone.

        With AllowedTypes ``*`` nothing is read and everything passes.
        """
        if not content_is_checked(self.settings.allowed_types):
            return ContentVerdict(detected=None)
        length = min(HEAD_BYTES, stored_object.size)
        head = self._objects.read_head(file_id, length) if length else b""
        if head is None:
            return None
        return check_content(stored_object.content_type, head, self.settings.allowed_types)

    def _mark_uploaded(
        self,
        file_id: FileId,
        stored_object: StoredObject,
        now: datetime,
        *,
        store: bool,
        rejected: str | None = None,
    ) -> WriteOutcome:
        """Record the upload; or, ``rejected`` by the content check, delete it with its reason.

        A rejection is written before its object is removed: the event's retry finishes it.
        """
        outcome = self._files.mark_uploaded(
            file_id,
            size=stored_object.size,
            content_type=stored_object.content_type,
            now=now,
            store=store,
            rejected=rejected,
        )
        if outcome.applied and rejected is not None:
            self._finish_deletion(file_id)
            count(Metric.FILES_REJECTED)
            logger.warning("upload rejected", extra={"file_id": file_id, "reason": rejected})
        elif outcome.applied:
            count(Metric.FILES_UPLOADED)
            count(Metric.BYTES_UPLOADED, stored_object.size)
            if store:
                count(Metric.FILES_STORED)
            logger.info(
                "upload recorded",
                extra={"file_id": file_id, "size": stored_object.size, "stored": store},
            )
        return outcome

    def _finish_deletion(self, file_id: str) -> None:
        self._objects.delete(file_id)
        self._files.finish_deletion(file_id)
