"""Lambda's queue of asynchronous invocations: accepted events until they finish, dead letters.

Lambda accepts an ``Event`` invocation (an S3 notification, a schedule, an ``Invoke`` with
``InvocationType=Event``) into an internal queue and answers at once; the event is then run,
retried and finally dead-lettered. Here the queue is one SQLite database: on disk when the stack
keeps its data (an event accepted before a crash runs after the restart; one that finished is
never sent again), in memory otherwise. Dead letters are kept the same way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stack.datastore import Transaction, open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function_name TEXT NOT NULL, request_id TEXT NOT NULL, event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, function_name TEXT NOT NULL, record TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class PendingInvocation:
    """An accepted asynchronous invocation that has not finished yet."""

    id: int
    function_name: str
    request_id: str
    event: Any


@dataclass(frozen=True)
class DeadLetter:
    """An event whose every attempt failed, kept as Lambda's on-failure destination record."""

    function_name: str
    record: Mapping[str, Any]


class InvocationQueue:
    """The accepted-but-unfinished invocations and the dead letters (``path`` None: memory)."""

    def __init__(self, path: Path | None = None) -> None:
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def accept(self, function_name: str, request_id: str, event: Any) -> int:
        """Keep one invocation until ``finish``; durable when this returns."""
        with Transaction(self._db, self._lock) as db:
            cursor = db.execute(
                "INSERT INTO pending (function_name, request_id, event) VALUES (?, ?, ?)",
                (function_name, request_id, json.dumps(event)),
            )
        return int(cursor.lastrowid or 0)

    def finish(self, invocation_id: int, dead_letter: DeadLetter | None = None) -> None:
        """The invocation succeeded, or ran out of retries (then ``dead_letter`` is kept)."""
        with Transaction(self._db, self._lock) as db:
            db.execute("DELETE FROM pending WHERE id = ?", (invocation_id,))
            if dead_letter is not None:
                db.execute(
                    "INSERT INTO dead_letters (function_name, record) VALUES (?, ?)",
                    (dead_letter.function_name, json.dumps(dead_letter.record)),
                )

    def pending(self) -> list[PendingInvocation]:
        """What was accepted and never finished, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, function_name, request_id, event FROM pending ORDER BY id"
            ).fetchall()
        return [PendingInvocation(row[0], row[1], row[2], json.loads(row[3])) for row in rows]

    def dead_letters(self) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT function_name, record FROM dead_letters ORDER BY id"
            ).fetchall()
        return [DeadLetter(name, json.loads(record)) for name, record in rows]
