"""Per-object locks, so conditional writes to one key run one at a time (as S3 guarantees)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class KeyLocks:
    """A lock per (bucket, key), created on demand and dropped once nobody holds or waits on it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[threading.Lock, list[int]]] = {}

    @contextmanager
    def hold(self, bucket: str, key: str) -> Iterator[None]:
        name = (bucket, key)
        with self._guard:
            lock, users = self._entries.setdefault(name, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if users[0] == 0:
                    del self._entries[name]

    def users(self, bucket: str, key: str) -> int:
        """How many requests hold or wait for this key's lock right now."""
        with self._guard:
            entry = self._entries.get((bucket, key))
            return entry[1][0] if entry else 0
