"""Counts the AWS API calls a piece of code makes, with botocore event hooks on every client."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore import handlers as botocore_handlers

# Writes naming these attributes also write the sparse ExpiryIndex (its keys or projection).
INDEX_ATTRIBUTES = ("expiry_shard", "expire_at", "deleted_at")
_WRITES = ("PutItem", "UpdateItem", "DeleteItem")


@dataclass
class CallLog:
    """What one recorded stretch of code asked of DynamoDB and S3."""

    calls: Counter[str] = field(default_factory=Counter)  # "dynamodb.Query" -> n
    items_read: int = 0  # items returned by GetItem, Query, Scan, BatchGetItem
    items_scanned: int = 0  # items DynamoDB evaluated (Query/Scan ScannedCount)
    read_units: float = 0.0  # on paper: items of < 4 KB, eventual reads at half a unit
    write_units: float = 0.0  # on paper: items of < 1 KB, index writes included

    def count(self, service: str, operation: str | None = None) -> int:
        prefix = f"{service}." if operation is None else f"{service}.{operation}"
        if operation is None:
            return sum(n for key, n in self.calls.items() if key.startswith(prefix))
        return self.calls[prefix]

    def merge(self, other: CallLog) -> None:
        self.calls.update(other.calls)
        self.items_read += other.items_read
        self.items_scanned += other.items_scanned
        self.read_units += other.read_units
        self.write_units += other.write_units


_local = threading.local()
_active: list[CallLog] = []
_lock = threading.Lock()


def _on_parameters(params: dict[str, Any], **_: Any) -> None:
    _local.params = params


def _read_units(consistent: bool, items: int) -> float:
    return (1.0 if consistent else 0.5) * max(items, 1)


def _dynamodb_units(
    operation: str, params: dict[str, Any], parsed: dict[str, Any]
) -> tuple[int, int, float, float]:
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        read = 1 if parsed.get("Item") else 0
        return read, read, _read_units(consistent, 1), 0.0
    if operation in ("Query", "Scan"):
        count, scanned = int(parsed.get("Count", 0)), int(parsed.get("ScannedCount", 0))
        return count, scanned, _read_units(consistent, (scanned + 7) // 8), 0.0  # 8 small/4 KB
    if operation == "BatchGetItem":
        read = sum(len(items) for items in parsed.get("Responses", {}).values())
        return read, read, _read_units(False, read), 0.0
    if operation in _WRITES:
        text = " ".join(str(params.get(key, "")) for key in ("Item", "UpdateExpression"))
        index = 1.0 if any(name in text for name in INDEX_ATTRIBUTES) else 0.0
        return 0, 0, 0.0, 1.0 + index
    if operation == "BatchWriteItem":
        writes = sum(len(requests) for requests in params.get("RequestItems", {}).values())
        return 0, 0, 0.0, float(writes)
    return 0, 0, 0.0, 0.0


def _on_call(parsed: dict[str, Any], model: Any, **_: Any) -> None:
    params: dict[str, Any] = getattr(_local, "params", None) or {}
    _local.params = None
    service = model.service_model.endpoint_prefix
    key = f"{service}.{model.name}"
    units = (0, 0, 0.0, 0.0)
    if service == "dynamodb":
        units = _dynamodb_units(model.name, params, parsed)
    with _lock:
        for log in _active:
            log.calls[key] += 1
            log.items_read += units[0]
            log.items_scanned += units[1]
            log.read_units += units[2]
            log.write_units += units[3]


def install() -> None:
    """Hook every botocore session created from now on (as moto does); idempotent."""
    hooks = (("before-parameter-build", _on_parameters), ("after-call", _on_call))
    for event, hook in hooks:
        if (event, hook) not in botocore_handlers.BUILTIN_HANDLERS:
            botocore_handlers.BUILTIN_HANDLERS.append((event, hook))


@contextmanager
def recording() -> Iterator[CallLog]:
    """Record every hooked AWS call made, by any thread, until the block ends."""
    log = CallLog()
    with _lock:
        _active.append(log)
    try:
        yield log
    finally:
        with _lock:
            _active.remove(log)
