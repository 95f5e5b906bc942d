"""Starts ``python -m local_stack`` in a subprocess on free ports, for tests and the benchmark."""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import requests

from local_stack.cloudformation.template import load_stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0


class LocalStackError(RuntimeError):
    """The local stack did not come up (or did not stop); the message holds its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class RunningStack:
    """A local stack running in a subprocess: its URLs, its API key and its console log."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        host: str,
        api_port: int,
        s3_port: int,
        web_port: int,
        stage: str,
        api_key: str,
        bucket_name: str,
    ) -> None:
        self.process = process
        self.api_root = f"http://{host}:{api_port}"
        self.api_url = f"{self.api_root}/{stage}"
        self.s3_url = f"http://{host}:{s3_port}"
        self.web_url = f"http://{host}:{web_port}/"
        self.api_key = api_key
        self.bucket_name = bucket_name
        self.exit_code: int | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def invoke_url(self, logical_id: str) -> str:
        """``POST`` a JSON event here to run that function once (Lambda's Invoke API)."""
        return f"{self.api_root}/_local/functions/{logical_id}/invoke"

    @property
    def dead_letters_url(self) -> str:
        return f"{self.api_root}/_local/dead-letters"

    def log_lines(self) -> list[str]:
        """Everything the stack printed so far (stdout and stderr), one line per item."""
        with self._lock:
            return list(self._lines)

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
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop as Ctrl-C does (SIGINT) and wait; kill it if it hangs. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        self.exit_code = self.process.returncode
        return self.exit_code

    def __enter__(self) -> RunningStack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


LOCAL_STACK_COMMAND = [sys.executable, "-m", "local_stack"]


def stack_environment(filestore_vars: Mapping[str, str]) -> dict[str, str]:
    """The environment ``make run`` gives ``python -m local_stack``, plus ``filestore_vars``."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "source"), str(PROJECT_ROOT)]),
        "PYTHONUNBUFFERED": "1",
        **filestore_vars,
    }


def child_pids(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` right now (Linux ``/proc``)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def start_local_stack(
    params: Mapping[str, str] | None = None,
    api_key: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> RunningStack:
    """Start a local stack on free ports with these template ``params``; wait for ``/config``.

    ``env`` adds environment variables (e.g. ``FILESTORE_SCHEDULE_SPEEDUP``). Raises
    ``LocalStackError`` with the stack's log when it does not answer ``GET /config`` with 200
    within ``startup_timeout`` seconds.
    """
    params = dict(params or {})
    api_key = api_key or secrets.token_urlsafe(30)[:40]
    host = "127.0.0.1"
    api_port, s3_port, web_port = free_port(), free_port(), free_port()
    model = load_stack(PROJECT_ROOT / "template.yaml", params)  # fails fast on bad params
    assert model.api is not None, "template.yaml declares no API"
    storage = [bucket.name for bucket in model.buckets if bucket.logical_id == "StorageBucket"]
    environment = stack_environment(
        {
            "FILESTORE_HOST": host,
            "FILESTORE_API_PORT": str(api_port),
            "FILESTORE_S3_PORT": str(s3_port),
            "FILESTORE_WEB_PORT": str(web_port),
            "FILESTORE_API_KEY": api_key,
            "FILESTORE_PARAMS": " ".join(shlex.quote(f"{k}={v}") for k, v in params.items()),
            **(env or {}),
        }
    )
    process = subprocess.Popen(
        LOCAL_STACK_COMMAND,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    stack = RunningStack(
        process,
        host,
        api_port,
        s3_port,
        web_port,
        model.api.stage,
        api_key,
        storage[0] if storage else "",
    )
    try:
        _wait_until_ready(stack, startup_timeout)
    except BaseException:
        stack.stop()
        raise
    return stack


def _wait_until_ready(stack: RunningStack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            stack.stop()
            raise LocalStackError(
                f"the local stack exited with code {stack.process.returncode} before it was "
                f"ready. Log:\n{stack.log_text()}"
            )
        try:
            answer = requests.get(f"{stack.api_url}/config", timeout=10)
        except requests.RequestException as err:
            last_problem = str(err)
        else:
            if answer.status_code == 200:
                return
            last_problem = f"GET /config answered {answer.status_code}: {answer.text[:300]}"
        time.sleep(0.2)
    raise LocalStackError(
        f"the local stack did not answer GET {stack.api_url}/config with 200 within {timeout} s "
        f"({last_problem}). Log:\n{stack.log_text()}"
    )
