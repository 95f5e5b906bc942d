"""Lambda's REST Invoke API on its own port (``FILESTORE_LAMBDA_PORT``), SigV4-checked.

``POST /2015-03-31/functions/{FunctionName}/invocations`` runs a function as Lambda's ``Invoke``
does, so boto3's lambda client works against it (``AWS_ENDPOINT_URL_LAMBDA``). The local-only
``GET /_local/dead-letters`` lists the asynchronous events whose retries ran out, behind the
same signature check. Routing here, answers in ``exceptions`` and ``invoke_responses``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from local_stack.awslambda import exceptions
from local_stack.awslambda.async_invoke import AsyncInvoker
from local_stack.awslambda.auth import LambdaAuthenticator, SignedRequest
from local_stack.awslambda.exceptions import LambdaError
from local_stack.awslambda.invocation import (
    MAX_SYNC_PAYLOAD_BYTES,
    FunctionNotFoundError,
    InvocationResult,
)
from local_stack.awslambda.invoke_responses import (
    Answer,
    error_answer,
    invocation_answer,
    json_answer,
)
from local_stack.awslambda.tail_logs import LogTail
from local_stack.cloudformation.models import FunctionModel, function_arn
from local_stack.s3.request import parse_query

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
else:
    StartResponse = WSGIEnvironment = Any

log = logging.getLogger("local_stack.awslambda")

API_VERSION = "2015-03-31"
_INVOKE_PATH = re.compile(rf"/{API_VERSION}/functions/([^/]+)/invocations")
DEAD_LETTERS_PATH = "/_local/dead-letters"
INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
LATEST = "$LATEST"
# AWS parity: asynchronous (Event) invocations take up to 1 MB since October 2025.
MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024
# A function's ARN, possibly qualified: arn:aws:lambda:<region>:<account>:function:<name>[:<q>]
_ARN = re.compile(r"arn:aws:lambda:([^:]+):([0-9]{12}):function:([^:]+)(?::([^:]+))?")
_PARTIAL_ARN = re.compile(r"([0-9]{12}):function:([^:]+)(?::([^:]+))?")


class SyncRuntime(Protocol):
    """What the endpoint needs of ``FunctionRuntime``: its functions and a synchronous run."""

    functions: dict[str, FunctionModel]

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult: ...


class LambdaInvokeEndpoint:
    """A WSGI app answering Lambda's Invoke API (and the dead-letter listing)."""

    def __init__(
        self,
        runtime: SyncRuntime,
        async_invoker: AsyncInvoker,
        credentials: Mapping[str, str],
        region: str,
        account_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._runtime = runtime
        self._async = async_invoker
        self._auth = LambdaAuthenticator(credentials, region, clock)
        self._region = region
        self._account_id = account_id
        self._tail = LogTail()

    def close(self) -> None:
        self._tail.close()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = self._answer(environ)
        start_response(answer.status_line, answer.headers)
        return [answer.body]

    def _answer(self, environ: WSGIEnvironment) -> Answer:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        raw_path = _raw_path(environ)
        match = _INVOKE_PATH.fullmatch(raw_path)
        limit = MAX_SYNC_PAYLOAD_BYTES
        if match and _header(environ, "X-Amz-Invocation-Type") == "Event":
            limit = MAX_ASYNC_PAYLOAD_BYTES
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            # Refused before the body is read: the connection closes, as S3's refusals do.
            return error_answer(exceptions.request_too_large(limit), close=True)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            self._auth.authenticate(_signed_request(environ, method, raw_path, body))
            if match and method == "POST":
                return self._invoke(environ, unquote(match.group(1)), body)
            if raw_path == DEAD_LETTERS_PATH and method == "GET":
                return json_answer(200, {"deadLetters": self._dead_letters()})
            raise exceptions.unknown_operation()
        except LambdaError as err:
            return error_answer(err)

    def _dead_letters(self) -> list[dict[str, Any]]:
        return [
            {"function": letter.function_name, "record": letter.record}
            for letter in self._async.dead_letters
        ]

    def _invoke(self, environ: WSGIEnvironment, function_ref: str, body: bytes) -> Answer:
        query = dict(parse_query(str(environ.get("QUERY_STRING", ""))))
        function = self._function(function_ref, query.get("Qualifier"))
        invocation_type = _header(environ, "X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            raise exceptions.validation_error(
                "invocationType", invocation_type, ", ".join(INVOCATION_TYPES)
            )
        log_type = _header(environ, "X-Amz-Log-Type") or "None"
        if log_type not in ("None", "Tail"):
            raise exceptions.validation_error("logType", log_type, "None, Tail")
        try:
            event = json.loads(body) if body.strip() else {}
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise exceptions.invalid_request_content(str(err)) from err
        if invocation_type == "DryRun":
            # AWS parity: DryRun checks the caller may invoke the function, and runs nothing.
            return Answer(204, [("X-Amz-Executed-Version", LATEST)], content_type=None)
        if invocation_type == "Event":
            self._async.submit(function.logical_id, event)
            return Answer(202, [("X-Amz-Executed-Version", LATEST)])
        request_id = str(uuid.uuid4())
        try:
            if log_type == "Tail":
                with self._tail.capture(function.logical_id, request_id) as capture:
                    result = self._runtime.invoke(function.logical_id, event, request_id)
                return invocation_answer(result, request_id, capture.text())
            result = self._runtime.invoke(function.logical_id, event, request_id)
        except FunctionNotFoundError as err:
            raise exceptions.resource_not_found(function.arn) from err
        return invocation_answer(result, request_id, None)

    def _function(self, function_ref: str, qualifier: str | None) -> FunctionModel:
        """The function ``FunctionName`` names: its name (the logical id) or its ARN."""
        name, arn_qualifier = function_ref, None
        arn = _ARN.fullmatch(function_ref)
        partial = _PARTIAL_ARN.fullmatch(function_ref)
        if arn:
            region, account, name, arn_qualifier = arn.groups()
            if region != self._region or account != self._account_id:
                raise exceptions.resource_not_found(function_ref)
        elif partial:
            account, name, arn_qualifier = partial.groups()
            if account != self._account_id:
                raise exceptions.resource_not_found(function_ref)
        if arn_qualifier and qualifier and arn_qualifier != qualifier:
            raise exceptions.invalid_parameter_value(
                "The derived qualifier from the function name does not match the specified "
                "qualifier."
            )
        qualifier = qualifier or arn_qualifier
        function = self._runtime.functions.get(name)
        # A function the template's conditions leave out is not deployed: Lambda knows no such
        # function. Only $LATEST exists locally (no versions, no aliases).
        if function is None:
            raise exceptions.resource_not_found(function_arn(name))
        if qualifier not in (None, LATEST):
            raise exceptions.resource_not_found(f"{function.arn}:{qualifier}")
        return function


def _header(environ: WSGIEnvironment, name: str) -> str:
    return str(environ.get("HTTP_" + name.upper().replace("-", "_"), ""))


def _raw_path(environ: WSGIEnvironment) -> str:
    # The path as sent, still URI-encoded: SigV4 signed it so, and an ARN's ":" arrive encoded.
    raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if raw_uri:
        path = raw_uri.split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        return path
    return str(environ.get("PATH_INFO", "/"))


def _signed_request(
    environ: WSGIEnvironment, method: str, raw_path: str, body: bytes
) -> SignedRequest:
    headers: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers[name[5:].replace("_", "-").lower()] = str(value)
    for name, header in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(name) not in (None, ""):
            headers[header] = str(environ[name])
    return SignedRequest(
        method=method,
        host=headers.get("host", ""),
        raw_path=raw_path,
        query=parse_query(str(environ.get("QUERY_STRING", ""))),
        headers=headers,
        body=body,
    )
