"""Expiry cost: DynamoDB work of one expiry run as the number of stored files grows."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from bench.inprocess import InProcessStack, schedule_event
from bench.results import FigureResult
from bench.session import Session
from bench.stats import ratio

TARGET_FACTOR = 2.0
SHARDS = 4
EXPIRE_ID = "ExpireFilesFunction"


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


def measure(session: Session) -> FigureResult:
    """One expiry run per table size; the work must not grow with the stored files."""
    stack = session.inprocess()
    if EXPIRE_ID not in stack.model.functions:
        raise RuntimeError(f"template.yaml has no {EXPIRE_ID} in temporary mode")
    expiring = session.config.expiring_files
    rows: list[tuple[int, int, int, int, int, float]] = []
    for stored in session.config.expiry_stored_counts:
        ids = _seed(stack, stored, expiring)
        run = stack.invoke(EXPIRE_ID, schedule_event("arn:aws:events:us-east-1:0:rule/bench"))
        _check_expired(stack, ids)
        calls = run.calls
        rows.append(
            (
                stored,
                calls.items_read,
                calls.items_scanned,
                calls.count("dynamodb"),
                calls.count("dynamodb", "Query"),
                run.milliseconds,
            )
        )
    base, largest = rows[0], rows[-1]
    read_factor = ratio(max(largest[1], largest[2]), max(base[1], base[2]))
    call_factor = ratio(largest[3], base[3])
    result = FigureResult(
        title="Expiry cost",
        target=f"flat: ≤ {TARGET_FACTOR:g}x the 0-stored figure",
        measured=f"items read {read_factor:.2f}x, calls {call_factor:.2f}x "
        f"({largest[0]:,} vs. {base[0]:,} stored)",
        how=(
            f"One run of ExpireFilesFunction's handler (in-process, moto) with {expiring} overdue "
            "unstored files (half uploaded, half never) among N stored files, seeded straight "
            "into a table created from template.yaml. Every run is checked: all overdue files "
            "marked deleted with their expiry attributes gone, and their objects removed. Items "
            "read are the `Count`s (and `ScannedCount`s) of Query/Scan responses plus GetItem "
            "and BatchGetItem items; calls are all DynamoDB API calls (botocore hook)."
        ),
    )
    result.details = [
        "| stored files | items read | items scanned | DynamoDB calls | of which Query | ms |",
        "|---|---|---|---|---|---|",
        *(f"| {r[0]:,} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.0f} |" for r in rows),
        "",
        "The ms column grows with the table because moto answers a Query on an index by "
        "going through every item of the table; DynamoDB reads only the index, and what it "
        "bills (items read, calls) stays flat.",
    ]
    result.judge(
        read_factor <= TARGET_FACTOR and call_factor <= TARGET_FACTOR,
        f"reads grow {read_factor:.1f}x and calls {call_factor:.1f}x from {base[0]:,} to "
        f"{largest[0]:,} stored files: the expiry must read only the sparse ExpiryIndex",
    )
    return result
