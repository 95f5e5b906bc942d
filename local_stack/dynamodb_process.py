"""The internal DynamoDB (moto) in its own process: it runs beside the stack, not under its GIL.

The stack opens the listening socket (127.0.0.1, a free port) and hands it to the child, so the
port is known at once and stays the stack's own. The child serves moto's DynamoDB app alone
(nothing else is reachable unauthenticated on this internal port, in particular not S3) until
its stdin closes: when the stack stops, or dies.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

READY = b"ready\n"
START_TIMEOUT_SECONDS = 30.0
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DynamoDBStartError(RuntimeError):
    """The DynamoDB process did not come up; the message says why."""


class DynamoDBProcess:
    """moto's DynamoDB served by a child process on a 127.0.0.1 socket this process owns."""

    def __init__(self, python: str = sys.executable) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        fd = self._socket.fileno()
        path = os.environ.get("PYTHONPATH")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_PROJECT_ROOT), path])),
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [python, "-m", "local_stack.dynamodb_process", str(fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            pass_fds=(fd,),
        )

    def wait_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Return once the child serves; raise DynamoDBStartError if it exits or takes too long."""
        assert self.process.stdout is not None
        answer: list[bytes] = []
        reader = threading.Thread(
            target=lambda: answer.append(self.process.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(timeout)
        if answer != [READY]:
            code = self.process.poll()
            self.close()
            why = (
                f"exited with status {code}" if code is not None else f"not ready in {timeout:g} s"
            )
            raise DynamoDBStartError(f"the internal DynamoDB server {why}")

    def close(self) -> None:
        """Stop the child (closing its stdin is the signal) and free the port."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._socket.close()


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group; the stack decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from moto.moto_server.werkzeug_app import create_backend_app

    from local_stack.keep_alive import serve_on_socket

    listening = socket.socket(fileno=int(argv[1]))
    server = serve_on_socket(listening, create_backend_app("dynamodb"))
    threading.Thread(target=server.serve_forever, name="DynamoDB-server", daemon=True).start()
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()
    sys.stdin.buffer.read()  # until the stack closes the pipe (or is gone)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
