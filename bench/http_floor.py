"""The cost of bare HTTP on this machine: a trivial WSGI app behind two kinds of server."""

from __future__ import annotations

import os
import sys
import time

import requests

from bench.processes import serving
from local_stack.config import DEFAULT_HOST, PROJECT_ROOT
from local_stack.testing.launcher import free_port

_SERVER = """
import sys


def app(environ, start_response):
    body = b"{}"
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "keep_alive":
    from local_stack.http.keep_alive import make_server

    make_server(host, port, app).serve_forever()
else:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    make_server(host, port, app, threaded=True, request_handler=Quiet).serve_forever()
"""

# The servers measured, and whether each keeps the connection open (checked on every run).
KEEPS_CONNECTION = {"keep_alive": True, "werkzeug": False}
WARM_UP = 20


def floor_latencies(kind: str, count: int) -> list[float]:
    """Sequential GETs (ms) of a trivial app over one ``requests.Session``, which reuses the
    connection whenever the server keeps it open."""
    port = free_port()
    url = f"http://{DEFAULT_HOST}:{port}/"
    command = [sys.executable, "-c", _SERVER, kind, DEFAULT_HOST, str(port)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    with serving(command, url, f"trivial {kind} server", env), requests.Session() as http:
        for _ in range(WARM_UP):
            answer = http.get(url, timeout=30)
        closes = answer.headers.get("Connection", "").lower() == "close"
        if closes == KEEPS_CONNECTION[kind]:
            raise RuntimeError(f"the trivial {kind} server does not behave as its label says")
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            http.get(url, timeout=30).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return samples
