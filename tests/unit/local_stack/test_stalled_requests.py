"""The S3 and web servers drop a connection that stalls, as the API's server does."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from local_stack.http import threaded_server
from local_stack.http.keep_alive import KEEP_ALIVE_TIMEOUT_SECONDS
from tests.helpers.gateway import served

# Patched into the server for these tests; the socket's own bound only keeps a failure from
# hanging the suite (a server that never drops the connection fails the test, not by a clock).
STALL_SECONDS = 0.2
CLIENT_BOUND_SECONDS = 30.0


def echo_length(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    answer = str(len(body)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
    return [answer]


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(threaded_server, "STALLED_REQUEST_TIMEOUT_SECONDS", STALL_SECONDS)
    server = threaded_server.werkzeug_server("127.0.0.1", 0, echo_length)
    with served(server) as port:
        yield port


def received_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_the_stall_timeout_is_the_api_servers_by_default() -> None:
    assert threaded_server.STALLED_REQUEST_TIMEOUT_SECONDS == KEEP_ALIVE_TIMEOUT_SECONDS == 60.0


@pytest.mark.parametrize(
    "half_request",
    [
        b"PUT /bucket/key HTTP/1.1\r\nHost: local\r\nContent-Length: 10\r\n\r\nabc",
        b"GET /bucket/key HTTP/1.1\r\nHost: local\r\n",
        b"GET /bucket/k",
    ],
    ids=["body cut short", "headers cut short", "request line cut short"],
)
def test_a_request_stalled_halfway_is_dropped_without_an_answer_or_an_error_in_the_log(
    port: int, half_request: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO),
        socket.create_connection(("127.0.0.1", port), timeout=CLIENT_BOUND_SECONDS) as connection,
    ):
        connection.sendall(half_request)

        assert received_until_closed(connection) == b""

    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_an_idle_keep_alive_connection_is_closed_after_its_answer(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_BOUND_SECONDS) as connection:
        connection.sendall(b"PUT /k HTTP/1.1\r\nHost: local\r\nContent-Length: 3\r\n\r\nabc")

        received = received_until_closed(connection)

    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"\r\n\r\n3")
