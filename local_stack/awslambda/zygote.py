"""A runtime's zygote: one interpreter that imported the runtime's SDK and forks templates.

Every function template would otherwise start a fresh interpreter and import boto3 (about
0.3 s of CPU on these machines) before its own handler: at start-up and in a cold burst, a
dozen such imports share two cores. A ``RuntimeZygote`` imports boto3 once per interpreter, with no
package on ``sys.path`` and only the variables every function has alike (the SDK's local
endpoints, keys and region), and loads the SDK's models of the services the stack emulates;
then it forks each function's template, which takes on that function's whole environment,
working folder and ``sys.path`` (its PYTHONPATH first, as the interpreter would have put it)
before it imports the handler. Each template reports the zygote's import time plus its own as
its ``Init Duration`` (docs/LOCAL.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from local_stack.awslambda.worker_processes import (
    ChildExits,
    log_lines,
    process_exists,
    send_signal,
    spawn_forker,
)

ZYGOTE_FORK_SECONDS = 5.0  # how long a template's start waits for the zygote's fork
# AWS parity: Lambda puts the package (/var/task) before the runtime's own boto3 on sys.path, so
# a package that ships its own SDK imports that one; the zygote's boto3 would shadow it.
SDK_PACKAGES = ("boto3", "botocore")

log = logging.getLogger("local_stack.awslambda.runtime")


def ships_own_sdk(code_dir: Path) -> bool:
    """Whether the package holds boto3 or botocore itself (at its root or one folder down)."""
    return any(
        path.is_dir()
        for name in SDK_PACKAGES
        for path in (code_dir / name, *code_dir.glob(f"*/{name}"))
    )


class RuntimeZygote:
    """The interpreter that forks the templates of the functions that run on it."""

    def __init__(self, python: str, environment: Mapping[str, str]) -> None:
        """``environment``: what every function's has alike (``zygote_environment``)."""
        self._control, self._popen = spawn_forker(python, "--zygote", (), environment, "/")
        self._name = Path(python).parent.parent.name or python
        self._forked: queue.Queue[tuple[int, int]] = queue.Queue()  # (ticket, pid) answers
        self._tickets = 0
        # The pid of each template forked, and their exit statuses (only the zygote can reap).
        self._exits = ChildExits(other=self._on_forked)
        self._fork_lock = threading.Lock()
        assert self._popen.stderr is not None
        self._threads = [
            threading.Thread(target=self._exits.read, args=(self._control,), daemon=True),
            threading.Thread(
                target=log_lines, args=(self._popen.stderr, f"runtime {self._name}"), daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()

    def fork_template(
        self, handler: str, environment: Mapping[str, str], code_dir: Path
    ) -> tuple[socket.socket, IO[bytes], ZygoteChild] | None:
        """A template for ``handler`` with ``environment``, working in ``code_dir``: its control
        socket, its stderr and its process; ``None`` if the zygote is gone or does not answer
        in time."""
        if self._popen.poll() is not None:
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        stderr_read, stderr_write = os.pipe()
        try:
            with self._fork_lock:
                self._tickets += 1  # pairs the answer with this request, not a late one's
                request = {
                    "ticket": self._tickets,
                    "handler": handler,
                    "environment": dict(environment),
                    "cwd": str(code_dir),
                }
                try:
                    message = json.dumps(request).encode()
                    socket.send_fds(self._control, [message], [theirs.fileno(), stderr_write])
                    pid = self._answer(self._tickets, time.monotonic() + ZYGOTE_FORK_SECONDS)
                except (OSError, queue.Empty):
                    ours.close()
                    os.close(stderr_read)
                    return None
        finally:
            theirs.close()
            os.close(stderr_write)
        return ours, os.fdopen(stderr_read, "rb"), ZygoteChild(self, pid)

    def _answer(self, ticket: int, deadline: float) -> int:
        """The pid forked for ``ticket``; queue.Empty past ``deadline``. The answers of earlier
        requests that gave up waiting are dropped (their templates end with their sockets)."""
        while True:
            answered, pid = self._forked.get(timeout=max(deadline - time.monotonic(), 0.001))
            if answered == ticket:
                return pid

    def exit_code(self, pid: int) -> int | None:
        return self._exits.code(pid)

    def wait_for_exit(self, timeout: float) -> None:
        self._exits.wait(timeout)

    def _on_forked(self, report: dict[str, Any]) -> None:
        if "forked" in report:
            self._forked.put((int(report["ticket"]), int(report["forked"])))

    def close(self) -> None:
        """Stop the zygote (its templates are stopped on their own)."""
        with contextlib.suppress(ProcessLookupError):
            self._popen.terminate()
        try:
            self._popen.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait(timeout=5)
        self._control.close()
        for thread in self._threads:
            thread.join(3.0)


class ZygoteChild:
    """A template forked by a zygote: Popen's lifecycle calls, by pid."""

    def __init__(self, zygote: RuntimeZygote, pid: int) -> None:
        self._zygote = zygote
        self.pid = pid

    def poll(self) -> int | None:
        code = self._zygote.exit_code(self.pid)
        if code is None and not process_exists(self.pid):
            self._zygote.wait_for_exit(0.05)  # reaped: its report is on its way
            code = self._zygote.exit_code(self.pid)
            return -1 if code is None else code  # -1: the zygote is gone and cannot say
        return code

    def kill(self) -> None:
        send_signal(self.pid, signal.SIGKILL)

    def terminate(self) -> None:
        send_signal(self.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while (code := self.poll()) is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"template {self.pid}", timeout)
            self._zygote.wait_for_exit(min(0.05, max(deadline - time.monotonic(), 0)))
        return code
