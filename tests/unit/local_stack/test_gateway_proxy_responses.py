"""How the local API Gateway turns function results (and failures) into HTTP responses."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest

from local_stack.apigateway import Gateway, HttpRequest, HttpResponse
from local_stack.awslambda.invocation import FunctionNotFoundError, InvocationResult
from tests.helpers.gateway import lambda_proxy

SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "x-amazon-apigateway-binary-media-types": ["application/pdf"],
    "paths": {"/thing": {"get": {"x-amazon-apigateway-integration": lambda_proxy("Thing")}}},
}


def _gateway_returning(payload: Any, **kwargs: Any) -> Gateway:
    def invoke(function_name: str, event: dict[str, Any]) -> InvocationResult:
        return InvocationResult(payload=payload)

    return Gateway(SWAGGER, "dev", invoke, {}, **kwargs)


def _get(gateway: Gateway, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    return gateway.handle(HttpRequest("GET", "/dev/thing", [], headers or [], b""))


def _values(response: HttpResponse, name: str) -> list[str]:
    return [value for key, value in response.headers if key.lower() == name.lower()]


def test_status_headers_and_body_come_from_the_proxy_response() -> None:
    response = _get(
        _gateway_returning(
            {"statusCode": 201, "headers": {"Content-Type": "text/plain"}, "body": "héllo"}
        )
    )
    assert response.status == 201
    assert _values(response, "Content-Type") == ["text/plain"]
    assert response.body == "héllo".encode()


def test_headers_and_multi_value_headers_are_merged_multi_value_winning() -> None:
    payload = {
        "statusCode": 200,
        "headers": {"X-Single": "s", "X-Both": "from-headers"},
        "multiValueHeaders": {"X-Both": ["m1", "m2"], "Set-Cookie": ["a=1", "b=2"]},
        "body": "{}",
    }
    response = _get(_gateway_returning(payload))
    assert _values(response, "X-Single") == ["s"]
    assert _values(response, "X-Both") == ["m1", "m2"]
    assert _values(response, "Set-Cookie") == ["a=1", "b=2"]


def test_json_content_type_is_the_default_and_aws_headers_are_added() -> None:
    response = _get(_gateway_returning({"statusCode": 200, "body": "{}"}))
    assert _values(response, "Content-Type") == ["application/json"]
    assert len(_values(response, "x-amzn-RequestId")) == 1
    assert len(_values(response, "x-amz-apigw-id")) == 1


def test_headers_api_gateway_owns_are_remapped() -> None:
    payload = {"statusCode": 200, "headers": {"Server": "mine", "Content-Length": "99"}}
    response = _get(_gateway_returning(payload))
    assert _values(response, "x-amzn-Remapped-Server") == ["mine"]
    assert _values(response, "Server") == []
    assert _values(response, "Content-Length") == []


def test_base64_body_is_decoded_when_accept_matches_a_binary_media_type() -> None:
    data = b"%PDF-\x00\xff"
    payload = {
        "statusCode": 200,
        "headers": {"Content-Type": "application/pdf"},
        "body": base64.b64encode(data).decode(),
        "isBase64Encoded": True,
    }
    response = _get(_gateway_returning(payload), [("Accept", "application/pdf")])
    assert response.body == data


def test_base64_body_stays_text_when_accept_matches_no_binary_media_type() -> None:
    # AWS quirk: without a matching Accept header the client receives the base64 text.
    encoded = base64.b64encode(b"\x00\x01").decode()
    payload = {"statusCode": 200, "body": encoded, "isBase64Encoded": True}
    response = _get(_gateway_returning(payload), [("Accept", "application/json")])
    assert response.body == encoded.encode()


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "a string",
        [1, 2],
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "cookies": ["a=1"]},
        {"statusCode": 200, "headers": ["X-A"]},
        {"statusCode": 200, "multiValueHeaders": {"X-A": "not-a-list"}},
        {"statusCode": 200, "headers": {"X-A": "line\r\nInjected: yes"}},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": "yes"},
    ],
)
def test_malformed_proxy_response_is_502_internal_server_error(payload: Any) -> None:
    response = _get(_gateway_returning(payload))
    assert response.status == 502
    assert json.loads(response.body) == {"message": "Internal server error"}


def test_numeric_string_status_code_is_accepted() -> None:
    assert _get(_gateway_returning({"statusCode": "404", "body": ""})).status == 404


def test_function_error_is_502_internal_server_error() -> None:
    def invoke(function_name: str, event: dict[str, Any]) -> InvocationResult:
        return InvocationResult(error={"errorMessage": "boom", "errorType": "RuntimeError"})

    response = _get(Gateway(SWAGGER, "dev", invoke, {}))
    assert response.status == 502
    assert json.loads(response.body) == {"message": "Internal server error"}


def test_invoker_crash_is_502_and_missing_function_is_500() -> None:
    def crash(function_name: str, event: dict[str, Any]) -> InvocationResult:
        raise RuntimeError("worker died")

    def missing(function_name: str, event: dict[str, Any]) -> InvocationResult:
        raise FunctionNotFoundError(function_name)

    assert _get(Gateway(SWAGGER, "dev", crash, {})).status == 502
    response = _get(Gateway(SWAGGER, "dev", missing, {}))
    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal server error"}


def test_integration_timeout_is_504_while_the_function_keeps_running() -> None:
    release = threading.Event()
    finished = threading.Event()

    def slow(function_name: str, event: dict[str, Any]) -> InvocationResult:
        release.wait(30)
        finished.set()
        return InvocationResult(payload={"statusCode": 200, "body": ""})

    gateway = Gateway(SWAGGER, "dev", slow, {}, integration_timeout_s=0.01)
    response = _get(gateway)
    assert response.status == 504
    assert json.loads(response.body) == {"message": "Endpoint request timed out"}
    assert not finished.is_set()
    release.set()
    assert finished.wait(30)
