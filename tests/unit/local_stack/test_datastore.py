"""The data directory: a failed commit neither keeps its changes nor blocks; one stack a folder."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from local_stack.datastore import DataDir, DataDirError, Transaction, open_database

# A deferred foreign key is checked at COMMIT: the one portable way to make a COMMIT fail.
SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
);
"""


def test_a_failed_commit_is_rolled_back_and_the_next_transaction_goes_through(
    tmp_path: Path,
) -> None:
    connection = open_database(tmp_path / "db.sqlite3", SCHEMA)
    lock = threading.Lock()

    with pytest.raises(sqlite3.IntegrityError), Transaction(connection, lock) as db:
        db.execute("INSERT INTO child VALUES (1, 42)")  # no parent 42: refused at COMMIT

    assert not lock.locked()
    with Transaction(connection, lock) as db:
        db.execute("INSERT INTO parent VALUES (1)")
    rows = connection.execute("SELECT * FROM parent UNION ALL SELECT id FROM child").fetchall()
    assert rows == [(1,)]


def test_a_data_directory_is_held_by_one_stack_at_a_time(tmp_path: Path) -> None:
    first = DataDir(tmp_path)

    with pytest.raises(DataDirError, match="another local stack"):
        DataDir(tmp_path)
    first.close()
    DataDir(tmp_path).close()
