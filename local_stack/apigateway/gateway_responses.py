"""API Gateway's own error responses, customisable with x-amazon-apigateway-gateway-responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_stack.apigateway.parameters import RequestValues, header_parameters
from local_stack.apigateway.templates import render, select_template

GATEWAY_RESPONSES_KEY = "x-amazon-apigateway-gateway-responses"

# AWS's body for every gateway response that has no template of its own.
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


@dataclass(frozen=True)
class ResponseType:
    """One of API Gateway's gateway response types with its AWS default status and message."""

    name: str
    status: int
    message: str
    error_type: str | None  # the x-amzn-ErrorType header AWS sends with it


MISSING_AUTHENTICATION_TOKEN = ResponseType(
    "MISSING_AUTHENTICATION_TOKEN",
    403,
    "Missing Authentication Token",
    "MissingAuthenticationTokenException",
)
INVALID_API_KEY = ResponseType("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException")
THROTTLED = ResponseType("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException")
QUOTA_EXCEEDED = ResponseType("QUOTA_EXCEEDED", 429, "Limit Exceeded", "LimitExceededException")
BAD_REQUEST_BODY = ResponseType(
    "BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException"
)
BAD_REQUEST_PARAMETERS = ResponseType(
    "BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters", "BadRequestException"
)
REQUEST_TOO_LARGE = ResponseType(
    "REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestEntityTooLargeException"
)
UNSUPPORTED_MEDIA_TYPE = ResponseType(
    "UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", "UnsupportedMediaTypeException"
)
INTEGRATION_TIMEOUT = ResponseType("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", None)
# A function error or a malformed proxy response: AWS answers 502 and has no specific type for
# it, so DEFAULT_5XX is what customises it.
LAMBDA_FAILURE = ResponseType("DEFAULT_5XX", 502, "Internal server error", None)
API_CONFIGURATION_ERROR = ResponseType(
    "API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException"
)

_BY_NAME = {
    t.name: t
    for t in (
        MISSING_AUTHENTICATION_TOKEN,
        INVALID_API_KEY,
        THROTTLED,
        QUOTA_EXCEEDED,
        BAD_REQUEST_BODY,
        BAD_REQUEST_PARAMETERS,
        REQUEST_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        INTEGRATION_TIMEOUT,
        API_CONFIGURATION_ERROR,
    )
}


@dataclass(frozen=True)
class RenderedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class GatewayResponses:
    """The API's gateway responses: a specific type, else DEFAULT_4XX/5XX, else AWS's default."""

    def __init__(self, swagger: Mapping[str, Any]) -> None:
        self._custom: Mapping[str, Mapping[str, Any]] = swagger.get(GATEWAY_RESPONSES_KEY) or {}

    def _customisation(self, response_type: ResponseType, status: int) -> Mapping[str, Any]:
        specific = self._custom.get(response_type.name)
        if specific is not None:
            return specific
        # AWS: a type that is not customised inherits the API's DEFAULT_4XX or DEFAULT_5XX.
        return self._custom.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX") or {}

    def render(
        self,
        response_type: ResponseType,
        context: Mapping[str, str],
        request: RequestValues,
        message: str | None = None,
        validation_errors: str = "",
    ) -> RenderedResponse:
        """The response for one gateway error, with its template and header parameters applied."""
        message = message or response_type.message
        custom = self._customisation(response_type, response_type.status)
        status = response_type.status
        if response_type.name in self._custom and "statusCode" in custom:
            status = int(custom["statusCode"])  # only a type's own customisation changes it
        template = select_template(custom.get("responseTemplates") or {}, "application/json")
        if template is None:
            template = DEFAULT_TEMPLATE
        body = render(
            template,
            {
                **context,
                "error.message": message,
                "error.messageString": json.dumps(message),
                "error.responseType": response_type.name,
                # validationErrorString arrives JSON-escaped, for use inside a quoted string.
                "error.validationErrorString": json.dumps(validation_errors)[1:-1],
            },
        )
        headers = [("Content-Type", "application/json")]
        if response_type.error_type:
            headers.append(("x-amzn-ErrorType", response_type.error_type))
        headers.extend(
            header_parameters(
                custom.get("responseParameters") or {}, "gatewayresponse.header.", request
            )
        )
        return RenderedResponse(status, headers, body.encode("utf-8"))


def response_type(name: str) -> ResponseType:
    return _BY_NAME[name]
