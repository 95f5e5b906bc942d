"""Lambda events as AWS sends them, built by the emulator's own builders, for direct handler calls.

API Gateway proxy events come from the local gateway's ``build_event``, S3 notifications from the
local S3's ``build_record`` and schedule events from the local scheduler's ``scheduled_event``, so
a handler called directly sees exactly what it sees behind ``python -m local_stack``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from local_stack.account import ACCOUNT_ID, API_KEY_ID, REGION, REST_API_ID
from local_stack.apigateway.proxy_event import EventContext, build_event
from local_stack.config import DEFAULT_API_PORT, DEFAULT_HOST
from local_stack.eventbridge.scheduler import scheduled_event
from local_stack.s3.notifications import CreatedObject, Sequencer, build_record

API_HOST = f"{DEFAULT_HOST}:{DEFAULT_API_PORT}"
API_STAGE = "dev"
CLIENT_IP = DEFAULT_HOST
S3_CONFIGURATION_ID = "ObjectCreated"
S3_ETAG = "0123456789abcdef0123456789abcdef"  # handlers read S3's view with HeadObject
_S3_SEQUENCER = Sequencer()  # increasing, as S3 orders the events of one key


def api_event(
    method: str,
    resource: str,
    body: Any = None,
    *,
    api_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    raw_body: str | bytes | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A REST API (payload v1) proxy event for ``method resource``, as the local gateway builds it.

    ``resource`` is the route template (``/file/{id}``); ``path_parameters`` fill it in to make
    the request path. ``body`` is sent JSON-encoded; ``raw_body`` is sent as is instead (for
    malformed input). ``headers`` are added to (or replace) the defaults a client sends.
    """
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    if raw_body is not None:
        payload = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
    else:
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
    request_headers = _request_headers(payload, api_key, headers or {})
    request_id = request_id or str(uuid.uuid4())
    context = EventContext(
        resource=resource,
        resource_id="local0",
        http_method=method,
        stage=API_STAGE,
        stage_path=path,
        path_parameters=dict(path_parameters or {}),
        request_id=request_id,
        extended_request_id=request_id.replace("-", "")[:16],
        request_time_epoch_ms=int(time.time() * 1000),
        api_id=REST_API_ID,
        account_id=ACCOUNT_ID,
        domain_name=API_HOST.split(":", 1)[0],
        source_ip=CLIENT_IP,
        api_key=api_key,
        api_key_id=API_KEY_ID if api_key else None,
        binary_media_types=(),
    )
    return build_event(method, request_headers, list((query or {}).items()), payload, context)


def _request_headers(
    payload: bytes, api_key: str | None, extra: Mapping[str, str]
) -> list[tuple[str, str]]:
    defaults = {"Host": API_HOST, "User-Agent": "python-requests", "Accept": "*/*"}
    if payload:
        defaults["Content-Type"] = "application/json"
        defaults["Content-Length"] = str(len(payload))
    if api_key:
        defaults["x-api-key"] = api_key
    overridden = {name.lower() for name in extra}
    kept = [(name, value) for name, value in defaults.items() if name.lower() not in overridden]
    return [*kept, *extra.items()]


def s3_object_created_record(
    bucket: str,
    key: str,
    size: int,
    *,
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """One ``s3:ObjectCreated:*`` record for ``key`` (URL-encoded, as S3 writes keys), sent now."""
    created = CreatedObject(
        event_name=event_name,
        bucket=bucket,
        key=key,
        size=size,
        etag=S3_ETAG,
        principal="",
        source_ip=CLIENT_IP,
        request_id=uuid.uuid4().hex[:16].upper(),
        host_id=uuid.uuid4().hex,
    )
    return build_record(
        created,
        region=REGION,
        event_time=datetime.now(UTC),
        sequencer=_S3_SEQUENCER.next(),
        configuration_id=S3_CONFIGURATION_ID,
    )


def s3_notification(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The notification S3 delivers: several records in one event."""
    return {"Records": [dict(record) for record in records]}


def s3_object_created_event(
    bucket: str,
    key: str,
    size: int,
    *,
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """An ``s3:ObjectCreated:*`` notification with one record, as S3 sends it."""
    return s3_notification([s3_object_created_record(bucket, key, size, event_name=event_name)])


def schedule_event(rule_name: str, moment: datetime | None = None) -> dict[str, Any]:
    """The ``Scheduled Event`` EventBridge sends for rule ``rule_name`` at ``moment`` (now)."""
    return scheduled_event(rule_name, moment or datetime.now(UTC))
