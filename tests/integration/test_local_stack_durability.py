"""A local stack keeping its data on disk loses nothing it acknowledged, even to kill -9."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from local_stack.testing.launcher import (
    LocalStackError,
    RunningStack,
    child_pids,
    start_local_stack,
    worker_pids,
)

pytestmark = pytest.mark.local_only

TIMEOUT = 30  # seconds for one HTTP request
EVENT_WAIT_SECONDS = 30.0  # far beyond an event's delay: only a lost event runs out of it
RESTART_WAIT_SECONDS = 30.0
RACE_ROUNDS = 30
# How much later than the revert the store is sent, round after round (about half win each).
STORE_DELAYS_S = (0.0, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01)
DOWN_BODY = {
    "message": "the local stack is not ready: DynamoDB is down",
    "code": "ServiceUnavailable",
}
# Where the stack keeps Lambda's queue of accepted events (local_stack.datastore.DataDir).
INVOCATION_QUEUE = "lambda-invocations.sqlite3"
OBJECT_CREATED_START = "[ObjectCreatedFunction] START RequestId:"


def _durable(folder: Path) -> dict[str, str]:
    return {"FILESTORE_DATA_DIR": str(folder)}


def _start(
    stacks: list[RunningStack], folder: Path | None, api_key: str | None = None
) -> RunningStack:
    stack = start_local_stack(api_key=api_key, env=_durable(folder) if folder else None)
    stacks.append(stack)
    return stack


def _kill(stack: RunningStack) -> None:
    """kill -9 the stack process alone (its DynamoDB child and workers are left to notice)."""
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait(timeout=TIMEOUT)


def _admin(stack: RunningStack) -> dict[str, str]:
    return {"x-api-key": stack.api_key}


def _create(stack: RunningStack, name: str, size: int) -> dict[str, Any]:
    answer = requests.post(
        f"{stack.api_url}/file", json={"name": name, "size": size}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _upload(stack: RunningStack, name: str, content: bytes) -> dict[str, Any]:
    """POST /file, then the PUT to its URL with exactly its headers; the POST's answer."""
    created = _create(stack, name, len(content))
    put = requests.put(created["url"], data=content, headers=created["headers"], timeout=TIMEOUT)
    assert put.status_code == 200, put.text
    return created


def _describe(stack: RunningStack, file_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Every record of ``file_ids``, whatever its status, by id."""
    answer = requests.post(
        f"{stack.api_url}/files",
        params={"nonstored": "yes", "deleted": "yes"},
        json=file_ids,
        headers=_admin(stack),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return {record["id"]: record for record in answer.json()}


def _wait_for_status(stack: RunningStack, file_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    while True:
        record = _describe(stack, [file_id]).get(file_id)
        if record is not None and record["status"] == status:
            return record
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{file_id} is {record and record['status']}, not {status}, after "
                f"{EVENT_WAIT_SECONDS} s. Log:\n{stack.log_text()[-4000:]}"
            )
        time.sleep(0.05)


def _store(stack: RunningStack, file_ids: list[str]) -> requests.Response:
    return requests.put(
        f"{stack.api_url}/files", json=file_ids, headers=_admin(stack), timeout=TIMEOUT
    )


def _without_url(record: dict[str, Any]) -> dict[str, Any]:
    """A record as kept: the presigned download URL is signed anew for each answer."""
    return {name: value for name, value in record.items() if name != "url"}


def _pending_events(folder: Path) -> list[dict[str, Any]]:
    """The events Lambda's queue holds as accepted and unfinished (read-only, from the disk)."""
    uri = f"file:{folder / INVOCATION_QUEUE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        rows = db.execute("SELECT event FROM pending ORDER BY id").fetchall()
    return [json.loads(event) for (event,) in rows]


def _event_keys(events: list[dict[str, Any]]) -> list[str]:
    return [
        record["s3"]["object"]["key"] for event in events for record in event.get("Records", [])
    ]


def _wait_until(
    condition: Callable[[], bool], what: str, timeout: float = EVENT_WAIT_SECONDS
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} within {timeout} s"
        time.sleep(0.05)


def _children(stack: RunningStack) -> dict[int, bytes]:
    """The stack's child processes now, with their command lines."""
    found = {}
    for pid in child_pids(stack.process.pid):
        try:
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # ended while we looked
    return found


def _worker_of(stack: RunningStack, handler: str) -> int:
    """The pid of the (one) function worker running ``handler`` (e.g. handlers.x.handler)."""
    found = sorted(worker_pids(stack.process.pid, handler))
    assert len(found) == 1, f"expected one {handler} worker, found {found}"
    return found[0]


def _dynamodb_child(stack: RunningStack) -> int:
    """The stack's DynamoDB process: its one child that is not a function worker."""
    found = [
        pid
        for pid, command in _children(stack).items()
        if b"worker.py" not in command and b"resource_tracker" not in command
    ]
    assert len(found) == 1, f"expected one DynamoDB child, found {found}"
    return found[0]


def _reaped(pid: int) -> bool:
    """The process has ended and its parent has collected it (a zombie is not dead enough: its
    threads may still be exiting, and until then its parent still sees it running)."""
    return not Path(f"/proc/{pid}").exists()


def test_a_kill_9_right_after_a_2xx_loses_no_record_and_no_byte(
    stacks: list[RunningStack], tmp_path: Path
) -> None:
    content = secrets.token_bytes(64 * 1024)
    first = _start(stacks, tmp_path)
    kept = _upload(first, "report.pdf", content)["id"]
    _wait_for_status(first, kept, "uploaded")
    waiting = _create(first, "never-uploaded.txt", 10)["id"]
    before = {file_id: _without_url(r) for file_id, r in _describe(first, [kept, waiting]).items()}
    stored = _store(first, [kept])
    assert stored.status_code == 200 and stored.json()["result"] == [kept], stored.text
    _kill(first)

    second = _start(stacks, tmp_path, api_key=first.api_key)

    after = _describe(second, [kept, waiting])
    assert _without_url(after[waiting]) == before[waiting]
    assert after[waiting]["status"] == "pending"
    assert after[kept]["status"] == "stored"
    assert after[kept]["stored_at"] is not None
    unchanged = {"name", "size", "type", "created_at", "uploaded_at", "deleted_at"}
    assert {k: after[kept][k] for k in unchanged} == {k: before[kept][k] for k in unchanged}
    assert after[kept]["name"] == "report.pdf" and after[kept]["size"] == len(content)
    download = requests.get(after[kept]["url"], timeout=TIMEOUT)
    assert download.status_code == 200
    assert download.content == content


def test_an_event_accepted_before_a_kill_9_runs_after_the_restart_and_a_handled_one_does_not(
    stacks: list[RunningStack], tmp_path: Path
) -> None:
    first = _start(stacks, tmp_path)
    handled = _upload(first, "handled.txt", b"handled before the kill")["id"]
    _wait_for_status(first, handled, "uploaded")
    _wait_until(lambda: not _pending_events(tmp_path), "finished in Lambda's queue")
    # The function's worker is frozen, so the next event is surely accepted and not yet done.
    worker = _worker_of(first, "handlers.object_created.handler")
    os.kill(worker, signal.SIGSTOP)
    try:
        unhandled = _upload(first, "in-flight.txt", b"its event is still queued")["id"]
        _kill(first)  # at once after the PUT's 200
    finally:
        os.kill(worker, signal.SIGKILL)
    assert _event_keys(_pending_events(tmp_path)) == [unhandled]

    second = _start(stacks, tmp_path, api_key=first.api_key)

    record = _wait_for_status(second, unhandled, "uploaded")
    assert record["size"] == len(b"its event is still queued")
    assert _describe(second, [handled])[handled]["status"] == "uploaded"
    assert not _pending_events(tmp_path)
    # The queued event ran once more; the one that had finished did not run again.
    starts = [line for line in second.log_lines() if OBJECT_CREATED_START in line]
    assert len(starts) == 1, second.log_text()
    assert not [line for line in second.log_lines() if handled in line], second.log_text()


def _answers_down(answer: requests.Response) -> bool:
    if answer.status_code != 503:
        return False
    assert answer.json() == DOWN_BODY
    assert "Access-Control-Allow-Origin" in answer.headers, dict(answer.headers)
    return True


def _config_answers(stack: RunningStack) -> bool:
    return requests.get(f"{stack.api_url}/config", timeout=TIMEOUT).status_code == 200


def test_a_dead_dynamodb_is_503_at_once_then_restarted_with_its_data(
    stacks: list[RunningStack], tmp_path: Path
) -> None:
    stack = _start(stacks, tmp_path)
    kept = _upload(stack, "kept.txt", b"kept across the restart")["id"]
    _wait_for_status(stack, kept, "uploaded")
    assert _store(stack, [kept]).status_code == 200
    before = _without_url(_describe(stack, [kept])[kept])

    # Twice: the first DynamoDB process (forked at start), then the one started in its place.
    # A restart (~1 s) may beat a probe; then the new process is killed in turn.
    probes: list[tuple[int, int]] = []
    for _kill_number in range(5):
        pid = _dynamodb_child(stack)
        os.kill(pid, signal.SIGKILL)
        _wait_until(functools.partial(_reaped, pid), "gone", timeout=10)
        config = requests.get(f"{stack.api_url}/config", timeout=TIMEOUT)
        create = requests.post(
            f"{stack.api_url}/file", json={"name": "a.txt", "size": 1}, timeout=TIMEOUT
        )
        probes.append((config.status_code, create.status_code))
        _wait_until(
            functools.partial(_config_answers, stack),
            "answering GET /config again",
            timeout=RESTART_WAIT_SECONDS,
        )
        assert _without_url(_describe(stack, [kept])[kept]) == before
        assert _create(stack, "after.txt", 5)["id"]
        if _answers_down(config) and _answers_down(create) and probes.count((503, 503)) == 2:
            break
    else:
        pytest.fail(f"did not see both routes answer 503 after two kills: {probes}")
    assert len(stack.wait_for_log("DynamoDB is up again", count=len(probes))) == len(probes)


def test_a_second_stack_on_the_same_data_folder_refuses_to_start(
    stacks: list[RunningStack], tmp_path: Path
) -> None:
    first = _start(stacks, tmp_path)

    with pytest.raises(LocalStackError) as refused:
        _start(stacks, tmp_path)

    assert "another local stack keeps its data in" in str(refused.value)
    assert str(tmp_path.resolve()) in str(refused.value)
    assert requests.get(f"{first.api_url}/config", timeout=TIMEOUT).status_code == 200
    assert first.stop() == 0
    _start(stacks, tmp_path)  # the folder is free again once its stack has stopped


def _race(
    stack: RunningStack, file_id: str, token: str, store_later_s: float
) -> tuple[requests.Response, requests.Response]:
    """DELETE /file/{id} (revert) and, ``store_later_s`` after it, PUT /files (store)."""
    barrier = threading.Barrier(2)
    answers: dict[str, requests.Response] = {}

    def store() -> None:
        barrier.wait(timeout=TIMEOUT)
        time.sleep(store_later_s)
        answers["store"] = _store(stack, [file_id])

    def revert() -> None:
        barrier.wait(timeout=TIMEOUT)
        answers["revert"] = requests.delete(
            f"{stack.api_url}/file/{file_id}", headers={"X-Revert-Token": token}, timeout=TIMEOUT
        )

    threads = [threading.Thread(target=store), threading.Thread(target=revert)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
    return answers["store"], answers["revert"]


def test_a_store_racing_a_revert_has_exactly_one_winner_and_the_record_agrees(
    stacks: list[RunningStack],
) -> None:
    stack = _start(stacks, None)  # in memory: atomicity does not depend on the journal
    outcomes = []
    for round_number in range(RACE_ROUNDS):
        created = _upload(stack, f"race-{round_number}.txt", b"contested")
        file_id = created["id"]
        _wait_for_status(stack, file_id, "uploaded")

        # A revert reads the record, then writes it under a condition; a store is one
        # conditional write. Sent together the store nearly always wins, so it is sent up to
        # 10 ms later: then it lands before, between or after the revert's two steps.
        later = STORE_DELAYS_S[round_number % len(STORE_DELAYS_S)]
        store, revert = _race(stack, file_id, created["revert_token"], later)

        assert store.status_code == 200, store.text
        stored = file_id in store.json()["result"]
        if not stored:
            assert store.json()["problems"] == {file_id: "deleted"}, store.text
        assert revert.status_code in (200, 409), revert.text
        reverted = revert.status_code == 200
        final = _describe(stack, [file_id])[file_id]["status"]
        outcomes.append((file_id, stored, reverted, final))

    wrong = [
        outcome
        for outcome in outcomes
        if outcome[1] == outcome[2] or outcome[3] != ("stored" if outcome[1] else "deleted")
    ]
    assert not wrong, f"(id, stored, reverted, final status) of the rounds gone wrong: {wrong}"
