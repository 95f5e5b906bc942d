"""Starts ``python -m local_stack`` on free 127.0.0.1 ports and waits for its API to answer."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import requests

from bench.lambda_env import SOURCE_DIR, stack_model
from bench.results import REPO_ROOT

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.005
READY_LINE = b"local stack is up"  # the banner `python -m local_stack` logs once it serves


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStack:
    """A running local stack process and its endpoints."""

    process: subprocess.Popen[bytes]
    api_url: str  # with the stage
    s3_url: str
    web_url: str
    api_key: str
    log: IO[bytes]

    def log_tail(self, chars: int = 2000) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(encoding="utf-8", errors="replace")
        return text[-chars:]

    def stop(self) -> None:
        """Stop the process group this stack started (server and function workers)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def spawn_local_stack(
    params: Mapping[str, str] | None = None,
    python_flags: tuple[str, ...] = (),
) -> LocalStack:
    """Start the process and return at once (the API is not up yet); ``params`` override the
    template's parameters (``FILESTORE_PARAMS``)."""
    api_port, s3_port, web_port = free_port(), free_port(), free_port()
    api_key = secrets.token_urlsafe(30)[:40]
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": f"{SOURCE_DIR}{os.pathsep}{REPO_ROOT}",
            "PYTHONUNBUFFERED": "1",  # the banner reaches the log at once
            "FILESTORE_HOST": HOST,
            "FILESTORE_API_PORT": str(api_port),
            "FILESTORE_S3_PORT": str(s3_port),
            "FILESTORE_WEB_PORT": str(web_port),
            "FILESTORE_API_KEY": api_key,
            "FILESTORE_PARAMS": " ".join(f"{k}={v}" for k, v in (params or {}).items()),
        }
    )
    log = tempfile.NamedTemporaryFile(prefix="bench-local-stack-", suffix=".log", delete=False)  # noqa: SIM115 - closed by stop()
    process = subprocess.Popen(
        [sys.executable, *python_flags, "-m", "local_stack"],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches the workers
    )
    api = stack_model().api
    stage = api.stage if api else "dev"
    return LocalStack(
        process=process,
        api_url=f"http://{HOST}:{api_port}/{stage}",
        s3_url=f"http://{HOST}:{s3_port}",
        web_url=f"http://{HOST}:{web_port}",
        api_key=api_key,
        log=log,
    )


def wait_for_config(stack: LocalStack, timeout: float = START_TIMEOUT_SECONDS) -> float | None:
    """Poll GET /config until it answers 200; fail with the stack's log if it never does.

    Returns the ``perf_counter`` time at which the stack's log first said it was up, if it did.
    """
    deadline = time.monotonic() + timeout
    url = f"{stack.api_url}/config"
    up_at: float | None = None
    while time.monotonic() < deadline:
        if up_at is None and READY_LINE in Path(stack.log.name).read_bytes():
            up_at = time.perf_counter()
        if stack.process.poll() is not None:
            raise RuntimeError(
                f"local stack exited with {stack.process.returncode}:\n{stack.log_tail()}"
            )
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return up_at
        except requests.ConnectionError:
            pass
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"GET {url} gave no 200 within {timeout:.0f} s:\n{stack.log_tail()}")


def start_local_stack(params: Mapping[str, str] | None = None) -> LocalStack:
    """Start a local stack and return once GET /config answers 200."""
    stack = spawn_local_stack(params)
    try:
        wait_for_config(stack)
    except BaseException:
        stack.stop()
        raise
    return stack
