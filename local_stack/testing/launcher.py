"""Starts ``python -m local_stack`` in a subprocess on free ports, for tests and the benchmark."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests

from local_stack.awslambda.worker import process_name
from local_stack.cloudformation.loader import load_stack
from local_stack.config import DEFAULT_HOST, PORT_DEFAULTS, PORT_TAKEN, PROJECT_ROOT

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient

TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
LOCAL_STACK_MODULE = "local_stack"
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0
READY_POLL_SECONDS = 0.005  # how often wait_until_ready asks GET /config
READY_BANNER = "local stack is up"  # the first line `python -m local_stack` logs once it serves
# Launched stacks keep their data in memory, so several can run at once and none leaves files
# behind; pass env={"FILESTORE_DATA_DIR": folder} for one that keeps it on disk.
IN_MEMORY_DATA = {"FILESTORE_DATA_DIR": ""}


@dataclass(frozen=True)
class LambdaAnswer:
    """What Lambda's Invoke answered: its status, the JSON payload and ``X-Amz-Function-Error``."""

    status: int
    payload: Any
    function_error: str | None = None


class LocalStackError(RuntimeError):
    """The local stack did not come up (or did not stop); the message holds its log."""


PORT_RACE_ATTEMPTS = 3  # starts on fresh free ports when one was taken meanwhile


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def local_stack_command(python_flags: Sequence[str] = ()) -> list[str]:
    """The command ``make run`` runs, with extra interpreter flags (e.g. ``-X importtime``)."""
    return [sys.executable, *python_flags, "-m", LOCAL_STACK_MODULE]


def stack_environment(filestore_vars: Mapping[str, str]) -> dict[str, str]:
    """The environment ``make run`` gives ``python -m local_stack``, plus ``filestore_vars``."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "source"), str(PROJECT_ROOT)]),
        "PYTHONUNBUFFERED": "1",  # every log line reaches us at once
        **filestore_vars,
    }


def filestore_params(params: Mapping[str, str]) -> str:
    """``FILESTORE_PARAMS`` for these template parameters, each ``Name=value`` shell-quoted."""
    return " ".join(shlex.quote(f"{name}={value}") for name, value in params.items())


def _proc_stat_fields(stat: Path) -> list[str] | None:
    try:
        # After the command name in parentheses: state, ppid, pgrp, ...
        return stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # the process ended while we looked


def _parents() -> dict[int, int]:
    """Every process's parent right now (Linux ``/proc``)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _proc_stat_fields(stat)
        if fields is not None:
            parents[int(stat.parent.name)] = int(fields[1])
    return parents


def child_pids(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` right now (Linux ``/proc``)."""
    return {child for child, parent in _parents().items() if parent == pid}


def descendant_pids(pid: int) -> set[int]:
    """The children of ``pid``, theirs, and so on, right now: a function's workers are forked
    by its template, which the runtime's zygote forked (Linux ``/proc``)."""
    parents = _parents()
    found: set[int] = set()
    generation = {pid}
    while generation:
        generation = {child for child, parent in parents.items() if parent in generation}
        found |= generation
    return found


def worker_pids(pid: int, handler: str = "") -> set[int]:
    """The function workers (of ``handler`` only, if given) among ``pid``'s descendants, by the
    name each gives itself (``local_stack.awslambda.worker.process_name``)."""
    wanted = process_name("W", handler) if handler else "W:"
    found = set()
    for descendant in descendant_pids(pid):
        try:
            name = Path(f"/proc/{descendant}/comm").read_text().strip()
        except OSError:
            continue  # ended while we looked
        if name == wanted or (not handler and name.startswith(wanted)):
            found.add(descendant)
    return found


def process_group_members(group_id: int) -> set[int]:
    """The live (not zombie) processes in process group ``group_id`` right now (Linux ``/proc``)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _proc_stat_fields(stat)
        if fields is not None and fields[0] != "Z" and int(fields[2]) == group_id:
            members.add(int(stat.parent.name))
    return members


class RunningStack:
    """A local stack running in a subprocess: its URLs, its API key and its console log.

    The subprocess leads its own process group, so ``stop()`` can reach the function workers
    even when the stack itself fails to stop them.
    """

    def __init__(
        self,
        process: subprocess.Popen[str],
        api_port: int,
        s3_port: int,
        web_port: int,
        lambda_port: int,
        stage: str,
        api_key: str,
        bucket_name: str,
        host: str = DEFAULT_HOST,
    ) -> None:
        self.process = process
        self.started_at = time.perf_counter()  # just after Popen returned: the process runs
        self.api_root = f"http://{host}:{api_port}"
        self.api_url = f"{self.api_root}/{stage}"
        self.s3_url = f"http://{host}:{s3_port}"
        self.web_url = f"http://{host}:{web_port}/"
        self.lambda_url = f"http://{host}:{lambda_port}"  # Lambda's Invoke API
        self.api_key = api_key
        self.bucket_name = bucket_name
        self.exit_code: int | None = None
        self.banner_at: float | None = None  # perf_counter time the log said it is up
        self.survivors: list[int] = []  # processes of its group still alive after it exited
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def lambda_client(self, **overrides: Any) -> LambdaClient:
        """boto3's lambda client for this stack's Invoke API, with the local credentials."""
        from local_stack.testing.clients import local_lambda_client

        return local_lambda_client(self.lambda_url, **overrides)

    def invoke(
        self, logical_id: str, event: Any, invocation_type: str = "RequestResponse"
    ) -> LambdaAnswer:
        """Run a function once through Lambda's Invoke API (signed, as boto3 signs it)."""
        answer = self.lambda_client().invoke(
            FunctionName=logical_id,
            Payload=json.dumps(event).encode(),
            InvocationType=invocation_type,  # type: ignore[arg-type]
        )
        raw = answer["Payload"].read() if "Payload" in answer else b""
        return LambdaAnswer(
            status=answer["StatusCode"],
            payload=json.loads(raw) if raw else None,
            function_error=answer.get("FunctionError"),
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        """The asynchronous events whose retries ran out (``GET /_local/dead-letters``)."""
        from local_stack.testing.clients import signed_get

        answer = signed_get(f"{self.lambda_url}/_local/dead-letters")
        answer.raise_for_status()
        letters: list[dict[str, Any]] = answer.json()["deadLetters"]
        return letters

    # ---- the console log ---------------------------------------------------------------------
    def log_lines(self, start: int = 0) -> list[str]:
        """The lines the stack printed so far (stdout and stderr), from line ``start`` on."""
        with self._lock:
            return self._lines[start:]

    def log_text(self) -> str:
        return "\n".join(self.log_lines())

    def wait_for_log(self, needle: str, timeout: float = 10.0, count: int = 1) -> list[str]:
        """Wait until ``count`` log lines contain ``needle``; return them or raise with the log."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.log_lines() if needle in line]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise LocalStackError(
                    f"{count} log line(s) with {needle!r} not seen within {timeout} s "
                    f"(saw {len(found)}). Log:\n{self.log_text()}"
                )
            time.sleep(0.05)

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if self.banner_at is None and READY_BANNER in line:
                self.banner_at = time.perf_counter()
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    # ---- start and stop ----------------------------------------------------------------------
    def wait_for_banner(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> float:
        """Wait until the stack logged that it is up (the page published too, which may come
        after the API's first answer); the ``perf_counter`` time it did."""
        self.wait_for_log(READY_BANNER, timeout=timeout)
        assert self.banner_at is not None  # set by the reader before it stores the line
        return self.banner_at

    def wait_until_ready(
        self, timeout: float = STARTUP_TIMEOUT_SECONDS, poll_seconds: float = READY_POLL_SECONDS
    ) -> float:
        """Poll ``GET /config`` until it answers 200; the ``perf_counter`` time it first did.

        Raises ``LocalStackError`` with the stack's log when the process exits first or no 200
        comes within ``timeout`` seconds. The stack keeps running either way.
        """
        url = f"{self.api_url}/config"
        deadline = time.monotonic() + timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                raise LocalStackError(
                    f"the local stack exited with code {self.process.returncode} before it was "
                    f"ready. Log:\n{self.log_text()}"
                )
            try:
                answer = requests.get(url, timeout=10)
            except requests.RequestException as err:
                last_problem = str(err)
            else:
                if answer.status_code == 200:
                    return time.perf_counter()
                last_problem = f"GET /config answered {answer.status_code}: {answer.text[:300]}"
            time.sleep(poll_seconds)
        raise LocalStackError(
            f"the local stack did not answer GET {url} with 200 within {timeout} s "
            f"({last_problem}). Log:\n{self.log_text()}"
        )

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send ``sig`` (SIGINT, as Ctrl-C does) and wait; returns the exit code.

        A stack that hangs is killed. Processes of its group still alive once it has exited
        (workers it failed to stop) are listed in ``survivors`` and killed.
        """
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait()
        self.survivors = sorted(process_group_members(self.process.pid))
        if self.survivors:
            self._signal_group(signal.SIGKILL)
        self._reader.join(timeout=5)
        self.exit_code = self.process.returncode
        return self.exit_code

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the whole group has ended already
            os.killpg(self.process.pid, sig)

    def __enter__(self) -> RunningStack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def spawn_local_stack(
    params: Mapping[str, str] | None = None,
    api_key: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    python_flags: Sequence[str] = (),
) -> RunningStack:
    """Start a local stack on free ports with these template ``params``; return at once.

    The API is not up yet: call ``wait_until_ready``. ``env`` adds environment variables (e.g.
    ``FILESTORE_SCHEDULE_SPEEDUP``, or ``FILESTORE_DATA_DIR`` for data on disk instead of in
    memory); ``python_flags`` go to the interpreter. Bad ``params`` fail here, before any
    process starts.
    """
    params = dict(params or {})
    api_key = api_key or secrets.token_urlsafe(30)[:40]
    api_port, s3_port, web_port, lambda_port = free_port(), free_port(), free_port(), free_port()
    model = load_stack(TEMPLATE_PATH, params)
    assert model.api is not None, "template.yaml declares no API"
    storage = [bucket.name for bucket in model.buckets if bucket.logical_id == "StorageBucket"]
    environment = stack_environment(
        {
            "FILESTORE_HOST": DEFAULT_HOST,
            "FILESTORE_API_PORT": str(api_port),
            "FILESTORE_S3_PORT": str(s3_port),
            "FILESTORE_WEB_PORT": str(web_port),
            "FILESTORE_LAMBDA_PORT": str(lambda_port),
            "FILESTORE_API_KEY": api_key,
            "FILESTORE_PARAMS": filestore_params(params),
            **IN_MEMORY_DATA,
            **(env or {}),
        }
    )
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        local_stack_command(python_flags),
        cwd=PROJECT_ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,  # its own process group, so stop() reaches the workers
    )
    return RunningStack(
        process,
        api_port,
        s3_port,
        web_port,
        lambda_port,
        model.api.stage,
        api_key,
        storage[0] if storage else "",
    )


def start_local_stack(
    params: Mapping[str, str] | None = None,
    api_key: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> RunningStack:
    """Start a local stack (see ``spawn_local_stack``) and return once it is up: ``GET /config``
    is 200 and it logged so (the page is published too).

    Raises ``LocalStackError`` with the stack's log, after stopping it, when it does not come up
    within ``startup_timeout`` seconds. A port taken between ``free_port`` choosing it and the
    stack binding it (an outgoing connection of another suite can get it) means a new start on
    other free ports, ``PORT_RACE_ATTEMPTS`` times at most, unless ``env`` chose the ports.
    """
    pinned = any(variable in (env or {}) for variable in PORT_DEFAULTS)
    for attempt in range(1, PORT_RACE_ATTEMPTS + 1):
        stack = spawn_local_stack(params, api_key, env=env)
        try:
            stack.wait_until_ready(startup_timeout)
            stack.wait_for_banner(startup_timeout)
        except LocalStackError:
            stack.stop()
            if pinned or attempt == PORT_RACE_ATTEMPTS or PORT_TAKEN not in stack.log_text():
                raise
            continue
        except BaseException:
            stack.stop()
            raise
        return stack
    raise AssertionError("unreachable: the last attempt returns or raises")
