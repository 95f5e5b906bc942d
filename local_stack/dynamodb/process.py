"""The internal DynamoDB (moto) in its own process: it runs beside the stack, not under its GIL.

The stack opens the listening socket (127.0.0.1, a free port) and forks a child that serves
moto's DynamoDB app alone on it (nothing else is reachable unauthenticated on this internal
port, in particular not S3). The child is forked after moto is imported, so it starts without
importing anything, and it ends when its lifeline pipe closes: the stack stopped, or died.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading

from moto.moto_server.werkzeug_app import create_backend_app

from local_stack.http.keep_alive import serve_on_socket


class DynamoDBProcess:
    """moto's DynamoDB served by a forked child on a 127.0.0.1 socket this process owns.

    Start it before this process runs any thread (forking copies only the calling thread).
    """

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        lifeline, self._lifeline = os.pipe()
        context = multiprocessing.get_context("fork")
        # Daemon: should this process exit without close(), multiprocessing ends the child too.
        self.process = context.Process(
            target=_serve,
            args=(self._socket, lifeline, self._lifeline),
            name="DynamoDB",
            daemon=True,
        )
        self.process.start()
        os.close(lifeline)

    def close(self) -> None:
        """Stop the child (closing its lifeline is the signal) and free the port."""
        if self._lifeline >= 0:
            os.close(self._lifeline)
            self._lifeline = -1
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self._socket.close()


def _serve(listening: socket.socket, lifeline: int, parent_end: int) -> None:
    # Ctrl-C reaches the whole process group; the stack decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.close(parent_end)  # else this process would keep its own lifeline open
    server = serve_on_socket(listening, create_backend_app("dynamodb"))
    threading.Thread(target=server.serve_forever, name="DynamoDB-server", daemon=True).start()
    while os.read(lifeline, 1):  # returns b"" once the stack's end is closed
        pass
    server.shutdown()
