"""The local S3 endpoint checks bodies as S3 does: length, hashes, aws-chunked, checksums."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.config import DEFAULT_HOST
from local_stack.http import threaded_server
from local_stack.s3 import payload
from local_stack.s3.payload import MAX_OBJECT_BODY_BYTES
from local_stack.testing.s3_wsgi import (
    LocalS3,
    boto3_client,
)
from tests.helpers.gateway import served
from tests.helpers.s3_errors import s3_error_code as error_code


def stored(s3: LocalS3, key: str) -> bool:
    try:
        s3.client.head_object(Bucket=s3.bucket, Key=key)
    except ClientError:
        return False
    return True


class FixedPayloadSigner(S3SigV4Auth):
    """botocore's S3 signer declaring a given x-amz-content-sha256 instead of hashing."""

    def __init__(self, payload: str) -> None:
        super().__init__(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "s3", REGION)
        self._payload = payload

    def payload(self, request: AWSRequest) -> str:
        return self._payload


def header_signed(
    url: str, headers: dict[str, str], body: bytes = b"", payload: str | None = None
) -> dict[str, str]:
    request = AWSRequest(method="PUT", url=url, headers=headers, data=body)
    if payload is None:
        S3SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "s3", REGION).add_auth(request)
    else:
        FixedPayloadSigner(payload).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def aws_chunked(data: bytes, trailer: str, chunk: int = 4) -> bytes:
    out = b""
    for start in range(0, len(data), chunk):
        part = data[start : start + chunk]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n" + trailer.encode() + b"\r\n\r\n"


def test_a_body_shorter_than_the_signed_length_is_refused(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url, headers, b"hel")  # Content-Length: 5, three bytes arrive

    assert (response.status_code, error_code(response.data)) == (400, "IncompleteBody")
    assert not stored(s3, "file-1")


def test_a_put_without_content_length_is_refused(s3: LocalS3) -> None:
    url = s3.url("file-1")
    headers = header_signed(url, {}, payload="UNSIGNED-PAYLOAD")

    response = s3.send("PUT", url, headers)

    assert (response.status_code, error_code(response.data)) == (411, "MissingContentLength")


def test_a_body_over_five_gib_is_refused_as_entity_too_large(s3: LocalS3) -> None:
    size = MAX_OBJECT_BODY_BYTES + 1
    url, headers = s3.presigned_put("file-1", size, "application/zip")

    response = s3.send("PUT", url, headers, b"abc")  # refused on its Content-Length alone

    assert (response.status_code, error_code(response.data)) == (400, "EntityTooLarge")
    assert f"<ProposedSize>{size}</ProposedSize>".encode() in response.data
    assert not stored(s3, "file-1")


def test_a_chunked_put_without_content_length_is_stored_whole(s3: LocalS3) -> None:
    content = [b"first part ", b"x" * 1_500_000, b" last part"]  # over one read of a MiB
    url = s3.url("chunked")
    headers = header_signed(url, {}, payload="UNSIGNED-PAYLOAD")

    with served(threaded_server.werkzeug_server(DEFAULT_HOST, 0, s3.endpoint)) as port:
        connection = http.client.HTTPConnection(DEFAULT_HOST, port, timeout=30)
        signed_for = urlsplit(url)  # the Host the request was signed for, not the server's
        headers = {"Host": signed_for.netloc, **headers}
        connection.request("PUT", signed_for.path, iter(content), headers, encode_chunked=True)
        status = connection.getresponse().status
        connection.close()

    assert status == 200
    got = s3.client.get_object(Bucket=s3.bucket, Key="chunked")["Body"].read()
    assert got == b"".join(content)


def test_a_body_longer_than_one_read_is_read_in_parts_and_stored_whole(
    s3: LocalS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(payload, "_ONE_READ_MAX", 1024)
    content = bytes(range(256)) * 6000  # 1.5 MB: two reads of a MiB
    url, headers = s3.presigned_put("long", len(content), "application/zip")

    response = s3.send("PUT", url, headers, content)

    assert response.status_code == 200
    assert s3.client.get_object(Bucket=s3.bucket, Key="long")["Body"].read() == content


def test_a_body_not_matching_its_declared_sha256_is_refused(s3: LocalS3) -> None:
    url = s3.url("file-1")
    headers = header_signed(url, {}, b"hello")

    response = s3.send("PUT", url, {**headers, "Content-Length": "5"}, b"jello")

    assert response.status_code == 400
    assert error_code(response.data) == "XAmzContentSHA256Mismatch"
    assert not stored(s3, "file-1")


def test_a_wrong_checksum_header_is_refused(s3: LocalS3) -> None:
    url = s3.url("file-1")
    headers = header_signed(
        url, {"x-amz-checksum-crc32": crc32_b64(b"other")}, payload="UNSIGNED-PAYLOAD"
    )

    response = s3.send("PUT", url, {**headers, "Content-Length": "5"}, b"hello")

    assert (response.status_code, error_code(response.data)) == (400, "BadDigest")


def test_boto3_streaming_uploads_over_https_are_decoded_from_aws_chunked(s3: LocalS3) -> None:
    https_client = boto3_client(
        s3.endpoint,
        access_key=ACCESS_KEY_ID,
        secret_key=SECRET_ACCESS_KEY,
        endpoint_url="https://127.0.0.1:4566",
    )
    sent: list[dict[str, Any]] = []  # botocore hands over some header values as bytes

    def record_headers(request: Any, **_: Any) -> None:
        sent.append(dict(request.headers))

    https_client.meta.events.register(
        "before-send.s3.PutObject", record_headers, unique_id="record-headers"
    )
    content = b"streamed content " * 1000

    https_client.put_object(Bucket=s3.bucket, Key="streamed", Body=io.BytesIO(content))

    headers = {name.lower(): value for name, value in sent[0].items()}
    assert headers["x-amz-content-sha256"] == b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    got = s3.client.get_object(Bucket=s3.bucket, Key="streamed")
    assert got["Body"].read() == content
    assert "aws-chunked" not in got.get("ContentEncoding", "")
    assert s3.events()[-1]["s3"]["object"]["size"] == len(content)


def chunked_headers(url: str, body: bytes, decoded_length: int, trailer: str) -> dict[str, str]:
    headers = header_signed(
        url,
        {
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(decoded_length),
            "x-amz-trailer": trailer,
        },
        payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )
    return {**headers, "Content-Length": str(len(body))}


def test_an_aws_chunked_body_with_a_wrong_trailer_checksum_is_refused(s3: LocalS3) -> None:
    url = s3.url("file-1")
    body = aws_chunked(b"hello world", f"x-amz-checksum-crc32:{crc32_b64(b'other')}")

    response = s3.send("PUT", url, chunked_headers(url, body, 11, "x-amz-checksum-crc32"), body)

    assert (response.status_code, error_code(response.data)) == (400, "BadDigest")
    assert not stored(s3, "file-1")


def test_an_aws_chunked_body_shorter_than_its_decoded_length_is_refused(s3: LocalS3) -> None:
    url = s3.url("file-1")
    body = aws_chunked(b"hello world", f"x-amz-checksum-crc32:{crc32_b64(b'hello world')}")

    response = s3.send("PUT", url, chunked_headers(url, body, 12, "x-amz-checksum-crc32"), body)

    assert (response.status_code, error_code(response.data)) == (400, "IncompleteBody")


def test_a_valid_aws_chunked_body_is_stored_decoded_with_its_checksum(s3: LocalS3) -> None:
    url = s3.url("file-1")
    body = aws_chunked(b"hello world", f"x-amz-checksum-crc32:{crc32_b64(b'hello world')}")

    response = s3.send("PUT", url, chunked_headers(url, body, 11, "x-amz-checksum-crc32"), body)

    assert response.status_code == 200
    got = s3.client.get_object(Bucket=s3.bucket, Key="file-1")
    assert got["Body"].read() == b"hello world"
    assert got["ETag"].strip('"') == hashlib.md5(b"hello world").hexdigest()


def test_signed_chunk_uploads_are_refused_rather_than_trusted(s3: LocalS3) -> None:
    url = s3.url("file-1")
    headers = header_signed(
        url,
        {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": "5"},
        payload="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    )
    body = b"5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n"

    response = s3.send("PUT", url, {**headers, "Content-Length": str(len(body))}, body)

    assert (response.status_code, error_code(response.data)) == (501, "NotImplemented")
    assert not stored(s3, "file-1")
