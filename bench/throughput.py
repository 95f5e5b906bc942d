"""API throughput: POST /file and POST /files (10 ids) from 8 concurrent clients, local API."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.local_api import LocalStack
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median, percentile

TARGET_RPS = 200.0
DESCRIBE_IDS = 10
WARM_UP_SECONDS = 2.0

Call = Callable[[requests.Session], requests.Response]


@dataclass
class LoadResult:
    """What the clients saw during one measured stretch."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


def run_load(call: Call, clients: int, seconds: float) -> LoadResult:
    """``clients`` threads, each with its own keep-alive session, calling until the time is up."""
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        with requests.Session() as http:
            latencies, statuses, failures = [], Counter[int](), Counter[str]()
            start.wait()
            while (now := time.perf_counter()) < deadline[0]:
                try:
                    status = call(http).status_code
                except requests.RequestException as err:
                    failures[type(err).__name__] += 1
                    continue
                latencies.append((time.perf_counter() - now) * 1000)
                statuses[status] += 1
            with lock:
                result.latencies_ms += latencies
                result.statuses.update(statuses)
                result.failures.update(failures)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    result.seconds = time.perf_counter() - started
    return result


def create_body(size: int = 1024) -> dict[str, Any]:
    return {"name": "bench.txt", "size": size, "type": "text/plain"}


def _check(response: requests.Response, stack: LocalStack) -> None:
    if not 200 <= response.status_code < 300:
        raise RuntimeError(
            f"{response.request.method} {response.url.split('?')[0]} answered "
            f"{response.status_code}: {response.text[:300]}\n--- local stack log ---\n"
            f"{stack.log_tail()}"
        )


def upload_and_store(stack: LocalStack, count: int) -> list[str]:
    """Really upload and store ``count`` small files; return their ids."""
    ids = []
    with requests.Session() as http:
        for _ in range(count):
            content = b"hello\n"
            created = http.post(f"{stack.api_url}/file", json=create_body(len(content)), timeout=30)
            _check(created, stack)
            answer = created.json()
            put = http.put(answer["url"], data=content, headers=answer["headers"], timeout=30)
            _check(put, stack)
            ids.append(answer["id"])
        stored = http.put(
            f"{stack.api_url}/files", json=ids, headers={"x-api-key": stack.api_key}, timeout=30
        )
        _check(stored, stack)
        if stored.json().get("problems"):
            raise RuntimeError(f"PUT /files could not store the files: {stored.json()}")
    return ids


def _row(name: str, load: LoadResult) -> str:
    latencies = load.latencies_ms or [0.0]
    others = {status: n for status, n in load.statuses.items() if not 200 <= status < 300}
    return (
        f"| {name} | {load.per_second:.0f} | {load.ok} | {median(latencies):.1f} | "
        f"{percentile(latencies, 99):.1f} | "
        f"{', '.join(f'{s}: {n}' for s, n in sorted(others.items())) or '-'} | "
        f"{', '.join(f'{e}: {n}' for e, n in load.failures.items()) or '-'} |"
    )


def measure(session: Session) -> FigureResult:
    """Requests per second answered 2xx, 8 clients, side by side for both routes."""
    config = session.config
    stack = session.local_stack()
    ids = upload_and_store(stack, DESCRIBE_IDS)

    def create(http: requests.Session) -> requests.Response:
        return http.post(f"{stack.api_url}/file", json=create_body(), timeout=30)

    def describe(http: requests.Session) -> requests.Response:
        headers = {"x-api-key": stack.api_key}
        return http.post(f"{stack.api_url}/files", json=ids, headers=headers, timeout=30)

    clients = config.throughput_clients
    warm_up = min(WARM_UP_SECONDS, config.throughput_seconds)
    run_load(create, clients, warm_up)  # grow the worker pools to their concurrent size
    run_load(describe, clients, warm_up)
    create_load = run_load(create, clients, config.throughput_seconds)
    describe_load = run_load(describe, clients, config.throughput_seconds)
    rps = create_load.per_second
    result = FigureResult(
        title="API throughput",
        target=f"≥ {TARGET_RPS:.0f} req/s for POST /file on {config.cores} cores",
        measured=f"POST /file {rps:.0f} req/s, POST /files (10 ids) "
        f"{describe_load.per_second:.0f} req/s",
        how=(
            f"{clients} client threads in the benchmark process, each with its own keep-alive "
            f"`requests.Session`, calling the local API for {config.throughput_seconds:g} s per "
            f"route after a {warm_up:g} s warm-up (so every function's worker pool has grown); "
            "req/s counts 2xx answers. `POST /files` describes 10 stored files (real uploads) "
            "with the API key, so it signs 10 download URLs. The clients share the 2 cores with "
            "the local stack."
        ),
    )
    result.details = [
        "| route | req/s | 2xx | p50 ms | p99 ms | other statuses | client errors |",
        "|---|---|---|---|---|---|---|",
        _row("POST /file", create_load),
        _row(f"POST /files ({DESCRIBE_IDS} ids)", describe_load),
    ]
    if not create_load.ok:
        raise RuntimeError(f"POST /file never answered 2xx: {dict(create_load.statuses)}")
    result.judge(
        rps >= TARGET_RPS,
        f"{TARGET_RPS - rps:.0f} req/s short ({rps / TARGET_RPS:.0%} of the target)",
    )
    return result
