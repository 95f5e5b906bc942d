"""Reading a request body the way S3 checks it: length, declared SHA-256, aws-chunked, checksums."""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from local_stack.s3 import errors
from local_stack.s3.auth import STREAMING_SIGNED_PAYLOADS
from local_stack.s3.checksums import CHECKSUM_ALGORITHMS, BodyDigests

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CHECKSUM_HEADER = re.compile(r"^x-amz-checksum-([a-z0-9]+)$")
_CHUNK = 1024 * 1024
# A body read in one read (one buffer of its Content-Length); longer ones are read a MiB at a time.
_ONE_READ_MAX = 1024 * 1024 * 1024
# S3's largest PutObject or UploadPart body: 5 GiB.
MAX_OBJECT_BODY_BYTES = 5 * 1024**3
# A spooled body (an UploadPart's) stays in memory up to this size, then goes to a temporary file.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass
class ReceivedBody:
    """The checked body to hand to the backend (a file at offset 0), and header changes."""

    file: IO[bytes]
    size: int
    set_headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> value
    drop_headers: tuple[str, ...] = ()
    checksums: dict[str, str] = field(default_factory=dict)  # verified: algorithm -> base64

    def read_small(self) -> bytes:
        """The whole body, for the small XML bodies the endpoint itself parses."""
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(0)
        return data

    def close(self) -> None:
        self.file.close()


def _content_length(environ: Mapping[str, Any]) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise errors.S3Error(400, "BadRequest", "An error occurred when parsing the HTTP request.")
    return int(raw)


def _declared_checksums(headers: Mapping[str, str]) -> dict[str, str]:
    declared = {}
    for name, value in headers.items():
        match = _CHECKSUM_HEADER.match(name)
        if match and match.group(1) in CHECKSUM_ALGORITHMS:
            declared[match.group(1)] = value
    return declared


def read_body(
    environ: Mapping[str, Any],
    method: str,
    headers: Mapping[str, str],
    *,
    body_checksums: bool = True,
    spooled: bool = False,
) -> ReceivedBody:
    """Read exactly the body the client sent and check it as S3 does before storing anything.

    The body streams through the digests. ``spooled`` bodies (UploadPart's, which the endpoint
    copies into part storage a MiB at a time) go to a spooled file and are never held whole in
    memory beyond ``_SPOOL_IN_MEMORY``. Any other body is for moto, which reads every body whole
    into memory: it is kept as one ``bytes`` in a ``BytesIO``, which hands moto that same object
    (no second copy, no temporary file). ``body_checksums`` is False where x-amz-checksum-*
    headers describe something else than the body (CompleteMultipartUpload's whole-object
    checksum).
    """
    length = _content_length(environ)
    stream = environ["wsgi.input"]
    chunked_transfer = "chunked" in headers.get("transfer-encoding", "").lower()
    declared = headers.get("x-amz-content-sha256")
    aws_chunked = declared == STREAMING_UNSIGNED_TRAILER
    if declared in STREAMING_SIGNED_PAYLOADS:
        # Chunk signatures are not verified here, so the upload is refused rather than trusted.
        raise errors.not_implemented("x-amz-content-sha256")
    hex_declared = declared is not None and bool(_SHA256_HEX.match(declared))
    if declared not in (None, UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER) and not hex_declared:
        raise errors.invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            "x-amz-content-sha256",
            declared or "",
        )
    checked = _declared_checksums(headers) if body_checksums and not aws_chunked else {}
    digests = BodyDigests(hex_declared, checked)
    if length is None and not (chunked_transfer and environ.get("wsgi.input_terminated")):
        if method == "PUT":
            # AWS parity: S3 refuses a PUT without Content-Length (411), unlike many servers.
            raise errors.missing_content_length()
        length = 0
    if length is not None and length > MAX_OBJECT_BODY_BYTES:
        # AWS parity: S3 refuses a body over 5 GiB (PutObject's and UploadPart's limit) unread.
        raise errors.entity_too_large(length, MAX_OBJECT_BODY_BYTES)
    spool: IO[bytes] = (
        tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - handed on
        if spooled
        else io.BytesIO()
    )
    try:
        if spooled:
            size = _read_into(spool, stream, length, digests)
        else:
            data = _read_whole(stream, length, digests)
            # BytesIO over a bytes object shares it, and read() from 0 returns it uncopied.
            spool, size = io.BytesIO(data), len(data)
        # AWS parity: fewer bytes than Content-Length is refused with IncompleteBody.
        if length is not None and size != length:
            raise errors.incomplete_body()
        if hex_declared and digests.content_sha256() != declared:
            raise errors.content_sha256_mismatch(declared or "", digests.content_sha256())
        verified = digests.verify()  # AWS parity: S3 verifies every declared checksum of a body
        spool.seek(0)
        body = ReceivedBody(file=spool, size=size, checksums=verified)
        if aws_chunked:
            body = _decode_aws_chunked(body.read_small(), headers)
            spool.close()
            if body_checksums:
                trailed = _declared_checksums({**headers, **body.set_headers})
                decoded = BodyDigests(False, trailed)
                decoded.update(body.read_small())
                body.checksums = decoded.verify()
    except BaseException:
        spool.close()
        raise
    return body


def _chunks(stream: IO[bytes], length: int | None) -> Iterator[bytes]:
    """The body a MiB at a time: ``length`` bytes, or to its end (fewer if the client stops)."""
    size = 0
    while length is None or size < length:
        chunk = stream.read(_CHUNK if length is None else min(_CHUNK, length - size))
        if not chunk:
            return
        size += len(chunk)
        yield chunk


def _read_into(
    spool: IO[bytes], stream: IO[bytes], length: int | None, digests: BodyDigests
) -> int:
    """Copy the body a MiB at a time through the digests into ``spool``; the bytes read."""
    size = 0
    for chunk in _chunks(stream, length):
        digests.update(chunk)
        spool.write(chunk)
        size += len(chunk)
    return size


def _read_whole(stream: IO[bytes], length: int | None, digests: BodyDigests) -> bytes:
    """The whole body as one ``bytes``: with a Content-Length up to ``_ONE_READ_MAX``, one read
    straight from the socket into a buffer of that size (no chunks joined into a second copy);
    digested afterwards. Longer or chunked bodies are read a MiB at a time, so memory is taken
    as bytes arrive, not all at once on the strength of a header."""
    if length is not None and length <= _ONE_READ_MAX:
        data = stream.read(length) if length else b""
    else:
        data = b"".join(_chunks(stream, length))
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        digests.update(view[start : start + _CHUNK])
    return data


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
    return ReceivedBody(
        file=io.BytesIO(decoded),
        size=len(decoded),
        set_headers=set_headers,
        drop_headers=tuple(drop),
    )
