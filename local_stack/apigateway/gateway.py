"""The local API Gateway (REST API, v1) with no sockets: an HttpRequest in, an HttpResponse out."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

from local_stack.apigateway import gateway_responses, mock
from local_stack.apigateway.gateway_responses import GatewayResponses, ResponseType
from local_stack.apigateway.methods import API_KEY_HEADER, Method, compile_methods
from local_stack.apigateway.parameters import RequestValues
from local_stack.apigateway.proxy_event import EventContext, build_event, first_header
from local_stack.apigateway.proxy_response import MalformedProxyResponseError, parse_proxy_response
from local_stack.apigateway.routes import RouteMatch, RouteTable
from local_stack.apigateway.throttle import Quota, QuotaCounters, Throttle, TokenBuckets
from local_stack.apigateway.validation import (
    RequestValidationError,
)
from local_stack.awslambda.invocation import (
    MAX_SYNC_PAYLOAD_BYTES,
    FunctionNotFoundError,
    InvocationResult,
    Invoker,
)

__all__ = ["Gateway", "HttpRequest", "HttpResponse", "Quota", "Throttle"]

logger = logging.getLogger(__name__)

BINARY_MEDIA_TYPES_KEY = "x-amazon-apigateway-binary-media-types"
API_KEY_SOURCE_KEY = "x-amazon-apigateway-api-key-source"
# API Gateway's payload limit: larger requests get 413 before anything else runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# A Lambda proxy event over Lambda's limit (headers and all; a binary body base64-encoded) is
# refused by the Invoke, and the client gets API Gateway's 413 with its gateway response.
MAX_EVENT_BYTES = MAX_SYNC_PAYLOAD_BYTES
# RFC 9110's optional whitespace around a header value: not part of the value.
_OWS = " \t"


@dataclass(frozen=True)
class HttpRequest:
    """One client request as received: raw path with the stage, decoded query pairs, raw headers."""

    method: str
    path: str  # raw (percent-encoded) path including the stage, e.g. "/dev/file/abc"
    query: list[tuple[str, str]]  # decoded name/value pairs, repeats kept in order
    headers: list[tuple[str, str]]  # names as sent (case kept), repeats kept in order
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _GatewayError(Exception):
    def __init__(
        self, response_type: ResponseType, message: str | None = None, details: str = ""
    ) -> None:
        super().__init__(message or response_type.message)
        self.response_type = response_type
        self.message = message
        self.details = details


class _PartDownError(Exception):
    """A part of the local stack (a supervised child process) is down right now."""


class Gateway:
    """Routes requests for one stage of one REST API to mock answers or Lambda proxy calls."""

    def __init__(
        self,
        swagger: dict[str, Any],
        stage: str,
        invoke: Invoker,
        api_keys: Mapping[str, str],
        throttle: Throttle | None = None,
        *,
        api_id: str = "local",
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Callable[[], float] = time.time,
        integration_timeout_s: float = 29.0,
        stage_throttle: Throttle | None = None,
        quota: Quota | None = None,
        down: Callable[[], str | None] = lambda: None,
    ) -> None:
        """`throttle` and `quota` are the usage plan's (per API key, on methods that require
        one); `stage_throttle` is the stage's default method throttle, shared by all callers."""
        if str(swagger.get(API_KEY_SOURCE_KEY, "HEADER")).upper() != "HEADER":
            raise ValueError(f"{API_KEY_SOURCE_KEY} other than HEADER is not supported locally")
        self.stage = stage
        self._invoke = invoke
        self._api_keys = dict(api_keys)
        self._api_id = api_id
        self._account_id = account_id
        self._default_domain = f"{api_id}.execute-api.{region}.amazonaws.com"
        self._clock = clock
        self._timeout_s = integration_timeout_s
        self._routes = RouteTable(swagger.get("paths") or {})
        self._methods = compile_methods(swagger, self._routes)
        self._binary_media_types: list[str] = list(swagger.get(BINARY_MEDIA_TYPES_KEY) or [])
        self._gateway_responses = GatewayResponses(swagger)
        self._buckets = TokenBuckets(throttle, clock) if throttle is not None else None
        self._stage_buckets = (
            TokenBuckets(stage_throttle, clock) if stage_throttle is not None else None
        )
        self._quotas = QuotaCounters(quota, clock) if quota is not None else None
        self._down = down

    def _stage_path(self, path: str) -> str | None:
        prefix = f"/{self.stage}"
        if path == prefix:
            return "/"
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
        return None

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request exactly as API Gateway would.

        Header values arrive as sent; the gateway works with them without the whitespace around
        them, except for the API key, which must be exactly a key (padded, it is no key at all).
        """
        sent_api_key = first_header(request.headers, API_KEY_HEADER)
        request = replace(request, headers=_without_padding(request.headers))
        request_id = str(uuid.uuid4())
        extended_id = base64.b64encode(secrets.token_bytes(10)).decode("ascii")
        now = self._clock()
        context = {
            "requestId": request_id,
            "extendedRequestId": extended_id,
            "stage": self.stage,
            "apiId": self._api_id,
            "accountId": self._account_id,
            "httpMethod": request.method,
            "path": request.path,
            "identity.sourceIp": request.source_ip,
        }
        values = RequestValues(request.headers, request.query, {})
        try:
            status, headers, body = self._dispatch(
                request, sent_api_key, request_id, extended_id, now, context
            )
        except _PartDownError as err:
            # Local only (AWS has no such state): a part of the stack is restarting, so the
            # call fails at once with the CORS headers of the API's DEFAULT_5XX response.
            rendered = self._gateway_responses.render(
                gateway_responses.LAMBDA_FAILURE, context, values
            )
            body = json.dumps({"message": str(err), "code": "ServiceUnavailable"}).encode()
            status, headers = (
                503,
                [
                    (name, value)
                    for name, value in rendered.headers
                    if name.lower() not in ("content-type", "x-amzn-errortype")
                ],
            )
            headers = [("Content-Type", "application/json"), *headers]
        except _GatewayError as err:
            if err.response_type.status >= 500:
                logger.warning("%s %s: %s", request.method, request.path, err)
            rendered = self._gateway_responses.render(
                err.response_type, context, values, err.message, err.details
            )
            status, headers, body = rendered.status, rendered.headers, rendered.body
        # Every API Gateway response carries its request id and extended request id.
        headers = [*headers, ("x-amzn-RequestId", request_id), ("x-amz-apigw-id", extended_id)]
        return HttpResponse(status, headers, body)

    def refusal(self, status: int) -> HttpResponse:
        """The answer to a request the HTTP server refuses before there is one to handle (a
        header line over 64 KiB gets 431): JSON and the CORS headers of DEFAULT_4XX / 5XX."""
        request_id = str(uuid.uuid4())
        extended_id = base64.b64encode(secrets.token_bytes(10)).decode("ascii")
        response_type = ResponseType(
            "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX", status, _phrase(status), None
        )
        context = {"requestId": request_id, "extendedRequestId": extended_id, "stage": self.stage}
        rendered = self._gateway_responses.render(response_type, context, RequestValues([], [], {}))
        headers = [
            *rendered.headers,
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", extended_id),
        ]
        return HttpResponse(rendered.status, headers, rendered.body)

    def _dispatch(
        self,
        request: HttpRequest,
        sent_api_key: str | None,
        request_id: str,
        extended_id: str,
        now: float,
        context: dict[str, str],
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        stage_path = self._stage_path(request.path)
        # AWS quirk: an unknown path, an unknown method on a known path, and a path outside the
        # stage all get 403 "Missing Authentication Token" (API Gateway assumes a signed call to
        # something you may not see), never 404 or 405.
        if stage_path is None:
            raise _GatewayError(gateway_responses.MISSING_AUTHENTICATION_TOKEN)
        match = self._routes.match(request.method, stage_path)
        if match is None:
            raise _GatewayError(gateway_responses.MISSING_AUTHENTICATION_TOKEN)
        method = self._methods[(match.route.resource, _method_key(match))]
        context.update(
            {"resourcePath": match.route.resource, "resourceId": match.route.resource_id}
        )
        if len(request.body) > MAX_PAYLOAD_BYTES:
            raise _GatewayError(gateway_responses.REQUEST_TOO_LARGE)

        api_key, api_key_id = self._check_api_key(sent_api_key, method)
        self._check_limits(api_key_id)
        if method.validator is not None:
            try:
                method.validator.validate(request.headers, request.query, request.body)
            except RequestValidationError as err:
                response_type = gateway_responses.response_type(err.response_type)
                raise _GatewayError(response_type, err.message, err.details) from err

        values = RequestValues(request.headers, request.query, match.path_parameters)
        if method.integration_type == "mock":
            try:
                answer = mock.answer(
                    method.integration,
                    values,
                    first_header(request.headers, "content-type"),
                    context,
                )
            except mock.UnsupportedMediaTypeError as err:
                raise _GatewayError(gateway_responses.UNSUPPORTED_MEDIA_TYPE) from err
            return answer.status, answer.headers, answer.body

        event_context = EventContext(
            resource=match.route.resource,
            resource_id=match.route.resource_id,
            http_method=request.method,
            stage=self.stage,
            stage_path=stage_path,
            path_parameters=match.path_parameters,
            request_id=request_id,
            extended_request_id=extended_id,
            request_time_epoch_ms=int(now * 1000),
            api_id=self._api_id,
            account_id=self._account_id,
            domain_name=_host(request) or self._default_domain,
            source_ip=request.source_ip,
            api_key=api_key,
            api_key_id=api_key_id,
            binary_media_types=self._binary_media_types,
        )
        event = build_event(
            request.method, request.headers, request.query, request.body, event_context
        )
        if _json_size(event) > MAX_EVENT_BYTES:
            # Lambda refuses the Invoke; API Gateway answers with its own 413.
            raise _GatewayError(gateway_responses.REQUEST_TOO_LARGE)
        down = self._down()
        if down is not None:
            raise _PartDownError(f"the local stack is not ready: {down} is down")
        assert method.function_name is not None
        result = self._invoke_with_timeout(method.function_name, event)
        try:
            proxy = parse_proxy_response(
                result.payload,
                first_header(request.headers, "accept"),
                self._binary_media_types,
            )
        except MalformedProxyResponseError as err:
            logger.warning(
                "Execution failed due to configuration error: Malformed Lambda proxy response "
                "from %s: %s",
                method.function_name,
                err,
            )
            raise _GatewayError(gateway_responses.LAMBDA_FAILURE) from err
        trace_id = event["multiValueHeaders"]["X-Amzn-Trace-Id"][-1]
        return proxy.status, [*proxy.headers, ("X-Amzn-Trace-Id", trace_id)], proxy.body

    def _check_limits(self, api_key_id: str | None) -> None:
        # The stage throttle counts every request; the usage plan's throttle and quota count
        # per API key, only on the methods that require one.
        if self._stage_buckets is not None and not self._stage_buckets.allow("*"):
            raise _GatewayError(gateway_responses.THROTTLED)
        if api_key_id is None:
            return
        if self._buckets is not None and not self._buckets.allow(api_key_id):
            raise _GatewayError(gateway_responses.THROTTLED)
        if self._quotas is not None and not self._quotas.allow(api_key_id):
            raise _GatewayError(gateway_responses.QUOTA_EXCEEDED)

    def _check_api_key(self, key: str | None, method: Method) -> tuple[str | None, str | None]:
        if not method.api_key_required:
            # The key is neither checked nor reported to the function when not required.
            return None, None
        key_id = self._api_keys.get(key) if key else None
        if key is None or key_id is None:
            # Missing and wrong keys look the same to the client: 403 Forbidden.
            raise _GatewayError(gateway_responses.INVALID_API_KEY)
        return key, key_id

    def _invoke_with_timeout(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                outcome["result"] = self._invoke(function_name, event)
            except BaseException as err:  # reported to the client as API Gateway would
                outcome["error"] = err
            finally:
                done.set()

        threading.Thread(target=run, name=f"apigw-{function_name}", daemon=True).start()
        if not done.wait(self._timeout_s):
            # AWS quirk: the client gets 504 after the integration timeout (29 s by default)
            # while the function itself keeps running to its own Timeout.
            raise _GatewayError(gateway_responses.INTEGRATION_TIMEOUT)
        error = outcome.get("error")
        if isinstance(error, FunctionNotFoundError):
            logger.error("Execution failed due to configuration error: %s", error)
            raise _GatewayError(gateway_responses.API_CONFIGURATION_ERROR) from error
        if error is not None:
            logger.error("Lambda invocation of %s failed", function_name, exc_info=error)
            raise _GatewayError(gateway_responses.LAMBDA_FAILURE) from error
        result: InvocationResult = outcome["result"]
        if result.failed:
            # AWS: an unhandled function error reaches the client as 502 Internal server error.
            logger.warning("Lambda function %s failed: %s", function_name, result.error)
            raise _GatewayError(gateway_responses.LAMBDA_FAILURE)
        return result


def _method_key(match: RouteMatch) -> str:
    return match.method if match.method in match.route.operations else "ANY"


def _host(request: HttpRequest) -> str | None:
    return first_header(request.headers, "host")


def _without_padding(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value.strip(_OWS)) for name, value in headers]


def _json_size(event: Mapping[str, Any]) -> int:
    """The event's size as the Invoke payload: compact JSON, UTF-8."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8", errors="surrogatepass"))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
