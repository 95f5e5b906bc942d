"""Start-up with stored data: the local stack restarting on a data folder it filled itself."""

from __future__ import annotations

import contextlib
import json
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.local_client import LOG_TAIL_CHARS, checked, create_file, put_presigned, store_files
from bench.processes import run_checked
from bench.session import Session
from local_stack.datastore import DataDir
from local_stack.testing.launcher import (
    RunningStack,
    spawn_local_stack,
    stack_environment,
    start_local_stack,
)
from web_publisher.build import PACKAGE_DIR
from web_publisher.publish import site_files

CONTENT_TYPE = "application/octet-stream"
BATCH = 100  # ids per PUT /files and POST /files (the API's limit)
CHECKED_FILES = 100  # files described after each start with stored data (a random sample)
EVENT_WAIT_SECONDS = 600.0  # for the last ObjectCreated event of the fill
EVENT_END = "[ObjectCreatedFunction] END RequestId:"
PROBE = Path(__file__).resolve().with_name("restore_probe.py")

# The banner's data line (local_stack.__main__): "  data       <folder> (N objects kept, M events
# resumed)".
_DATA_LINE = re.compile(
    r"^\s*data\s+(?P<folder>.+) \((?P<objects>\d+) objects? kept, "
    r"(?P<events>\d+) events? resumed\)$"
)


@dataclass(frozen=True)
class BannerCounts:
    """What a start found in its data folder, as its banner says."""

    folder: str
    restored_objects: int
    resumed_events: int


@dataclass(frozen=True)
class Start:
    """One start: seconds from the process start to the banner and to the first 200."""

    ready_s: float
    banner_s: float
    counts: BannerCounts


@dataclass(frozen=True)
class RestoreParts:
    """Seconds each journal takes to load back alone, in one process (bench/restore_probe.py)."""

    s3_s: float
    dynamodb_s: float
    queue_s: float


@dataclass(frozen=True)
class StoredStartup:
    """Starts on an empty data folder and on one holding ``files`` files, one after the other."""

    files: int
    file_bytes: int
    folder_bytes: int  # everything under the data folder after the fill
    fill_s: float  # POST /file and PUT of every file, its event, PUT /files: until all stored
    fill_clients: int
    journaled_items: int  # DynamoDB items in the folder's journal after the fill
    empty: list[Start]
    stored: list[Start]
    checked_files: int  # files described (stored, right size) after every start with the data
    restore: RestoreParts


def banner_counts(lines: Sequence[str]) -> BannerCounts:
    """The data line of a stack's banner; raises when the stack logged none."""
    for line in lines:
        match = _DATA_LINE.match(line)
        if match is not None:
            return BannerCounts(match["folder"], int(match["objects"]), int(match["events"]))
    raise RuntimeError("the stack logged no `data` line with the counts of what it kept")


def folder_bytes(folder: Path) -> int:
    """The size of every file under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def journaled_items(folder: Path) -> int:
    """The DynamoDB items a stopped stack's journal holds (read-only)."""
    data = DataDir(folder)  # also proves the stack that filled it has let go of it
    try:
        uri = f"file:{data.dynamodb_journal}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as journal:
            return int(journal.execute("SELECT count(*) FROM items").fetchone()[0])
    finally:
        data.close()


def page_objects() -> int:
    """The objects the WebPage publisher keeps in the web bucket: the built site and config.js.

    They are journaled with the uploads, so a folder holding ``files`` files keeps this many more.
    """
    return len(site_files(PACKAGE_DIR / "site")) + 1


def restore_parts(folder: Path, files: int) -> RestoreParts:
    """Load the stopped stack's folder back part by part in a fresh process, timing each."""
    done = run_checked(
        [sys.executable, str(PROBE), str(folder)], stack_environment({}), "the restore probe"
    )
    parts = json.loads(done.stdout.strip().splitlines()[-1])
    if parts["objects"] != files + page_objects() or parts["events"] != 0:
        raise RuntimeError(f"the restore probe found {parts} in a folder of {files} files")
    return RestoreParts(parts["s3_s"], parts["dynamodb_s"], parts["queue_s"])


def _data_env(folder: Path) -> dict[str, str]:
    return {"FILESTORE_DATA_DIR": str(folder)}


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    for first in range(0, len(ids), BATCH):
        yield list(ids[first : first + BATCH])


def _upload_all(stack: RunningStack, files: int, content: bytes, clients: int) -> list[str]:
    """``files`` uploads (POST /file, then the PUT) from ``clients`` threads; their ids."""
    local = threading.local()
    sessions: list[requests.Session] = []  # one keep-alive session per client thread

    def upload(number: int) -> str:
        if not hasattr(local, "http"):
            local.http = requests.Session()
            sessions.append(local.http)
        answer = create_file(local.http, stack, f"stored-{number}.bin", len(content), CONTENT_TYPE)
        put_presigned(answer["url"], content, answer["headers"])
        return str(answer["id"])

    try:
        with ThreadPoolExecutor(clients, thread_name_prefix="fill") as pool:
            return list(pool.map(upload, range(files)))
    finally:
        for http in sessions:
            http.close()


def _wait_for_events(stack: RunningStack, files: int) -> None:
    """Until ObjectCreatedFunction has finished ``files`` events (so none is left queued)."""
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    while sum(EVENT_END in line for line in stack.log_lines()) < files:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"not all {files} ObjectCreated events ended within {EVENT_WAIT_SECONDS:.0f} s:\n"
                f"{stack.log_text()[-LOG_TAIL_CHARS:]}"
            )
        time.sleep(0.2)


def fill(folder: Path, files: int, file_bytes: int, clients: int) -> tuple[list[str], float]:
    """A stack on ``folder`` uploads and stores ``files`` files, then stops; ids and seconds."""
    content = random.randbytes(file_bytes)
    with start_local_stack(env=_data_env(folder)) as stack:
        started = time.perf_counter()
        ids = _upload_all(stack, files, content, clients)
        _wait_for_events(stack, files)
        with requests.Session() as http:
            for batch in _batches(ids):
                store_files(http, stack, batch)
        seconds = time.perf_counter() - started
    if stack.exit_code != 0:
        raise RuntimeError(f"the filling stack exited with {stack.exit_code}:\n{stack.log_text()}")
    return ids, seconds


def _check_stored(stack: RunningStack, ids: Sequence[str], file_bytes: int) -> None:
    """The files are described as stored, with their size, by the restarted stack."""
    with requests.Session() as http:
        for batch in _batches(ids):
            answer = http.post(
                f"{stack.api_url}/files",
                json=batch,
                headers={"x-api-key": stack.api_key},
                timeout=30,
            )
            described = {item["id"]: item for item in checked(answer, stack).json()}
            wrong = [
                file_id
                for file_id in batch
                if described.get(file_id, {}).get("status") != "stored"
                or described[file_id].get("size") != file_bytes
            ]
            if wrong:
                raise RuntimeError(f"{len(wrong)} files not kept as stored, e.g. {wrong[:3]}")


def timed_start(folder: Path, check: Sequence[str] = (), file_bytes: int = 0) -> Start:
    """Start a stack on ``folder``, time it until GET /config answers, check ``check``, stop."""
    stack = spawn_local_stack(env=_data_env(folder))
    try:
        ready_at = stack.wait_until_ready()
        banner_at = stack.wait_for_banner()  # it may come after the API's first answer
        start = Start(
            ready_at - stack.started_at,
            banner_at - stack.started_at,
            banner_counts(stack.log_lines()),
        )
        _check_stored(stack, check, file_bytes)
    finally:
        stack.stop()
    return start


def measure(session: Session) -> StoredStartup:
    """Fill a folder through the stack, then time starts on an empty folder and on that one,
    taking turns."""
    config = session.config
    files, file_bytes = config.stored_files, config.stored_file_bytes
    with tempfile.TemporaryDirectory(prefix="filestore-bench-data-") as root:
        stored_folder = Path(root) / "stored"
        ids, fill_s = fill(stored_folder, files, file_bytes, config.stored_fill_clients)
        size = folder_bytes(stored_folder)
        items = journaled_items(stored_folder)
        sample = random.sample(ids, min(CHECKED_FILES, len(ids)))
        empty, stored = [], []
        for run in range(config.stored_startup_runs):
            # Alternately first, so neither kind always follows the same other start.
            for kind in ("empty", "stored") if run % 2 == 0 else ("stored", "empty"):
                if kind == "empty":
                    empty.append(timed_start(Path(root) / f"empty-{run}"))
                else:
                    stored.append(timed_start(stored_folder, sample, file_bytes))
        restore = restore_parts(stored_folder, files)
    kept = {start.counts.restored_objects - page_objects() for start in stored}
    if kept != {files}:
        raise RuntimeError(f"the starts kept {sorted(kept)} objects of the {files} files stored")
    return StoredStartup(
        files=files,
        file_bytes=file_bytes,
        folder_bytes=size,
        fill_s=fill_s,
        fill_clients=config.stored_fill_clients,
        journaled_items=items,
        empty=empty,
        stored=stored,
        checked_files=len(sample),
        restore=restore,
    )
