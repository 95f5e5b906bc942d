"""The thin HTTP layer over Gateway: a WSGI app (logging every call) and a threaded server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import parse_qsl, quote, urlsplit
from wsgiref.util import is_hop_by_hop

from local_stack.apigateway.gateway import MAX_PAYLOAD_BYTES, Gateway, HttpRequest, HttpResponse
from local_stack.http.keep_alive import KeepAliveRequestHandler, ThreadingWSGIServer
from local_stack.http.keep_alive import make_server as make_keep_alive_server

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


def make_wsgi_app(gateway: Gateway) -> WSGIApplication:
    """Serve `gateway` over WSGI (a path outside its stage gets API Gateway's 403)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = _raw_path(environ)
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


def _log_call(method: str, path: str, status: int, started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info("%s %s %d %.1fms", method, path, status, elapsed_ms)


class _LineRecorder:
    """The request's stream while its header lines are parsed: keeps each line as read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.lines: list[bytes] = []

    def readline(self, limit: int = -1) -> bytes:
        line = self.stream.readline(limit)
        self.lines.append(line)
        return line


def _sent_headers(lines: list[bytes]) -> list[tuple[str, str]]:
    """Header lines as (name, value as sent): after the one space or tab that follows the
    colon (``Name: value``), whitespace before a value is kept."""
    headers: list[tuple[str, str]] = []
    for raw in lines:
        line = raw.decode("iso-8859-1").rstrip("\r\n")
        if not line:
            break
        if line[0] in " \t" and headers:  # obs-fold: the value goes on, after one space
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.lstrip(" \t"))
            continue
        name, _, value = line.partition(":")
        headers.append((name, value[1:] if value[:1] in (" ", "\t") else value))
    return headers


class RawHeadersRequestHandler(KeepAliveRequestHandler):
    """Puts the request line's raw path and the headers as sent (case, repeats, the whitespace
    before a value) into environ; answers its own refusals (431, 414, 400) with ``refusal``."""

    # The JSON answer, with the API's CORS headers, to a status the server refuses a request
    # with before any gateway sees it; None leaves http.server's HTML page.
    refusal: ClassVar[Callable[[int], HttpResponse] | None] = None
    _sent_header_lines: list[bytes] | None = None

    def parse_request(self) -> bool:
        # http.client's header parser drops the whitespace before a value; the gateway must
        # see it (an API key sent as " key" is not the key), so the lines are kept as read.
        recorder = _LineRecorder(cast("IO[bytes]", self.rfile))
        self.rfile = cast("Any", recorder)
        try:
            return super().parse_request()
        finally:
            self.rfile = cast("Any", recorder.stream)
            self._sent_header_lines = recorder.lines

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        parsed = list(self.headers.items())
        sent = _sent_headers(self._sent_header_lines or [])
        # The email parser's names are the truth; when the lines say otherwise (a malformed
        # line it skipped), its values are used as they are.
        same_names = [name for name, _ in sent] == [name for name, _ in parsed]
        environ[RAW_HEADERS_KEY] = sent if same_names else parsed
        environ[RAW_PATH_KEY] = self.path
        return environ

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        refusal = type(self).refusal
        if refusal is None:
            super().send_error(code, message, explain)
            return
        self.log_error("code %d, message %s", code, message)
        response = refusal(code)
        self.send_response(code)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(*_wire_header(name, value))
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(response.body)
        self.close_connection = True


def make_server(
    host: str,
    port: int,
    app: WSGIApplication,
    refusal: Callable[[int], HttpResponse] | None = None,
) -> ThreadingWSGIServer:
    """The API's server: threaded, HTTP/1.1 keep-alive, raw headers (.serve_forever()).

    ``refusal`` (the gateway's) answers what the server refuses itself, such as a header line
    over 64 KiB (431), as a gateway response: JSON with the CORS headers.
    """

    class Handler(RawHeadersRequestHandler):
        pass

    Handler.refusal = staticmethod(refusal) if refusal is not None else None
    return make_keep_alive_server(host, port, app, Handler)


__all__: list[str] = ["make_server", "make_wsgi_app"]
