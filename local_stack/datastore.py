"""Where the local stack keeps its state: SQLite databases and files under the data directory.

One engine for every durable part: SQLite (the standard library's), in WAL mode with
``synchronous=FULL``, so a committed transaction survives a ``kill -9`` or a power cut, and
object bytes in files written to a temporary name, fsynced and renamed into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

FORMAT_VERSION = 1  # bump when a database's tables change; an older folder is refused


class DataDirError(RuntimeError):
    """The data directory cannot be used (unwritable, or written by another format version)."""


def open_database(path: Path | None, schema: str) -> sqlite3.Connection:
    """A connection to ``path`` (created with ``schema`` if new), durable on every commit.

    ``None`` opens a private in-memory database with the same schema and the same code path.
    The connection is shared by a process's threads; callers serialize their transactions.
    """
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(
            ":memory:" if path is None else path, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, FORMAT_VERSION):
            raise DataDirError(
                f"{path} was written by format {version}, this stack reads {FORMAT_VERSION}: "
                "run `make clean-data` to start afresh"
            )
        connection.executescript(schema)
        connection.execute(f"PRAGMA user_version={FORMAT_VERSION}")
    except sqlite3.Error as err:
        raise DataDirError(f"cannot use {path}: {err}") from err
    return connection


class Transaction:
    """``with Transaction(connection, lock):`` one serialized, durable SQLite transaction."""

    def __init__(self, connection: sqlite3.Connection, lock: threading.Lock) -> None:
        self._connection = connection
        self._lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._connection

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if error is None:
                try:
                    self._connection.execute("COMMIT")
                except sqlite3.Error:
                    # A failed COMMIT (disk full, I/O error) leaves the transaction open; end it
                    # so the next writer can begin, and let the caller see the failure.
                    with contextlib.suppress(sqlite3.Error):
                        self._connection.execute("ROLLBACK")
                    raise
            else:
                self._connection.execute("ROLLBACK")
        finally:
            self._lock.release()


def write_file_durably(path: Path, chunks: bytes | Iterable[bytes]) -> None:
    """Write ``path`` so that it is either absent, the old content, or all of the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with temporary.open("wb") as file:
        for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
            file.write(chunk)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """fsync a directory, so a rename or unlink inside it is durable too."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class DataDir:
    """The stack's folder of state (``FILESTORE_DATA_DIR``), held by one stack at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._lock_file = (root / "lock").open("a+")
        except OSError as err:
            raise DataDirError(f"cannot use FILESTORE_DATA_DIR {root}: {err}") from err
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            self._lock_file.close()
            raise DataDirError(
                f"another local stack keeps its data in {root}: stop it, or set "
                "FILESTORE_DATA_DIR to another folder (empty: keep everything in memory)"
            ) from err

    @property
    def dynamodb_journal(self) -> Path:
        return self.root / "dynamodb.sqlite3"

    @property
    def s3_directory(self) -> Path:
        return self.root / "s3"

    @property
    def invocation_queue(self) -> Path:
        return self.root / "lambda-invocations.sqlite3"

    def close(self) -> None:
        """Let another stack use the folder (the lock also ends with this process)."""
        self._lock_file.close()
