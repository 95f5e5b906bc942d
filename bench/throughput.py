"""API throughput: POST /file and POST /files (10 ids) from 8 concurrent clients, local API."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.lambda_env import TEMPLATE
from bench.local_api import LocalStack, start_local_stack
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median, percentile
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml

TARGET_RPS = 200.0
DESCRIBE_IDS = 10
WARM_UP_SECONDS = 2.0
# template.yaml's throttle parameters: the stage (every route) and the admin key's usage plan.
THROTTLE_PARAMETERS = (
    "ApiThrottleRate",
    "ApiThrottleBurst",
    "AdminThrottleRate",
    "AdminThrottleBurst",
)
LIFTED_LIMIT = 1_000_000

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


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # the process is gone
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _is_function_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"function_worker.py" in command


def cpu_snapshot(stack: LocalStack) -> dict[str, float]:
    """CPU seconds used so far by the stack's process, its DynamoDB child, its workers and us."""
    own = os.times()
    children = _children(stack.process.pid)
    workers = [child for child in children if _is_function_worker(child)]
    return {
        "benchmark clients": own.user + own.system,
        "local stack process (HTTP servers, gateway, S3 endpoint)": _cpu_seconds(stack.process.pid),
        "DynamoDB (moto, in a child process forked by the stack)": sum(
            _cpu_seconds(child) for child in children if child not in workers
        ),
        "function workers (handlers, one process each)": sum(
            _cpu_seconds(child) for child in workers
        ),
    }


def _cpu_per_request(
    before: dict[str, float], after: dict[str, float], requests_done: int
) -> dict[str, float]:
    return {part: (after[part] - before[part]) * 1000 / max(requests_done, 1) for part in before}


def _row(stack: str, name: str, load: LoadResult) -> str:
    latencies = load.latencies_ms or [0.0]
    others = {status: n for status, n in load.statuses.items() if not 200 <= status < 300}
    return (
        f"| {stack} | {name} | {load.per_second:.0f} | {load.ok} | {median(latencies):.1f} | "
        f"{percentile(latencies, 99):.1f} | "
        f"{', '.join(f'{s}: {n}' for s, n in sorted(others.items())) or '-'} | "
        f"{', '.join(f'{e}: {n}' for e, n in load.failures.items()) or '-'} |"
    )


@dataclass
class RouteLoads:
    """Both routes measured on one stack, and the CPU one POST /file cost."""

    create: LoadResult
    describe: LoadResult
    cpu_ms: dict[str, float]


def measure_stack(stack: LocalStack, clients: int, seconds: float, smoke: bool) -> RouteLoads:
    """Warm up, then load POST /file and POST /files (10 stored ids) one after the other."""
    ids = upload_and_store(stack, DESCRIBE_IDS)

    def create(http: requests.Session) -> requests.Response:
        return http.post(f"{stack.api_url}/file", json=create_body(), timeout=30)

    def describe(http: requests.Session) -> requests.Response:
        headers = {"x-api-key": stack.api_key}
        return http.post(f"{stack.api_url}/files", json=ids, headers=headers, timeout=30)

    pause = 0.0 if smoke else 1.0  # lets the throttle's token buckets refill
    if not smoke:
        run_load(create, clients, WARM_UP_SECONDS)  # grow the worker pools to their size
        run_load(describe, clients, WARM_UP_SECONDS)
    time.sleep(pause)
    before = cpu_snapshot(stack)
    create_load = run_load(create, clients, seconds)
    cpu = _cpu_per_request(before, cpu_snapshot(stack), create_load.ok)
    time.sleep(pause)
    describe_load = run_load(describe, clients, seconds)
    if not create_load.ok:
        raise RuntimeError(f"POST /file never answered 2xx: {dict(create_load.statuses)}")
    return RouteLoads(create_load, describe_load, cpu)


def template_limits() -> dict[str, str]:
    """The throttle parameters' defaults in template.yaml, as ``FILESTORE_PARAMS`` values."""
    declared = load_cfn_yaml(TEMPLATE).get("Parameters") or {}
    missing = [name for name in THROTTLE_PARAMETERS if "Default" not in declared.get(name, {})]
    if missing:
        raise RuntimeError(f"{TEMPLATE} has no default for {', '.join(missing)}")
    return {name: str(declared[name]["Default"]) for name in THROTTLE_PARAMETERS}


def measure(session: Session) -> FigureResult:
    """Requests per second answered 2xx with 8 clients, at the template's default throttle and
    with the throttle parameters lifted."""
    config = session.config
    clients, seconds = config.throughput_clients, config.throughput_seconds
    defaults = measure_stack(session.local_stack(), clients, seconds, config.smoke)
    lifted_params = dict.fromkeys(THROTTLE_PARAMETERS, str(LIFTED_LIMIT))
    with start_local_stack(params=lifted_params) as free:
        lifted = measure_stack(free, clients, seconds, config.smoke)
    limits = ", ".join(f"{name}={value}" for name, value in template_limits().items())
    rps, cpu = lifted.create.per_second, lifted.cpu_ms
    result = FigureResult(
        title="API throughput",
        target=f"≥ {TARGET_RPS:.0f} req/s for POST /file on {config.cores} cores",
        measured=f"POST /file {rps:.0f} req/s, POST /files (10 ids) "
        f"{lifted.describe.per_second:.0f} req/s (throttle lifted; with the template's default "
        f"throttle {defaults.create.per_second:.0f} and {defaults.describe.per_second:.0f})",
        how=(
            f"{clients} client threads in the benchmark process, each with its own keep-alive "
            f"`requests.Session`, calling the local API for {seconds:g} s per route after a "
            f"{0 if config.smoke else WARM_UP_SECONDS:g} s warm-up (so every function's worker "
            "pool has grown); req/s counts 2xx answers. `POST /files` describes 10 stored "
            "files (real uploads) with the API key, so it signs 10 download URLs. The clients "
            f"share the {config.cores} cores with the local stack. template.yaml throttles the "
            f"API with parameters ({limits} by default: the stage for every route, the usage "
            "plan for the admin key), and the local stack enforces them with 429 as API Gateway "
            "does. Both stacks serve template.yaml itself: one with its defaults, one with "
            f"`FILESTORE_PARAMS` setting all four to {LIFTED_LIMIT:,}, so it measures what the "
            "stack can carry; the target is judged on that one."
        ),
    )
    result.details = [
        "| stack | route | req/s | 2xx | p50 ms | p99 ms | other statuses | client errors |",
        "|---|---|---|---|---|---|---|---|",
        _row("throttle lifted", "POST /file", lifted.create),
        _row("throttle lifted", f"POST /files ({DESCRIBE_IDS} ids)", lifted.describe),
        _row("template's defaults", "POST /file", defaults.create),
        _row("template's defaults", f"POST /files ({DESCRIBE_IDS} ids)", defaults.describe),
    ]
    total_cpu = sum(cpu.values())
    ceiling = config.cores * 1000 / total_cpu if total_cpu > 0 else 0.0
    result.details += [
        "",
        "CPU time per `POST /file` on the stack with the throttle lifted (from /proc; all "
        f"processes share this machine's {config.cores} cores):",
        "",
        "| part | CPU ms per request |",
        "|---|---|",
        *(f"| {part} | {ms:.2f} |" for part, ms in cpu.items()),
        f"| **total** | **{total_cpu:.2f}** |",
        "",
        f"So even with the machine to itself this setup could serve at most about "
        f"{ceiling:.0f} POST /file per second on {config.cores} cores.",
    ]
    session.state.extra["post_file_cpu_ms"] = cpu
    busiest = max(cpu, key=lambda part: cpu[part])
    stage_rate = float(template_limits()["ApiThrottleRate"])
    binds = "also caps" if stage_rate < TARGET_RPS else "does not limit"
    result.judge(
        rps >= TARGET_RPS,
        f"{TARGET_RPS - rps:.0f} req/s short ({rps / TARGET_RPS:.0%} of the target) with the "
        f"throttle lifted. Each POST /file costs {total_cpu:.1f} ms of CPU in all (most in the "
        f"{busiest}: {cpu[busiest]:.1f} ms), so {config.cores} idle cores would top out near "
        f"{ceiling:.0f} req/s, and this machine was shared with other work. The template's "
        f"default stage throttle (ApiThrottleRate={stage_rate:g}) {binds} POST /file at the "
        "target rate",
    )
    return result
