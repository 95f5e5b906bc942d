"""FileService: every Filestore operation on typed values, independent of HTTP and event shapes."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from filestore import disposition
from filestore.errors import (
    AlreadyStored,
    ChangedDuringRevert,
    FileNotFound,
    NotInThisMode,
)
from filestore.models import FileId, FileRecord, Status, UploadKind, expiry_shard_of
from filestore.multipart import MultipartUploads
from filestore.observability import Metric, count, logger
from filestore.parts import PartPlan, plan_parts
from filestore.recording import UploadRecorder
from filestore.repository import FileRepository, WriteOutcome
from filestore.results import (
    BatchProblem,
    BatchResult,
    ClientConfig,
    CompletedUpload,
    DescribedFile,
    ExpiryTally,
    HeldParts,
    PartUpload,
    Upload,
    UploadEventOutcome,
)
from filestore.storage import ObjectStorage
from filestore.tokens import authorized_record, hash_token, new_token
from filestore.validation import FILE_ID, MAX_BATCH_SIZE, MAX_NAME_LENGTH

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from filestore.validation import NewFile, PartRequest
    from runtime_context import Settings

Clock = Callable[[], datetime]
ID_ATTEMPTS = 3
__all__ = ["FileService", "hash_token", "utc_now"]


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


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
        parts_page_size: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._files = FileRepository(
            dynamodb_client, settings.table_name, query_page_size=query_page_size, sleep=sleep
        )
        self._objects = ObjectStorage(
            s3_client,
            settings.bucket_name,
            url_expiration=settings.signed_url_expiration,
            parts_page_size=parts_page_size,
            sleep=sleep,
        )
        self._recorder = UploadRecorder(settings, self._files, self._objects)
        self._multipart = MultipartUploads(
            settings, self._files, self._objects, self._now, self._recorder
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
            multipart_threshold=self.settings.multipart_threshold,
            part_size=self.settings.part_size,
        )

    def create_upload(self, new_file: NewFile) -> Upload:
        """POST /file: a pending record and either a presigned PUT for exactly this file (below
        MultipartThreshold) or a multipart upload with its part plan."""
        now = self._now()
        token = new_token()
        multipart = new_file.size >= self.settings.multipart_threshold
        plan = plan_parts(new_file.size, self.settings.part_size) if multipart else None
        record = self._insert_pending(new_file, token, now, plan)
        count(Metric.FILES_REQUESTED)
        details = {"file_id": record.id, "size": record.size, "type": record.type}
        logger.info("upload requested", extra={**details, "upload": record.upload_kind.value})
        if plan is not None:
            expires_at = now + timedelta(seconds=self.settings.upload_timeout)
            return Upload(record.id, UploadKind.MULTIPART, expires_at, token, plan=plan)
        request = self._objects.presign_upload(
            record.id,
            content_type=record.type,
            content_length=record.size,
            checksum_sha256=new_file.checksum_sha256,
        )
        expires_at = now + timedelta(seconds=self.settings.signed_url_expiration)
        return Upload(record.id, UploadKind.SINGLE, expires_at, token, request=request)

    def sign_parts(
        self, file_id: FileId, token: str, requests: list[PartRequest]
    ) -> list[PartUpload]:
        """POST /file/{id}/parts: presigned UploadParts; the upload counts as active."""
        return self._multipart.sign(file_id, token, requests)

    def held_parts(self, file_id: FileId, token: str) -> HeldParts:
        """GET /file/{id}/parts: the parts S3 holds, for resuming."""
        return self._multipart.held(file_id, token)

    def complete_upload(self, file_id: FileId, token: str) -> CompletedUpload:
        """POST /file/{id}/complete: complete a multipart upload that holds every planned part."""
        return self._multipart.complete(file_id, token)

    def file_status(self, file_id: FileId, token: str) -> FileRecord:
        """GET /file/{id}: the uploader reads its file's status (and why it was rejected)."""
        return authorized_record(self._files, file_id, token)

    def revert(self, file_id: FileId, token: str) -> FileId:
        """DELETE /file/{id}: the uploader takes back a file it has not stored."""
        record = authorized_record(self._files, file_id, token)
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
        self._finish_deletion(file_id, record.upload_id)
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
            # Also retries an unfinished earlier deletion.
            self._finish_deletion(file_id, _upload_id_before(outcome))
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
        recorded = self._recorder.record(
            file_id, stored_object, self._now(), store=self.settings.store_on_upload
        )
        if recorded is None:
            logger.info("object already gone", extra={"key": key})
            return UploadEventOutcome.GONE
        outcome = recorded.outcome
        if recorded.rejected_now:
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
                # The index projects no upload id; a multipart upload is named in the item.
                record = self._files.get(entry.id)
                self._finish_deletion(entry.id, record.upload_id if record else None)
                finished += 1
                continue
            outcome = self._files.mark_deleted(entry.id, now=now, unless_stored=True, expired=True)
            if outcome.applied:
                self._finish_deletion(entry.id, _upload_id_before(outcome))
                expired += 1
            else:
                skipped += 1  # a concurrent store or delete won
        tally = ExpiryTally(expired=expired, finished=finished, skipped=skipped)
        count(Metric.FILES_EXPIRED, tally.expired)
        logger.info("expiry run", extra=tally._asdict())
        return tally

    # ---- helpers ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def _insert_pending(
        self, new_file: NewFile, token: str, now: datetime, plan: PartPlan | None
    ) -> FileRecord:
        """The pending record; a multipart upload is created first, and aborted if no record
        can name it (the lifecycle rule is only the backstop)."""
        temporary = not self.settings.store_on_upload
        expire_at = int(now.timestamp()) + self.settings.upload_timeout
        for _attempt in range(ID_ATTEMPTS):
            file_id = FileId(secrets.token_hex(16))
            upload_id = None
            if plan is not None:
                upload_id = self._objects.start_multipart(file_id, content_type=new_file.type)
            record = FileRecord(
                id=file_id,
                name=new_file.name,
                type=new_file.type,
                size=new_file.size,
                created_at=now,
                revert_token_hash=hash_token(token),
                expiry_shard=expiry_shard_of(file_id) if temporary else None,
                expire_at=expire_at if temporary else None,
                upload_id=upload_id,
                part_size=plan.part_size if plan is not None else None,
                checksum_sha256=new_file.checksum_sha256,
            )
            try:
                inserted = self._files.put_new(record)
            except Exception:
                if upload_id is not None:
                    self._objects.abort_multipart(file_id, upload_id)
                raise
            if inserted:
                return record
            if upload_id is not None:
                self._objects.abort_multipart(file_id, upload_id)
        raise RuntimeError(f"no free file id after {ID_ATTEMPTS} random draws")

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
            if stored_object is not None:
                recorded = self._recorder.record(file_id, stored_object, now, store=False)
                if recorded is not None and recorded.rejected_now:
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

    def _finish_deletion(self, file_id: str, upload_id: str | None) -> None:
        self._recorder.finish_deletion(file_id, upload_id)


def _upload_id_before(outcome: WriteOutcome) -> str | None:
    """The multipart upload a record named before a write (None for a single upload)."""
    return outcome.before.upload_id if outcome.before is not None else None
