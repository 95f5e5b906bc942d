"""Multipart test helpers shared by the unit and integration tests: checksums and part bytes."""

from __future__ import annotations

import random

from local_stack.testing.checksums import composite_sha256, sha256_b64

__all__ = ["composite_sha256", "file_bytes", "sha256_b64", "split_parts"]


def split_parts(data: bytes, part_size: int) -> list[bytes]:
    """``data`` cut as the API plans it: ``part_size`` bytes each, the last one the rest."""
    return [data[start : start + part_size] for start in range(0, len(data), part_size)]


def file_bytes(size: int, seed: int = 0) -> bytes:
    """``size`` pseudo-random bytes (so a part sent in another part's place shows)."""
    return random.Random(seed).randbytes(size)
