"""The local S3 endpoint authenticates every request as S3 does (SigV4, presigned or header)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.testing.clients import local_s3_client
from local_stack.testing.s3_wsgi import (
    LOCAL_ENDPOINT,
    LocalS3,
    boto3_client,
    send,
)
from tests.helpers.s3_errors import s3_error


@pytest.fixture
def public_s3() -> LocalS3:
    return LocalS3(public=True)


def error_of(response: object) -> dict[str, str]:
    return s3_error(getattr(response, "data"))  # noqa: B009 - werkzeug TestResponse


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_presigned_put_with_the_signed_headers_stores_the_object(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url, headers, b"hello")

    assert response.status_code == 200
    head = s3.client.head_object(Bucket=s3.bucket, Key="file-1")
    assert (head["ContentLength"], head["ContentType"]) == (5, "text/plain")


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"Content-Type": "text/html"}, b"hello"),
        ({"Content-Length": "6"}, b"hello!"),
        ({"If-None-Match": None}, b"hello"),
        ({"Host": "localhost:4566"}, b"hello"),
    ],
    ids=["content-type", "content-length", "if-none-match-removed", "host"],
)
def test_changing_a_signed_header_breaks_the_signature(
    s3: LocalS3, change: dict[str, str | None], body: bytes
) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    changed = {name: value for name, value in {**headers, **change}.items() if value is not None}

    response = s3.send("PUT", url, changed, body)

    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError):
        s3.client.head_object(Bucket=s3.bucket, Key="file-1")


def test_a_presigned_url_used_for_another_key_is_refused(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url.replace("/file-1?", "/file-2?"), headers, b"hello")

    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


def test_a_changed_signature_is_refused_with_the_canonical_request(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    forged = with_query(url, **{"X-Amz-Signature": "0" * len(signature)})

    response = s3.send("PUT", forged, headers, b"hello")

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["AWSAccessKeyId"] == ACCESS_KEY_ID
    assert error["CanonicalRequest"].startswith(f"PUT\n/{s3.bucket}/file-1\n")
    assert error["RequestId"] == response.headers["x-amz-request-id"]


def test_an_expired_url_is_refused(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain", expires=60)
    s3.clock.advance(61)

    response = s3.send("PUT", url, headers, b"hello")

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (403, "AccessDenied")
    assert error["Message"] == "Request has expired"
    assert error["X-Amz-Expires"] == "60"


def test_a_url_is_valid_until_its_last_second(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain", expires=60)
    s3.clock.advance(59)

    assert s3.send("PUT", url, headers, b"hello").status_code == 200


def test_a_url_dated_in_the_future_is_not_valid_yet(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    s3.clock.advance(-20 * 60)  # the server's clock is 20 minutes behind the signer's

    response = s3.send("PUT", url, headers, b"hello")

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (403, "AccessDenied")
    assert error["Message"] == "Request is not valid yet"


def test_small_clock_skew_is_tolerated_like_s3(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    s3.clock.advance(-5 * 60)

    assert s3.send("PUT", url, headers, b"hello").status_code == 200


def test_urls_living_longer_than_a_week_are_refused(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain", expires=604801)

    response = s3.send("PUT", url, headers, b"hello")

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (400, "AuthorizationQueryParametersError")
    assert "604800" in error["Message"]


def test_an_unknown_access_key_is_refused(s3: LocalS3) -> None:
    stranger = boto3_client(s3.endpoint, access_key="AKIDUNKNOWN", secret_key=SECRET_ACCESS_KEY)

    with pytest.raises(ClientError) as raised:
        stranger.head_object(Bucket=s3.bucket, Key="anything")
    url = stranger.generate_presigned_url(
        "get_object", Params={"Bucket": s3.bucket, "Key": "anything"}
    )
    response = s3.send("GET", url)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (response.status_code, error_of(response)["Code"]) == (403, "InvalidAccessKeyId")


def test_a_wrong_secret_is_refused_with_signature_does_not_match(s3: LocalS3) -> None:
    impostor = boto3_client(s3.endpoint, access_key=ACCESS_KEY_ID, secret_key="not-the-secret")

    with pytest.raises(ClientError) as raised:
        impostor.put_object(Bucket=s3.bucket, Key="file-1", Body=b"x")

    assert raised.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_anonymous_requests_to_the_private_bucket_are_denied(s3: LocalS3, method: str) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="file-1", Body=b"hello")
    body = b"evil" if method == "PUT" else None
    headers = {"Content-Length": "4"} if body else {}

    response = s3.send(method, s3.url("file-1"), headers, body)

    assert response.status_code == 403
    if method != "HEAD":  # AWS parity: HEAD errors have no body
        assert error_of(response)["Code"] == "AccessDenied"
    assert s3.client.get_object(Bucket=s3.bucket, Key="file-1")["Body"].read() == b"hello"


def test_anonymous_listing_of_the_private_bucket_is_denied(s3: LocalS3) -> None:
    response = s3.send("GET", s3.url())

    assert (response.status_code, error_of(response)["Code"]) == (403, "AccessDenied")


def test_a_public_bucket_serves_objects_anonymously_but_refuses_writes(public_s3: LocalS3) -> None:
    public_s3.client.put_object(Bucket=public_s3.bucket, Key="index.html", Body=b"<html>")

    read = public_s3.send("GET", public_s3.url("index.html"))
    write = public_s3.send("PUT", public_s3.url("index.html"), {"Content-Length": "1"}, b"x")

    assert (read.status_code, read.data) == (200, b"<html>")
    assert (write.status_code, error_of(write)["Code"]) == (403, "AccessDenied")


def test_boto3_clients_work_through_the_endpoint(s3: LocalS3) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="dir/a file.txt", Body=b"hi", ContentType="a/b")

    head = s3.client.head_object(Bucket=s3.bucket, Key="dir/a file.txt")
    got = s3.client.get_object(Bucket=s3.bucket, Key="dir/a file.txt")["Body"].read()
    s3.client.delete_object(Bucket=s3.bucket, Key="dir/a file.txt")

    assert (head["ContentLength"], head["ContentType"], got) == (2, "a/b", b"hi")
    with pytest.raises(ClientError) as raised:
        s3.client.head_object(Bucket=s3.bucket, Key="dir/a file.txt")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_presigned_get_applies_the_content_disposition_override(s3: LocalS3) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="file-1", Body=b"data")
    disposition = "attachment; filename=\"r sum.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    url = s3.presigned_get(
        "file-1", ResponseContentDisposition=disposition, ResponseContentType="application/pdf"
    )

    response = s3.send("GET", url)

    assert response.status_code == 200
    assert response.data == b"data"
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["Content-Type"] == "application/pdf"


def test_presigned_get_with_a_changed_override_is_refused(s3: LocalS3) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="file-1", Body=b"data")
    url = s3.presigned_get("file-1", ResponseContentDisposition="attachment")

    response = s3.send("GET", with_query(url, **{"response-content-disposition": "inline"}))

    assert (response.status_code, error_of(response)["Code"]) == (403, "SignatureDoesNotMatch")


def test_header_auth_with_a_skewed_clock_is_refused(s3: LocalS3) -> None:
    s3.clock.advance(16 * 60)

    with pytest.raises(ClientError) as raised:
        s3.client.head_object(Bucket=s3.bucket, Key="file-1")
    response = s3.send("GET", s3.url("file-1"), signed_headers(s3, "GET", s3.url("file-1")))

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (response.status_code, error_of(response)["Code"]) == (403, "RequestTimeTooSkewed")


def signed_headers(
    s3: LocalS3, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> dict[str, str]:
    """Headers of a request signed in the Authorization header by botocore's S3 signer."""
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    S3SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "s3", REGION).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def one_second_later(timestamp: str) -> str:
    moment = dt.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ") + dt.timedelta(seconds=1)
    return moment.strftime("%Y%m%dT%H%M%SZ")


@pytest.mark.parametrize("changed", ["Content-Type", "X-Amz-Date", "Host", "Content-Length"])
def test_header_auth_with_a_changed_signed_header_is_refused(s3: LocalS3, changed: str) -> None:
    url = s3.url("file-1")
    headers = signed_headers(
        s3, "PUT", url, {"Content-Type": "text/plain", "Content-Length": "5"}, b"hello"
    )
    headers.setdefault("Host", "127.0.0.1:4566")
    body = b"hello"
    if changed == "Content-Type":
        headers["Content-Type"] = "text/html"
    elif changed == "X-Amz-Date":
        headers["X-Amz-Date"] = one_second_later(headers["X-Amz-Date"])
    elif changed == "Host":
        headers["Host"] = "localhost:4566"
    else:
        headers["Content-Length"], body = "6", b"hello!"

    response = s3.send("PUT", url, headers, body)

    assert (response.status_code, error_of(response)["Code"]) == (403, "SignatureDoesNotMatch")


def test_unsigned_amz_headers_on_a_presigned_url_are_refused(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url, {**headers, "x-amz-acl": "public-read"}, b"hello")

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (403, "AccessDenied")
    assert error["HeadersNotSigned"] == "x-amz-acl"


def test_a_credential_for_another_region_is_refused(s3: LocalS3) -> None:
    other = local_s3_client(LOCAL_ENDPOINT, region="eu-west-1")
    url = other.generate_presigned_url("get_object", Params={"Bucket": s3.bucket, "Key": "k"})

    response = s3.send("GET", url)

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (400, "AuthorizationQueryParametersError")
    assert f"the region 'eu-west-1' is wrong; expecting '{REGION}'" in error["Message"]


def test_sigv2_presigned_urls_are_refused_as_by_new_buckets(s3: LocalS3) -> None:
    legacy = local_s3_client(LOCAL_ENDPOINT, config=Config(signature_version="s3"))
    url = legacy.generate_presigned_url("get_object", Params={"Bucket": s3.bucket, "Key": "k"})
    assert "Signature=" in url and "X-Amz-Signature" not in url

    response = s3.send("GET", url)

    assert (response.status_code, error_of(response)["Code"]) == (400, "InvalidRequest")


def test_every_answer_carries_s3_request_ids(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    ok = s3.send("PUT", url, headers, b"hello")
    denied = s3.send("GET", s3.url("file-1"))

    for response in (ok, denied):
        assert re.fullmatch(r"[0-9A-F]{16}", response.headers["x-amz-request-id"])
        assert response.headers["x-amz-id-2"]
        assert response.headers["Server"] == "AmazonS3"
    assert "Access-Control-Allow-Origin" not in ok.headers  # no Origin, no CORS answer
    assert error_of(denied)["RequestId"] == denied.headers["x-amz-request-id"]


def test_moto_error_bodies_carry_the_endpoint_request_id(s3: LocalS3) -> None:
    url = s3.presigned_get("missing-key")

    response = send(s3.endpoint, "GET", url)

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (404, "NoSuchKey")
    assert error["RequestId"] == response.headers["x-amz-request-id"]
    assert error["HostId"] == response.headers["x-amz-id-2"]


def test_a_session_token_the_local_stack_never_issued_is_refused(s3: LocalS3) -> None:
    with_token = local_s3_client(LOCAL_ENDPOINT, session_token="made-up-token")
    url = with_token.generate_presigned_url("get_object", Params={"Bucket": s3.bucket, "Key": "k"})

    response = s3.send("GET", url)

    assert (response.status_code, error_of(response)["Code"]) == (400, "InvalidToken")


def test_presigned_get_of_a_missing_key_with_overrides_is_no_such_key(s3: LocalS3) -> None:
    # A download link of a deleted file: S3 says NoSuchKey, not a signature error (moto alone
    # mistakes the signed response-content-type override for a header the request must carry).
    url = s3.presigned_get(
        "deleted-file",
        ResponseContentType="text/plain",
        ResponseContentDisposition='attachment; filename="a.txt"',
    )

    response = s3.send("GET", url, {}, b"")

    assert response.status_code == 404
    assert error_of(response)["Code"] == "NoSuchKey"
