"""Canaries: every request the local S3 endpoint refuses as S3 does, plain moto accepts.

The upload security tests (tests/integration/test_upload.tavern.yaml, test_expired_url...) rely
on the S3 endpoint checking presigned URLs. If these requests passed on plain moto too, those
tests would prove nothing: each case sends the very same request to the endpoint (refused with
S3's error, the object left as it was) and then to moto's S3 app directly (accepted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

import pytest

from local_stack.testing.s3_wsgi import LocalS3

BODY = b"hello"
CONTENT_TYPE = "text/plain"


@dataclass(frozen=True)
class Request:
    """One PUT to the bucket, sent the same to the endpoint and to plain moto."""

    url: str
    headers: dict[str, str]
    body: bytes


def honest(s3: LocalS3, key: str, body: bytes = BODY) -> Request:
    """The upload POST /file hands out: size, type and ``If-None-Match: *`` signed."""
    url, headers = s3.presigned_put(key, len(body), CONTENT_TYPE)
    return Request(url, headers, body)


def presigned_at(s3: LocalS3, key: str, shift: dt.timedelta, expires: int = 60) -> Request:
    """An honest upload signed by a clock ``shift`` away from now (botocore's own clock)."""
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + shift
    with mock.patch("botocore.auth.get_current_datetime", lambda **_: signed_at):
        url, headers = s3.presigned_put(key, len(BODY), CONTENT_TYPE, expires=expires)
    return Request(url, headers, BODY)


def expired(s3: LocalS3, key: str) -> Request:
    return presigned_at(s3, key, -dt.timedelta(hours=2))


def not_yet_valid(s3: LocalS3, key: str) -> Request:
    return presigned_at(s3, key, dt.timedelta(hours=2))


def longer_than_a_week(s3: LocalS3, key: str) -> Request:
    url, headers = s3.presigned_put(key, len(BODY), CONTENT_TYPE, expires=604800 * 4)
    return Request(url, headers, BODY)


def other_content_type(s3: LocalS3, key: str) -> Request:
    upload = honest(s3, key)
    return Request(upload.url, {**upload.headers, "Content-Type": "text/html"}, upload.body)


def with_body(upload: Request, body: bytes) -> Request:
    """The same URL with another body and its true Content-Length, as an HTTP client sends it."""
    return Request(upload.url, {**upload.headers, "Content-Length": str(len(body))}, body)


def longer_body(s3: LocalS3, key: str) -> Request:
    return with_body(honest(s3, key), b"hello, and much more than was declared")


def shorter_body(s3: LocalS3, key: str) -> Request:
    return with_body(honest(s3, key), BODY[:-1])


def without_if_none_match(upload: Request) -> Request:
    headers = {name: value for name, value in upload.headers.items() if name != "If-None-Match"}
    return Request(upload.url, headers, upload.body)


def if_none_match_removed(s3: LocalS3, key: str) -> Request:
    return without_if_none_match(honest(s3, key))


def forged_signature(s3: LocalS3, key: str) -> Request:
    upload = honest(s3, key)
    parts = urlsplit(upload.url)
    query = dict(parse_qsl(parts.query))
    query["X-Amz-Signature"] = "0" * 64
    return Request(urlunsplit(parts._replace(query=urlencode(query))), upload.headers, upload.body)


def other_key(s3: LocalS3, key: str) -> Request:
    upload = honest(s3, key + "-signed")
    return Request(upload.url.replace(f"/{key}-signed?", f"/{key}?"), upload.headers, upload.body)


def anonymous_upload(s3: LocalS3, key: str) -> Request:
    headers = {"Content-Type": CONTENT_TYPE, "Content-Length": str(len(BODY))}
    return Request(s3.url(key), headers, BODY)


@dataclass(frozen=True)
class Canary:
    """A request S3 refuses: how to build it for ``key``, S3's answer, and what came first."""

    build: Callable[[LocalS3, str], Request]
    status: int
    code: str
    message: str | None = None
    after_an_upload: bool = False  # the key already holds an honest upload of BODY


CANARIES: dict[str, Canary] = {
    "expired": Canary(expired, 403, "AccessDenied", "Request has expired"),
    "not-yet-valid": Canary(not_yet_valid, 403, "AccessDenied"),
    "longer-than-a-week": Canary(longer_than_a_week, 400, "AuthorizationQueryParametersError"),
    "other-content-type": Canary(other_content_type, 403, "SignatureDoesNotMatch"),
    "longer-body": Canary(longer_body, 403, "SignatureDoesNotMatch"),
    "shorter-body": Canary(shorter_body, 403, "SignatureDoesNotMatch"),
    "if-none-match-removed": Canary(if_none_match_removed, 403, "SignatureDoesNotMatch"),
    "repeat-dropping-if-none-match": Canary(
        if_none_match_removed, 403, "SignatureDoesNotMatch", after_an_upload=True
    ),
    "forged-signature": Canary(forged_signature, 403, "SignatureDoesNotMatch"),
    "other-key": Canary(other_key, 403, "SignatureDoesNotMatch"),
    "anonymous-upload": Canary(anonymous_upload, 403, "AccessDenied"),
}


def stored(s3: LocalS3, key: str) -> bytes | None:
    """The object's bytes, or None when the bucket has no such key."""
    try:
        return s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()
    except s3.client.exceptions.NoSuchKey:
        return None


@pytest.mark.parametrize("name", list(CANARIES))
def test_the_endpoint_refuses_what_plain_moto_accepts(s3: LocalS3, name: str) -> None:
    canary = CANARIES[name]
    key = f"canary-{name}"
    before = None
    if canary.after_an_upload:
        first = honest(s3, key)
        assert s3.send("PUT", first.url, first.headers, first.body).status_code == 200
        before = BODY
    request = canary.build(s3, key)

    refused = s3.send("PUT", request.url, request.headers, request.body)

    assert refused.status_code == canary.status, refused.data
    error = ElementTree.fromstring(refused.data)
    assert error.findtext("Code") == canary.code
    if canary.message is not None:
        assert error.findtext("Message") == canary.message
    assert stored(s3, key) == before, "the refused request changed the object"

    accepted = s3.send_to_moto("PUT", request.url, request.headers, request.body)

    assert accepted.status_code == 200, (
        f"plain moto refused {name} ({accepted.status_code}): the canary no longer shows that "
        f"the local S3 endpoint adds the check\n{accepted.data!r}"
    )
    assert stored(s3, key) == request.body, "plain moto ignored the upload"
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ContentType"] == request.headers["Content-Type"]


def test_the_honest_upload_is_accepted_by_both(s3: LocalS3) -> None:
    """The control: a refusal above is the check, not a request no S3 would take."""
    through_endpoint = honest(s3, "canary-honest-endpoint")
    straight_to_moto = honest(s3, "canary-honest-moto")

    sent = s3.send("PUT", through_endpoint.url, through_endpoint.headers, through_endpoint.body)
    moto = s3.send_to_moto(
        "PUT", straight_to_moto.url, straight_to_moto.headers, straight_to_moto.body
    )

    assert sent.status_code == 200, sent.data
    assert moto.status_code == 200, moto.data
    assert stored(s3, "canary-honest-endpoint") == stored(s3, "canary-honest-moto") == BODY


def test_a_repeat_keeping_if_none_match_fails_its_precondition_and_keeps_the_first(
    s3: LocalS3,
) -> None:
    upload = honest(s3, "canary-repeat")
    assert s3.send("PUT", upload.url, upload.headers, upload.body).status_code == 200

    repeated = s3.send("PUT", upload.url, upload.headers, b"HELLO")

    assert repeated.status_code == 412, repeated.data
    assert ElementTree.fromstring(repeated.data).findtext("Code") == "PreconditionFailed"
    assert stored(s3, "canary-repeat") == BODY


def test_the_endpoint_refuses_an_anonymous_read(s3: LocalS3) -> None:
    # Not a canary: moto's S3 app refuses an unsigned GET too (an empty 403), so only the
    # endpoint's S3-shaped refusal is checked here.
    upload = honest(s3, "canary-read")
    assert s3.send("PUT", upload.url, upload.headers, upload.body).status_code == 200

    response = s3.send("GET", s3.url("canary-read"))

    assert response.status_code == 403, response.data
    assert ElementTree.fromstring(response.data).findtext("Code") == "AccessDenied"


def test_moto_itself_answers_a_sequential_if_none_match_repeat_with_412(s3: LocalS3) -> None:
    # Stated for honesty: moto 5.2.5 checks If-None-Match: * (without a lock, so racing
    # uploads can both pass: see test_s3_conditional). The endpoint adds the signature that
    # stops a client from simply dropping the header.
    upload = honest(s3, "canary-moto-412")
    assert s3.send_to_moto("PUT", upload.url, upload.headers, upload.body).status_code == 200

    again = s3.send_to_moto("PUT", upload.url, upload.headers, upload.body)

    assert again.status_code == 412
