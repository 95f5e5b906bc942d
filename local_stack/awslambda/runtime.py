"""The function runtime: each function runs in its own worker processes, like Lambda containers.

Workers start on the first invocation (cold start), are reused while warm, and a function's
pool grows under concurrency up to a cap. A timeout kills the worker, as Lambda does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from local_stack.awslambda.environment import (
    LocalEndpoints,
    function_environment,
    zygote_environment,
)
from local_stack.awslambda.interpreters import choose_interpreters
from local_stack.awslambda.invocation import FunctionNotFoundError, InvocationResult
from local_stack.awslambda.worker_processes import (
    ForkedProcess,
    FunctionTemplate,
    LineChannel,
    SpawnedProcess,
    WorkerProcess,
    runtime_exit_error,
    timeout_error,
    write_all,
)
from local_stack.awslambda.zygote import RuntimeZygote, ships_own_sdk
from local_stack.cloudformation.models import FunctionModel

DEFAULT_MAX_WORKERS = 8
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's limit for the init phase of an on-demand function
COLD_WORKER_SECONDS = 1.0  # how long a new worker's first invocation holds back another start
COLD_POLL_SECONDS = 0.05
STOP_INIT_WAIT_SECONDS = 0.2  # how long stopping waits for an idle new worker to say its pid

log = logging.getLogger("local_stack.awslambda.runtime")


class Worker:
    """One worker process of one function: a warm Lambda execution environment."""

    def __init__(self, function: FunctionModel, process: WorkerProcess) -> None:
        self.function = function
        self.log_stream = (
            f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"  # Lambda's stream name
        )
        self._initialised = False
        self.init_ms: float | None = None
        self.process = process
        self._started = time.monotonic()
        self._served = False  # its first invocation has ended
        # The invoking thread reads the worker's answers itself (no reader thread, no queue: one
        # thread switch less per invocation); only one invocation at a time uses a worker.
        self._channel = LineChannel(process.stdout_fd)
        self._log_thread = threading.Thread(
            target=self._print_logs, args=(process.stderr,), daemon=True
        )
        self._log_thread.start()

    @property
    def cold(self) -> bool:
        """Still before the end of its first invocation, and started within COLD_WORKER_SECONDS."""
        return not self._served and time.monotonic() - self._started < COLD_WORKER_SECONDS

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        """Run the handler once; kill the worker if it runs past the function's Timeout."""
        try:
            return self._invoke(event, request_id)
        finally:
            self._served = True

    def _invoke(self, event: Any, request_id: str) -> InvocationResult:
        timeout = float(self.function.timeout)
        if not self._initialised:
            try:
                # Lambda gives the init phase 10 s, then retries it inside the invocation,
                # within the function's Timeout; past both it reports a timeout.
                init = self._receive_init(INIT_TIMEOUT_SECONDS + timeout)
            except TimeoutError:
                self.kill()
                return InvocationResult(error=timeout_error(request_id, timeout))
            if init is None:
                self.kill()
                return InvocationResult(error=runtime_exit_error(request_id, self.process))
            if "error" in init:
                self.kill()
                return InvocationResult(error=init["error"] | {"requestId": request_id})
        started = time.perf_counter()  # Duration excludes the init phase, as Lambda reports
        request = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": round(time.time() * 1000) + int(timeout * 1000),
            "function_name": self.function.logical_id,
            "invoked_function_arn": self.function.arn,
            "log_group_name": self.function.log_group,
            "log_stream_name": self.log_stream,
        }
        try:
            write_all(self.process.stdin_fd, json.dumps(request).encode() + b"\n")
        except (OSError, ValueError):
            self.kill()
            return InvocationResult(error=runtime_exit_error(request_id, self.process))
        try:
            reply = self._next_message(timeout)
        except TimeoutError:
            self.kill()
            return InvocationResult(
                error=timeout_error(request_id, timeout),
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        duration_ms = (time.perf_counter() - started) * 1000
        if reply is None:
            self.kill()
            return InvocationResult(
                error=runtime_exit_error(request_id, self.process), duration_ms=duration_ms
            )
        if "error" in reply:
            return InvocationResult(error=reply["error"], duration_ms=duration_ms)
        return InvocationResult(payload=reply.get("payload"), duration_ms=duration_ms)

    def _receive_init(self, timeout: float) -> dict[str, Any] | None:
        """The init message (its duration and pid, or the error that ended the init); ``None``
        once the worker is gone; TimeoutError past ``timeout``."""
        init = self._next_message(timeout)
        if init is None:
            return None
        if isinstance(init.get("pid"), int):
            self.process.learn_pid(init["pid"])
        if "error" not in init:
            self._initialised = True
            self.init_ms = float(init.get("init_ms", 0.0))
        return init

    def stop(self) -> None:
        """Ask the worker to end (SIGTERM). A worker that never ran an invocation (a prewarmed
        one) has not told its pid yet: its init message, waiting in the pipe, says it."""
        if not self._initialised and self.process.pid is None:
            with contextlib.suppress(TimeoutError):
                self._receive_init(STOP_INIT_WAIT_SECONDS)
        if self.process.pid is None:
            self.process.kill()  # still in its template's init phase: that is what to stop
        elif self.alive:
            self.process.terminate()

    def max_memory_used_mb(self) -> int | None:
        """Peak resident memory of the worker (Linux ``VmHWM``), as Lambda's REPORT line shows."""
        if self.process.pid is None:
            return None
        try:
            text = Path(f"/proc/{self.process.pid}/status").read_bytes()
        except OSError:
            return None
        start = text.find(b"\nVmHWM:")
        if start < 0:
            return None
        return int(text[start + 7 : text.index(b"\n", start + 1)].split()[0]) // 1024

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait(timeout=5)

    def _next_message(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next answer; ``None`` once it is gone; TimeoutError past ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._channel.next_line(deadline)
            if line is None:
                return None  # the worker is gone
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict):
                return message
            text = line.decode("utf-8", "replace").rstrip("\n")
            log.warning("[%s] unreadable worker message: %s", self.function.logical_id, text)

    def release(self) -> None:
        """Close the pipes of a worker that is gone (no invocation is using it)."""
        self.process.release()

    def drain_logs(self, timeout: float = 3.0) -> None:
        """Wait until every line the (ended) worker wrote has been logged."""
        self._log_thread.join(timeout)

    def _print_logs(self, stream: IO[bytes]) -> None:
        for line in stream:
            text = line.decode("utf-8", "replace").rstrip("\n")
            log.info("[%s] %s", self.function.logical_id, text)


class _Pool:
    """The warm workers of one function; grows under concurrency up to ``max_workers``.

    Local only: while a new worker is still before the end of its first invocation (and for at
    most COLD_WORKER_SECONDS), the pool does not start another; a request waits for a worker to
    free up instead. Two cores gain nothing from eight workers importing and creating their
    SDK clients at once: a burst on a cold function was slower that way than served by the one
    worker that got warm first. Invocations that keep every worker busy still grow the pool.
    """

    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._reserved = 0
        self._changed = threading.Condition()

    def take(self) -> Worker | None:
        """An idle warm worker, or ``None`` when the caller may start a new one."""
        with self._changed:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._all.discard(worker)
                    worker.release()
                if len(self._all) + self._reserved >= self._max_workers:
                    self._changed.wait()
                elif self._reserved or any(worker.cold for worker in self._all):
                    self._changed.wait(COLD_POLL_SECONDS)  # a worker is getting warm
                else:
                    self._reserved += 1
                    return None

    def started(self, worker: Worker | None) -> None:
        with self._changed:
            self._reserved -= 1
            if worker is not None:
                self._all.add(worker)
            self._changed.notify()

    def give_back(self, worker: Worker) -> None:
        with self._changed:
            if worker.alive:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
                worker.release()
            self._changed.notify()

    def drain(self) -> list[Worker]:
        with self._changed:
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            return workers


class FunctionRuntime:
    """Runs the template's functions in worker processes; an ``Invoker``."""

    def __init__(
        self,
        functions: Mapping[str, FunctionModel],
        endpoints: LocalEndpoints,
        template_dir: Path,
        max_workers: int = DEFAULT_MAX_WORKERS,
        python: str | None = None,
    ) -> None:
        self.functions = dict(functions)
        self._endpoints = endpoints
        self._template_dir = template_dir
        # Each function runs on the interpreter of its Runtime (or ``python``, for tests).
        runtimes = {function.runtime for function in self.functions.values()}
        self.interpreters = (
            {runtime: python for runtime in runtimes}
            if python is not None
            else choose_interpreters(runtimes)
        )
        self._pools = {name: _Pool(max_workers) for name in self.functions}
        # The zygote each function's template is forked by (a function not here starts its own).
        self._zygote_of = self._start_zygotes()
        self._templates: dict[str, FunctionTemplate] = {}
        self._templates_lock = threading.Lock()
        self._closed = False

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        return self.invoke(function_name, event)

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
        """Run ``function_name`` once with ``event``, synchronously (``RequestResponse``)."""
        function = self.functions.get(function_name)
        if function is None:
            raise FunctionNotFoundError(function_name)
        request_id = request_id or str(uuid.uuid4())
        if self._closed:
            return InvocationResult(
                error={"errorType": "Local.Stopped", "errorMessage": "the local stack is stopping"}
            )
        with self._worker(function) as worker:
            if worker is None:
                return InvocationResult(
                    error={
                        "errorType": "Runtime.ExitError",
                        "errorMessage": f"RequestId: {request_id} Error: worker did not start",
                    }
                )
            cold = worker.init_ms is None
            log.info("[%s] START RequestId: %s Version: $LATEST", function_name, request_id)
            result = worker.invoke(event, request_id)
            log.info("[%s] END RequestId: %s", function_name, request_id)
            log.info("[%s] %s", function_name, _report_line(worker, result, request_id, cold))
            if result.error is not None:
                log.info(
                    "[%s] %s: %s",
                    function_name,
                    result.error.get("errorType", "Error"),
                    result.error.get("errorMessage", ""),
                )
            return result

    @contextlib.contextmanager
    def _worker(self, function: FunctionModel) -> Iterator[Worker | None]:
        pool = self._pools[function.logical_id]
        worker = pool.take()
        if worker is None:
            try:
                worker = self._start(function)
            except OSError:
                log.exception("[%s] cannot start a worker", function.logical_id)
                pool.started(None)
                yield None
                return
            pool.started(worker)
        try:
            yield worker
        finally:
            if self._closed:
                worker.kill()
            pool.give_back(worker)

    def prewarm(self, function_name: str) -> None:
        """Start one worker ahead of the first invocation (its handler imports right away)."""
        function = self.functions[function_name]
        pool = self._pools[function_name]
        idle = pool.take()
        if idle is not None:  # already warm
            pool.give_back(idle)
            return
        try:
            worker = self._start(function)
        except OSError:
            log.exception("[%s] cannot start a worker", function_name)
            pool.started(None)
            return
        pool.started(worker)
        pool.give_back(worker)

    def _start_zygotes(self) -> dict[str, RuntimeZygote]:
        """A zygote for each interpreter that several functions run on, started now (it
        imports boto3 while the stack starts), by function name. A function whose package
        ships its own SDK starts its template on its own."""
        sharing: dict[str, list[FunctionModel]] = {}
        for function in self.functions.values():
            if not ships_own_sdk(self._code_dir(function)):
                sharing.setdefault(self.interpreters[function.runtime], []).append(function)
        zygote_of: dict[str, RuntimeZygote] = {}
        environment = zygote_environment(self._endpoints, os.environ)
        for python, functions in sharing.items():
            if len(functions) > 1:
                zygote = RuntimeZygote(python, environment)
                zygote_of |= {function.logical_id: zygote for function in functions}
        return zygote_of

    def _code_dir(self, function: FunctionModel) -> Path:
        return (self._template_dir / function.code_uri).resolve()

    def _start(self, function: FunctionModel) -> Worker:
        """A new worker: forked from the function's template (started first if it has none or
        it is gone), or spawned on its own when the template cannot fork."""
        code_dir = self._code_dir(function)
        environment = function_environment(function, self._endpoints, code_dir, os.environ)
        python = self.interpreters[function.runtime]
        process: ForkedProcess | SpawnedProcess | None = None
        with self._templates_lock:
            template = self._templates.get(function.logical_id)
            if template is None or template.poll() is not None:
                template = FunctionTemplate(
                    function.logical_id,
                    function.handler,
                    environment,
                    code_dir,
                    python,
                    self._zygote_of.get(function.logical_id),
                )
                self._templates[function.logical_id] = template
            process = template.fork()
        if process is None:
            process = SpawnedProcess(function.handler, environment, code_dir, python)
        return Worker(function, process)

    def close(self) -> None:
        """Stop every worker (Ctrl-C or the end of a test)."""
        self._closed = True
        workers = [worker for pool in self._pools.values() for worker in pool.drain()]
        for worker in workers:
            worker.stop()
        for worker in workers:
            if worker.process.wait(timeout=3) is None:
                worker.kill()
            # The worker has exited; its last log lines may still be in the pipe: print them.
            worker.drain_logs()
            worker.release()
        with self._templates_lock:
            templates, self._templates = list(self._templates.values()), {}
        for template in templates:
            template.close()
        for zygote in set(self._zygote_of.values()):
            zygote.close()


def _report_line(worker: Worker, result: InvocationResult, request_id: str, cold: bool) -> str:
    billed = max(1, int(result.duration_ms + 0.999))
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {billed} ms\tMemory Size: {worker.function.memory_size} MB"
    )
    used = worker.max_memory_used_mb()
    if used is not None:
        line += f"\tMax Memory Used: {used} MB"
    if cold and worker.init_ms is not None:
        line += f"\tInit Duration: {worker.init_ms:.2f} ms"
    return line
