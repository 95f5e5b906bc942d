"""The local-only Invoke route on the API port (WSGI, no sockets): Lambda's Invoke answers."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.awslambda.async_invoke import AsyncInvoker
from local_stack.awslambda.invocation import InvocationResult
from local_stack.awslambda.invoke_api import InvokeApi
from local_stack.cloudformation.models import FunctionModel
from tests.helpers.functions import function_model


class FakeRuntime:
    """Stands in for FunctionRuntime: one known function with a fixed answer."""

    def __init__(self, result: InvocationResult) -> None:
        self.functions = {"ExpireFilesFunction": _function("ExpireFilesFunction")}
        self.result = result
        self.events: list[Any] = []

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
        self.events.append(event)
        return self.result

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        return self.invoke(function_name, event)


def _function(name: str) -> FunctionModel:
    return function_model(name)


def _call(
    app: InvokeApi, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[str, dict[str, str], Any]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, header_list: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, dict(header_list)

    raw = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return answer["status"], answer["headers"], json.loads(raw) if raw else None


@pytest.fixture
def parts() -> Iterator[tuple[FakeRuntime, AsyncInvoker, InvokeApi]]:
    runtime = FakeRuntime(InvocationResult(payload={"expired": 2}))
    invoker = AsyncInvoker(runtime.functions, runtime, retry_delays=(0.01, 0.01))
    yield runtime, invoker, InvokeApi(runtime, invoker)  # type: ignore[arg-type]
    invoker.close()


def test_invoke_runs_the_function_with_the_posted_event(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    runtime, _, app = parts
    status, headers, body = _call(
        app, "POST", "/_local/functions/ExpireFilesFunction/invoke", b'{"a": 1}'
    )
    assert status == "200 OK"
    assert body == {"expired": 2}
    assert runtime.events == [{"a": 1}]
    assert "X-Amz-Function-Error" not in headers


def test_an_empty_body_is_an_empty_event(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    runtime, _, app = parts
    _call(app, "POST", "/_local/functions/ExpireFilesFunction/invoke")
    assert runtime.events == [{}]


def test_a_function_error_is_200_with_the_function_error_header(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    runtime, _, app = parts
    runtime.result = InvocationResult(error={"errorType": "ValueError", "errorMessage": "x"})
    status, headers, body = _call(app, "POST", "/_local/functions/ExpireFilesFunction/invoke")
    assert status == "200 OK"
    assert headers["X-Amz-Function-Error"] == "Unhandled"
    assert body == {"errorType": "ValueError", "errorMessage": "x"}


def test_a_function_the_template_leaves_out_is_404(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    _, _, app = parts
    status, headers, body = _call(app, "POST", "/_local/functions/NoSuchFunction/invoke")
    assert status == "404 Not Found"
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert "Function not found" in body["message"]


def test_a_body_that_is_not_json_is_400(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    runtime, _, app = parts
    status, _, body = _call(app, "POST", "/_local/functions/ExpireFilesFunction/invoke", b"{no")
    assert status == "400 Bad Request"
    assert "json" in body["message"]
    assert runtime.events == []


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" * 5000 + b"]" * 5000])
def test_an_event_nested_too_deeply_to_parse_is_400_invalid_request_content(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi], body: bytes
) -> None:
    runtime, _, app = parts
    status, headers, answer = _call(
        app, "POST", "/_local/functions/ExpireFilesFunction/invoke", body
    )
    assert status == "400 Bad Request"
    assert headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    assert "Could not parse request body into json" in answer["message"]
    assert runtime.events == []


def test_event_invocation_type_answers_202_and_runs_in_the_background(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    runtime, invoker, app = parts
    runtime.result = InvocationResult(error={"errorType": "KeyError", "errorMessage": "'s3'"})
    status, _, body = _call(
        app,
        "POST",
        "/_local/functions/ExpireFilesFunction/invoke",
        b"{}",
        X_AMZ_INVOCATION_TYPE="Event",
    )
    assert (status, body) == ("202 Accepted", None)
    deadline = time.monotonic() + 10
    while not invoker.dead_letters and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(runtime.events) == 3
    status, _, body = _call(app, "GET", "/_local/dead-letters")
    (letter,) = body["deadLetters"]
    assert letter["function"] == "ExpireFilesFunction"
    assert letter["record"]["requestContext"]["approximateInvokeCount"] == 3


def test_other_paths_answer_like_api_gateway(
    parts: tuple[FakeRuntime, AsyncInvoker, InvokeApi],
) -> None:
    _, _, app = parts
    status, _, body = _call(app, "GET", "/prod/config")
    assert (status, body) == ("403 Forbidden", {"message": "Missing Authentication Token"})
    status, _, _ = _call(app, "GET", "/_local/functions/ExpireFilesFunction/invoke")
    assert status == "405 Method Not Allowed"
