"""S3 event notification records (ObjectCreated) in AWS's shape, and their sequencer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

ObjectCreatedCallback = Callable[[dict[str, Any]], None]
# A stable stand-in for the bucket owner's canonical id (S3 shows e.g. "A3NL1KOZZKExample").
OWNER_PRINCIPAL_ID = "A3FILESTORELOCAL"


def event_key(key: str) -> str:
    """The object key as S3 writes it in event records.

    AWS parity: keys are form-encoded (space -> "+", "+" -> "%2B", non-ASCII as UTF-8 %XX);
    "/" is kept as is. Consumers decode with ``unquote_plus``.
    """
    return quote_plus(key, safe="/*")


class Sequencer:
    """Increasing hexadecimal sequencers, as S3 uses to order events for one key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> str:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns())
            # AWS parity: S3 sequencers are upper-case hex strings compared as such once
            # left-padded; a fixed width of 18 keeps them comparable as plain strings.
            return f"{self._last:018X}"


@dataclass(frozen=True)
class CreatedObject:
    """What an ObjectCreated event says about the request and the new object."""

    event_name: str  # "ObjectCreated:Put" | ":Post" | ":Copy" | ":CompleteMultipartUpload"
    bucket: str
    key: str
    size: int
    etag: str
    principal: str  # access key id, or "" for an anonymous request
    source_ip: str
    request_id: str
    host_id: str
    version_id: str | None = None


def build_record(
    created: CreatedObject,
    *,
    region: str,
    event_time: datetime,
    sequencer: str,
    configuration_id: str,
) -> dict[str, Any]:
    """One record of an S3 event notification (``{"Records": [record]}`` on the wire)."""
    obj: dict[str, Any] = {
        "key": event_key(created.key),
        "size": created.size,
        "eTag": created.etag.strip('"'),
    }
    if created.version_id:
        obj["versionId"] = created.version_id
    obj["sequencer"] = sequencer
    principal = f"AWS:{created.principal}" if created.principal else "ANONYMOUS_PRINCIPAL"
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{event_time.microsecond // 1000:03d}Z",
        "eventName": created.event_name,
        "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": created.source_ip},
        "responseElements": {
            "x-amz-request-id": created.request_id,
            "x-amz-id-2": created.host_id,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": created.bucket,
                "ownerIdentity": {"principalId": OWNER_PRINCIPAL_ID},
                "arn": f"arn:aws:s3:::{created.bucket}",
            },
            "object": obj,
        },
    }
