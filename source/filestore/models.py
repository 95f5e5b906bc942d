"""The file record: its id type, its DynamoDB item and its derived status."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, NewType

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
EXPIRY_SHARDS = 4  # ExpiryIndex hash keys 0..3 spread the expiring files over partitions

# 32 lowercase hex characters (``filestore.validation.FILE_ID``); also the object's S3 key.
FileId = NewType("FileId", str)


class Status(StrEnum):
    """A file's life cycle; derived from its timestamps, never stored."""

    PENDING = "pending"
    UPLOADED = "uploaded"
    STORED = "stored"
    DELETED = "deleted"


class UploadKind(StrEnum):
    """How a file's bytes reach S3: one presigned PUT, or a multipart upload the API completes."""

    SINGLE = "single"
    MULTIPART = "multipart"


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC to the second with a ``Z``: ``2026-01-31T12:00:00Z``."""
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """The inverse of :func:`format_timestamp`."""
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def expiry_shard_of(file_id: str) -> int:
    """The ExpiryIndex shard of a file, spread evenly by its random id."""
    return int(file_id[:8], 16) % EXPIRY_SHARDS


class FileRecord(NamedTuple):
    """One item of FilesTable (attribute names as in docs/ARCHITECTURE.md)."""

    id: FileId
    name: str
    type: str
    size: int
    created_at: datetime
    uploaded_at: datetime | None = None
    stored_at: datetime | None = None
    deleted_at: datetime | None = None
    expired: bool = False
    revert_token_hash: str | None = None
    expiry_shard: int | None = None
    expire_at: int | None = None
    rejected: str | None = None  # why the content check removed the file; None otherwise
    upload_id: str | None = None  # the S3 multipart upload's id; None for a single PUT
    part_size: int | None = None  # bytes per part (the last may be smaller); multipart only
    checksum_sha256: str | None = None  # base64; a multipart object's carries S3's "-N"

    @property
    def upload_kind(self) -> UploadKind:
        return UploadKind.SINGLE if self.upload_id is None else UploadKind.MULTIPART

    @property
    def status(self) -> Status:
        if self.deleted_at is not None:
            return Status.DELETED
        if self.stored_at is not None:
            return Status.STORED
        if self.uploaded_at is not None:
            return Status.UPLOADED
        return Status.PENDING

    def to_item(self) -> dict[str, AttributeValueTypeDef]:
        """The DynamoDB item (low-level attribute values); absent values are left out."""
        item: dict[str, AttributeValueTypeDef] = {
            "id": {"S": self.id},
            "name": {"S": self.name},
            "type": {"S": self.type},
            "size": {"N": str(self.size)},
            "created_at": {"S": format_timestamp(self.created_at)},
        }
        for attribute in ("uploaded_at", "stored_at", "deleted_at"):
            moment = getattr(self, attribute)
            if moment is not None:
                item[attribute] = {"S": format_timestamp(moment)}
        if self.expired:
            item["expired"] = {"BOOL": True}
        if self.revert_token_hash is not None:
            item["revert_token_hash"] = {"S": self.revert_token_hash}
        if self.rejected is not None:
            item["rejected"] = {"S": self.rejected}
        if self.expiry_shard is not None and self.expire_at is not None:
            item["expiry_shard"] = {"N": str(self.expiry_shard)}
            item["expire_at"] = {"N": str(self.expire_at)}
        if self.upload_id is not None and self.part_size is not None:
            item["upload_id"] = {"S": self.upload_id}
            item["part_size"] = {"N": str(self.part_size)}
        if self.checksum_sha256 is not None:
            item["checksum_sha256"] = {"S": self.checksum_sha256}
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> FileRecord:
        """Read a full DynamoDB item (as returned by GetItem or BatchGetItem)."""

        def text(name: str) -> str | None:
            value = item.get(name)
            return None if value is None else str(value["S"])

        def moment(name: str) -> datetime | None:
            value = text(name)
            return None if value is None else parse_timestamp(value)

        def number(name: str) -> int | None:
            value = item.get(name)
            return None if value is None else int(value["N"])

        created_at = moment("created_at")
        size = number("size")
        if created_at is None or size is None:
            raise ValueError(f"item {item.get('id')} lacks created_at or size")
        return cls(
            id=FileId(str(item["id"]["S"])),
            name=text("name") or "",
            type=text("type") or "application/octet-stream",
            size=size,
            created_at=created_at,
            uploaded_at=moment("uploaded_at"),
            stored_at=moment("stored_at"),
            deleted_at=moment("deleted_at"),
            expired=bool(item.get("expired", {}).get("BOOL", False)),
            revert_token_hash=text("revert_token_hash"),
            expiry_shard=number("expiry_shard"),
            expire_at=number("expire_at"),
            rejected=text("rejected"),
            upload_id=text("upload_id"),
            part_size=number("part_size"),
            checksum_sha256=text("checksum_sha256"),
        )
