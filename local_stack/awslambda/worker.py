"""A Lambda-like worker process: imports one handler, then runs the invocations its parent sends.

Run as ``python -u -P worker.py <module.function>``; standard library only, so the
handler sees the same ``sys.path`` it would see in Lambda (the task root from ``PYTHONPATH``).

Protocol (JSON lines): the parent writes one request per line on stdin; the worker answers on
its original stdout, which it keeps for itself. Everything the handler writes to stdout or
stderr goes to stderr, which the parent prints prefixed with the function's name.
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO


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


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the terminal's whole process group, workers too; the stack stops its
    # workers itself (SIGTERM, or the end of stdin), as Lambda's runtime never sees a SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints join its logs on stderr
    started = time.perf_counter()
    try:
        handler = _load_handler(argv[1])
    except _InitError as err:
        _send(channel, json.dumps({"type": "init", "error": _error(err, err.error_type)}))
        return 1
    except Exception as err:  # an exception raised while importing the module
        _send(channel, json.dumps({"type": "init", "error": _error(err)}))
        return 1
    init_ms = (time.perf_counter() - started) * 1000
    _send(channel, json.dumps({"type": "init", "init_ms": init_ms}))
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
