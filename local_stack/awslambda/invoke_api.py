"""The local-only routes on the API port: Lambda's ``Invoke`` for any function, and dead letters.

``POST /_local/functions/<LogicalId>/invoke`` answers like Lambda's Invoke API: 200 with the
function's payload, or 200 with ``X-Amz-Function-Error: Unhandled`` and the error; with
``X-Amz-Invocation-Type: Event`` it queues an asynchronous invocation (retries, dead letters)
and answers 202. ``GET /_local/dead-letters`` lists the events whose retries ran out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from local_stack.awslambda.async_invoke import AsyncInvoker
from local_stack.awslambda.invocation import MAX_SYNC_PAYLOAD_BYTES, FunctionNotFoundError
from local_stack.awslambda.runtime import FunctionRuntime
from local_stack.cloudformation.models import function_arn

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
else:
    StartResponse = WSGIEnvironment = Any

_INVOKE_PATH = re.compile(r"/_local/functions/([^/]+)/invoke")
_STATUS_TEXT = {
    200: "200 OK",
    202: "202 Accepted",
    400: "400 Bad Request",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Request Entity Too Large",
}


class InvokeApi:
    """A WSGI app for the paths under ``/_local/``; anything else is API Gateway's 403."""

    def __init__(self, runtime: FunctionRuntime, async_invoker: AsyncInvoker) -> None:
        self._runtime = runtime
        self._async = async_invoker

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "/"))
        match = _INVOKE_PATH.fullmatch(path)
        if match:
            if method != "POST":
                return _json(start_response, 405, {"message": "Use POST to invoke a function"})
            return self._invoke(environ, start_response, match.group(1))
        if path == "/_local/dead-letters":
            letters = [
                {"function": letter.function_name, "record": letter.record}
                for letter in self._async.dead_letters
            ]
            return _json(start_response, 200, {"deadLetters": letters})
        # API Gateway answers any path outside a deployed stage like an unknown route.
        return _json(start_response, 403, {"message": "Missing Authentication Token"})

    def _invoke(
        self, environ: WSGIEnvironment, start_response: StartResponse, name: str
    ) -> Iterable[bytes]:
        if name not in self._runtime.functions:
            return _json(
                start_response,
                404,
                {"Type": "User", "message": f"Function not found: {function_arn(name)}"},
                [("x-amzn-ErrorType", "ResourceNotFoundException")],
            )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_SYNC_PAYLOAD_BYTES:
            return _json(
                start_response,
                413,
                {"message": f"Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes"},
                [("x-amzn-ErrorType", "RequestTooLargeException")],
            )
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            event = json.loads(body) if body.strip() else {}
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            return _json(
                start_response,
                400,
                {"Type": "User", "message": f"Could not parse request body into json: {err}"},
                [("x-amzn-ErrorType", "InvalidRequestContentException")],
            )
        invocation_type = str(environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse"))
        if invocation_type == "Event":
            self._async.submit(name, event)
            start_response(_STATUS_TEXT[202], [("Content-Length", "0")])
            return [b""]
        if invocation_type != "RequestResponse":
            return _json(
                start_response,
                400,
                {"message": "X-Amz-Invocation-Type must be RequestResponse or Event"},
            )
        try:
            result = self._runtime.invoke(name, event)
        except FunctionNotFoundError:
            return _json(start_response, 404, {"message": f"Function not found: {name}"})
        headers = [("X-Amz-Executed-Version", "$LATEST")]
        if result.error is not None:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
            return _json(start_response, 200, result.error, headers)
        return _json(start_response, 200, result.payload, headers)


def _json(
    start_response: StartResponse,
    status: int,
    payload: Any,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        _STATUS_TEXT[status],
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *(headers or []),
        ],
    )
    return [body]
