"""API throughput: POST /file and POST /files (10 ids) from concurrent clients on the local API."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench.local_client import create_file, put_presigned, store_files
from bench.session import Session
from bench.settings import stack_model
from local_stack.awslambda.worker_processes import WORKER_SCRIPT
from local_stack.testing.launcher import (
    RunningStack,
    child_pids,
    descendant_pids,
    start_local_stack,
)

DESCRIBE_IDS = 10
WARM_UP_SECONDS = 2.0
LIFTED_LIMIT = 1_000_000
CREATE_BODY = {"name": "bench.txt", "size": 1024, "type": "text/plain"}


class ApiConnection:
    """One load client's keep-alive connection to the local API, on ``http.client``.

    The load runs on the cores it measures, so it should take as little of them as a load tool
    (wrk, hey) would: a POST costs this client about 0.5 ms of CPU, where a ``requests.Session``
    took 1.8-2.0 ms and the stack's processes (gateway, DynamoDB, workers) 6.5-9 ms together
    (measured on a 2-core machine; the figure reports the clients' share on every run).
    """

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._path_prefix = parts.path.rstrip("/")
        self._connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST ``body`` (JSON) to ``path`` under the base URL; the answer's status code."""
        try:
            self._connection.request(
                "POST",
                self._path_prefix + path,
                body,
                {"Content-Type": "application/json", **headers},
            )
            with self._connection.getresponse() as answer:
                answer.read()  # the whole answer, so the connection can carry the next request
                return answer.status
        except (OSError, http.client.HTTPException):
            self._connection.close()  # the next request opens a new connection
            raise

    def close(self) -> None:
        self._connection.close()


Call = Callable[[ApiConnection], int]


@dataclass
class LoadResult:
    """What the clients saw during one measured stretch."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # exception name -> count

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class CpuShares:
    """CPU time of each part of the setup: seconds used so far, or ms per request."""

    clients: float  # the benchmark process
    stack: float  # the local stack process: HTTP servers, gateway, S3 endpoint
    dynamodb: float  # moto in the child process the stack forks
    workers: float  # the function workers

    @property
    def total(self) -> float:
        return self.clients + self.stack + self.dynamodb + self.workers

    def per_request_ms(self, before: CpuShares, requests_done: int) -> CpuShares:
        """Milliseconds per request from ``before`` to this snapshot."""
        scale = 1000 / max(requests_done, 1)
        pairs = zip(dataclasses.astuple(self), dataclasses.astuple(before), strict=True)
        return CpuShares(*((now - then) * scale for now, then in pairs))


@dataclass(frozen=True)
class RouteLoads:
    """Both routes measured on one stack, and the CPU one POST /file cost."""

    create: LoadResult
    describe: LoadResult
    create_cpu_ms: CpuShares


@dataclass(frozen=True)
class ThroughputFigure:
    """2xx answers per second on a stack with the template's throttle and one with it lifted."""

    cores: int
    clients: int
    seconds: float
    warm_up_s: float
    template_throttle: dict[str, str]  # the throttle parameters' defaults in template.yaml
    defaults: RouteLoads
    lifted: RouteLoads


def run_load(api_url: str, call: Call, clients: int, seconds: float) -> LoadResult:
    """``clients`` threads, each with its own keep-alive connection to ``api_url``, calling until
    the time is up."""
    parts = [LoadResult(seconds) for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def client(part: LoadResult) -> None:
        connection = ApiConnection(api_url)
        try:
            start.wait()
            while (now := time.perf_counter()) < deadline:
                try:
                    part.statuses[call(connection)] += 1
                except (OSError, http.client.HTTPException) as err:
                    part.failures[type(err).__name__] += 1
                    continue
                part.latencies_ms.append((time.perf_counter() - now) * 1000)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(part,), daemon=True) for part in parts]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + seconds  # read by the clients once the barrier lets them go
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    result = LoadResult(time.perf_counter() - started)
    for part in parts:
        result.latencies_ms += part.latencies_ms
        result.statuses.update(part.statuses)
        result.failures.update(part.failures)
    return result


def upload_and_store(stack: RunningStack, count: int) -> list[str]:
    """Really upload and store ``count`` small files; return their ids."""
    content = b"hello\n"
    ids = []
    with requests.Session() as http:
        for _ in range(count):
            answer = create_file(http, stack, "bench.txt", len(content), "text/plain")
            put_presigned(answer["url"], content, answer["headers"])
            ids.append(str(answer["id"]))
        store_files(http, stack, ids)
    return ids


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # the process is gone
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _is_function_worker(pid: int) -> bool:
    try:
        return str(WORKER_SCRIPT).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cpu_snapshot(stack: RunningStack) -> CpuShares:
    """CPU seconds used so far by us, the stack's process, its DynamoDB child and its workers."""
    own = os.times()
    children = child_pids(stack.process.pid)
    # Workers fork from templates forked by the runtime's zygote: all run worker.py.
    workers = {pid for pid in descendant_pids(stack.process.pid) if _is_function_worker(pid)}
    return CpuShares(
        clients=own.user + own.system,
        stack=_cpu_seconds(stack.process.pid),
        dynamodb=sum(_cpu_seconds(child) for child in children - workers),
        workers=sum(_cpu_seconds(child) for child in workers),
    )


def measure_stack(stack: RunningStack, clients: int, seconds: float, warm_up: float) -> RouteLoads:
    """Warm up, then load POST /file and POST /files (10 stored ids) one after the other."""
    create_body = json.dumps(CREATE_BODY).encode()
    describe_body = json.dumps(upload_and_store(stack, DESCRIBE_IDS)).encode()
    admin = {"x-api-key": stack.api_key}

    def create(connection: ApiConnection) -> int:
        return connection.post("/file", create_body, {})

    def describe(connection: ApiConnection) -> int:
        return connection.post("/files", describe_body, admin)

    pause = 1.0 if warm_up else 0.0  # lets the throttle's token buckets refill
    if warm_up:
        run_load(stack.api_url, create, clients, warm_up)  # grow the worker pools to their size
        run_load(stack.api_url, describe, clients, warm_up)
    time.sleep(pause)
    before = cpu_snapshot(stack)
    create_load = run_load(stack.api_url, create, clients, seconds)
    cpu = cpu_snapshot(stack).per_request_ms(before, create_load.ok)
    time.sleep(pause)
    describe_load = run_load(stack.api_url, describe, clients, seconds)
    if not create_load.ok:
        raise RuntimeError(f"POST /file never answered 2xx: {dict(create_load.statuses)}")
    return RouteLoads(create_load, describe_load, cpu)


def measure(session: Session) -> ThroughputFigure:
    """Requests per second answered 2xx, at the template's default throttle and with the throttle
    parameters lifted."""
    config = session.config
    clients, seconds = config.throughput_clients, config.throughput_seconds
    warm_up = 0.0 if config.smoke else WARM_UP_SECONDS
    defaults = measure_stack(session.local_stack(), clients, seconds, warm_up)
    # template.yaml's throttle parameters: the stage (every route) and the admin key's usage plan
    parameters = stack_model().parameters.items()
    throttle = {name: str(value) for name, value in parameters if "Throttle" in name}
    with start_local_stack(params=dict.fromkeys(throttle, str(LIFTED_LIMIT))) as free:
        lifted = measure_stack(free, clients, seconds, warm_up)
    return ThroughputFigure(config.cores, clients, seconds, warm_up, throttle, defaults, lifted)
