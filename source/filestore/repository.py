"""FilesTable access with the low-level DynamoDB client: every conditional write is handled."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import ClientError

from filestore.models import EXPIRY_SHARDS, FileRecord, format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesTypeDef,
        QueryInputTypeDef,
    )

EXPIRY_INDEX = "ExpiryIndex"
CONDITION_FAILED = "ConditionalCheckFailedException"
MAX_BATCH_KEYS = 100
REMOVE_EXPIRY = "REMOVE expiry_shard, expire_at"


class WriteOutcome(NamedTuple):
    """A conditional write: whether it applied, and the item as it was before it."""

    applied: bool
    before: FileRecord | None


class ExpiringEntry(NamedTuple):
    """One ExpiryIndex entry: a file past its expiry, or one whose deletion is unfinished."""

    id: str
    deletion_started: bool


class FileRepository:
    """Reads and writes file records in one table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        query_page_size: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_backoff_seconds: float = 2.0,
    ) -> None:
        self._client = client
        self._table = table_name
        self._page_size = query_page_size
        self._sleep = sleep
        self._max_backoff = max_backoff_seconds

    def put_new(self, record: FileRecord) -> bool:
        """Create a record; False if the id is already taken (never overwrites)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=record.to_item(),
                ConditionExpression="attribute_not_exists(id)",
            )
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise
        return True

    def get(self, file_id: str) -> FileRecord | None:
        """The record, read consistently, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=_key(file_id), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else FileRecord.from_item(item)

    def get_many(self, file_ids: Sequence[str]) -> dict[str, FileRecord]:
        """Records by id (unknown ids absent); retries UnprocessedKeys until all are read."""
        if len(file_ids) > MAX_BATCH_KEYS:
            raise ValueError(f"at most {MAX_BATCH_KEYS} ids per BatchGetItem")
        records: dict[str, FileRecord] = {}
        if not file_ids:
            return records
        request: dict[str, KeysAndAttributesTypeDef] = {
            self._table: {"Keys": [_key(file_id) for file_id in file_ids], "ConsistentRead": True}
        }
        attempt = 0
        while request:
            if attempt:
                self._back_off(attempt)
            response = self._client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                record = FileRecord.from_item(item)
                records[record.id] = record
            unprocessed = response.get("UnprocessedKeys") or {}
            request = {name: keys for name, keys in unprocessed.items() if keys.get("Keys")}  # type: ignore[misc]
            attempt += 1
        return records

    def mark_uploaded(
        self,
        file_id: str,
        *,
        size: int,
        content_type: str,
        now: datetime,
        store: bool,
        checksum_sha256: str | None = None,
        rejected: str | None = None,
    ) -> WriteOutcome:
        """Record the upload S3 reported (and, in store-on-upload mode, store the file).

        With ``rejected`` (the content check's reason) the file is deleted in the same write.
        """
        values: dict[str, AttributeValueTypeDef] = {
            ":now": {"S": format_timestamp(now)},
            ":size": {"N": str(size)},
            ":type": {"S": content_type},
        }
        expression = "SET uploaded_at = :now, #size = :size, #type = :type"
        if checksum_sha256 is not None:
            expression += ", checksum_sha256 = :checksum"
            values[":checksum"] = {"S": checksum_sha256}
        if rejected is not None:
            expression += ", deleted_at = :now, rejected = :reason"
            values[":reason"] = {"S": rejected}
        elif store:
            expression += ", stored_at = :now " + REMOVE_EXPIRY
        return self._update(
            file_id,
            expression,
            condition=(
                "attribute_exists(id) AND attribute_not_exists(uploaded_at)"
                " AND attribute_not_exists(deleted_at)"
            ),
            values=values,
            names={"#size": "size", "#type": "type"},
        )

    def extend_expiry(self, file_id: str, *, expire_at: int, token_hash: str) -> WriteOutcome:
        """Move a pending, expiring file's ``expire_at`` (its upload made progress)."""
        return self._update(
            file_id,
            "SET expire_at = :expire_at",
            condition=(
                "attribute_exists(expire_at) AND attribute_not_exists(uploaded_at)"
                " AND attribute_not_exists(deleted_at) AND revert_token_hash = :token_hash"
            ),
            values={":expire_at": {"N": str(expire_at)}, ":token_hash": {"S": token_hash}},
        )

    def mark_stored(self, file_id: str, *, now: datetime) -> WriteOutcome:
        """Store an uploaded, undeleted file (keeping an earlier ``stored_at``)."""
        return self._update(
            file_id,
            "SET stored_at = if_not_exists(stored_at, :now) " + REMOVE_EXPIRY,
            condition="attribute_exists(uploaded_at) AND attribute_not_exists(deleted_at)",
            values={":now": {"S": format_timestamp(now)}},
        )

    def mark_deleted(
        self,
        file_id: str,
        *,
        now: datetime,
        unless_stored: bool = False,
        expired: bool = False,
        token_hash: str | None = None,
    ) -> WriteOutcome:
        """Start a deletion: set ``deleted_at`` once; the conditions guard against races."""
        conditions = ["attribute_exists(id)", "attribute_not_exists(deleted_at)"]
        values: dict[str, AttributeValueTypeDef] = {":now": {"S": format_timestamp(now)}}
        expression = "SET deleted_at = :now"
        if unless_stored:
            conditions.append("attribute_not_exists(stored_at)")
        if token_hash is not None:
            conditions.append("revert_token_hash = :token_hash")
            values[":token_hash"] = {"S": token_hash}
        if expired:
            # Due still: a part signing since the index was read moves expire_at on.
            conditions.append("expire_at <= :due")
            values[":due"] = {"N": str(int(now.timestamp()))}
            expression += ", expired = :expired"
            values[":expired"] = {"BOOL": True}
        return self._update(file_id, expression, condition=" AND ".join(conditions), values=values)

    def finish_deletion(self, file_id: str) -> None:
        """Drop the expiry attributes once the object is gone, so ExpiryIndex stays sparse."""
        self._update(file_id, REMOVE_EXPIRY, condition="attribute_exists(deleted_at)")

    def expiring(self, now: datetime) -> Iterator[ExpiringEntry]:
        """Every ExpiryIndex entry with ``expire_at <= now``, shard by shard, page by page."""
        for shard in range(EXPIRY_SHARDS):
            query: QueryInputTypeDef = {
                "TableName": self._table,
                "IndexName": EXPIRY_INDEX,
                "KeyConditionExpression": "expiry_shard = :shard AND expire_at <= :now",
                "ExpressionAttributeValues": {
                    ":shard": {"N": str(shard)},
                    ":now": {"N": str(int(now.timestamp()))},
                },
            }
            if self._page_size is not None:
                query["Limit"] = self._page_size
            while True:
                page = self._client.query(**query)
                for item in page.get("Items", []):
                    yield ExpiringEntry(
                        id=str(item["id"]["S"]), deletion_started="deleted_at" in item
                    )
                last_key = page.get("LastEvaluatedKey")
                if not last_key:
                    break
                query["ExclusiveStartKey"] = last_key

    def _update(
        self,
        file_id: str,
        expression: str,
        *,
        condition: str,
        values: dict[str, AttributeValueTypeDef] | None = None,
        names: dict[str, str] | None = None,
    ) -> WriteOutcome:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key(file_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ReturnValues": "ALL_OLD",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if values:
            arguments["ExpressionAttributeValues"] = values
        if names:
            arguments["ExpressionAttributeNames"] = names
        try:
            response = self._client.update_item(**arguments)
        except ClientError as err:
            if not _is_condition_failure(err):
                raise
            item: Any = err.response.get("Item")
            return WriteOutcome(applied=False, before=_record_or_none(item))
        return WriteOutcome(applied=True, before=_record_or_none(response.get("Attributes")))

    def _back_off(self, attempt: int) -> None:
        ceiling = min(self._max_backoff, 0.05 * 2**attempt)
        self._sleep(random.uniform(ceiling / 2, ceiling))


def _key(file_id: str) -> dict[str, AttributeValueTypeDef]:
    return {"id": {"S": file_id}}


def _is_condition_failure(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") == CONDITION_FAILED


def _record_or_none(item: Mapping[str, Any] | None) -> FileRecord | None:
    return FileRecord.from_item(item) if item else None
