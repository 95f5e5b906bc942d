"""A threaded WSGI server (wsgiref) that keeps HTTP/1.1 connections open between requests."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import IO, TYPE_CHECKING, Any, cast
from wsgiref.headers import Headers
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from werkzeug.wsgi import LimitedStream

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
else:
    WSGIApplication = Any

logger = logging.getLogger(__name__)

# How long a keep-alive connection may wait for its next request (and a request for its bytes).
KEEP_ALIVE_TIMEOUT_SECONDS = 60.0


class _RequestBody(LimitedStream):
    """``wsgi.input`` limited to Content-Length, so the server knows whether it was read whole."""

    disconnected = False

    def on_disconnect(self, error: Exception | None = None) -> None:
        # A client that hangs up mid-body leaves a short body, as a plain socket read would.
        self.disconnected = True


class _KeepAliveServerHandler(ServerHandler):
    """wsgiref's handler speaking HTTP/1.1: the connection stays open when that is safe."""

    http_version = "1.1"
    request_handler: KeepAliveRequestHandler
    headers: Headers  # set by start_response, before cleanup_headers runs

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        request = self.request_handler
        # Keep the connection only when the next request starts exactly where this one ends:
        # the body was read whole and the response says where it ends.
        if not request.body_read_whole() or "Content-Length" not in self.headers:
            request.close_connection = True
        if request.close_connection:
            self.headers["Connection"] = "close"


class KeepAliveRequestHandler(WSGIRequestHandler):
    """Serves one connection's HTTP/1.1 requests one after another (wsgiref serves one only)."""

    protocol_version = "HTTP/1.1"
    timeout = KEEP_ALIVE_TIMEOUT_SECONDS
    disable_nagle_algorithm = True
    wbufsize = -1  # status line, headers and body leave in one send, not one per header
    _request_body: _RequestBody | None = None

    def setup(self) -> None:
        super().setup()
        server = self.server
        if isinstance(server, ThreadingWSGIServer):
            server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            server = self.server
            if isinstance(server, ThreadingWSGIServer):
                server.untrack(self.connection)

    def handle(self) -> None:
        self.close_connection = True
        self._handle_one_request()
        while not self.close_connection:
            self._handle_one_request()

    def _handle_one_request(self) -> None:
        # wsgiref's WSGIRequestHandler.handle, for one request of a persistent connection.
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:  # idle past the timeout, reset by the client, or the server stopping
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return
        if not self.parse_request():  # an error has been sent
            return
        if self.request_version != "HTTP/1.1" or "Transfer-Encoding" in self.headers:
            # HTTP/1.0 clients get one request per connection, as before; a chunked body
            # is not decoded here, so nothing after it on the connection could be read.
            self.close_connection = True
        try:
            length = max(int(self.headers.get("Content-Length") or 0), 0)
        except ValueError:
            length = 0
            self.close_connection = True
        self._request_body = _RequestBody(cast("IO[bytes]", self.rfile), length)
        handler = _KeepAliveServerHandler(
            self._request_body,
            cast("IO[bytes]", self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=False,
        )
        handler.request_handler = self  # backpointer for logging
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        self.wfile.flush()

    def body_read_whole(self) -> bool:
        body = self._request_body
        return body is not None and body.is_exhausted and not body.disconnected

    def handle_expect_100(self) -> bool:
        answered = super().handle_expect_100()
        self.wfile.flush()  # "100 Continue" must leave now, not with the final answer
        return answered

    def log_message(self, format: str, *args: Any) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s " + format, self.address_string(), *args)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per connection, daemon threads so Ctrl-C stops the server at once."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when many clients (a page
    # uploading a folder, 100 concurrent flows) connect at once; werkzeug's S3 and web servers
    # use 128 too.
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def server_close(self) -> None:
        """Stop listening and end the open keep-alive connections after their current answer."""
        super().server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            # Reading ends: an idle connection's thread sees end-of-stream and exits; one
            # busy with a request still writes its answer first.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RD)


def make_server(
    host: str,
    port: int,
    app: WSGIApplication,
    handler_class: type[KeepAliveRequestHandler] | None = None,
) -> ThreadingWSGIServer:
    """A threaded keep-alive HTTP server for `app` (.serve_forever(), stop with .shutdown())."""
    server = ThreadingWSGIServer((host, port), handler_class or KeepAliveRequestHandler)
    server.set_app(app)
    return server


def serve_on_socket(listening: socket.socket, app: WSGIApplication) -> ThreadingWSGIServer:
    """A threaded keep-alive HTTP server for `app` on a socket that already listens."""
    server = ThreadingWSGIServer(
        listening.getsockname(), KeepAliveRequestHandler, bind_and_activate=False
    )
    server.socket.close()  # the one made by the constructor; `listening` replaces it
    server.socket = listening
    server.server_address = listening.getsockname()
    host, port = server.server_address[:2]
    server.server_name, server.server_port = str(host), int(port)
    server.setup_environ()
    server.set_app(app)
    return server


__all__: list[str] = [
    "KeepAliveRequestHandler",
    "ThreadingWSGIServer",
    "make_server",
    "serve_on_socket",
]
