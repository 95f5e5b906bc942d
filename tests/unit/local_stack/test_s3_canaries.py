"""Canaries: uploads the local S3 endpoint refuses are accepted by plain moto.

If these requests passed on plain moto too, the security tests would prove nothing: each case
sends the very same request to the endpoint (refused with S3's error) and then to moto's S3 app
directly (accepted and stored).
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


@dataclass(frozen=True)
class Upload:
    url: str
    headers: dict[str, str]
    body: bytes


def presigned_at(s3: LocalS3, key: str, shift: dt.timedelta, expires: int = 60) -> Upload:
    """A presigned upload signed by a clock ``shift`` away from now (botocore's own clock)."""
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + shift
    with mock.patch("botocore.auth.get_current_datetime", lambda **_: signed_at):
        url, headers = s3.presigned_put(key, 5, "text/plain", expires=expires)
    return Upload(url, headers, b"hello")


def honest(s3: LocalS3, key: str) -> Upload:
    url, headers = s3.presigned_put(key, 5, "text/plain")
    return Upload(url, headers, b"hello")


def expired(s3: LocalS3, key: str) -> Upload:
    return presigned_at(s3, key, -dt.timedelta(hours=2))


def not_yet_valid(s3: LocalS3, key: str) -> Upload:
    return presigned_at(s3, key, dt.timedelta(hours=2))


def longer_than_a_week(s3: LocalS3, key: str) -> Upload:
    url, headers = s3.presigned_put(key, 5, "text/plain", expires=604800 * 4)
    return Upload(url, headers, b"hello")


def wrong_type(s3: LocalS3, key: str) -> Upload:
    upload = honest(s3, key)
    return Upload(upload.url, {**upload.headers, "Content-Type": "text/html"}, upload.body)


def wrong_length(s3: LocalS3, key: str) -> Upload:
    upload = honest(s3, key)
    body = b"hello, and much more than was declared"
    return Upload(upload.url, {**upload.headers, "Content-Length": str(len(body))}, body)


def no_if_none_match(s3: LocalS3, key: str) -> Upload:
    upload = honest(s3, key)
    headers = {name: value for name, value in upload.headers.items() if name != "If-None-Match"}
    return Upload(upload.url, headers, upload.body)


def forged_signature(s3: LocalS3, key: str) -> Upload:
    upload = honest(s3, key)
    parts = urlsplit(upload.url)
    query = dict(parse_qsl(parts.query))
    query["X-Amz-Signature"] = "0" * 64
    return Upload(urlunsplit(parts._replace(query=urlencode(query))), upload.headers, upload.body)


def other_key(s3: LocalS3, key: str) -> Upload:
    upload = honest(s3, key + "-signed")
    return Upload(upload.url.replace(f"/{key}-signed?", f"/{key}?"), upload.headers, upload.body)


def anonymous(s3: LocalS3, key: str) -> Upload:
    return Upload(s3.url(key), {"Content-Type": "text/plain", "Content-Length": "5"}, b"hello")


CASES: dict[str, tuple[Callable[[LocalS3, str], Upload], int, str]] = {
    "expired": (expired, 403, "AccessDenied"),
    "not-yet-valid": (not_yet_valid, 403, "AccessDenied"),
    "longer-than-a-week": (longer_than_a_week, 400, "AuthorizationQueryParametersError"),
    "wrong-type": (wrong_type, 403, "SignatureDoesNotMatch"),
    "wrong-length": (wrong_length, 403, "SignatureDoesNotMatch"),
    "if-none-match-removed": (no_if_none_match, 403, "SignatureDoesNotMatch"),
    "forged-signature": (forged_signature, 403, "SignatureDoesNotMatch"),
    "other-key": (other_key, 403, "SignatureDoesNotMatch"),
    "anonymous": (anonymous, 403, "AccessDenied"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_endpoint_refuses_what_plain_moto_accepts(s3: LocalS3, case: str) -> None:
    build, status, code = CASES[case]
    key = f"canary-{case}"
    upload = build(s3, key)

    refused = s3.send("PUT", upload.url, upload.headers, upload.body)
    accepted = s3.send_to_moto("PUT", upload.url, upload.headers, upload.body)

    assert refused.status_code == status
    assert ElementTree.fromstring(refused.data).findtext("Code") == code
    assert accepted.status_code == 200, accepted.data
    stored = s3.client.get_object(Bucket=s3.bucket, Key=key)
    assert stored["Body"].read() == upload.body
    assert stored["ContentType"] == upload.headers["Content-Type"]


def test_a_repeated_upload_is_refused_while_moto_lets_a_replay_overwrite(s3: LocalS3) -> None:
    upload = honest(s3, "canary-repeat")
    assert s3.send("PUT", upload.url, upload.headers, upload.body).status_code == 200
    replay = no_if_none_match(s3, "canary-repeat")
    replay = Upload(upload.url, replay.headers, b"HELLO")

    refused = s3.send("PUT", replay.url, replay.headers, replay.body)
    repeated = s3.send("PUT", upload.url, upload.headers, b"HELLO")
    accepted = s3.send_to_moto("PUT", replay.url, replay.headers, replay.body)

    assert refused.status_code == 403
    assert repeated.status_code == 412
    assert accepted.status_code == 200
    stored = s3.client.get_object(Bucket=s3.bucket, Key="canary-repeat")["Body"].read()
    assert stored == b"HELLO"  # moto overwrote the first upload


def test_moto_itself_answers_a_sequential_if_none_match_repeat_with_412(s3: LocalS3) -> None:
    # Stated for honesty: moto 5.2.5 checks If-None-Match: * (without a lock, so racing
    # uploads can both pass: see test_s3_conditional). The endpoint adds the signature that
    # stops a client from simply dropping the header.
    upload = honest(s3, "canary-moto-412")
    assert s3.send_to_moto("PUT", upload.url, upload.headers, upload.body).status_code == 200

    again = s3.send_to_moto("PUT", upload.url, upload.headers, upload.body)

    assert again.status_code == 412
