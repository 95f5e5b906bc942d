"""Cold burst: concurrent full flows on a stack that has just started, every call timed."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import requests

from bench.local_client import checked, create_file, put_presigned, store_files
from bench.session import Session
from local_stack.testing.launcher import RunningStack, start_local_stack

STEPS = (
    "POST /file",
    "PUT (presigned)",
    "PUT /files",
    "POST /files",
    "GET (download)",
    "DELETE /files",
)
CONTENT_TYPE = "application/octet-stream"
PAYLOAD = b"filestore cold burst\n" * 50


@dataclass(frozen=True)
class ColdBurst:
    """Seconds of every call of ``clients`` concurrent flows on a stack fresh from start-up."""

    clients: int
    seconds: dict[str, list[float]]  # by STEPS
    wall_s: float  # from the first call to the last answer


def _flow(
    stack: RunningStack, number: int, times: dict[str, list[float]], lock: threading.Lock
) -> None:
    """One browser's upload and a backend's store, describe, download and delete of it."""
    own: dict[str, float] = {}
    with requests.Session() as http:
        started = time.perf_counter()
        answer = create_file(http, stack, f"burst-{number}.bin", len(PAYLOAD), CONTENT_TYPE)
        own["POST /file"] = time.perf_counter() - started
        own["PUT (presigned)"] = put_presigned(answer["url"], PAYLOAD, answer["headers"]).seconds
        started = time.perf_counter()
        store_files(http, stack, [answer["id"]])
        own["PUT /files"] = time.perf_counter() - started
        key = {"x-api-key": stack.api_key}
        started = time.perf_counter()
        described = checked(
            http.post(f"{stack.api_url}/files", json=[answer["id"]], headers=key, timeout=60),
            stack,
        ).json()
        own["POST /files"] = time.perf_counter() - started
        started = time.perf_counter()
        download = checked(requests.get(described[0]["url"], timeout=60), stack)
        own["GET (download)"] = time.perf_counter() - started
        if download.content != PAYLOAD:
            raise RuntimeError(f"file {answer['id']} came back changed")
        started = time.perf_counter()
        checked(
            http.delete(f"{stack.api_url}/files", json=[answer["id"]], headers=key, timeout=60),
            stack,
        )
        own["DELETE /files"] = time.perf_counter() - started
    with lock:
        for step, seconds in own.items():
            times[step].append(seconds)


def measure(session: Session) -> ColdBurst:
    """Start a stack, then at once ``burst_clients`` threads each run one full flow."""
    clients = session.config.burst_clients
    times: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            _flow(stack, number, times, lock)
        except BaseException as err:  # reported after the burst
            errors.append(err)

    with start_local_stack() as stack:
        threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} of {clients} flows failed: {errors[0]}") from errors[0]
    return ColdBurst(clients, {step: times[step] for step in STEPS}, wall)
