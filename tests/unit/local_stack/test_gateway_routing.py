"""Routing of the local API Gateway: stage prefix, literal/param/greedy precedence, 403 quirks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_stack.apigateway import Gateway, HttpRequest
from local_stack.apigateway.routes import RouteTable
from local_stack.awslambda.invocation import InvocationResult
from tests.helpers.gateway import lambda_proxy

SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "paths": {
        "/files": {"get": {"x-amazon-apigateway-integration": lambda_proxy("ListFiles")}},
        "/files/special": {"get": {"x-amazon-apigateway-integration": lambda_proxy("Special")}},
        "/files/{id}": {"get": {"x-amazon-apigateway-integration": lambda_proxy("GetFile")}},
        "/any/{proxy+}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": lambda_proxy("Any")
            },
            "delete": {"x-amazon-apigateway-integration": lambda_proxy("DeleteAny")},
        },
    },
}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        self.calls.append((function_name, event))
        return InvocationResult(payload={"statusCode": 200, "body": "ok"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def gateway(recorder: Recorder) -> Gateway:
    return Gateway(SWAGGER, "dev", recorder, {})


def _get(gateway: Gateway, path: str, method: str = "GET") -> tuple[int, Any]:
    response = gateway.handle(HttpRequest(method, path, [], [], b""))
    return response.status, json.loads(response.body) if response.status >= 400 else None


def test_literal_segment_wins_over_path_parameter(gateway: Gateway, recorder: Recorder) -> None:
    assert _get(gateway, "/dev/files/special")[0] == 200
    assert _get(gateway, "/dev/files/abc")[0] == 200
    assert [name for name, _ in recorder.calls] == ["Special", "GetFile"]


def test_greedy_path_parameter_takes_the_rest_of_the_path(
    gateway: Gateway, recorder: Recorder
) -> None:
    assert _get(gateway, "/dev/any/a/b%2Fc/d", method="PATCH")[0] == 200
    name, event = recorder.calls[-1]
    assert name == "Any"
    assert event["resource"] == "/any/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c/d"}


def test_exact_method_wins_over_any_method(gateway: Gateway, recorder: Recorder) -> None:
    _get(gateway, "/dev/any/x", method="DELETE")
    assert recorder.calls[-1][0] == "DeleteAny"


def test_greedy_parameter_needs_at_least_one_segment(gateway: Gateway) -> None:
    assert _get(gateway, "/dev/any/") == (403, {"message": "Missing Authentication Token"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dev/unknown"),  # unknown resource
        ("POST", "/dev/files"),  # known resource, unknown method
        ("HEAD", "/dev/files"),  # API Gateway does not answer HEAD from GET
        ("get", "/dev/files"),  # methods are case-sensitive
        ("GET", "/prod/files"),  # another stage
        ("GET", "/files"),  # no stage at all
        ("GET", "/"),
        ("GET", "/dev/files/a/b"),  # too many segments for /files/{id}
    ],
)
def test_unknown_route_or_method_is_403_missing_authentication_token(
    gateway: Gateway, recorder: Recorder, method: str, path: str
) -> None:
    assert _get(gateway, path, method) == (403, {"message": "Missing Authentication Token"})
    assert recorder.calls == []


def test_one_trailing_slash_reaches_the_resource(gateway: Gateway, recorder: Recorder) -> None:
    assert _get(gateway, "/dev/files/")[0] == 200
    assert recorder.calls[-1][0] == "ListFiles"
    assert recorder.calls[-1][1]["path"] == "/files/"


def test_stage_root_is_the_root_resource(recorder: Recorder) -> None:
    swagger = {"paths": {"/": {"get": {"x-amazon-apigateway-integration": lambda_proxy("Root")}}}}
    gateway = Gateway(swagger, "dev", recorder, {})
    assert _get(gateway, "/dev")[0] == 200
    assert _get(gateway, "/dev/")[0] == 200
    assert [event["path"] for _, event in recorder.calls] == ["/", "/"]


def test_route_table_reports_no_match_for_unknown_paths() -> None:
    table = RouteTable(SWAGGER["paths"])
    assert table.match("GET", "/nothing") is None
    match = table.match("GET", "/files/a%20b")
    assert match is not None
    assert match.path_parameters == {"id": "a b"}


def test_unsupported_integration_type_is_refused_at_start() -> None:
    swagger = {"paths": {"/x": {"get": {"x-amazon-apigateway-integration": {"type": "http"}}}}}
    with pytest.raises(ValueError, match="not supported"):
        Gateway(swagger, "dev", Recorder(), {})


def test_unresolved_integration_uri_is_refused_at_start() -> None:
    integration = {"type": "aws_proxy", "uri": {"Fn::Sub": "arn:...${Fn.Arn}/invocations"}}
    swagger = {"paths": {"/x": {"get": {"x-amazon-apigateway-integration": integration}}}}
    with pytest.raises(ValueError, match="resolved string"):
        Gateway(swagger, "dev", Recorder(), {})


def test_authorizers_are_refused_rather_than_ignored() -> None:
    swagger = {
        "securityDefinitions": {
            "auth": {"type": "apiKey", "name": "Authorization", "in": "header"}
        },
        "paths": {
            "/x": {
                "get": {
                    "security": [{"auth": []}],
                    "x-amazon-apigateway-integration": lambda_proxy("X"),
                }
            }
        },
    }
    with pytest.raises(ValueError, match="not supported"):
        Gateway(swagger, "dev", Recorder(), {})
