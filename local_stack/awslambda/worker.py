"""A Lambda-like worker process: imports one handler, then runs the invocations its parent sends.

Run as ``python -u -P worker.py <module.function>``; standard library only, so the
handler sees the same ``sys.path`` it would see in Lambda (the task root from ``PYTHONPATH``).
As ``worker.py --template <fd> <module.function>`` it is a function's template: it imports the
handler once, then forks a worker for each request on the Unix socket ``fd``, whose message
carries the worker's stdin, stdout and stderr; it reports each worker's exit status there.
As ``worker.py --zygote <fd>`` it imports the runtime's SDK, then forks templates on request.

Protocol (JSON lines): the parent writes one request per line on stdin; the worker answers on
its original stdout, which it keeps for itself. Everything the handler writes to stdout or
stderr goes to stderr, which the parent prints prefixed with the function's name.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import json
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"
# What a zygote imports before it forks any template: the SDK the Lambda runtime ships.
RUNTIME_MODULES = ("boto3",)


class LambdaContext:
    """The context object of the Python runtime (``awslambdaric``'s attributes and method)."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name: str = request["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn: str = request["invoked_function_arn"]
        # The real runtime reads this from the environment, so it is a string there too.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.aws_request_id: str = request["request_id"]
        self.log_group_name: str = request["log_group_name"]
        self.log_stream_name: str = request["log_stream_name"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms: int = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return int(max(self._deadline_ms - round(time.time() * 1000), 0))


def process_name(role: str, spec: str = "") -> str:
    """What a worker process calls itself (``/proc/<pid>/comm``, what ``ps`` and ``top`` show):
    ``W:`` a worker, ``T:`` a template, then the handler's module (15 characters in all); or
    ``zygote``. Forked processes keep their parent's command line, so this tells them apart."""
    if not spec:
        return role
    module = spec.rpartition(".")[0].rpartition(".")[2]
    return f"{role}:{module}"[:15]


def _name_process(role: str, spec: str = "") -> None:
    with contextlib.suppress(OSError):  # Linux only; a name is a convenience
        Path("/proc/self/comm").write_text(process_name(role, spec), "ascii", "replace")


def _decimal_serializer(value: Any) -> Any:
    # Same rule as the Lambda runtime: Decimal becomes a float, anything else is an error.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    # Like the Lambda runtime, start the trace at the first frame that is not the runtime's own.
    while frames and frames[0].filename == __file__:
        frames.pop(0)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def _load_handler(spec: str) -> Callable[[Any, LambdaContext], Any]:
    module_name, _, function_name = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as err:
        raise _InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {err}"
        ) from err
    except ImportError as err:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {err}"
        ) from err
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise _InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler  # type: ignore[no-any-return]


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _send(channel: TextIO, message: str) -> None:
    channel.write(message + "\n")
    channel.flush()


def _load(
    spec: str, preloaded_ms: float = 0.0
) -> tuple[Callable[[Any, LambdaContext], Any] | None, dict[str, Any]]:
    """The handler, and the init message: its duration (plus ``preloaded_ms``, the zygote's
    import of what the handler would otherwise import itself), or the error that ended it."""
    started = time.perf_counter() - preloaded_ms / 1000
    try:
        handler = _load_handler(spec)
    except _InitError as err:
        return None, {"type": "init", "error": _error(err, err.error_type)}
    except Exception as err:  # an exception raised while importing the module
        return None, {"type": "init", "error": _error(err)}
    return handler, {"type": "init", "init_ms": (time.perf_counter() - started) * 1000}


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the terminal's whole process group, workers too; the stack stops its
    # workers itself (SIGTERM, or the end of stdin), as Lambda's runtime never sees a SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if argv[1] == "--zygote":
        return _zygote(int(argv[2]))
    if argv[1] == "--template":
        return _template(int(argv[2]), argv[3])
    _name_process("W", argv[1])
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints join its logs on stderr
    handler, init = _load(argv[1])
    _send(channel, json.dumps(init | {"pid": os.getpid()}))
    return 1 if handler is None else _serve(handler, channel)


def _warm_sdk() -> None:
    """Local only, outside any timed init phase: a throwaway boto3 client for each service the
    stack emulates (its AWS_ENDPOINT_URL_* variables), so every later fork starts with
    botocore's service models already loaded in boto3's default session instead of parsing
    them again on its first invocation. In a zygote the variables are those every function has
    alike; the session reads the rest (a function's own AWS_* settings) when a client is made."""
    boto3: Any = sys.modules.get("boto3")
    if boto3 is None:
        return
    for name in sorted(os.environ):
        if name.startswith(ENDPOINT_PREFIX):
            with contextlib.suppress(Exception):  # a handler's own call would fail the same way
                boto3.client(name.removeprefix(ENDPOINT_PREFIX).lower())


def _fork(child: Callable[[], int], handed_on: list[int]) -> int:
    """Fork; the child runs ``child`` and exits with its code, whatever happens (it never
    returns into the parent's loop). The parent closes ``handed_on`` and gets the child's pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = child()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    for fd in handed_on:
        os.close(fd)
    return pid


def _reap_children(control: socket.socket) -> None:
    """Report the exit status of every child that ended (SIGCHLD): only the parent can reap."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(OSError):
            control.send(json.dumps({"pid": pid, "code": code}).encode())


def _zygote(control_fd: int) -> int:
    """Import the runtime's SDK once, then fork a function's template for each request: its
    message names the handler, the environment and the working folder; its fds are the
    template's control socket and stderr. The environment is the function's whole one,
    replacing the zygote's, and its PYTHONPATH goes first on ``sys.path``."""
    _name_process("zygote")
    control = socket.socket(fileno=control_fd)
    os.dup2(2, 1)
    started = time.perf_counter()
    for name in RUNTIME_MODULES:
        with contextlib.suppress(ImportError):  # the handler's own import then fails the same way
            importlib.import_module(name)
    preloaded_ms = (time.perf_counter() - started) * 1000
    _warm_sdk()  # every template, and every worker it forks, starts with the models loaded
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: _reap_children(control))
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            return 0
        if len(fds) != 2:
            return 0  # the stack is gone (end of the socket)
        request = json.loads(message)

        def become_template(request: dict[str, Any] = request, fds: list[int] = fds) -> int:
            control.close()
            template_control, stderr = fds
            os.dup2(stderr, 2)
            os.close(stderr)
            os.environ.clear()
            os.environ.update(request["environment"])
            os.chdir(request["cwd"])
            # Where the interpreter puts PYTHONPATH when it starts with -P: first.
            sys.path[0:0] = [
                entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry
            ]
            return _template(template_control, request["handler"], preloaded_ms, warm=True)

        pid = _fork(become_template, fds)
        with contextlib.suppress(OSError):
            control.send(json.dumps({"forked": pid, "ticket": request["ticket"]}).encode())


def _template(control_fd: int, spec: str, preloaded_ms: float = 0.0, warm: bool = False) -> int:
    """Import the handler, then fork a worker for each request; ``warm``: the SDK's models are
    loaded already (a zygote's fork), else they are before the second fork."""
    _name_process("T", spec)
    control = socket.socket(fileno=control_fd)
    os.dup2(2, 1)
    handler, init = _load(spec, preloaded_ms)
    forks = 0

    signal.signal(signal.SIGCHLD, lambda _signum, _frame: _reap_children(control))
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 16, 3)
        except OSError:
            return 0
        if len(fds) != 3:
            return 0  # the stack is gone (end of the socket)
        if handler is None:
            # A failed init fails every worker queued for it; the next one gets a new template,
            # as Lambda retries the init phase in each new execution environment.
            with os.fdopen(fds[1], "w", encoding="utf-8") as channel:
                _send(channel, json.dumps(init))
            os.close(fds[0])
            os.close(fds[2])
            control.setblocking(False)
            continue
        if forks == 1 and not warm:
            # Before the second fork, not the first: a function invoked once (the page's
            # publisher, a cold start's first call) never pays for it, and a function that
            # grows its pool forks every later worker with the SDK warm.
            _warm_sdk()
        forks += 1

        def become_worker(
            handler: Callable[[Any, LambdaContext], Any] = handler, fds: list[int] = fds
        ) -> int:
            _name_process("W", spec)
            control.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
            os.dup2(2, 1)
            _send(channel, json.dumps(init | {"pid": os.getpid()}))
            return _serve(handler, channel)

        _fork(become_worker, fds)


def _serve(handler: Callable[[Any, LambdaContext], Any], channel: TextIO) -> int:
    """Run the invocations the stack sends on stdin until it closes it."""
    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(request)
        reply: dict[str, Any] = {"type": "result", "request_id": context.aws_request_id}
        try:
            result = handler(request["event"], context)
        except Exception as err:
            reply["error"] = _error(err) | {"requestId": context.aws_request_id}
            _send(channel, json.dumps(reply))
            continue
        try:
            payload = json.dumps(result, default=_decimal_serializer)
        except (TypeError, ValueError) as err:
            reply["error"] = {
                "errorMessage": f"Unable to marshal response: {err}",
                "errorType": "Runtime.MarshalError",
                "requestId": context.aws_request_id,
                "stackTrace": [],
            }
            _send(channel, json.dumps(reply))
            continue
        _send(channel, json.dumps(reply)[:-1] + ', "payload": ' + payload + "}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
