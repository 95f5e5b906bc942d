"""The cost of bare HTTP on this machine: a trivial WSGI app behind the two kinds of server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from bench.local_api import HOST, free_port

_SERVER = """
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


def app(environ, start_response):
    body = b"{}"
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


kind, port = sys.argv[1], int(sys.argv[2])
if kind == "wsgiref":
    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server("127.0.0.1", port, app, server_class=Server, handler_class=Quiet).serve_forever()
else:
    from werkzeug.serving import WSGIRequestHandler as Handler, make_server as werkzeug_server

    class KeepAlive(Handler):
        protocol_version = "HTTP/1.1"

        def log_request(self, *args, **kwargs):
            pass

    werkzeug_server("127.0.0.1", port, app, threaded=True,
                    request_handler=KeepAlive).serve_forever()
"""

SERVERS = {
    "wsgiref": "wsgiref threaded server, HTTP/1.0: a new connection per request (as the local API)",
    "werkzeug": "werkzeug threaded server, HTTP/1.1 keep-alive",
}


@contextmanager
def trivial_server(kind: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, kind, str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://{HOST}:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the trivial {kind} server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def floor_latencies(kind: str, count: int) -> list[float]:
    """Sequential GETs of a trivial app over one keep-alive ``requests.Session``."""
    with trivial_server(kind) as url, requests.Session() as http:
        for _ in range(20):
            http.get(url, timeout=30)
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            http.get(url, timeout=30).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return samples
