"""Reading a request body the way S3 checks it: length, declared SHA-256, aws-chunked, checksums."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore import httpchecksum

from local_stack.s3 import errors
from local_stack.s3.auth import STREAMING_SIGNED_PAYLOADS

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CHECKSUM_HEADER = re.compile(r"^x-amz-checksum-([a-z0-9]+)$")
# The algorithms S3 names in x-amz-checksum-<algorithm> (other x-amz-checksum-* are settings).
CHECKSUM_ALGORITHMS = frozenset(
    {"crc32", "crc32c", "crc64nvme", "sha1", "sha256", "sha512", "md5", "xxhash64", "xxhash3"}
    | {"xxhash128"}
)


class _Checksum(Protocol):
    def update(self, chunk: bytes) -> None: ...
    def b64digest(self) -> str: ...


def _checksum_classes() -> Mapping[str, Callable[[], _Checksum]]:
    # botocore's own checksum implementations (CRC32, SHA1, SHA256; CRC32C/CRC64NVME with awscrt).
    classes: Mapping[str, Callable[[], _Checksum]] = getattr(httpchecksum, "_CHECKSUM_CLS", {})
    return classes


@dataclass
class ReceivedBody:
    """The body to hand to the backend, and header changes that go with it."""

    data: bytes
    set_headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> value
    drop_headers: tuple[str, ...] = ()


def _content_length(environ: Mapping[str, Any]) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise errors.S3Error(400, "BadRequest", "An error occurred when parsing the HTTP request.")
    return int(raw)


def read_body(
    environ: Mapping[str, Any],
    method: str,
    headers: Mapping[str, str],
    *,
    body_checksums: bool = True,
) -> ReceivedBody:
    """Read exactly the body the client sent and check it as S3 does before storing anything.

    ``body_checksums`` is False where x-amz-checksum-* headers describe something else than the
    body (CompleteMultipartUpload's full-object checksum).
    """
    length = _content_length(environ)
    stream = environ["wsgi.input"]
    chunked_transfer = "chunked" in headers.get("transfer-encoding", "").lower()
    if length is None:
        if chunked_transfer and environ.get("wsgi.input_terminated"):
            data = stream.read()
        elif method == "PUT":
            # AWS parity: S3 refuses a PUT without Content-Length (411), unlike many servers.
            raise errors.missing_content_length()
        else:
            data = b""
    else:
        data = stream.read(length) if length else b""
        # AWS parity: fewer bytes than Content-Length is refused with IncompleteBody.
        if len(data) != length:
            raise errors.incomplete_body()

    declared = headers.get("x-amz-content-sha256")
    body = ReceivedBody(data=data)
    if declared is None or declared == UNSIGNED_PAYLOAD:
        pass
    elif declared == STREAMING_UNSIGNED_TRAILER:
        body = _decode_aws_chunked(data, headers)
    elif declared in STREAMING_SIGNED_PAYLOADS:
        # Chunk signatures are not verified here, so the upload is refused rather than trusted.
        raise errors.not_implemented("x-amz-content-sha256")
    elif _SHA256_HEX.match(declared):
        computed = hashlib.sha256(data).hexdigest()
        if computed != declared:
            raise errors.content_sha256_mismatch(declared, computed)
    else:
        raise errors.invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            "x-amz-content-sha256",
            declared,
        )
    if body_checksums:
        for name, value in {**headers, **body.set_headers}.items():
            match = _CHECKSUM_HEADER.match(name)
            if match and match.group(1) in CHECKSUM_ALGORITHMS:
                # AWS parity: S3 verifies every declared checksum (header or trailer) of a body.
                verify_checksum(match.group(1), value, body.data)
    return body


def verify_checksum(algorithm: str, expected: str, data: bytes) -> None:
    """Refuse the body when a declared ``x-amz-checksum-<algorithm>`` does not match it."""
    checksum_class = _checksum_classes().get(algorithm)
    if checksum_class is None:
        # Unknown here (e.g. CRC32C without awscrt): cannot check it, so refuse it.
        raise errors.not_implemented(f"x-amz-checksum-{algorithm}")
    checksum = checksum_class()
    checksum.update(data)
    if checksum.b64digest() != expected:
        raise errors.S3Error(
            400,
            "BadDigest",
            f"The {algorithm.upper()} you specified did not match the calculated checksum.",
        )


def _decode_aws_chunked(data: bytes, headers: Mapping[str, str]) -> ReceivedBody:
    """Decode an ``aws-chunked`` body (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``) and its trailer."""
    declared_length = headers.get("x-amz-decoded-content-length")
    if declared_length is None or not declared_length.isdigit():
        raise errors.missing_content_length()
    stream = io.BytesIO(data)
    parts: list[bytes] = []
    while True:
        size_line = stream.readline()
        if not size_line.endswith(b"\r\n"):
            raise errors.incomplete_body()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise errors.incomplete_body() from None
        if size == 0:
            break
        chunk = stream.read(size)
        if len(chunk) != size or stream.read(2) != b"\r\n":
            raise errors.incomplete_body()
        parts.append(chunk)
    trailers: dict[str, str] = {}
    for line in stream.read().split(b"\r\n"):
        name, sep, value = line.decode("latin-1").partition(":")
        if sep:
            trailers[name.strip().lower()] = value.strip()
    decoded = b"".join(parts)
    # AWS parity: the decoded bytes must add up to the signed x-amz-decoded-content-length.
    if len(decoded) != int(declared_length):
        raise errors.incomplete_body()
    set_headers = {"x-amz-content-sha256": UNSIGNED_PAYLOAD}
    announced = [name.strip().lower() for name in headers.get("x-amz-trailer", "").split(",")]
    for name in filter(None, announced):
        if name not in trailers:
            raise errors.invalid_request(f"The trailing header {name} was not provided")
        set_headers[name] = trailers[name]
    encoding = [
        token.strip()
        for token in headers.get("content-encoding", "").split(",")
        if token.strip() and token.strip().lower() != "aws-chunked"
    ]
    drop = ["x-amz-decoded-content-length", "x-amz-trailer", "transfer-encoding"]
    if encoding:
        # AWS parity: S3 strips "aws-chunked" from the Content-Encoding it stores.
        set_headers["content-encoding"] = ", ".join(encoding)
    else:
        drop.append("content-encoding")
    return ReceivedBody(data=decoded, set_headers=set_headers, drop_headers=tuple(drop))
