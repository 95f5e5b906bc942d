"""The local API Gateway serving Filestore's real api/swagger.yaml (and template.yaml's plan)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from local_stack.apigateway import Gateway, HttpRequest, HttpResponse, Quota, Throttle
from local_stack.awslambda.invocation import InvocationResult
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.cloudformation.loader import load_stack
from tests.helpers.gateway import last_header, send_json

ROOT = Path(__file__).resolve().parents[3]
KEY = "test-key-value"
ID = "0123456789abcdef0123456789abcdef"
SUBSTITUTIONS = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AllowedOrigin": "*"}


def _resolve(value: Any) -> Any:
    """Just enough Fn::Sub for the swagger: pseudo parameters, AllowedOrigin and ${X.Arn}.

    ``Fn::If`` picks its second branch: AllowedOrigin is set (to ``*``), not the stack's own.
    """
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            return _resolve(value["Fn::If"][2])
        if set(value) == {"Fn::Sub"}:

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name.endswith(".Arn"):
                    return f"arn:aws:lambda:us-east-1:123456789012:function:{name[:-4]}"
                return SUBSTITUTIONS[name]

            return re.sub(r"\$\{([^}]+)\}", substitute, value["Fn::Sub"])
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value


SWAGGER: dict[str, Any] = _resolve(load_cfn_yaml(ROOT / "api" / "swagger.yaml"))

ROUTES = [
    ("GET", "/config", "GetConfigFunction", False),
    ("POST", "/file", "CreateFileFunction", False),
    ("DELETE", f"/file/{ID}", "RevertFileFunction", False),
    ("PUT", "/files", "StoreFilesFunction", True),
    ("POST", "/files", "DescribeFilesFunction", True),
    ("DELETE", "/files", "DeleteFilesFunction", True),
]
VALID_BODIES = {
    "/file": b'{"name": "photo.jpg", "size": 10, "type": "image/jpeg"}',
    "/files": json.dumps([ID]).encode(),
}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        self.calls.append((function_name, event))
        return InvocationResult(
            payload={
                "statusCode": 200,
                "headers": {"Access-Control-Allow-Origin": "*"},
                "body": "{}",
            }
        )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def gateway(recorder: Recorder) -> Gateway:
    return Gateway(SWAGGER, "dev", recorder, {KEY: "key-id"})


def _assert_gateway_error_with_cors(
    response: HttpResponse, status: int, message: str, code: str
) -> None:
    """A gateway error: the status, ``{"message", "code"}`` and the CORS header."""
    assert response.status == status
    assert json.loads(response.body) == {"message": message, "code": code}
    assert last_header(response, "Access-Control-Allow-Origin") == "*"


def _body_for(path: str) -> bytes:
    return VALID_BODIES.get(path, b"")


@pytest.mark.parametrize(("method", "path", "function", "keyed"), ROUTES)
def test_each_route_reaches_its_function_with_a_key_exactly_where_security_says(
    gateway: Gateway, recorder: Recorder, method: str, path: str, function: str, keyed: bool
) -> None:
    without_key = send_json(gateway, method, path, _body_for(path))
    if keyed:
        assert without_key.status == 403
        assert json.loads(without_key.body) == {"message": "Forbidden", "code": "Forbidden"}
        assert last_header(without_key, "Access-Control-Allow-Origin") == "*"
        assert recorder.calls == []
        with_key = send_json(gateway, method, path, _body_for(path), [("x-api-key", KEY)])
        assert with_key.status == 200
    else:
        assert without_key.status == 200
    assert [name for name, _ in recorder.calls] == [function]


@pytest.mark.parametrize("path", ["/config", "/file", f"/file/{ID}", "/files"])
def test_every_path_answers_a_cors_preflight_from_its_mock(
    gateway: Gateway, recorder: Recorder, path: str
) -> None:
    response = gateway.handle(
        HttpRequest("OPTIONS", f"/dev{path}", [], [("Origin", "http://127.0.0.1:8080")], b"")
    )
    assert response.status == 200
    assert last_header(response, "Access-Control-Allow-Origin") == "*"
    assert "X-Api-Key" in (last_header(response, "Access-Control-Allow-Headers") or "")
    assert "OPTIONS" in (last_header(response, "Access-Control-Allow-Methods") or "")
    assert recorder.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"size": 10}',
        b'{"name": "", "size": 10}',
        b'{"name": "a/b.txt", "size": 10}',
        b'{"name": "a\\\\b.txt", "size": 10}',
        b'{"name": "a\\u0000b", "size": 10}',
        b'{"name": "a\\r\\nb.txt", "size": 10}',
        b'{"name": "a.txt", "size": 0}',
        b'{"name": "a.txt", "size": "10"}',
        b'{"name": "a.txt", "size": 1.5}',
        json.dumps({"name": "x" * 256, "size": 1}).encode(),
    ],
)
def test_create_file_rejects_bad_bodies_before_the_function(
    gateway: Gateway, recorder: Recorder, body: bytes
) -> None:
    response = send_json(gateway, "POST", "/file", body)
    assert response.status == 400
    assert json.loads(response.body)["message"].startswith("Invalid request body")
    assert json.loads(response.body)["code"] == "BadRequestBody"
    assert last_header(response, "Access-Control-Allow-Origin") == "*"
    assert recorder.calls == []


@pytest.mark.parametrize(
    "ids", [[], [ID] * 101, ["not-an-id"], [ID.upper()], [1], {"ids": [ID]}, None]
)
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_id_list_routes_reject_bad_bodies_before_the_function(
    gateway: Gateway, recorder: Recorder, method: str, ids: Any
) -> None:
    body = json.dumps(ids).encode()
    response = send_json(gateway, method, "/files", body, [("x-api-key", KEY)])
    assert response.status == 400
    assert json.loads(response.body)["message"].startswith("Invalid request body")
    assert json.loads(response.body)["code"] == "BadRequestBody"
    assert recorder.calls == []


def test_hundred_ids_and_query_flags_reach_describe(gateway: Gateway, recorder: Recorder) -> None:
    body = json.dumps([f"{n:032x}" for n in range(100)]).encode()
    request = HttpRequest(
        "POST",
        "/dev/files",
        [("deleted", "yes"), ("nonstored", "yes")],
        [("x-api-key", KEY), ("Content-Type", "application/json")],
        body,
    )
    assert gateway.handle(request).status == 200
    event = recorder.calls[-1][1]
    assert event["queryStringParameters"] == {"deleted": "yes", "nonstored": "yes"}
    assert event["requestContext"]["identity"]["apiKey"] == KEY


def test_revert_without_token_reaches_the_handler_which_owns_the_403(
    gateway: Gateway, recorder: Recorder
) -> None:
    response = send_json(gateway, "DELETE", f"/file/{ID}")
    assert response.status == 200
    event = recorder.calls[-1][1]
    assert event["pathParameters"] == {"id": ID}
    assert event["body"] is None


def test_unknown_route_gets_403_with_cors(gateway: Gateway) -> None:
    response = send_json(gateway, "GET", "/files")
    _assert_gateway_error_with_cors(
        response, 403, "Missing Authentication Token", "MissingAuthenticationToken"
    )


def test_function_failure_gets_502_with_cors() -> None:
    def failing(function_name: str, event: dict[str, Any]) -> InvocationResult:
        return InvocationResult(error={"errorMessage": "boom", "errorType": "KeyError"})

    response = send_json(Gateway(SWAGGER, "dev", failing, {}), "GET", "/config")
    _assert_gateway_error_with_cors(response, 502, "Internal server error", "Default5XX")


def test_template_usage_plan_throttle_and_quota_answer_429_with_cors(recorder: Recorder) -> None:
    api = load_stack(ROOT / "template.yaml", {"AllowedOrigin": "*"}).api
    assert api is not None
    plan = api.usage_plan
    assert plan is not None and plan.rate_limit and plan.burst_limit and plan.quota_limit
    gateway = Gateway(
        dict(api.swagger),
        api.stage,
        recorder,
        {KEY: "key-id"},
        Throttle(plan.rate_limit, plan.burst_limit),
        clock=lambda: 1_000_000.0,  # time stands still: no refill
        quota=Quota(plan.quota_limit, plan.quota_period or "DAY"),
    )
    statuses = [
        gateway.handle(
            HttpRequest(
                "POST", f"/{api.stage}/files", [], [("x-api-key", KEY)], b'["' + ID.encode() + b'"]'
            )
        ).status
        for _ in range(plan.burst_limit + 1)
    ]
    assert statuses == [200] * plan.burst_limit + [429]
    throttled = gateway.handle(
        HttpRequest("PUT", f"/{api.stage}/files", [], [("x-api-key", KEY)], b"[]")
    )
    _assert_gateway_error_with_cors(throttled, 429, "Too Many Requests", "Throttled")


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        ("h", "ECMA 262 regex"),
        ("text/plain\r\nX-Evil: 1", "ECMA 262 regex"),
        ("text/plain;\r\ncharset=utf-8", "ECMA 262 regex"),
    ],
    ids=["no subtype", "header injection", "line break in parameters"],
)
def test_create_file_rejects_a_type_the_function_would_refuse(
    gateway: Gateway, recorder: Recorder, type_: str, expected: str
) -> None:
    body = json.dumps({"name": "a.txt", "size": 1, "type": type_}).encode()
    response = send_json(gateway, "POST", "/file", body)
    assert response.status == 400
    document = json.loads(response.body)
    assert expected in document["message"]
    assert document["code"] == "BadRequestBody"
    assert recorder.calls == []


@pytest.mark.parametrize("type_", ["", "image/jpeg", " text/plain ; charset=utf-8\t"])
def test_create_file_passes_an_empty_or_padded_type_to_the_function(
    gateway: Gateway, recorder: Recorder, type_: str
) -> None:
    body = json.dumps({"name": "a.txt", "size": 1, "type": type_}).encode()
    assert send_json(gateway, "POST", "/file", body).status == 200
    assert [name for name, _ in recorder.calls] == ["CreateFileFunction"]


def test_a_body_over_10_mb_gets_413_request_too_large_with_cors(
    gateway: Gateway, recorder: Recorder
) -> None:
    response = send_json(gateway, "POST", "/file", b" " * (10 * 1024 * 1024 + 1))
    _assert_gateway_error_with_cors(response, 413, "Request Too Long", "RequestTooLarge")
    assert recorder.calls == []


def test_a_function_slower_than_the_integration_timeout_gets_504_with_cors() -> None:
    def slow(function_name: str, event: dict[str, Any]) -> InvocationResult:
        time.sleep(0.5)
        return InvocationResult(payload={"statusCode": 200, "body": "{}"})

    gateway = Gateway(SWAGGER, "dev", slow, {}, integration_timeout_s=0.05)
    response = send_json(gateway, "GET", "/config")
    _assert_gateway_error_with_cors(
        response, 504, "Endpoint request timed out", "IntegrationTimeout"
    )


def test_the_usage_plan_quota_answers_429_quota_exceeded(recorder: Recorder) -> None:
    gateway = Gateway(SWAGGER, "dev", recorder, {KEY: "key-id"}, quota=Quota(1, "DAY"))
    first = send_json(gateway, "POST", "/files", VALID_BODIES["/files"], [("x-api-key", KEY)])
    second = send_json(gateway, "POST", "/files", VALID_BODIES["/files"], [("x-api-key", KEY)])
    assert (first.status, second.status) == (200, 429)
    assert json.loads(second.body) == {"message": "Limit Exceeded", "code": "QuotaExceeded"}
    assert last_header(second, "Access-Control-Allow-Origin") == "*"
