"""moto's DynamoDB made atomic and durable: one request at a time, every write journaled.

AWS applies each write atomically, condition included. moto does not under concurrency: two
UpdateItems guarded by mutually exclusive conditions could both apply, and concurrent requests
could iterate a dict another request was changing. So this app runs one request at a time.

With a journal (``FILESTORE_DATA_DIR``), after each successful write the items it touched are
read back from moto and written to SQLite before the answer leaves: an acknowledged write is on
disk. At start the journal's tables and items are loaded back into a fresh moto.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_stack.datastore import Transaction, open_database

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
else:
    StartResponse = WSGIApplication = WSGIEnvironment = Any

READS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "ListTables", "DescribeLimits"}
)
WRITES = frozenset(
    {"CreateTable", "DeleteTable", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
     "TransactWriteItems"}
)  # fmt: skip
logger = logging.getLogger("local_stack.dynamodb")
_TARGET_PREFIX = "DynamoDB_20120810."
_RESTORE_BATCH = 25  # BatchWriteItem's limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (name TEXT PRIMARY KEY, definition TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    table_name TEXT NOT NULL, item_key TEXT NOT NULL, item TEXT NOT NULL,
    PRIMARY KEY (table_name, item_key)
);
"""

Answer = tuple[str, list[tuple[str, str]], bytes]


class DurableDynamoDB:
    """A WSGI app in front of moto's DynamoDB app: serialized, journaled when given a path."""

    def __init__(self, moto_app: WSGIApplication, journal_path: Path | None) -> None:
        self._app = moto_app
        self._lock = threading.Lock()
        self._journal_lock = threading.Lock()
        self._journal: sqlite3.Connection | None = None
        self._key_names: dict[str, list[str]] = {}
        if journal_path is not None:
            self._journal = open_database(journal_path, _SCHEMA)
            self._restore()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).removeprefix(_TARGET_PREFIX)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        if operation not in READS and operation not in WRITES:
            status, headers, payload = _unsupported(operation)
        else:
            with self._lock:
                status, headers, payload = self._call(environ, operation, body)
                if status.startswith("2") and operation in WRITES:
                    try:
                        self._record(operation, json.loads(body or b"{}"))
                    except Exception:
                        # moto applied a write the journal does not have. End this process
                        # before answering: the supervisor starts a fresh one from the journal,
                        # and the client (botocore retries) sends the write again.
                        logger.critical("the DynamoDB journal failed", exc_info=True)
                        os._exit(1)
        start_response(status, headers)
        return [payload]

    # ---- moto, in process ---------------------------------------------------------------------

    def _call(self, environ: WSGIEnvironment, operation: str, body: bytes) -> Answer:
        request = dict(environ)
        request["wsgi.input"] = io.BytesIO(body)
        request["CONTENT_LENGTH"] = str(len(body))
        request["HTTP_X_AMZ_TARGET"] = _TARGET_PREFIX + operation
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        chunks = self._app(request, capture)
        try:
            payload = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return answer["status"], list(answer["headers"]), payload

    def _internal(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "0",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        status, _, payload = self._call(environ, operation, json.dumps(request).encode())
        answer: dict[str, Any] = json.loads(payload or b"{}")
        if not status.startswith("2"):
            raise RuntimeError(f"internal {operation} failed: {status} {answer}")
        return answer

    # ---- the journal --------------------------------------------------------------------------

    def _record(self, operation: str, request: Mapping[str, Any]) -> None:
        if self._journal is None:
            return
        if operation == "CreateTable":
            self._key_names[request["TableName"]] = [
                k["AttributeName"] for k in request["KeySchema"]
            ]
            with Transaction(self._journal, self._journal_lock) as db:
                db.execute(
                    "INSERT OR REPLACE INTO tables VALUES (?, ?)",
                    (request["TableName"], json.dumps(request, sort_keys=True)),
                )
            return
        if operation == "DeleteTable":
            with Transaction(self._journal, self._journal_lock) as db:
                db.execute("DELETE FROM tables WHERE name = ?", (request["TableName"],))
                db.execute("DELETE FROM items WHERE table_name = ?", (request["TableName"],))
            self._key_names.pop(request["TableName"], None)
            return
        touched = [
            (table, self._key_of(table, item)) for table, item in _touched(operation, request)
        ]
        current = [(table, key, self._current(table, key)) for table, key in touched]
        with Transaction(self._journal, self._journal_lock) as db:
            for table, key, item in current:
                item_key = json.dumps(key, sort_keys=True)
                if item is None:
                    db.execute(
                        "DELETE FROM items WHERE table_name = ? AND item_key = ?", (table, item_key)
                    )
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO items VALUES (?, ?, ?)",
                        (table, item_key, json.dumps(item, sort_keys=True)),
                    )

    def _key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        names = self._key_names.get(table)
        if names is None:
            described = self._internal("DescribeTable", {"TableName": table})["Table"]
            names = [key["AttributeName"] for key in described["KeySchema"]]
            self._key_names[table] = names
        return {name: item[name] for name in names}

    def _current(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        answer = self._internal("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def _restore(self) -> None:
        assert self._journal is not None
        tables = self._journal.execute("SELECT name, definition FROM tables").fetchall()
        for name, definition in tables:
            created = json.loads(definition)
            self._internal("CreateTable", created)
            self._key_names[name] = [key["AttributeName"] for key in created["KeySchema"]]
            rows = self._journal.execute("SELECT item FROM items WHERE table_name = ?", (name,))
            for batch in _batches((json.loads(item) for (item,) in rows), _RESTORE_BATCH):
                requests = [{"PutRequest": {"Item": item}} for item in batch]
                self._internal("BatchWriteItem", {"RequestItems": {name: requests}})


def _touched(operation: str, request: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, item or key) for every item a successful write may have changed."""
    if operation == "PutItem":
        yield request["TableName"], request["Item"]
    elif operation in ("UpdateItem", "DeleteItem"):
        yield request["TableName"], request["Key"]
    elif operation == "BatchWriteItem":
        for table, writes in request["RequestItems"].items():
            for write in writes:
                if "PutRequest" in write:
                    yield table, write["PutRequest"]["Item"]
                else:
                    yield table, write["DeleteRequest"]["Key"]
    elif operation == "TransactWriteItems":
        for entry in request["TransactItems"]:
            for kind in ("Put", "Update", "Delete"):
                if kind in entry:
                    part = entry[kind]
                    yield part["TableName"], part.get("Item") or part["Key"]


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _unsupported(operation: str) -> Answer:
    body = json.dumps(
        {
            "__type": "com.amazon.coral.service#UnknownOperationException",
            "message": f"the local stack does not serve DynamoDB {operation or 'this request'}",
        }
    ).encode()
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))]
    return "400 Bad Request", headers, body
