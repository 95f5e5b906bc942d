"""The Lambda proxy event (REST API, payload v1) the local API Gateway sends to functions."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from local_stack.apigateway import Gateway, HttpRequest
from local_stack.awslambda.invocation import InvocationResult
from tests.helpers.gateway import lambda_proxy

SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "x-amazon-apigateway-binary-media-types": ["image/*", "application/octet-stream"],
    "securityDefinitions": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
    "paths": {
        "/file/{id}": {"post": {"x-amazon-apigateway-integration": lambda_proxy("FileFunction")}},
        "/files": {
            "get": {
                "security": [{"api_key": []}],
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                    "arn:aws:lambda:us-east-1:123456789012:function:ListFunction:live/invocations",
                },
            }
        },
    },
}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        self.calls.append((function_name, event))
        return InvocationResult(payload={"statusCode": 200, "body": ""})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def gateway(recorder: Recorder) -> Gateway:
    return Gateway(
        SWAGGER, "dev", recorder, {"the-key": "key-id-1"}, clock=lambda: 1_700_000_000.25
    )


def _event(gateway: Gateway, recorder: Recorder, request: HttpRequest) -> dict[str, Any]:
    response = gateway.handle(request)
    assert response.status == 200, response.body
    return recorder.calls[-1][1]


def _post(path: str = "/dev/file/abc", **kwargs: Any) -> HttpRequest:
    fields: dict[str, Any] = {"query": [], "headers": [], "body": b""}
    fields.update(kwargs)
    return HttpRequest("POST", path, **fields)


def test_event_without_headers_query_or_body_has_nulls_where_aws_has_nulls(
    gateway: Gateway, recorder: Recorder
) -> None:
    event = _event(gateway, recorder, _post())
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_stage_is_stripped_from_path_but_kept_in_request_context(
    gateway: Gateway, recorder: Recorder
) -> None:
    event = _event(gateway, recorder, _post("/dev/file/a%2Bb%20c"))
    assert event["resource"] == "/file/{id}"
    assert event["path"] == "/file/a%2Bb%20c"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"id": "a+b c"}
    context = event["requestContext"]
    assert context["path"] == "/dev/file/a%2Bb%20c"
    assert context["stage"] == "dev"
    assert context["resourcePath"] == "/file/{id}"
    assert context["httpMethod"] == "POST"


def test_path_parameters_are_null_for_a_resource_without_parameters(
    gateway: Gateway, recorder: Recorder
) -> None:
    event = _event(
        gateway, recorder, HttpRequest("GET", "/dev/files", [], [("x-api-key", "the-key")], b"")
    )
    assert event["pathParameters"] is None


def test_headers_keep_case_last_value_wins_and_multi_value_keeps_all(
    gateway: Gateway, recorder: Recorder
) -> None:
    headers = [("X-Custom", "one"), ("Accept", "text/plain"), ("X-Custom", "two")]
    event = _event(gateway, recorder, _post(headers=headers))
    assert event["headers"]["X-Custom"] == "two"
    assert event["headers"]["Accept"] == "text/plain"
    assert "x-custom" not in event["headers"]
    assert event["multiValueHeaders"]["X-Custom"] == ["one", "two"]


def test_gateway_adds_forwarding_headers_with_the_caller_ip(
    gateway: Gateway, recorder: Recorder
) -> None:
    request = HttpRequest(
        "POST", "/dev/file/abc", [], [("X-Forwarded-For", "10.0.0.1")], b"", source_ip="10.9.8.7"
    )
    event = _event(gateway, recorder, request)
    assert event["headers"]["X-Forwarded-For"] == "10.0.0.1, 10.9.8.7"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert event["requestContext"]["identity"]["sourceIp"] == "10.9.8.7"


def test_query_string_last_value_wins_and_multi_value_keeps_all(
    gateway: Gateway, recorder: Recorder
) -> None:
    query = [("deleted", "yes"), ("tag", "a b"), ("tag", "c"), ("empty", "")]
    event = _event(gateway, recorder, _post(query=query))
    assert event["queryStringParameters"] == {"deleted": "yes", "tag": "c", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {
        "deleted": ["yes"],
        "tag": ["a b", "c"],
        "empty": [""],
    }


def test_text_body_is_passed_as_a_string(gateway: Gateway, recorder: Recorder) -> None:
    body = '{"name": "résumé.pdf"}'.encode()
    event = _event(
        gateway, recorder, _post(headers=[("Content-Type", "application/json")], body=body)
    )
    assert event["body"] == '{"name": "résumé.pdf"}'
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize("content_type", ["image/png", "application/octet-stream; x=1"])
def test_binary_media_type_body_is_base64_encoded(
    gateway: Gateway, recorder: Recorder, content_type: str
) -> None:
    body = bytes(range(256))
    event = _event(gateway, recorder, _post(headers=[("Content-Type", content_type)], body=body))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_request_context_carries_ids_time_and_api(gateway: Gateway, recorder: Recorder) -> None:
    response = gateway.handle(_post(headers=[("User-Agent", "curl/8"), ("Host", "h.example")]))
    context = recorder.calls[-1][1]["requestContext"]
    uuid.UUID(context["requestId"])
    assert ("x-amzn-RequestId", context["requestId"]) in response.headers
    assert ("x-amz-apigw-id", context["extendedRequestId"]) in response.headers
    assert context["requestTimeEpoch"] == 1_700_000_000_250
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert context["accountId"] == "123456789012"  # literal: checks local_stack.account too
    assert context["apiId"] == "local"
    assert context["protocol"] == "HTTP/1.1"
    assert context["domainName"] == "h.example"
    assert context["identity"]["userAgent"] == "curl/8"
    assert len(context["resourceId"]) == 6


def test_each_request_gets_its_own_request_id(gateway: Gateway, recorder: Recorder) -> None:
    gateway.handle(_post())
    gateway.handle(_post())
    ids = {event["requestContext"]["requestId"] for _, event in recorder.calls}
    assert len(ids) == 2


def test_identity_reports_the_api_key_only_on_methods_that_require_it(
    gateway: Gateway, recorder: Recorder
) -> None:
    headers = [("x-api-key", "the-key")]
    keyed = _event(gateway, recorder, HttpRequest("GET", "/dev/files", [], headers, b""))
    assert keyed["requestContext"]["identity"]["apiKey"] == "the-key"
    assert keyed["requestContext"]["identity"]["apiKeyId"] == "key-id-1"
    open_event = _event(gateway, recorder, _post(headers=headers))
    assert open_event["requestContext"]["identity"]["apiKey"] is None
    assert open_event["requestContext"]["identity"]["apiKeyId"] is None


def test_function_name_comes_from_the_integration_uri(gateway: Gateway, recorder: Recorder) -> None:
    gateway.handle(_post())
    gateway.handle(HttpRequest("GET", "/dev/files", [], [("x-api-key", "the-key")], b""))
    assert [name for name, _ in recorder.calls] == ["FileFunction", "ListFunction"]
