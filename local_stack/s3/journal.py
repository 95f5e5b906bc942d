"""Keeps moto's S3 objects and unfinished multipart uploads on disk, and loads them back.

moto holds S3's state in memory and gives it the semantics the endpoint relies on (versions,
multipart assembly, error codes). After each successful write the endpoint calls ``sync_*``
for what the request touched (under that key's lock): the journal reads moto's current state
of it and makes the disk agree before the answer leaves. Object bytes go to immutable files
under ``blobs/`` (written to a temporary name, fsynced, renamed); everything else about a key
(every version's attributes, as moto pickles them, minus the bytes) to one SQLite row.

Bucket settings are not journaled: the stack creates its buckets and their CORS rules from
template.yaml at every start, before ``restore`` runs.

The rows are pickles because moto's models are Python objects with no other complete
serialization. The data directory is the user's own, written only by this stack: it is
trusted like the code that reads it (docs/LOCAL.md says so).
"""

from __future__ import annotations

import pickle
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from local_stack.datastore import Transaction, open_database, sync_directory, write_file_durably
from local_stack.s3.backend import s3_models as _s3_backend
from local_stack.s3.locks import KeyLocks
from local_stack.s3.request import ReceivedRequest

_CHUNK = 1024 * 1024
_MARKER = ""  # the blob name of a delete marker, which has no bytes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, versions BLOB NOT NULL, PRIMARY KEY (bucket, key)
);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, number INTEGER NOT NULL, state BLOB NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);
"""
# A FakeKey's attributes that are not data: its open buffer and its lock.
_LIVE_ATTRIBUTES = ("_value_buffer", "lock")


class ObjectJournal:
    """The durable copy of moto's S3 objects and multipart uploads under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self._blobs = directory / "blobs"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._db = open_database(directory / "s3.sqlite3", _SCHEMA)
        self._lock = threading.Lock()

    # ---- after a write ------------------------------------------------------------------------

    def sync_key(self, bucket_name: str, key_name: str) -> None:
        """Make the disk hold exactly the versions moto holds of one key (caller holds its lock)."""
        bucket = _s3_backend().buckets.get(bucket_name)
        versions = list(bucket.keys.getlist(key_name, [])) if bucket is not None else []
        row = self._db.execute(
            "SELECT versions FROM objects WHERE bucket = ? AND key = ?", (bucket_name, key_name)
        ).fetchone()
        kept: list[tuple[dict[str, Any], str]] = _loads(row[0]) if row else []
        known = {_signature(state): blob for state, blob in kept}
        entries: list[tuple[dict[str, Any], str]] = []
        for version in versions:
            if not hasattr(version, "_value_buffer"):  # a delete marker: no bytes of its own
                entries.append((_marker_state(version), _MARKER))
                continue
            state = _state_of(version)
            blob = known.get(_signature(state)) or self._write_blob(version)
            entries.append((state, blob))
        with Transaction(self._db, self._lock) as db:
            if entries:
                db.execute(
                    "INSERT OR REPLACE INTO objects VALUES (?, ?, ?)",
                    (bucket_name, key_name, pickle.dumps(entries)),
                )
            else:
                db.execute(
                    "DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket_name, key_name)
                )
        self._drop_blobs({blob for _, blob in kept} - {blob for _, blob in entries} - {_MARKER})

    def sync_uploads(self, bucket_name: str, key_name: str) -> None:
        """Journal new multipart uploads of a key and forget completed or aborted ones."""
        bucket = _s3_backend().buckets.get(bucket_name)
        live = {
            upload_id: upload
            for upload_id, upload in (list(bucket.multiparts.items()) if bucket is not None else [])
            if upload.key_name == key_name
        }
        rows = self._db.execute(
            "SELECT upload_id FROM uploads WHERE bucket = ? AND key = ?", (bucket_name, key_name)
        ).fetchall()
        journaled = {upload_id for (upload_id,) in rows}
        gone = journaled - set(live)
        blobs: list[str] = []
        with Transaction(self._db, self._lock) as db:
            for upload_id in set(live) - journaled:
                state = {k: v for k, v in vars(live[upload_id]).items() if k != "parts"}
                state.update(parts={}, partlist=[])
                db.execute(
                    "INSERT INTO uploads VALUES (?, ?, ?, ?)",
                    (upload_id, bucket_name, key_name, pickle.dumps(state)),
                )
            for upload_id in gone:
                blobs += [
                    blob
                    for (blob,) in db.execute(
                        "SELECT blob FROM parts WHERE upload_id = ?", (upload_id,)
                    )
                ]
                db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
                db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
        self._drop_blobs(set(blobs))

    def sync_part(self, bucket_name: str, upload_id: str, number: int) -> None:
        """Journal one uploaded part (caller holds the part's lock)."""
        bucket = _s3_backend().buckets.get(bucket_name)
        upload = bucket.multiparts.get(upload_id) if bucket is not None else None
        part = upload.parts.get(number) if upload is not None else None
        if part is None:
            return
        blob = self._write_blob(part)
        old = self._db.execute(
            "SELECT blob FROM parts WHERE upload_id = ? AND number = ?", (upload_id, number)
        ).fetchone()
        with Transaction(self._db, self._lock) as db:
            db.execute(
                "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?)",
                (upload_id, number, pickle.dumps(_state_of(part)), blob),
            )
        if old:
            self._drop_blobs({old[0]})

    # ---- at start -----------------------------------------------------------------------------

    def restore(self) -> int:
        """Load every journaled object and upload into moto (its buckets exist); count objects."""
        from moto.s3.models import FakeDeleteMarker, FakeKey, FakeMultipart

        backend = _s3_backend()
        referenced: set[str] = set()
        count = 0
        for bucket_name, key_name, raw in self._db.execute("SELECT * FROM objects"):
            entries = _loads(raw)
            referenced |= {blob for _, blob in entries}
            bucket = backend.buckets.get(bucket_name)
            if bucket is None:
                continue  # a bucket the template no longer declares: its objects stay on disk
            keys: list[Any] = []
            for state, blob in entries:
                if blob == _MARKER:
                    keys.append(_revive_marker(FakeDeleteMarker, state, keys))
                else:
                    keys.append(self._revive(FakeKey, state, blob))
            bucket.keys.setlist(key_name, keys)
            count += 1
        for upload_id, bucket_name, _key, raw in self._db.execute("SELECT * FROM uploads"):
            bucket = backend.buckets.get(bucket_name)
            if bucket is None:  # kept on disk, like the objects of a bucket no longer declared
                rows = self._db.execute("SELECT blob FROM parts WHERE upload_id = ?", (upload_id,))
                referenced |= {blob for (blob,) in rows}
                continue
            upload: Any = FakeMultipart.__new__(FakeMultipart)
            vars(upload).update(_loads(raw))
            parts = self._db.execute(
                "SELECT number, state, blob FROM parts WHERE upload_id = ? ORDER BY number",
                (upload_id,),
            )
            for number, state, blob in parts:
                referenced.add(blob)
                upload.parts[number] = self._revive(FakeKey, _loads(state), blob)
                upload.partlist.append(number)
            bucket.multiparts[upload_id] = upload
        self._drop_blobs({path.name for path in self._blobs.iterdir()} - referenced)
        return count

    def _revive(self, kind: type[Any], state: dict[str, Any], blob: str) -> Any:
        fake = object.__new__(kind)
        vars(fake).update(state)
        buffer = tempfile.SpooledTemporaryFile(max_size=state["_max_buffer_size"])  # noqa: SIM115 - moto's key owns it
        with (self._blobs / blob).open("rb") as file:
            while chunk := file.read(_CHUNK):
                buffer.write(chunk)
        fake._value_buffer = buffer
        fake.lock = threading.Lock()
        return fake

    # ---- blobs --------------------------------------------------------------------------------

    def _write_blob(self, fake_key: Any) -> str:
        name = uuid.uuid4().hex
        write_file_durably(self._blobs / name, _chunks(fake_key))
        return name

    def _drop_blobs(self, names: Iterable[str]) -> None:
        dropped = False
        for name in names:
            (self._blobs / name).unlink(missing_ok=True)
            dropped = True
        if dropped:
            sync_directory(self._blobs)


def _chunks(fake_key: Any) -> Iterator[bytes]:
    with fake_key.lock:
        buffer = fake_key._value_buffer
        buffer.seek(0)
        while chunk := buffer.read(_CHUNK):
            yield chunk


def _state_of(fake_key: Any) -> dict[str, Any]:
    _ = fake_key.etag  # moto computes a key's ETag lazily: settle it before it is kept
    state = {k: v for k, v in vars(fake_key).items() if k not in _LIVE_ATTRIBUTES}
    if state.get("multipart") is not None:
        state["multipart"] = _skeleton(state["multipart"])
    return state


def _marker_state(marker: Any) -> dict[str, Any]:
    """A delete marker's attributes; the key it hides is kept by its version id."""
    state = {k: v for k, v in vars(marker).items() if k != "key"}
    state["key_version_id"] = getattr(marker.key, "_version_id", None)
    return state


def _revive_marker(kind: type[Any], state: dict[str, Any], earlier: list[Any]) -> Any:
    marker = object.__new__(kind)
    hidden = state.pop("key_version_id", None)
    vars(marker).update(state)
    # The key it hides: that version if it is still kept, else the newest version before it.
    candidates = [key for key in earlier if hasattr(key, "_value_buffer")]
    marker.key = next(
        (key for key in candidates if key._version_id == hidden),
        candidates[-1] if candidates else None,
    )
    return marker


def _skeleton(upload: Any) -> Any:
    """A completed object's upload without its parts' bytes: what HeadObject's parts count reads.

    moto keeps every part of a completed upload beside the assembled object; the journal keeps
    only the part numbers, so ``GetObject?partNumber=N`` of an object completed before a
    restart is not served (docs/LOCAL.md).
    """
    skeleton = object.__new__(type(upload))
    vars(skeleton).update({k: v for k, v in vars(upload).items() if k != "parts"})
    skeleton.parts = {}
    return skeleton


def _signature(state: dict[str, Any]) -> tuple[Any, ...]:
    return (
        state.get("_version_id"),
        state.get("_etag"),
        state.get("contentsize"),
        str(state.get("last_modified")),
    )


def _loads(raw: bytes) -> Any:
    return pickle.loads(raw)  # noqa: S301 - written by this stack into the user's own data dir


def lock_name(request: ReceivedRequest) -> tuple[str, str]:
    """The lock a write holds while moto applies it and the journal keeps it.

    Writes to one key take turns; the parts of one upload do not wait for each other.
    """
    upload_id, number = request.query_value("uploadId"), request.query_value("partNumber")
    if request.method == "PUT" and upload_id is not None and number is not None:
        return request.bucket, f"{request.key}\0{upload_id}\0{number}"
    return request.bucket, request.key


def record_write(
    journal: ObjectJournal, request: ReceivedRequest, body: bytes, locks: KeyLocks
) -> None:
    """Journal what one write touched (the caller holds ``lock_name(request)`` if keyed)."""
    upload_id, number = request.query_value("uploadId"), request.query_value("partNumber")
    if request.key and request.method == "PUT" and upload_id and number and number.isdigit():
        journal.sync_part(request.bucket, upload_id, int(number))
    elif request.key:
        journal.sync_key(request.bucket, request.key)
        journal.sync_uploads(request.bucket, request.key)
    elif request.method == "POST" and request.has_query("delete"):
        for key in _deleted_keys(body):
            with locks.hold(request.bucket, key):
                journal.sync_key(request.bucket, key)


def _deleted_keys(body: bytes) -> list[str]:
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - moto already parsed and accepted it
    except ElementTree.ParseError:
        return []
    return [
        element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Key"
    ]
