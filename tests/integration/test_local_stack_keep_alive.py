"""The local API's HTTP/1.1 connections: kept open between requests, closed when that is unsafe."""

from __future__ import annotations

import http.client
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest

from local_stack.config import DEFAULT_HOST
from local_stack.http.keep_alive import make_server
from local_stack.testing.launcher import RunningStack

pytestmark = pytest.mark.local_only


def _connection(stack: RunningStack) -> tuple[http.client.HTTPConnection, str]:
    url = urlsplit(stack.api_url)
    assert url.hostname is not None and url.port is not None
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30), url.path


def test_one_connection_serves_one_request_after_another(local_stack: RunningStack) -> None:
    connection, stage = _connection(local_stack)
    try:
        ports = []
        for body in (b'{"name": "a.txt", "size": 1, "type": "text/plain"}', None):
            method, path = ("POST", "/file") if body else ("GET", "/config")
            connection.request(method, stage + path, body=body)
            assert connection.sock is not None
            ports.append(connection.sock.getsockname()[1])
            response = connection.getresponse()
            assert response.status == 200, response.read()
            assert response.version == 11
            assert response.getheader("Connection") is None
            response.read()
        assert ports[0] == ports[1]  # the second request went over the first one's connection
    finally:
        connection.close()


def _body_ignoring_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_a_body_left_unread_closes_the_connection_after_the_answer() -> None:
    # The API's server (every route of the gateway reads its body): an app that answers
    # without reading it. What is left must not be taken for the next request, so the server
    # says it closes and does.
    server = make_server(DEFAULT_HOST, 0, _body_ignoring_app)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection(DEFAULT_HOST, server.server_address[1], timeout=30)
    try:
        connection.request("GET", "/anything", body=b"x" * 1000)
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Connection") == "close"
        response.read()
        assert response.will_close
    finally:
        connection.close()
        server.shutdown()
        server.server_close()


def test_an_http_1_0_request_gets_its_answer_and_the_connection_closes(
    local_stack: RunningStack,
) -> None:
    url = urlsplit(local_stack.api_url)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=30) as raw:
        raw.sendall(f"GET {url.path}/config HTTP/1.0\r\nHost: {url.netloc}\r\n\r\n".encode())
        received = b""
        while chunk := raw.recv(65536):  # ends only when the server closes the connection
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close" in head
    assert body.startswith(b"{")
