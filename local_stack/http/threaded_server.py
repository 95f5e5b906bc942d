"""The threaded werkzeug server the S3, Lambda and web endpoints run on, with a stall timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from local_stack.http.keep_alive import KEEP_ALIVE_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# How long the S3 and web servers wait for a request's next bytes (or an idle connection for its
# next request) before they drop the connection, as the API's server does.
STALLED_REQUEST_TIMEOUT_SECONDS = KEEP_ALIVE_TIMEOUT_SECONDS
# How often a serving loop checks for shutdown(): socketserver's 0.5 s default made every stop
# wait up to half a second per server, which every test stack pays.
SERVE_POLL_SECONDS = 0.05


class Server(Protocol):
    """What the stack needs of a server it runs on a thread."""

    server_address: Any

    def serve_forever(self, poll_interval: float = ...) -> None: ...
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


def werkzeug_server(host: str, port: int, app: WSGIApplication) -> Server:
    """A threaded werkzeug server that drops a connection silent for
    ``STALLED_REQUEST_TIMEOUT_SECONDS``: a request stalled halfway, or an idle keep-alive."""
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.serving import make_server as make_werkzeug_server

    class Handler(WSGIRequestHandler):
        timeout = STALLED_REQUEST_TIMEOUT_SECONDS

        def log_error(self, format: str, *args: Any) -> None:
            # http.server reports an idle connection it dropped; that is no error here.
            if not format.startswith("Request timed out"):
                super().log_error(format, *args)

    return make_werkzeug_server(host, port, app, threaded=True, request_handler=Handler)
