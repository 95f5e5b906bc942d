"""API Gateway proxy events for calling handlers directly, built by the local gateway's builder."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from local_stack.apigateway.proxy_event import EventContext, build_event


def api_event(
    method: str,
    resource: str,
    body: Any = None,
    api_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event built by the local gateway's own event builder."""
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    raw = b"" if body is None else json.dumps(body).encode()
    headers: list[tuple[str, str]] = [
        ("Host", "127.0.0.1:3000"),
        ("User-Agent", "python-requests/2.34.2"),
        ("Accept", "*/*"),
        ("Content-Type", "application/json"),
    ]
    if raw:
        headers.append(("Content-Length", str(len(raw))))
    if api_key:
        headers.append(("x-api-key", api_key))
    now_ms = int(time.time() * 1000)
    request_id = str(uuid.uuid4())
    context = EventContext(
        resource=resource,
        resource_id="bench0",
        http_method=method,
        stage="dev",
        stage_path=path,
        path_parameters=dict(path_parameters or {}),
        request_id=request_id,
        extended_request_id=request_id[:16],
        request_time_epoch_ms=now_ms,
        api_id="bench00000",
        account_id="123456789012",
        domain_name="127.0.0.1",
        source_ip="127.0.0.1",
        api_key=api_key,
        api_key_id="benchkey" if api_key else None,
        binary_media_types=(),
    )
    return build_event(method, headers, [], raw, context)
