"""Watches the stack's child processes: a part that dies is reported down and started again.

While a part is down the gateway answers every function route with 503 at once (``down``),
instead of letting calls wait for a socket nobody serves. Restarting is safe because the parts
keep their state on disk (or, in memory mode, start empty: docs/LOCAL.md says so).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Protocol

log = logging.getLogger("local_stack.supervisor")

RESTART_BACKOFF_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)  # then 5 s between further tries


class Child(Protocol):
    """A supervised child process (``DynamoDBProcess``)."""

    @property
    def sentinel(self) -> int: ...
    def alive(self) -> bool: ...
    def restart(self) -> None: ...


@dataclass
class _Watched:
    name: str
    child: Child
    ready: Callable[[], bool]  # answers requests again


class Supervisor:
    """One thread that restarts dead children; ``down()`` names the first part that is down."""

    def __init__(self, poll_seconds: float = 0.5) -> None:
        self._watched: list[_Watched] = []
        self._down: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # stop() writes here, so the thread's wait ends at once instead of at its next poll.
        self._wake_read, self._wake_write = os.pipe()
        self._poll = poll_seconds
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def watch(self, name: str, child: Child, ready: Callable[[], bool]) -> None:
        self._watched.append(_Watched(name, child, ready))

    def start(self) -> None:
        self._thread.start()

    def down(self) -> str | None:
        """The name of a part that is down right now, if any."""
        with self._lock:
            if self._down:
                return sorted(self._down)[0]
        for watched in self._watched:
            if not watched.child.alive() and not self._stopping.is_set():
                return watched.name  # died a moment ago: the thread has not seen it yet
        return None

    def stop(self) -> None:
        self._stopping.set()
        if self._wake_write >= 0:
            os.write(self._wake_write, b"x")
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._wake_write >= 0 and not self._thread.is_alive():
            os.close(self._wake_write)
            os.close(self._wake_read)
            self._wake_write = self._wake_read = -1

    def _run(self) -> None:
        while not self._stopping.is_set():
            sentinels = [watched.child.sentinel for watched in self._watched]
            wait([*sentinels, self._wake_read], timeout=self._poll)
            for watched in self._watched:
                if not watched.child.alive() and not self._stopping.is_set():
                    self._revive(watched)

    def _revive(self, watched: _Watched) -> None:
        with self._lock:
            self._down.add(watched.name)
        log.error("%s is down: restarting it", watched.name)
        attempt = 0
        while not self._stopping.is_set():
            try:
                watched.child.restart()
                if _wait_until(watched.ready, timeout=30.0, stopping=self._stopping):
                    break
            except Exception:
                log.exception("%s did not restart", watched.name)
            delay = RESTART_BACKOFF_SECONDS[min(attempt, len(RESTART_BACKOFF_SECONDS) - 1)]
            attempt += 1
            if self._stopping.wait(delay):
                return
        else:
            return
        with self._lock:
            self._down.discard(watched.name)
        log.info("%s is up again", watched.name)


def _wait_until(ready: Callable[[], bool], timeout: float, stopping: threading.Event) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping.is_set():
        try:
            if ready():
                return True
        except Exception:  # not answering yet is the expected case here
            log.debug("not ready yet", exc_info=True)
        stopping.wait(0.05)
    return False
