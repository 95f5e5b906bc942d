"""Multipart test helpers shared by the unit and integration tests: checksums and part bytes."""

from __future__ import annotations

import base64
import hashlib
import random


def sha256_b64(data: bytes) -> str:
    """The base64 of ``data``'s SHA-256, as S3's ``x-amz-checksum-sha256`` carries it."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def composite_sha256(parts: list[bytes]) -> str:
    """S3's composite checksum of a multipart object: SHA-256 of the parts' digests, ``-N``."""
    digests = b"".join(hashlib.sha256(part).digest() for part in parts)
    return f"{sha256_b64(digests)}-{len(parts)}"


def split_parts(data: bytes, part_size: int) -> list[bytes]:
    """``data`` cut as the API plans it: ``part_size`` bytes each, the last one the rest."""
    return [data[start : start + part_size] for start in range(0, len(data), part_size)]


def file_bytes(size: int, seed: int = 0) -> bytes:
    """``size`` pseudo-random bytes (so a part sent in another part's place shows)."""
    return random.Random(seed).randbytes(size)
