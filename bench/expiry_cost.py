"""Expiry cost: DynamoDB work of one expiry run as the number of stored files grows."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.aws_calls import CallLog
from bench.inprocess import InProcessStack
from bench.session import Session
from local_stack.testing.event_builders import schedule_event

SHARDS = 4
EXPIRE_ID = "ExpireFilesFunction"
RULE_NAME = "bench-expiry"


@dataclass(frozen=True)
class ExpiryRun:
    """What one expiry run asked of AWS with ``stored`` stored files in the table."""

    stored: int
    calls: CallLog
    milliseconds: float


@dataclass(frozen=True)
class ExpiryCost:
    """One expiry run of ``expiring`` overdue files per table size."""

    expiring: int
    runs: list[ExpiryRun]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stored_item(now: float) -> dict[str, Any]:
    stamp = _iso(now - 7200)
    return {
        "id": {"S": secrets.token_hex(16)},
        "name": {"S": "kept.pdf"},
        "type": {"S": "application/pdf"},
        "size": {"N": "52311"},
        "created_at": {"S": stamp},
        "uploaded_at": {"S": stamp},
        "stored_at": {"S": stamp},
    }


def _expiring_item(number: int, now: float, timeout: int) -> dict[str, Any]:
    created = now - timeout - 120
    item = {
        "id": {"S": secrets.token_hex(16)},
        "name": {"S": f"forgotten-{number}.txt"},
        "type": {"S": "text/plain"},
        "size": {"N": "6"},
        "created_at": {"S": _iso(created)},
        "revert_token_hash": {"S": hashlib.sha256(secrets.token_bytes(16)).hexdigest()},
        "expiry_shard": {"N": str(number % SHARDS)},
        "expire_at": {"N": str(int(created) + timeout)},
    }
    if number % 2 == 0:  # half were uploaded, half never were
        item["uploaded_at"] = {"S": _iso(created + 5)}
    return item


def _seed(stack: InProcessStack, stored: int, expiring: int) -> list[str]:
    """Fill a fresh table with ``stored`` stored files and ``expiring`` overdue ones."""
    stack.reset()
    now = time.time()
    timeout = int(stack.environment["UPLOAD_TIMEOUT"])
    overdue = [_expiring_item(number, now, timeout) for number in range(expiring)]
    items = [_stored_item(now) for _ in range(stored)] + overdue
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        stack.dynamodb.batch_write_item(RequestItems={stack.table_name: batch})
    for item in overdue:
        if "uploaded_at" in item:
            stack.s3.put_object(Bucket=stack.bucket_name, Key=item["id"]["S"], Body=b"hello\n")
    return [item["id"]["S"] for item in overdue]


def _check_expired(stack: InProcessStack, ids: list[str]) -> None:
    for file_id in ids:
        item = stack.dynamodb.get_item(TableName=stack.table_name, Key={"id": {"S": file_id}})
        record = item.get("Item", {})
        if "deleted_at" not in record or "expire_at" in record:
            raise RuntimeError(f"the expiry run left {file_id} unexpired: {record}")
    left = stack.s3.list_objects_v2(Bucket=stack.bucket_name).get("KeyCount", 0)
    if left:
        raise RuntimeError(f"the expiry run left {left} objects in the bucket")


def measure(session: Session) -> ExpiryCost:
    """One expiry run per table size, each checked to have expired every overdue file."""
    stack = session.inprocess()
    if EXPIRE_ID not in stack.model.functions:
        raise RuntimeError(f"template.yaml has no {EXPIRE_ID} in temporary mode")
    expiring = session.config.expiring_files
    runs = []
    for stored in session.config.expiry_stored_counts:
        ids = _seed(stack, stored, expiring)
        run = stack.invoke(EXPIRE_ID, schedule_event(RULE_NAME))
        _check_expired(stack, ids)
        runs.append(ExpiryRun(stored, run.calls, run.milliseconds))
    return ExpiryCost(expiring, runs)
