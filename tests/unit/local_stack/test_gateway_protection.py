"""What API Gateway answers itself: API keys, throttling, validators, mocks, gateway responses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_stack.apigateway import Gateway, HttpRequest, HttpResponse, Quota, Throttle
from local_stack.awslambda.invocation import InvocationResult
from tests.helpers.gateway import lambda_proxy

CORS = {"gatewayresponse.header.Access-Control-Allow-Origin": "'https://app.example'"}


SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "securityDefinitions": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
    "x-amazon-apigateway-request-validators": {
        "body": {"validateRequestBody": True, "validateRequestParameters": False},
        "params": {"validateRequestBody": False, "validateRequestParameters": True},
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
    },
    "x-amazon-apigateway-gateway-responses": {
        "DEFAULT_4XX": {
            "responseParameters": CORS,
            "responseTemplates": {"application/json": '{"message": $context.error.messageString}'},
        },
        "DEFAULT_5XX": {"responseParameters": CORS},
        "BAD_REQUEST_BODY": {
            "statusCode": "400",
            "responseParameters": {
                **CORS,
                "gatewayresponse.header.X-Origin-Echo": "method.request.header.Origin",
            },
            "responseTemplates": {
                "application/json": '{"message": "$context.error.message: '
                '$context.error.validationErrorString", "id": "$context.requestId"}'
            },
        },
    },
    "parameters": {
        "Token": {"name": "X-Token", "in": "header", "required": True, "type": "string"},
    },
    "definitions": {
        "Item": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "maxLength": 5}},
        },
        "Items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {"$ref": "#/definitions/Item"},
        },
    },
    "paths": {
        "/open": {
            "get": {"x-amazon-apigateway-integration": lambda_proxy("Open")},
            "options": {
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseParameters": {
                                "method.response.header.Access-Control-Allow-Origin": "'*'",
                                "method.response.header.Access-Control-Allow-Methods": (
                                    "'GET,OPTIONS'"
                                ),
                                "method.response.header.Vary": "method.request.header.Origin",
                            },
                            "responseTemplates": {"application/json": "{}"},
                        }
                    },
                }
            },
        },
        "/keyed": {
            "get": {
                "security": [{"api_key": []}],
                "x-amazon-apigateway-integration": lambda_proxy("Keyed"),
            },
            "post": {
                "security": [{"api_key": []}],
                "x-amazon-apigateway-request-validator": "body",
                "parameters": [
                    {"name": "items", "in": "body", "schema": {"$ref": "#/definitions/Items"}}
                ],
                "x-amazon-apigateway-integration": lambda_proxy("KeyedPost"),
            },
        },
        "/validated": {
            "put": {
                "x-amazon-apigateway-request-validator": "all",
                "parameters": [
                    {"$ref": "#/parameters/Token"},
                    {"name": "mode", "in": "query", "required": True, "type": "string"},
                    {"name": "optional", "in": "query", "required": False, "type": "string"},
                    {"name": "item", "in": "body", "schema": {"$ref": "#/definitions/Item"}},
                ],
                "x-amazon-apigateway-integration": lambda_proxy("Validated"),
            }
        },
    },
}

KEYS = {"key-one": "id-one", "key-two": "id-two"}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        self.calls.append(function_name)
        return InvocationResult(payload={"statusCode": 200, "body": "{}"})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def gateway(recorder: Recorder) -> Gateway:
    return Gateway(SWAGGER, "dev", recorder, KEYS)


def _call(
    gateway: Gateway,
    method: str,
    path: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    query: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    return gateway.handle(HttpRequest(method, path, query or [], headers or [], body))


def _header(response: HttpResponse, name: str) -> str | None:
    values = [value for key, value in response.headers if key.lower() == name.lower()]
    return values[-1] if values else None


def _message(response: HttpResponse) -> str:
    message = json.loads(response.body)["message"]
    assert isinstance(message, str)
    return message


# ---- API keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [[], [("x-api-key", "wrong")], [("x-api-key", "")]])
def test_missing_or_wrong_api_key_is_403_forbidden_before_the_function(
    gateway: Gateway, recorder: Recorder, headers: list[tuple[str, str]]
) -> None:
    response = _call(gateway, "GET", "/dev/keyed", headers)
    assert response.status == 403
    assert _message(response) == "Forbidden"
    assert recorder.calls == []


def test_valid_api_key_in_any_header_case_reaches_the_function(
    gateway: Gateway, recorder: Recorder
) -> None:
    assert _call(gateway, "GET", "/dev/keyed", [("X-API-Key", "key-two")]).status == 200
    assert recorder.calls == ["Keyed"]


def test_methods_without_security_need_no_key(gateway: Gateway, recorder: Recorder) -> None:
    assert _call(gateway, "GET", "/dev/open").status == 200


def test_api_wide_security_applies_unless_the_operation_overrides_it(
    recorder: Recorder,
) -> None:
    swagger = {
        **SWAGGER,
        "security": [{"api_key": []}],
        "paths": {
            "/a": {"get": {"x-amazon-apigateway-integration": lambda_proxy("A")}},
            "/b": {"get": {"security": [], "x-amazon-apigateway-integration": lambda_proxy("B")}},
        },
    }
    gateway = Gateway(swagger, "dev", recorder, KEYS)
    assert _call(gateway, "GET", "/dev/a").status == 403
    assert _call(gateway, "GET", "/dev/b").status == 200


def test_api_key_check_comes_before_body_validation(gateway: Gateway) -> None:
    response = _call(gateway, "POST", "/dev/keyed", body=b"not json")
    assert response.status == 403


# ---- throttling ------------------------------------------------------------------------------


def test_usage_plan_throttle_answers_429_per_key_and_refills_at_the_rate(
    recorder: Recorder,
) -> None:
    clock = FakeClock()
    gateway = Gateway(SWAGGER, "dev", recorder, KEYS, Throttle(2.0, 3), clock=clock)
    one = [("x-api-key", "key-one")]
    statuses = [_call(gateway, "GET", "/dev/keyed", one).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = _call(gateway, "GET", "/dev/keyed", one)
    assert _message(throttled) == "Too Many Requests"
    assert _header(throttled, "Access-Control-Allow-Origin") == "https://app.example"
    # Another key has its own bucket; methods without a key are not counted.
    assert _call(gateway, "GET", "/dev/keyed", [("x-api-key", "key-two")]).status == 200
    assert _call(gateway, "GET", "/dev/open").status == 200
    clock.now += 0.5  # one token back at 2 requests per second
    assert _call(gateway, "GET", "/dev/keyed", one).status == 200
    assert _call(gateway, "GET", "/dev/keyed", one).status == 429
    assert recorder.calls.count("Keyed") == 5


# ---- request validators ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",  # validated as {} -> not an array
        b"{not json",
        b"\xff\xfe",
        b"[]",  # minItems
        b'[{"name": "a"}, {"name": "b"}, {"name": "c"}]',  # maxItems
        b'[{"name": "toolong"}]',  # nested model via $ref
        b'[{"other": 1}]',  # required
        b'{"name": "a"}',  # type
    ],
)
def test_bad_body_is_400_invalid_request_body_before_the_function(
    gateway: Gateway, recorder: Recorder, body: bytes
) -> None:
    response = _call(gateway, "POST", "/dev/keyed", [("x-api-key", "key-one")], body)
    assert response.status == 400
    assert json.loads(response.body)["message"].startswith("Invalid request body")
    assert recorder.calls == []


def test_valid_body_reaches_the_function(gateway: Gateway, recorder: Recorder) -> None:
    body = b'[{"name": "a"}, {"name": "bcd"}]'
    assert _call(gateway, "POST", "/dev/keyed", [("x-api-key", "key-one")], body).status == 200
    assert recorder.calls == ["KeyedPost"]


def test_body_with_a_content_type_that_has_no_model_is_not_validated(
    gateway: Gateway, recorder: Recorder
) -> None:
    # AWS quirk: models are chosen by Content-Type; an unmodelled type passes through.
    headers = [("x-api-key", "key-one"), ("Content-Type", "text/plain")]
    assert _call(gateway, "POST", "/dev/keyed", headers, b"not json").status == 200
    assert recorder.calls == ["KeyedPost"]


def test_validation_details_are_available_to_the_gateway_response(gateway: Gateway) -> None:
    headers = [("X-Token", "t"), ("Origin", "https://o.example")]
    response = _call(gateway, "PUT", "/dev/validated", headers, b'{"name": 5}', [("mode", "x")])
    assert response.status == 400
    document = json.loads(response.body)
    assert document["message"] == (
        "Invalid request body: [instance type (integer) does not match any allowed "
        'primitive type (allowed: ["string"])]'
    )
    assert document["id"] == _header(response, "x-amzn-RequestId")
    assert _header(response, "X-Origin-Echo") == "https://o.example"
    assert _header(response, "Access-Control-Allow-Origin") == "https://app.example"


def test_missing_required_parameters_are_named_in_the_400(
    gateway: Gateway, recorder: Recorder
) -> None:
    response = _call(gateway, "PUT", "/dev/validated", [], b'{"name": "a"}')
    assert response.status == 400
    assert _message(response) == "Missing required request parameters: [X-Token, mode]"
    assert _header(response, "Access-Control-Allow-Origin") == "https://app.example"
    assert recorder.calls == []


def test_required_parameters_are_checked_before_the_body(gateway: Gateway) -> None:
    response = _call(gateway, "PUT", "/dev/validated", [("x-token", "t")], b"{bad")
    assert _message(response) == "Missing required request parameters: [mode]"


def test_request_with_required_parameters_and_valid_body_passes(
    gateway: Gateway, recorder: Recorder
) -> None:
    response = _call(
        gateway, "PUT", "/dev/validated", [("x-token", "t")], b'{"name": "a"}', [("mode", "")]
    )
    assert response.status == 200
    assert recorder.calls == ["Validated"]


# ---- mock integrations and gateway responses --------------------------------------------------


def test_options_mock_answers_from_its_response_parameters(
    gateway: Gateway, recorder: Recorder
) -> None:
    response = _call(gateway, "OPTIONS", "/dev/open", [("Origin", "https://o.example")])
    assert response.status == 200
    assert _header(response, "Access-Control-Allow-Origin") == "*"
    assert _header(response, "Access-Control-Allow-Methods") == "GET,OPTIONS"
    assert _header(response, "Vary") == "https://o.example"
    assert response.body == b"{}"
    assert recorder.calls == []


def test_gateway_responses_add_their_headers_to_every_gateway_error(gateway: Gateway) -> None:
    for response in (
        _call(gateway, "GET", "/dev/nowhere"),
        _call(gateway, "GET", "/elsewhere"),
        _call(gateway, "GET", "/dev/keyed"),
    ):
        assert response.status == 403
        assert _header(response, "Access-Control-Allow-Origin") == "https://app.example"
        assert _header(response, "x-amzn-RequestId")


def test_default_5xx_headers_apply_to_function_failures() -> None:
    def failing(function_name: str, event: dict[str, Any]) -> InvocationResult:
        return InvocationResult(error={"errorMessage": "x", "errorType": "Exception"})

    response = _call(Gateway(SWAGGER, "dev", failing, KEYS), "GET", "/dev/open")
    assert response.status == 502
    # DEFAULT_5XX has no template here: AWS's default {"message": ...} body is used.
    assert _message(response) == "Internal server error"
    assert _header(response, "Access-Control-Allow-Origin") == "https://app.example"


def test_without_gateway_responses_errors_have_aws_default_bodies(recorder: Recorder) -> None:
    swagger = {"paths": {"/a": {"get": {"x-amazon-apigateway-integration": lambda_proxy("A")}}}}
    response = _call(Gateway(swagger, "dev", recorder, {}), "GET", "/dev/b")
    assert json.loads(response.body) == {"message": "Missing Authentication Token"}
    assert _header(response, "Access-Control-Allow-Origin") is None
    assert _header(response, "x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def test_too_large_request_is_413(gateway: Gateway, recorder: Recorder) -> None:
    response = _call(gateway, "GET", "/dev/open", body=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status == 413
    assert recorder.calls == []


def test_usage_plan_quota_answers_429_limit_exceeded_until_the_next_period(
    recorder: Recorder,
) -> None:
    clock = FakeClock()
    clock.now = 86400.0 * 100 + 3600  # some UTC day, 01:00
    gateway = Gateway(SWAGGER, "dev", recorder, KEYS, quota=Quota(2, "DAY"), clock=clock)
    one = [("x-api-key", "key-one")]
    statuses = [_call(gateway, "GET", "/dev/keyed", one).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert _message(_call(gateway, "GET", "/dev/keyed", one)) == "Limit Exceeded"
    assert _call(gateway, "GET", "/dev/keyed", [("x-api-key", "key-two")]).status == 200
    clock.now += 86400.0
    assert _call(gateway, "GET", "/dev/keyed", one).status == 200


def test_stage_throttle_counts_every_caller_together(recorder: Recorder) -> None:
    gateway = Gateway(
        SWAGGER, "dev", recorder, KEYS, stage_throttle=Throttle(1.0, 2), clock=FakeClock()
    )
    statuses = [_call(gateway, "GET", "/dev/open").status for _ in range(2)]
    statuses.append(_call(gateway, "GET", "/dev/keyed", [("x-api-key", "key-one")]).status)
    assert statuses == [200, 200, 429]
