"""``X-Amz-Log-Type: Tail``: the log lines of one invocation, as Lambda returns their last 4 KB.

The runtime logs each worker's output lines and its own START/END/REPORT lines through the
``local_stack.awslambda.runtime`` logger as ``[<LogicalId>] <line>``; a capture keeps those of
one function between its invocation's START and the end of the capture. Local limit (named in
docs/LOCAL.md): while two invocations of the same function run at once, each one's tail may
hold lines of the other, as the local worker output carries no request id.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

RUNTIME_LOGGER = "local_stack.awslambda.runtime"
# AWS parity: X-Amz-Log-Result holds the last 4 KB of the invocation's log, base64-encoded.
TAIL_BYTES = 4096
# A worker's output reaches the log through its own reader thread: after the invocation
# returned, wait until it has been quiet this long (at most SETTLE_MAX_SECONDS).
SETTLE_QUIET_SECONDS = 0.02
SETTLE_MAX_SECONDS = 0.25


@dataclass
class _Capture:
    function_name: str
    request_id: str
    started: bool = False
    lines: list[str] = field(default_factory=list)
    last_line_at: float = 0.0

    def offer(self, line: str) -> None:
        if not self.started:
            self.started = line.startswith(f"START RequestId: {self.request_id} ")
        if self.started:
            self.lines.append(line)
            self.last_line_at = time.monotonic()

    def text(self) -> str:
        # The runtime's END and REPORT lines may be logged before the worker's last output
        # lines reached the log: put them last, where Lambda writes them.
        tail_markers = (f"END RequestId: {self.request_id}", f"REPORT RequestId: {self.request_id}")
        body = [line for line in self.lines if not line.startswith(tail_markers)]
        ending = [line for line in self.lines if line.startswith(tail_markers)]
        return "".join(f"{line}\n" for line in body + ending)


class LogTail(logging.Handler):
    """A handler on the runtime's logger that collects the lines of the invocations asked for."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._captures: list[_Capture] = []
        self._captures_lock = threading.Lock()
        logger = logging.getLogger(RUNTIME_LOGGER)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)  # the lines must be made to be captured
        logger.addHandler(self)

    def close(self) -> None:
        logging.getLogger(RUNTIME_LOGGER).removeHandler(self)
        super().close()

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not isinstance(args, tuple) or len(args) < 2 or not str(record.msg).startswith("[%s] "):
            return
        function_name = str(args[0])
        line = record.getMessage()[len(function_name) + 3 :]
        with self._captures_lock:
            for capture in self._captures:
                if capture.function_name == function_name:
                    capture.offer(line)

    @contextlib.contextmanager
    def capture(self, function_name: str, request_id: str) -> Iterator[_Capture]:
        """Collect the log lines of ``function_name``'s invocation ``request_id``."""
        capture = _Capture(function_name, request_id)
        with self._captures_lock:
            self._captures.append(capture)
        try:
            yield capture
            deadline = time.monotonic() + SETTLE_MAX_SECONDS
            while time.monotonic() < deadline:
                if time.monotonic() - capture.last_line_at >= SETTLE_QUIET_SECONDS:
                    break
                time.sleep(SETTLE_QUIET_SECONDS / 2)
        finally:
            with self._captures_lock:
                self._captures.remove(capture)


def log_result(text: str) -> str:
    """The ``X-Amz-Log-Result`` header value: base64 of the log's last 4 KB."""
    return base64.b64encode(text.encode("utf-8")[-TAIL_BYTES:]).decode("ascii")
