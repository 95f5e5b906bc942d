"""Builds the Lambda proxy integration event (REST API, payload v1) from an HTTP request."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from local_stack.apigateway.media_types import essence, matches


@dataclass(frozen=True)
class EventContext:
    """What the gateway knows about a request beyond its HTTP content."""

    resource: str
    resource_id: str
    http_method: str
    stage: str
    stage_path: str  # raw path after the stage, e.g. "/file/abc"
    path_parameters: dict[str, str]
    request_id: str
    extended_request_id: str
    request_time_epoch_ms: int
    api_id: str
    account_id: str
    domain_name: str
    source_ip: str
    api_key: str | None  # only set when the method requires a key
    api_key_id: str | None
    binary_media_types: Sequence[str]


def first_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def _single_and_multi(
    pairs: Sequence[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    # AWS quirk: the single-value map keeps the LAST value of a repeated name, the multi-value map
    # keeps all of them in order; both are null (not {}) when there are none.
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _event_headers(headers: Sequence[tuple[str, str]], ctx: EventContext) -> list[tuple[str, str]]:
    # API Gateway adds its own forwarding headers; X-Forwarded-For gets the caller's IP appended.
    result = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
    forwarded = [v for k, v in headers if k.lower() == "x-forwarded-for"]
    result.append(("X-Forwarded-For", ", ".join([*forwarded, ctx.source_ip])))
    epoch_hex = f"{ctx.request_time_epoch_ms // 1000:08x}"
    trace_id = f"Root=1-{epoch_hex}-{ctx.request_id.replace('-', '')[:24]}"
    for name, value in (("X-Forwarded-Proto", "http"), ("X-Amzn-Trace-Id", trace_id)):
        if first_header(result, name) is None:
            result.append((name, value))
    return result


def encode_body(
    body: bytes, content_type: str | None, binary_media_types: Sequence[str]
) -> tuple[str | None, bool]:
    """The event's (body, isBase64Encoded): base64 when Content-Type is a binary media type."""
    if not body:
        return None, False  # AWS sends "body": null for an empty body
    if content_type and matches(essence(content_type), binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    # AWS quirk: a text body is passed as a string; bytes that are not UTF-8 get mangled.
    return body.decode("utf-8", errors="replace"), False


def build_event(
    method: str,
    headers: Sequence[tuple[str, str]],
    query: Sequence[tuple[str, str]],
    body: bytes,
    ctx: EventContext,
) -> dict[str, Any]:
    """The event a proxy-integrated function receives, shaped as AWS sends it."""
    event_headers = _event_headers(headers, ctx)
    single_headers, multi_headers = _single_and_multi(event_headers)
    single_query, multi_query = _single_and_multi(query)
    content_type = first_header(headers, "content-type")
    event_body, is_base64 = encode_body(body, content_type, ctx.binary_media_types)
    request_time = time.strftime(
        "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ctx.request_time_epoch_ms / 1000)
    )
    return {
        "resource": ctx.resource,
        # AWS quirk: `path` has no stage prefix and keeps the client's percent-encoding.
        "path": ctx.stage_path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": ctx.path_parameters or None,
        "stageVariables": None,  # the local stack defines no stage variables
        "requestContext": {
            "resourceId": ctx.resource_id,
            "resourcePath": ctx.resource,
            "httpMethod": method,
            "extendedRequestId": ctx.extended_request_id,
            "requestTime": request_time,
            # ... while requestContext.path keeps the stage prefix.
            "path": f"/{ctx.stage}{ctx.stage_path}",
            "accountId": ctx.account_id,
            "protocol": "HTTP/1.1",
            "stage": ctx.stage,
            "domainPrefix": ctx.domain_name.split(".", 1)[0],
            "requestTimeEpoch": ctx.request_time_epoch_ms,
            "requestId": ctx.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": ctx.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": first_header(headers, "user-agent"),
                "user": None,
                "apiKey": ctx.api_key,
                "apiKeyId": ctx.api_key_id,
            },
            "domainName": ctx.domain_name,
            "deploymentId": "local0",
            "apiId": ctx.api_id,
        },
        "body": event_body,
        "isBase64Encoded": is_base64,
    }
