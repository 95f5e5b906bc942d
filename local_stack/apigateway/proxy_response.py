"""Turns a Lambda proxy integration response into the HTTP response API Gateway sends."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from local_stack.apigateway.media_types import accept_matches

# The only keys a REST (v1) proxy response may have: any other key is "Malformed Lambda proxy
# response" in AWS, answered with 502 (e.g. HTTP API's "cookies" is not accepted here).
_ALLOWED_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})

# API Gateway renames these integration response headers to x-amzn-Remapped-<name> because it
# owns them on the connection to the client.
_REMAPPED = frozenset(
    {
        "authorization",
        "connection",
        "content-md5",
        "date",
        "expect",
        "host",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "via",
        "www-authenticate",
    }
)
# Recomputed by the HTTP layer from the body actually sent.
_DROPPED = frozenset({"content-length"})


class MalformedProxyResponseError(ValueError):
    """The function's result is not a valid REST API proxy response (AWS answers 502)."""


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _header_value(value: Any) -> str:
    # AWS accepts scalar header values and sends their JSON text; objects and lists are malformed.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        text = str(value)
        if "\r" in text or "\n" in text:
            raise MalformedProxyResponseError("header values may not contain CR or LF")
        return text
    if value is None:
        return ""
    raise MalformedProxyResponseError(f"header value {value!r} is not a scalar")


def _status(payload: dict[str, Any]) -> int:
    status = payload.get("statusCode")
    if isinstance(status, bool):
        raise MalformedProxyResponseError("statusCode must be a number")
    if isinstance(status, str) and status.isdigit():
        status = int(status)  # AWS accepts "200" as well as 200
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedProxyResponseError(f"invalid statusCode {status!r}")
    return status


def _merged_headers(payload: dict[str, Any]) -> list[tuple[str, str]]:
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponseError("headers and multiValueHeaders must be objects")
    # AWS: headers and multiValueHeaders are merged into one list; for a name present in both,
    # only the multiValueHeaders values are sent (names compared case-insensitively here).
    multi_names = {str(name).lower() for name in multi}
    merged = [
        (str(name), _header_value(value))
        for name, value in single.items()
        if str(name).lower() not in multi_names
    ]
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponseError("multiValueHeaders values must be lists")
        merged.extend((str(name), _header_value(value)) for value in values)
    result = []
    for name, value in merged:
        lower = name.lower()
        if lower in _DROPPED:
            continue
        result.append((f"x-amzn-Remapped-{name}" if lower in _REMAPPED else name, value))
    return result


def _body(payload: dict[str, Any], accept: str | None, binary_media_types: Sequence[str]) -> bytes:
    body = payload.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        # AWS quirk: a dict/list body is not serialised for you; it is a malformed response.
        raise MalformedProxyResponseError("body must be a string")
    is_base64 = payload.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool):
        raise MalformedProxyResponseError("isBase64Encoded must be a boolean")
    # AWS quirk: a base64 body is only decoded to bytes when the client's Accept header matches
    # one of the API's binaryMediaTypes; otherwise the client receives the base64 text itself.
    if is_base64 and accept_matches(accept, binary_media_types):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as err:
            raise MalformedProxyResponseError("body is not valid base64") from err
    return body.encode("utf-8")


def parse_proxy_response(
    payload: Any, accept: str | None, binary_media_types: Sequence[str]
) -> ProxyResponse:
    """Validate a function's result as AWS does and turn it into status, headers and body."""
    if not isinstance(payload, dict):
        raise MalformedProxyResponseError("the response is not a JSON object")
    unknown = set(payload) - _ALLOWED_KEYS
    if unknown:
        raise MalformedProxyResponseError(f"unexpected keys {sorted(unknown)}")
    status = _status(payload)
    headers = _merged_headers(payload)
    body = _body(payload, accept, binary_media_types)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))  # AWS's default for proxy responses
    return ProxyResponse(status, headers, body)
