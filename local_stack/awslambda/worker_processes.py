"""The processes behind a function's workers: spawned interpreters, or forks of a template.

A ``FunctionTemplate`` is one interpreter per function that has run the function's init phase
(imported its handler) and forks a worker per request for one: a new worker then costs a fork,
not a fresh interpreter importing boto3 and Powertools, so a burst on a cold stack does not
start eight imports per function on two cores. Each fork reports the template's real init time
as its ``Init Duration``, as every new Lambda execution environment reports its own init.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from local_stack.awslambda.zygote import RuntimeZygote

WORKER_SCRIPT = Path(__file__).resolve().with_name("worker.py")
EXIT_REPORT_WAIT_SECONDS = 2.0

log = logging.getLogger("local_stack.awslambda.runtime")


class WorkerProcess(Protocol):
    """What a worker needs of its process: its pipes, its pid, and Popen's lifecycle calls."""

    stdin_fd: int
    stdout_fd: int
    stderr: IO[bytes]

    @property
    def pid(self) -> int | None: ...

    def learn_pid(self, pid: int) -> None: ...

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def terminate(self) -> None: ...

    def wait(self, timeout: float) -> int | None: ...

    def release(self) -> None: ...


def timeout_error(request_id: str, timeout_seconds: float) -> dict[str, Any]:
    """The error Lambda reports when a function runs past its Timeout."""
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": (
            f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds"
        ),
    }


def runtime_exit_error(request_id: str, process: WorkerProcess) -> dict[str, Any]:
    code = process.wait(timeout=EXIT_REPORT_WAIT_SECONDS)  # its pipe closed: it is exiting
    status = f"exit status {code}" if code is not None else "no answer"
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {status}",
    }


def worker_command(python: str, *args: str) -> list[str]:
    """``python worker.py`` with ``args``: unbuffered, and no script folder on ``sys.path``."""
    return [python, "-u", "-P", str(WORKER_SCRIPT), *args]


def spawn_forker(
    python: str, role: str, args: tuple[str, ...], environment: Mapping[str, str], cwd: Path | str
) -> tuple[socket.socket, subprocess.Popen[bytes]]:
    """``worker.py <role> <fd> <args>`` (a template or a zygote), its control socket on ``fd``
    and its stderr piped; our end of the socket and the process."""
    control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and worker script
            worker_command(python, role, str(theirs.fileno()), *args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(environment),
            cwd=cwd,
            pass_fds=(theirs.fileno(),),
        )
    finally:
        theirs.close()
    return control, popen


class SpawnedProcess:
    """A worker in an interpreter of its own (``python worker.py handler``)."""

    def __init__(
        self, handler: str, environment: Mapping[str, str], code_dir: Path, python: str
    ) -> None:
        self._popen = subprocess.Popen(  # noqa: S603 - our own interpreter and worker script
            worker_command(python, handler),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(environment),
            cwd=code_dir,
            bufsize=0,
        )
        assert self._popen.stdin and self._popen.stdout and self._popen.stderr
        self.stdin_fd = self._popen.stdin.fileno()
        self.stdout_fd = self._popen.stdout.fileno()
        self.stderr: IO[bytes] = self._popen.stderr

    @property
    def pid(self) -> int | None:
        return self._popen.pid

    def learn_pid(self, pid: int) -> None:
        pass  # known from the start

    def poll(self) -> int | None:
        return self._popen.poll()

    def kill(self) -> None:
        self._popen.kill()

    def terminate(self) -> None:
        self._popen.terminate()

    def wait(self, timeout: float) -> int | None:
        try:
            return self._popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def release(self) -> None:
        for stream in (self._popen.stdin, self._popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class ForkedProcess:
    """A worker forked by a function's template; its pid is known once its init message came."""

    def __init__(
        self, template: FunctionTemplate, stdin_fd: int, stdout_fd: int, stderr: IO[bytes]
    ) -> None:
        self._template = template
        self._pid: int | None = None
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.stderr = stderr

    @property
    def pid(self) -> int | None:
        return self._pid

    def learn_pid(self, pid: int) -> None:
        self._pid = pid

    def poll(self) -> int | None:
        if self._pid is None:  # not forked yet: the template is still in its init phase
            return self._template.poll()
        code = self._template.exit_code(self._pid)
        if code is None and not process_exists(self._pid) and self._template.poll() is not None:
            return -1  # gone, and its template, gone too, cannot say how
        return code  # None also while a live template's report of the exit is on its way

    def kill(self) -> None:
        if self._pid is None:
            self._template.kill()  # stuck in the init phase, which is the template's
        else:
            send_signal(self._pid, signal.SIGKILL)

    def terminate(self) -> None:
        if self._pid is not None:
            send_signal(self._pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            code = self.poll()
            if code is not None or time.monotonic() >= deadline:
                return code
            self._template.wait_for_exit(min(0.05, max(deadline - time.monotonic(), 0)))

    def release(self) -> None:
        for fd in (self.stdin_fd, self.stdout_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.stdin_fd = self.stdout_fd = -1


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class LineChannel:
    """Reads newline-ended messages from a pipe, waiting at most until a deadline for each."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""
        self._closed = False

    def next_line(self, deadline: float) -> bytes | None:
        """The next line (with its newline); ``None`` at end of stream; TimeoutError."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line, self._buffer = self._buffer[: end + 1], self._buffer[end + 1 :]
                return line
            if self._closed:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            readable, _, _ = select.select([self._fd], [], [], remaining)
            if not readable:
                raise TimeoutError
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._closed = True  # a last line without its newline is not a message
            self._buffer += chunk


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is a process (a zombie still counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def send_signal(pid: int, signum: int) -> None:
    """``os.kill``, for a process that may have ended already."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


class ChildExits:
    """The exit statuses a parent process reports on its control socket (only it can reap its
    children), read by one thread; any other message goes to ``other``."""

    def __init__(self, other: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._exits: dict[int, int] = {}
        self._changed = threading.Condition()
        self._other = other

    def code(self, pid: int) -> int | None:
        with self._changed:
            return self._exits.get(pid)

    def wait(self, timeout: float) -> None:
        """Until the next report (or the end of the socket), at most ``timeout`` seconds."""
        with self._changed:
            self._changed.wait(timeout)

    def read(self, control: socket.socket) -> None:
        """Read reports until the socket ends (the reading thread's whole life)."""
        while True:
            try:
                message = control.recv(4096)
            except OSError:
                message = b""
            if not message:
                with self._changed:
                    self._changed.notify_all()
                return
            with contextlib.suppress(ValueError, KeyError, TypeError):
                report = json.loads(message)
                if "code" not in report and self._other is not None:
                    self._other(report)
                    continue
                with self._changed:
                    self._exits[int(report["pid"])] = int(report["code"])
                    self._changed.notify_all()


def log_lines(stream: IO[bytes], name: str) -> None:
    """Log every line a process writes to ``stream``, prefixed with ``name``, until it ends."""
    for line in stream:
        text = line.decode("utf-8", "replace").rstrip("\n")
        log.info("[%s] %s", name, text)


class TemplateProcess(Protocol):
    """Popen's lifecycle calls, which a template forked by a zygote offers by its pid."""

    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def terminate(self) -> None: ...
    def wait(self, timeout: float) -> int: ...


class FunctionTemplate:
    """One interpreter that ran a function's init phase and forks its workers on request.

    Forked by the package's ``zygote`` (boto3 already imported) when it has one that answers,
    otherwise started as an interpreter of its own.
    """

    def __init__(
        self,
        function_name: str,
        handler: str,
        environment: Mapping[str, str],
        code_dir: Path,
        python: str,
        zygote: RuntimeZygote | None = None,
    ) -> None:
        self._name = function_name
        forked = (
            zygote.fork_template(handler, environment, code_dir) if zygote is not None else None
        )
        self._process: TemplateProcess
        if forked is not None:
            self._control, self._stderr, self._process = forked
        else:
            self._control, popen = spawn_forker(
                python, "--template", (handler,), environment, code_dir
            )
            assert popen.stderr is not None
            self._process, self._stderr = popen, popen.stderr
        self._exits = ChildExits()
        self._send_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._exits.read, args=(self._control,), daemon=True),
            threading.Thread(target=log_lines, args=(self._stderr, self._name), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def fork(self) -> ForkedProcess | None:
        """Ask for a worker (forked once the init phase is over); ``None`` if the template is
        gone. The worker's pipes are passed to the template with the request."""
        if self.poll() is not None:
            return None
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        theirs = (stdin_r, stdout_w, stderr_w)
        try:
            with self._send_lock:
                socket.send_fds(self._control, [b"fork"], list(theirs))
        except OSError:
            for fd in (*theirs, stdin_w, stdout_r, stderr_r):
                os.close(fd)
            return None
        for fd in theirs:
            os.close(fd)
        return ForkedProcess(self, stdin_w, stdout_r, os.fdopen(stderr_r, "rb"))

    def poll(self) -> int | None:
        return self._process.poll()

    def exit_code(self, pid: int) -> int | None:
        return self._exits.code(pid)

    def wait_for_exit(self, timeout: float) -> None:
        self._exits.wait(timeout)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)

    def close(self) -> None:
        """Stop the template (its workers are stopped on their own) and print its last logs."""
        with contextlib.suppress(ProcessLookupError):
            self._process.terminate()
        try:
            self._process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.kill()
        self._control.close()
        for thread in self._threads:
            thread.join(3.0)
