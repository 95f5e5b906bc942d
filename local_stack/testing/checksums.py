"""Checksums as S3 names them, for tests and the benchmark: base64 SHA-256 and its composite."""

from __future__ import annotations

import base64
import hashlib


def sha256_b64(data: bytes | memoryview) -> str:
    """The base64 SHA-256 S3 names ``x-amz-checksum-sha256`` / ``ChecksumSHA256``."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def composite_sha256(parts: list[bytes]) -> str:
    """S3's composite checksum of a multipart object: base64(sha256(d1 || ... || dN))-N."""
    digests = b"".join(hashlib.sha256(part).digest() for part in parts)
    return f"{sha256_b64(digests)}-{len(parts)}"
