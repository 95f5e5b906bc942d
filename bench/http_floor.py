"""The cost of bare HTTP on this machine: a trivial WSGI app behind two kinds of server."""

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
from bench.results import REPO_ROOT

_SERVER = """
import sys


def app(environ, start_response):
    body = b"{}"
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


kind, port = sys.argv[1], int(sys.argv[2])
if kind == "keep_alive":
    from local_stack.http.keep_alive import make_server

    make_server("127.0.0.1", port, app).serve_forever()
else:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    make_server("127.0.0.1", port, app, threaded=True, request_handler=Quiet).serve_forever()
"""

# Whether each server keeps the connection open, as its label says (checked on every run).
KEEPS_CONNECTION = {"keep_alive": True, "werkzeug": False}

SERVERS = {
    "keep_alive": (
        "`local_stack.http.keep_alive` threaded server (the local API's own), HTTP/1.1 keep-alive: "
        "one connection for all requests"
    ),
    "werkzeug": (
        "werkzeug threaded server (as the local S3 endpoint), HTTP/1.1 but `Connection: close`: "
        "a new connection per request"
    ),
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
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
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
    """Sequential GETs of a trivial app over one ``requests.Session`` (it reuses the connection
    whenever the server keeps it open)."""
    with trivial_server(kind) as url, requests.Session() as http:
        for _ in range(20):
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
