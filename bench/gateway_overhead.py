"""Gateway overhead: POST /file through the local API vs. the same handler called in-process."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from bench.http_floor import KEEPS_CONNECTION, floor_latencies
from bench.local_client import checked
from bench.processes import run_checked
from bench.session import Session
from bench.settings import SOURCE_DIR, stack_model
from bench.stats import median
from local_stack.awslambda.environment import LocalEndpoints, function_environment
from local_stack.awslambda.invocation import InvocationResult
from local_stack.config import DEFAULT_HOST
from local_stack.testing.launcher import RunningStack

FUNCTION = "CreateFileFunction"
CONFIG_FUNCTION = "GetConfigFunction"
PROBE = Path(__file__).resolve().with_name("inprocess_probe.py")
BODY = {"name": "bench.txt", "size": 1024, "type": "text/plain"}
WARM_UP = 20
_SOCKET = re.compile(r"socket:\[(\d+)\]")
_REPORT = re.compile(r"\[(\w+)\] REPORT RequestId: \S+\s+Duration: ([\d.]+) ms")


@dataclass(frozen=True)
class GatewayOverhead:
    """Milliseconds of POST /file through the local API and called in-process, and their parts."""

    rounds: int
    warm_up: int
    through_api_ms: list[float]
    in_process_ms: list[float]
    worker_reported_ms: list[float]  # CreateFileFunction's REPORT lines for the API requests
    config_api_ms: list[float]  # GET /config through the local API
    config_reported_ms: list[float]  # GetConfigFunction's REPORT lines for those requests
    gateway_logic_ms: list[float]  # ``Gateway.handle`` alone, with a function that answers at once
    bare_http_ms: dict[str, float]  # median of a trivial app, by KEEPS_CONNECTION's server kinds


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


def dynamodb_url(stack: RunningStack) -> str:
    """The local stack's DynamoDB endpoint: the one port it listens on but does not advertise."""
    advertised = (stack.api_url, stack.s3_url, stack.web_url, stack.lambda_url)
    known = {urlsplit(url).port for url in advertised}
    others = listening_ports(stack.process.pid) - known
    if len(others) != 1:
        raise RuntimeError(f"cannot tell the local stack's DynamoDB port among {sorted(others)}")
    return f"http://{DEFAULT_HOST}:{others.pop()}"


def api_latencies(
    stack: RunningStack, count: int, method: str = "POST", route: str = "/file"
) -> list[float]:
    """Sequential requests (ms) over one keep-alive session, each checked for a 200."""
    samples = []
    body = BODY if method == "POST" else None
    with requests.Session() as http:
        for _ in range(count):
            started = time.perf_counter()
            response = http.request(method, f"{stack.api_url}{route}", json=body, timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            checked(response, stack)
    return samples


def reported_durations(lines: Sequence[str], function: str) -> list[float]:
    """Handler durations (ms) the stack's workers log for ``function`` in Lambda's REPORT lines."""
    found = (_REPORT.search(line) for line in lines)
    return [float(match.group(2)) for match in found if match and match.group(1) == function]


def in_process_latencies(stack: RunningStack, count: int) -> list[float]:
    """The handler called directly, in a process with exactly a worker's environment."""
    function = stack_model().functions[FUNCTION]
    endpoints = LocalEndpoints(s3_url=stack.s3_url, dynamodb_url=dynamodb_url(stack))
    env = function_environment(function, endpoints, SOURCE_DIR, os.environ)
    arguments = [function.handler, FUNCTION, str(count + WARM_UP), json.dumps(BODY)]
    done = run_checked(
        [sys.executable, "-P", str(PROBE), *arguments],
        env,
        "the in-process probe",
        cwd=SOURCE_DIR,
        timeout=300,
    )
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


def measure(session: Session) -> GatewayOverhead:
    """Sequential POST /file: through the API and in-process, in alternating rounds."""
    stack = session.local_stack()
    rounds = 1 if session.config.smoke else 8
    per_round = max(1, session.config.latency_requests // rounds)
    api_latencies(stack, WARM_UP)
    api_latencies(stack, WARM_UP, "GET", "/config")
    through_api: list[float] = []
    in_process: list[float] = []
    worker_reported: list[float] = []
    config_api: list[float] = []
    config_reported: list[float] = []
    for _ in range(rounds):
        mark = len(stack.log_lines())
        through_api += api_latencies(stack, per_round)
        worker_reported += reported_durations(stack.log_lines(mark), FUNCTION)
        in_process += in_process_latencies(stack, per_round)
        mark = len(stack.log_lines())
        config_api += api_latencies(stack, per_round, "GET", "/config")
        config_reported += reported_durations(stack.log_lines(mark), CONFIG_FUNCTION)
    if not worker_reported or not config_reported:
        raise RuntimeError(f"the stack logged no REPORT lines:\n{stack.log_text()[-2000:]}")
    count = session.config.latency_requests
    return GatewayOverhead(
        rounds=rounds,
        warm_up=WARM_UP,
        through_api_ms=through_api,
        in_process_ms=in_process,
        worker_reported_ms=worker_reported,
        config_api_ms=config_api,
        config_reported_ms=config_reported,
        gateway_logic_ms=gateway_logic_latencies(count),
        bare_http_ms={kind: median(floor_latencies(kind, count)) for kind in KEEPS_CONNECTION},
    )
