"""The answers of the local Lambda API: an invocation's payload and headers, or Lambda's errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from local_stack.awslambda.exceptions import LambdaError
from local_stack.awslambda.invocation import MAX_SYNC_PAYLOAD_BYTES, InvocationResult
from local_stack.awslambda.tail_logs import log_result


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (Content-Length added here) and body."""

    status: int
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str | None = None

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    @property
    def headers(self) -> list[tuple[str, str]]:
        headers = [] if self.content_type is None else [("Content-Type", self.content_type)]
        return [*headers, *self.extra_headers, ("Content-Length", str(len(self.body)))]


def json_answer(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Answer:
    return Answer(status, headers or [], json.dumps(payload).encode(), "application/json")


def error_answer(error: LambdaError, *, close: bool = False) -> Answer:
    """Lambda's error: the type in ``x-amzn-ErrorType`` (botocore reads it there), a JSON body."""
    headers = [("x-amzn-ErrorType", error.error_type)]
    if close:
        headers.append(("Connection", "close"))
    return Answer(error.status, headers, error.body(), "application/json")


def invocation_answer(result: InvocationResult, request_id: str, log_text: str | None) -> Answer:
    """200 with the function's payload, or with its error and ``X-Amz-Function-Error``."""
    headers = [("x-amzn-RequestId", request_id), ("X-Amz-Executed-Version", "$LATEST")]
    if log_text is not None:
        headers.append(("X-Amz-Log-Result", log_result(log_text)))
    if result.error is not None:
        return _function_error(result.error, headers)
    body = json.dumps(result.payload).encode()
    if len(body) > MAX_SYNC_PAYLOAD_BYTES:
        # AWS parity: a response over 6 MB is replaced by Lambda's own error, still a 200.
        return _function_error(
            {
                "errorMessage": (
                    "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_SYNC_PAYLOAD_BYTES} bytes)."
                ),
                "errorType": "Function.ResponseSizeTooLarge",
            },
            headers,
        )
    return Answer(200, headers, body, "application/json")


def _function_error(error: dict[str, Any], headers: list[tuple[str, str]]) -> Answer:
    # AWS parity: the body is the runtime's error ({"errorMessage", "errorType", "stackTrace"});
    # every error the function or its runtime raises is "Unhandled".
    return Answer(
        200,
        [*headers, ("X-Amz-Function-Error", "Unhandled")],
        json.dumps(error).encode(),
        "application/json",
    )
