"""Gateway overhead: POST /file through the local API vs. the same handler called in-process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from bench.http_floor import SERVERS, floor_latencies
from bench.lambda_env import SOURCE_DIR, stack_model
from bench.local_api import LocalStack
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median, percentile
from local_stack.awslambda.invocation import InvocationResult
from local_stack.awslambda.environment import LocalEndpoints, function_environment

TARGET_MS = 1.5
FUNCTION = "CreateFileFunction"
PROBE = Path(__file__).resolve().with_name("inprocess_probe.py")
BODY = {"name": "bench.txt", "size": 1024, "type": "text/plain"}
WARM_UP = 20
_SOCKET = re.compile(r"socket:\[(\d+)\]")


def listening_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` listens on (Linux /proc), to find the stack's internal DynamoDB."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with_socket = _SOCKET.match(str(fd.readlink())) if fd.is_symlink() else None
        if with_socket:
            inodes.add(with_socket.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def dynamodb_url(stack: LocalStack) -> str:
    """The local stack's DynamoDB endpoint: the one port it listens on but does not advertise."""
    known = {int(url.rsplit(":", 1)[1].split("/")[0]) for url in (stack.api_url, stack.s3_url)}
    known.add(int(stack.web_url.rsplit(":", 1)[1]))
    others = listening_ports(stack.process.pid) - known
    if len(others) != 1:
        raise RuntimeError(f"cannot tell the local stack's DynamoDB port among {sorted(others)}")
    return f"http://127.0.0.1:{others.pop()}"


_REPORT = re.compile(r"\[(\w+)\] REPORT RequestId: \S+\s+Duration: ([\d.]+) ms")


def api_latencies(
    stack: LocalStack, count: int, method: str = "POST", route: str = "/file"
) -> list[float]:
    samples = []
    body = BODY if method == "POST" else None
    with requests.Session() as http:
        for _ in range(count):
            started = time.perf_counter()
            response = http.request(method, f"{stack.api_url}{route}", json=body, timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(
                    f"{method} {route} answered {response.status_code}: {response.text}\n"
                    f"{stack.log_tail()}"
                )
    return samples


def reported_durations(stack: LocalStack, function: str) -> list[float]:
    """Handler durations the local stack's workers log in Lambda's REPORT lines."""
    text = stack.log_tail(chars=50_000_000)
    return [float(ms) for name, ms in _REPORT.findall(text) if name == function]


def in_process_latencies(stack: LocalStack, count: int) -> list[float]:
    """The handler called directly, in a process with exactly a worker's environment."""
    function = stack_model().functions[FUNCTION]
    endpoints = LocalEndpoints(s3_url=stack.s3_url, dynamodb_url=dynamodb_url(stack))
    env = function_environment(function, endpoints, SOURCE_DIR, os.environ)
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            str(PROBE),
            function.handler,
            str(count + WARM_UP),
            json.dumps(BODY),
        ],
        env=env,
        cwd=SOURCE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"in-process probe failed: {done.stderr.strip()[-1500:]}")
    samples: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return samples[WARM_UP:]


def _stub_function(function_name: str, event: dict[str, Any]) -> InvocationResult:
    return InvocationResult(
        payload={"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}
    )


def gateway_logic_latencies(count: int) -> list[float]:
    """The local gateway's own work per POST /file (no sockets, a function that answers at once)."""
    from local_stack.apigateway import Gateway, HttpRequest

    api = stack_model().api
    if api is None:
        raise RuntimeError("template.yaml declares no API")
    gateway = Gateway(dict(api.swagger), api.stage, _stub_function, api_keys={})
    body = json.dumps(BODY).encode()
    request = HttpRequest(
        method="POST",
        path=f"/{api.stage}/file",
        query=[],
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "python-requests/2.34.2"),
            ("Accept", "*/*"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ],
        body=body,
    )
    samples = []
    for _ in range(count + WARM_UP):
        started = time.perf_counter()
        response = gateway.handle(request)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"the gateway answered {response.status}: {response.body[:300]!r}")
    return samples[WARM_UP:]


def measure(session: Session) -> FigureResult:
    """Sequential POST /file: p50/p99 through the API and in-process, in alternating rounds."""
    stack = session.local_stack()
    rounds = 1 if session.config.smoke else 8
    per_round = max(1, session.config.latency_requests // rounds)
    api_latencies(stack, WARM_UP)
    api_latencies(stack, WARM_UP, "GET", "/config")
    through_api: list[float] = []
    direct: list[float] = []
    in_worker: list[float] = []
    config_api: list[float] = []
    for _ in range(rounds):
        before = len(reported_durations(stack, FUNCTION))
        through_api += api_latencies(stack, per_round)
        in_worker += reported_durations(stack, FUNCTION)[before:]
        direct += in_process_latencies(stack, per_round)
        config_api += api_latencies(stack, per_round, "GET", "/config")
    logic = gateway_logic_latencies(session.config.latency_requests)
    floors = {
        kind: median(floor_latencies(kind, session.config.latency_requests)) for kind in SERVERS
    }
    api_p50, api_p99 = median(through_api), percentile(through_api, 99)
    direct_p50, direct_p99 = median(direct), percentile(direct, 99)
    added = api_p50 - direct_p50
    result = FigureResult(
        title="Gateway overhead",
        target=f"< {TARGET_MS:g} ms added at p50",
        measured=f"+{added:.2f} ms at p50 ({api_p50:.2f} vs. {direct_p50:.2f} ms), "
        f"+{api_p99 - direct_p99:.2f} ms at p99",
        how=(
            f"{len(through_api)} sequential `POST /file` with one keep-alive `requests.Session` "
            "through the local API (HTTP server, route match, validation, proxy event, worker "
            "process round-trip, response mapping), against the same handler module called "
            f"in-process {len(direct)} times with the same event (built by the gateway's own "
            "event builder), in a process with exactly a worker's environment, so both write to "
            f"the same local DynamoDB endpoint. {rounds} alternating rounds after {WARM_UP} "
            "warm-up calls each. Client time on the API side includes the HTTP client itself."
        ),
        details=[
            "| path | p50 ms | p99 ms |",
            "|---|---|---|",
            f"| through the local API | {api_p50:.2f} | {api_p99:.2f} |",
            f"| handler in-process | {direct_p50:.2f} | {direct_p99:.2f} |",
            f"| **added** | **{added:.2f}** | {api_p99 - direct_p99:.2f} |",
        ],
    )
    if in_worker:
        result.details.append(
            f"| (handler duration in the worker's REPORT lines, same API requests) | "
            f"{median(in_worker):.2f} | {percentile(in_worker, 99):.2f} |"
        )
    result.details += [
        f"| GET /config through the local API (handler < 1 ms) | {median(config_api):.2f} | "
        f"{percentile(config_api, 99):.2f} |",
        f"| `Gateway.handle` alone for POST /file (no sockets, stub function) | "
        f"{median(logic):.2f} | {percentile(logic, 99):.2f} |",
        *(
            f"| bare HTTP: trivial app on a {SERVERS[kind]} | {ms:.2f} | |"
            for kind, ms in floors.items()
        ),
        "",
        "The GET /config row is the fixed cost of a request through the local API and its "
        "client: HTTP client and server (`local_stack.http.keep_alive`: wsgiref with HTTP/1.1 "
        "keep-alive), route match, request validation, the proxy event, the JSON round-trip "
        "over the worker's pipes and the response mapping. The `Gateway.handle` row is the "
        "gateway's own logic (route, validation, event, response), measured in this process "
        "with a function that answers at once. The bare HTTP rows are the same client against "
        "a trivial app in its own process; the first uses the local API's own server. What "
        "GET /config costs beyond that bare HTTP and the gateway logic is the worker round-trip "
        "(JSON lines over pipes, read by the invoking thread) and the per-request logging.",
    ]
    session.state.extra["gateway_logic_p50_ms"] = median(logic)
    session.state.extra["api_p50_ms"] = api_p50
    result.judge(
        added < TARGET_MS,
        f"{added - TARGET_MS:.2f} ms over ({added / TARGET_MS:.1f}x the budget). A request "
        f"through the local API costs {median(config_api):.2f} ms even when the handler does "
        f"nothing (GET /config); the gateway's own logic is {median(logic):.2f} ms of that, "
        f"the rest is HTTP and the JSON round-trip over the worker process's pipes. Bare HTTP to "
        f"a trivial app on the local API's own keep-alive server costs "
        f"{floors['keep_alive']:.2f} ms (against {floors['werkzeug']:.2f} ms on werkzeug's "
        "server, which opens a new connection per request)",
    )
    return result
