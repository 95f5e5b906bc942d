"""The thin HTTP layer over Gateway: a WSGI app (logging every call) and a threaded server."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, quote, urlsplit
from wsgiref.headers import Headers
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _make_server
from wsgiref.util import is_hop_by_hop

from werkzeug.wsgi import LimitedStream

from local_stack.gateway.gateway import MAX_PAYLOAD_BYTES, Gateway, HttpRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
else:
    StartResponse = WSGIApplication = WSGIEnvironment = Any

logger = logging.getLogger(__name__)

# Set by RawHeadersRequestHandler: WSGI itself upper-cases header names and folds repeats, which
# would lose what the Lambda event must show (names as sent, every repeated value).
RAW_HEADERS_KEY = "filestore.raw_headers"
RAW_PATH_KEY = "filestore.raw_path"

_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def _raw_path(environ: WSGIEnvironment) -> str:
    raw = environ.get(RAW_PATH_KEY) or environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = urlsplit(raw).path if "://" in raw else raw.split("?", 1)[0]
        return path or "/"
    # PEP 3333: PATH_INFO is already decoded and carried as latin-1; re-encode it.
    decoded = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return quote(decoded.encode("latin-1"), safe=_PATH_SAFE) or "/"


def _headers(environ: WSGIEnvironment) -> list[tuple[str, str]]:
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        return [(str(k), str(v)) for k, v in raw]
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").title(), value))
    return headers


def _body(environ: WSGIEnvironment) -> bytes:
    stream = environ["wsgi.input"]
    # Read one byte past the limit so the gateway can answer 413 without buffering more.
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read(MAX_PAYLOAD_BYTES + 1))
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return bytes(stream.read(min(length, MAX_PAYLOAD_BYTES + 1))) if length > 0 else b""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _wire_header(name: str, value: str) -> tuple[str, str]:
    # WSGI headers are latin-1 strings: send non-latin-1 text as its UTF-8 bytes.
    return name, value.encode("utf-8").decode("latin-1")


def make_wsgi_app(gateway: Gateway, fallback: WSGIApplication | None = None) -> WSGIApplication:
    """Serve `gateway` over WSGI; paths outside its stage go to `fallback` when one is given."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = _raw_path(environ)
        if fallback is not None and not gateway.owns(path):
            return _logged_fallback(fallback, environ, start_response, method, path, started)
        request = HttpRequest(
            method=method,
            path=path,
            query=parse_qsl(
                environ.get("QUERY_STRING", ""), keep_blank_values=True, errors="replace"
            ),
            headers=_headers(environ),
            body=_body(environ),
            source_ip=str(environ.get("REMOTE_ADDR") or "127.0.0.1"),
        )
        response = gateway.handle(request)
        body = b"" if method == "HEAD" else response.body
        headers = [
            _wire_header(name, value)
            for name, value in response.headers
            if not is_hop_by_hop(name) and name.lower() != "content-length"
        ]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        _log_call(method, path, response.status, started)
        return [body]

    return app


def _logged_fallback(
    fallback: WSGIApplication,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    method: str,
    path: str,
    started: float,
) -> Iterable[bytes]:
    statuses: list[str] = []

    def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return start_response(status, headers, exc_info)

    result = fallback(environ, recording_start_response)
    status = int(statuses[-1].split(" ", 1)[0]) if statuses else 0
    _log_call(method, path, status, started)
    return result


def _log_call(method: str, path: str, status: int, started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info("%s %s %d %.1fms", method, path, status, elapsed_ms)


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
    request_handler: RawHeadersRequestHandler
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


class RawHeadersRequestHandler(WSGIRequestHandler):
    """Serves HTTP/1.1 keep-alive connections (as API Gateway does), one request after another.

    Puts the request line's raw path and the headers as sent (case, repeats) into environ.
    """

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

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        environ[RAW_PATH_KEY] = self.path
        return environ

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


def make_server(host: str, port: int, app: WSGIApplication) -> ThreadingWSGIServer:
    """A threaded HTTP server for `app` (serve with .serve_forever(), stop with .shutdown())."""
    server = _make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=RawHeadersRequestHandler
    )
    assert isinstance(server, ThreadingWSGIServer)
    return server


__all__: list[str] = ["make_server", "make_wsgi_app"]
