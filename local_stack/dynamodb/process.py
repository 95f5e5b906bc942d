"""The internal DynamoDB (moto) in its own process: it runs beside the stack, not under its GIL.

The stack opens the listening socket (127.0.0.1, a free port) and starts a child that serves
moto's DynamoDB handler alone on it (nothing else is reachable unauthenticated on this internal
port, in particular not S3), through ``DurableDynamoDB`` (one request at a time; journaled when
the stack keeps its data). The first child is forked after moto's core is imported, so it
imports only moto's DynamoDB, beside the stack's own start-up; a child started again after a
crash is spawned (forking a process that runs threads is not safe). A child ends when its
lifeline closes: the stack stopped, or died. The socket stays open in the stack between
children, so a restart keeps the port.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import signal
import socket
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

from moto.core import responses as moto_responses
from moto.core import utils as moto_utils

from local_stack.dynamodb.durable import DurableDynamoDB
from local_stack.http.keep_alive import serve_on_socket
from local_stack.http.threaded_server import SERVE_POLL_SECONDS


class DynamoDBProcess:
    """moto's DynamoDB served by a child process on a 127.0.0.1 socket this process owns.

    Create it before this process runs any thread (forking copies only the calling thread).
    """

    def __init__(self, journal_path: Path | None = None) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._journal_path = journal_path
        self._lifeline: Connection | None = None
        self.process = self._start("fork")

    @property
    def sentinel(self) -> int:
        """Ready for reading (``multiprocessing.connection.wait``) once the child has ended."""
        return int(self.process.sentinel)

    def alive(self) -> bool:
        return self.process.is_alive()

    def restart(self) -> None:
        """Start a fresh child on the same socket; it reloads the journal before it serves."""
        self._stop_child()
        self.process = self._start("spawn")

    def _start(self, method: Literal["fork", "spawn"]) -> multiprocessing.process.BaseProcess:
        context = (
            multiprocessing.get_context("fork")
            if method == "fork"
            else multiprocessing.get_context("spawn")
        )
        child_end, self._lifeline = context.Pipe(duplex=False)
        # A forked child inherits the stack's end of its lifeline too, and must close it, or it
        # would never see the stack go; a spawned child receives only what ``args`` names.
        inherited = self._lifeline if method == "fork" else None
        # Daemon: should this process exit without close(), multiprocessing ends the child too.
        process = context.Process(
            target=serve,
            args=(self._socket, child_end, inherited, self._journal_path),
            name="DynamoDB",
            daemon=True,
        )
        process.start()
        child_end.close()
        return process

    def _stop_child(self) -> None:
        if self._lifeline is not None:
            self._lifeline.close()
            self._lifeline = None
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)

    def close(self) -> None:
        """Stop the child (closing its lifeline is the signal) and free the port."""
        self._stop_child()
        self._socket.close()


def serve(
    listening: socket.socket,
    lifeline: Connection,
    stack_end: Connection | None,
    journal_path: Path | None,
) -> None:
    """The child's whole life: load the journal, serve until the lifeline closes."""
    if stack_end is not None:
        stack_end.close()
    # Ctrl-C reaches the whole process group; the stack decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Imported here, in the child: moto's DynamoDB models load beside the stack's start-up.
    from local_stack.dynamodb.moto_app import moto_dynamodb_app

    keep_moto_method_names()
    app = DurableDynamoDB(moto_dynamodb_app, journal_path)
    server = serve_on_socket(listening, app)
    threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SERVE_POLL_SECONDS},
        name="DynamoDB-server",
        daemon=True,
    ).start()
    with contextlib.suppress(EOFError):
        lifeline.recv_bytes()  # nothing is ever sent: this returns when the stack's end closes
    server.shutdown()


def keep_moto_method_names() -> None:
    """moto lists its response class's methods with ``inspect.getmembers`` on every request to
    find the action's method (0.15 to 0.3 ms of a PutItem's 1.5 to 2 ms here). A class's methods
    do not change while the stack runs, so each class's list is computed once."""
    if (
        getattr(moto_responses, "method_names_from_class", None)
        is moto_utils.method_names_from_class
    ):
        cached = functools.cache(moto_utils.method_names_from_class)
        setattr(moto_responses, "method_names_from_class", cached)  # noqa: B010 - not exported
