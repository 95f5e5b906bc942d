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

from local_stack.testing.checksums import sha256_b64
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


# Multipart -------------------------------------------------------------------------------------

PART = b"honest bytes"


@dataclass(frozen=True)
class Sent:
    """One multipart request, sent the same to the endpoint and to plain moto."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def _complete_xml(parts: list[tuple[int, str, str | None]]) -> bytes:
    items = "".join(
        f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag>"
        + (f"<ChecksumSHA256>{checksum}</ChecksumSHA256>" if checksum else "")
        + "</Part>"
        for number, etag, checksum in parts
    )
    return f"<CompleteMultipartUpload>{items}</CompleteMultipartUpload>".encode()


def _with_part(s3: LocalS3, key: str) -> tuple[str, str]:
    """An upload (SHA-256 checksums, as the API creates it) holding one honest part: its ETag."""
    upload_id = s3.start_multipart(key)
    url, headers = s3.presigned_part(key, upload_id, 1, PART)
    answer = s3.send("PUT", url, headers, PART)
    assert answer.status_code == 200, answer.data
    return upload_id, answer.headers["ETag"]


def _completion(s3: LocalS3, key: str, upload_id: str, **params: str) -> str:
    return s3.client.generate_presigned_url(
        "complete_multipart_upload",
        Params={"Bucket": s3.bucket, "Key": key, "UploadId": upload_id, **params},
        ExpiresIn=300,
        HttpMethod="POST",
    )


def part_flipped_bytes(s3: LocalS3, key: str) -> Sent:
    url, headers = s3.presigned_part(key, s3.start_multipart(key), 1, PART)
    return Sent("PUT", url, headers, PART.upper())


def part_longer_body(s3: LocalS3, key: str) -> Sent:
    body = PART + b", and more"
    url, headers = s3.presigned_part(key, s3.start_multipart(key), 1, PART)
    headers = {
        **headers,
        "Content-Length": str(len(body)),
        "x-amz-checksum-sha256": sha256_b64(body),
    }
    return Sent("PUT", url, headers, body)


def part_without_checksum(s3: LocalS3, key: str) -> Sent:
    upload_id = s3.start_multipart(key)
    url = s3.client.generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": s3.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": 1,
            "ContentLength": len(PART),
        },
        ExpiresIn=300,
        HttpMethod="PUT",
    )
    return Sent("PUT", url, {"Content-Length": str(len(PART))}, PART)


def put_flipped_bytes(s3: LocalS3, key: str) -> Sent:
    url, headers = s3.presigned_put(key, len(PART), CONTENT_TYPE, ChecksumSHA256=sha256_b64(PART))
    return Sent("PUT", url, {**headers, "x-amz-checksum-sha256": sha256_b64(PART)}, PART.upper())


def complete_other_part_checksum(s3: LocalS3, key: str) -> Sent:
    upload_id, etag = _with_part(s3, key)
    body = _complete_xml([(1, etag, sha256_b64(b"other bytes"))])
    return Sent("POST", _completion(s3, key, upload_id), {}, body)


def complete_without_part_checksums(s3: LocalS3, key: str) -> Sent:
    upload_id, etag = _with_part(s3, key)
    return Sent("POST", _completion(s3, key, upload_id), {}, _complete_xml([(1, etag, None)]))


def complete_other_object_checksum(s3: LocalS3, key: str) -> Sent:
    upload_id, etag = _with_part(s3, key)
    other = f"{sha256_b64(b'other bytes')}-1"
    url = _completion(s3, key, upload_id, ChecksumSHA256=other)
    body = _complete_xml([(1, etag, sha256_b64(PART))])
    return Sent("POST", url, {"x-amz-checksum-sha256": other}, body)


MULTIPART_CANARIES: dict[str, tuple[Callable[[LocalS3, str], Sent], int, str]] = {
    "part-flipped-bytes": (part_flipped_bytes, 400, "BadDigest"),
    "part-longer-body": (part_longer_body, 403, "SignatureDoesNotMatch"),
    "part-without-checksum": (part_without_checksum, 400, "InvalidRequest"),
    "put-flipped-bytes": (put_flipped_bytes, 400, "BadDigest"),
    "complete-other-part-checksum": (complete_other_part_checksum, 400, "InvalidPart"),
    "complete-without-part-checksums": (complete_without_part_checksums, 400, "InvalidRequest"),
    "complete-other-object-checksum": (complete_other_object_checksum, 400, "BadDigest"),
}


def _held(s3: LocalS3, key: str, sent: Sent) -> tuple[bytes | None, int]:
    """The object's bytes and how many parts its upload holds (what a refusal must not change)."""
    upload_id = dict(parse_qsl(urlsplit(sent.url).query)).get("uploadId")
    parts = 0
    if upload_id and sent.method != "POST":
        parts = len(
            s3.client.list_parts(Bucket=s3.bucket, Key=key, UploadId=upload_id).get("Parts", [])
        )
    return stored(s3, key), parts


@pytest.mark.parametrize("name", list(MULTIPART_CANARIES))
def test_the_endpoint_refuses_multipart_requests_that_plain_moto_accepts(
    s3: LocalS3, name: str
) -> None:
    build, status, code = MULTIPART_CANARIES[name]
    key = f"canary-{name}"
    sent = build(s3, key)
    before = _held(s3, key, sent)

    refused = s3.send(sent.method, sent.url, sent.headers, sent.body)

    assert refused.status_code == status, refused.data
    assert ElementTree.fromstring(refused.data).findtext("Code") == code
    assert _held(s3, key, sent) == before, "the refused request changed what S3 holds"

    accepted = s3.send_to_moto(sent.method, sent.url, sent.headers, sent.body)

    assert accepted.status_code == 200, (
        f"plain moto refused {name} ({accepted.status_code}): the canary no longer shows that "
        f"the local S3 endpoint adds the check\n{accepted.data!r}"
    )
    assert _held(s3, key, sent) != before, "plain moto ignored the request"


def test_moto_answers_500_where_s3_answers_no_such_upload(s3: LocalS3) -> None:
    upload_id, _ = _with_part(s3, "canary-aborted")
    s3.client.abort_multipart_upload(Bucket=s3.bucket, Key="canary-aborted", UploadId=upload_id)
    url, headers = s3.presigned_part("canary-aborted", upload_id, 2, PART)

    through_endpoint = s3.send("PUT", url, headers, PART)

    assert through_endpoint.status_code == 404
    assert ElementTree.fromstring(through_endpoint.data).findtext("Code") == "NoSuchUpload"
    with pytest.raises(KeyError):  # moto's UploadPart looks the upload up without a check
        s3.send_to_moto("PUT", url, headers, PART)


def test_moto_pages_list_parts_by_index_where_s3_pages_by_part_number(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("canary-pages")
    for number in (1, 3, 5):
        url, headers = s3.presigned_part("canary-pages", upload_id, number, PART)
        assert s3.send("PUT", url, headers, PART).status_code == 200
    url = s3.client.generate_presigned_url(
        "list_parts",
        Params={
            "Bucket": s3.bucket,
            "Key": "canary-pages",
            "UploadId": upload_id,
            "PartNumberMarker": 3,
        },
        ExpiresIn=300,
    )

    def numbers(data: bytes) -> list[str]:
        root = ElementTree.fromstring(data)
        return [element.text or "" for element in root.iter() if element.tag.endswith("PartNumber")]

    assert numbers(s3.send("GET", url).data) == ["5"]
    moto = s3.send_to_moto("GET", url)
    assert moto.status_code == 200
    assert numbers(moto.data) == [], "moto pages by part number now: drop this canary"
    assert b"ChecksumSHA256" not in moto.data


def test_moto_itself_refuses_a_small_part_that_is_not_the_last(s3: LocalS3) -> None:
    # Stated for honesty: moto 5.2.5 answers EntityTooSmall too (with S3_UPLOAD_PART_MIN_SIZE,
    # 5 MiB unless that variable lowers it); the endpoint checks its own 5 MiB before moto.
    upload_id = s3.start_multipart("canary-small")
    etags = []
    for number in (1, 2):
        url, headers = s3.presigned_part("canary-small", upload_id, number, PART)
        etags.append(s3.send("PUT", url, headers, PART).headers["ETag"])
    body = _complete_xml([(n, etag, sha256_b64(PART)) for n, etag in enumerate(etags, start=1)])
    url = _completion(s3, "canary-small", upload_id)

    for answer in (s3.send("POST", url, {}, body), s3.send_to_moto("POST", url, {}, body)):
        assert answer.status_code == 400
        assert ElementTree.fromstring(answer.data).findtext("Code") == "EntityTooSmall"
