"""The WSGI layer over the local API Gateway (driven with werkzeug's test client, no sockets)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from werkzeug.test import Client

from local_stack.apigateway import Gateway, make_wsgi_app
from local_stack.apigateway.http_server import RAW_HEADERS_KEY
from local_stack.awslambda.invocation import InvocationResult
from tests.helpers.gateway import lambda_proxy

SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "paths": {
        "/file/{id}": {"post": {"x-amazon-apigateway-integration": lambda_proxy("FileFunction")}}
    },
}


class Recorder:
    def __init__(self, payload: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.payload = payload or {
            "statusCode": 201,
            "headers": {"X-Result": "é", "Keep-Alive": "timeout=5"},
            "body": "created",
        }

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        self.events.append(event)
        return InvocationResult(payload=self.payload)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Client:
    gateway = Gateway(SWAGGER, "dev", recorder, {})
    return Client(make_wsgi_app(gateway))


def test_request_reaches_the_function_and_the_response_comes_back(
    client: Client, recorder: Recorder
) -> None:
    response = client.post(
        "/dev/file/a%2Fb?tag=x&tag=y%20z",
        data=b'{"a": 1}',
        headers={"Content-Type": "application/json", "User-Agent": "t/1"},
        environ_overrides={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 201
    assert response.data == b"created"
    assert response.headers["Content-Length"] == "7"
    assert response.headers["X-Result"].encode("latin-1").decode("utf-8") == "é"
    assert "Keep-Alive" not in response.headers  # hop-by-hop headers never leave the gateway
    assert response.headers["x-amzn-RequestId"]
    event = recorder.events[-1]
    assert event["path"] == "/file/a%2Fb"  # the raw path, not WSGI's decoded PATH_INFO
    assert event["pathParameters"] == {"id": "a/b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y z"]}
    assert event["body"] == '{"a": 1}'
    assert event["requestContext"]["identity"]["sourceIp"] == "10.1.2.3"
    assert event["requestContext"]["identity"]["userAgent"] == "t/1"


def test_raw_headers_from_the_server_keep_case_and_repeats(
    client: Client, recorder: Recorder
) -> None:
    raw = [("X-Mixed-Case", "1"), ("X-Mixed-Case", "2"), ("Host", "localhost")]
    client.post("/dev/file/abc", environ_overrides={RAW_HEADERS_KEY: raw})
    event = recorder.events[-1]
    assert event["headers"]["X-Mixed-Case"] == "2"
    assert event["multiValueHeaders"]["X-Mixed-Case"] == ["1", "2"]


def test_paths_outside_the_stage_are_403_and_reach_no_function(
    client: Client, recorder: Recorder
) -> None:
    # The API port has no local-only side door: a simple text/plain POST a web page could send
    # to any path outside the stage is an unknown path, as on API Gateway.
    for method, path in (("POST", "/outside/the/stage"), ("GET", "/_local/dead-letters")):
        response = client.open(path, method=method, data=b"{}", content_type="text/plain")
        assert response.status_code == 403
        assert response.json == {"message": "Missing Authentication Token"}
    assert recorder.events == []


def test_every_call_is_logged_with_method_path_status_and_milliseconds(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="local_stack.apigateway.http_server"):
        client.post("/dev/file/abc")
        client.get("/dev/nowhere")
        client.get("/elsewhere")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    for line, (method, path, status) in zip(
        lines,
        [
            ("POST", "/dev/file/abc", 201),
            ("GET", "/dev/nowhere", 403),
            ("GET", "/elsewhere", 403),
        ],
        strict=True,
    ):
        assert line.startswith(f"{method} {path} {status} ")
        assert line.endswith("ms")


def test_head_response_has_no_body(client: Client) -> None:
    response = client.head("/dev/file/abc")
    assert response.status_code == 403
    assert response.data == b""
