"""External functions for the Tavern files: generated request bodies and checks Tavern lacks."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import boto3
import requests
from botocore.exceptions import ClientError

from local_stack.account import STACK_NAME
from local_stack.testing.clients import local_s3_client
from local_stack.testing.event_builders import schedule_event

# The rule the local scheduler names for ExpireFilesFunction's ``Expire`` schedule event.
EXPIRE_RULE_NAME = f"{STACK_NAME}-ExpireFilesFunctionExpire"


def random_ids(count: int) -> list[str]:
    """``count`` well-formed file ids (32 lowercase hex characters) that no upload created."""
    return [secrets.token_hex(16) for _ in range(count)]


def scheduled_event() -> dict[str, Any]:
    """An EventBridge ``Scheduled Event`` as the expiry schedule delivers it, sent now."""
    return schedule_event(EXPIRE_RULE_NAME)


def _disposition_params(header: str) -> dict[str, str]:
    kind, _, rest = header.partition(";")
    if kind.strip().lower() != "attachment":
        raise AssertionError(f"Content-Disposition is not an attachment: {header!r}")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise AssertionError(f"malformed Content-Disposition parameter {part!r} in {header!r}")
        params[name.strip().lower()] = value.strip()
    return params


def check_download(response: requests.Response, filename: str, content: str) -> None:
    """The download carries ``content`` and a safe RFC 6266 attachment header for ``filename``.

    ``filename*`` must decode to exactly the original name; the ``filename`` fallback must be a
    quoted ASCII string without quotes, backslashes or line breaks inside.
    """
    if response.content != content.encode("utf-8"):
        raise AssertionError(f"downloaded {response.content!r}, expected {content!r}")
    header = response.headers.get("Content-Disposition", "")
    if any(char in header for char in "\r\n"):
        raise AssertionError(f"line break in Content-Disposition {header!r}")
    params = _disposition_params(header)
    extended = params.get("filename*", "")
    charset, _, encoded = extended.partition("''")
    if charset.upper() != "UTF-8" or unquote(encoded, encoding="utf-8") != filename:
        raise AssertionError(f"filename* {extended!r} does not decode to {filename!r}")
    fallback = params.get("filename", "")
    inner = fallback[1:-1]
    if not (fallback.startswith('"') and fallback.endswith('"') and inner):
        raise AssertionError(f"filename fallback {fallback!r} is not a quoted string")
    if not inner.isascii() or any(char in inner for char in '"\\'):
        raise AssertionError(f"filename fallback {fallback!r} is not safe ASCII")


def check_object_absent(response: requests.Response, s3_url: str, bucket: str, key: str) -> None:
    """The bucket no longer holds ``key``: HeadObject answers 404.

    ``s3_url`` is a local stack's S3 endpoint; empty, it is AWS's S3 with boto3's credentials.
    """
    del response  # Tavern checks the stage's own response; this looks at S3 itself
    s3 = local_s3_client(s3_url) if s3_url else boto3.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status != 404:
            raise AssertionError(f"HeadObject {bucket}/{key} answered {status}") from error
    else:
        raise AssertionError(f"object {key} is still in bucket {bucket}")


def check_outcome(
    response: requests.Response, result: list[str], problems: list[list[str]] | None = None
) -> None:
    """The body is exactly ``{"result": result, "problems": {id: problem, ...}}``.

    Tavern does not format dictionary keys, so problems keyed by saved ids are given as
    ``[id, problem]`` pairs.
    """
    expected = {"result": list(result), "problems": {key: value for key, value in problems or []}}
    body = response.json()
    if body != expected:
        raise AssertionError(f"expected {expected}, got {body}")


def file_request(name_length: int, size: int = 3) -> dict[str, Any]:
    """A POST /file body whose name is ``name_length`` characters long (ending in ``.txt``)."""
    return {"name": "n" * (name_length - 4) + ".txt", "size": size}


def check_s3_error(
    response: requests.Response, code: str | list[str], message: str | None = None
) -> None:
    """The body is S3's XML error document with this ``Code`` (one of them, given a list) and
    this ``Message``, when given."""
    codes = [code] if isinstance(code, str) else list(code)
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError as error:
        raise AssertionError(f"not an S3 XML error: {response.text!r}") from error
    if root.tag != "Error" or root.findtext("Code") not in codes:
        raise AssertionError(f"expected S3 error {' or '.join(codes)}, got {response.text!r}")
    if message is not None and root.findtext("Message") != message:
        raise AssertionError(f"expected S3 message {message!r}, got {response.text!r}")
