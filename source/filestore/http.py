"""The HTTP side of the API functions: one resolver factory, request access, the error mapping."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.api_gateway import Router

from filestore.errors import FilestoreError, InvalidBody, RouteNotFound
from filestore.observability import logger
from filestore.validation import parse_json_body
from filestore.views import error_view
from runtime_context import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

REVERT_TOKEN_HEADER = "X-Revert-Token"  # noqa: S105 - a header name, not a secret
EXTRA_ALLOWED_HEADERS = [REVERT_TOKEN_HEADER, "X-Api-Key", "Content-Type"]
CORS_MAX_AGE_SECONDS = 600
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


def create_resolver(allowed_origin: str) -> APIGatewayRestResolver:
    """A REST API (v1 proxy) resolver with CORS and Filestore's error mapping."""
    app = APIGatewayRestResolver(
        cors=CORSConfig(
            allow_origin=allowed_origin,
            allow_headers=EXTRA_ALLOWED_HEADERS,
            max_age=CORS_MAX_AGE_SECONDS,
        )
    )

    app.exception_handler(FilestoreError)(_refused)
    app.exception_handler(json.JSONDecodeError)(_invalid_json)
    app.not_found(_no_route)
    return app


def new_router() -> Router:
    """A router for one function's routes (resolved by :func:`resolve`)."""
    return Router()  # type: ignore[no-untyped-call]


def _refused(error: FilestoreError) -> Response[str]:
    details = {"status": int(error.status), "code": error.code, "reason": error.message}
    logger.info("request refused", extra=details)
    return error_response(error)


def _invalid_json(error: json.JSONDecodeError) -> Response[str]:
    return _refused(InvalidBody(f"request body is not valid JSON: {error.msg}"))


def _no_route(_error: Exception) -> Response[str]:
    return _refused(RouteNotFound("no such route"))


def error_response(error: FilestoreError) -> Response[str]:
    """``{"message": ..., "code": ...}`` with the error's status."""
    return Response(
        status_code=int(error.status),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_view(error)),
    )


@cache
def _resolver(router: Router, allowed_origin: str) -> APIGatewayRestResolver:
    app = create_resolver(allowed_origin)
    app.include_router(router)
    return app


def resolve(router: Router, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route one API Gateway event through ``router``'s routes (resolver built once)."""
    allowed_origin = get_settings().allowed_origin
    response = _resolver(router, allowed_origin).resolve(event, context)
    return _with_allow_origin(response, allowed_origin)


def json_body(router: Router) -> Any:
    """The current request's body as JSON (``InvalidBody`` when missing or invalid)."""
    event = router.current_event
    return parse_json_body(event.body, is_base64_encoded=bool(event.is_base64_encoded))


def header(router: Router, name: str) -> str | None:
    """A request header, whatever its case (single- or multi-value event fields)."""
    event = router.current_event
    value = event.headers.get(name)
    if value is None:
        values = event.resolved_headers_field.get(name.lower())
        if isinstance(values, list) and values:
            return str(values[0])
    return value


def query_value(router: Router, name: str) -> str | None:
    """One query string parameter (the first, if repeated)."""
    return router.current_event.get_query_string_value(name)


def _with_allow_origin(response: dict[str, Any], allowed_origin: str) -> dict[str, Any]:
    """Powertools adds CORS headers only when the request has an ``Origin``; every Filestore
    response carries ``Access-Control-Allow-Origin`` (docs/ARCHITECTURE.md)."""
    multi = response.get("multiValueHeaders")
    single = response.get("headers")
    present = [key for mapping in (multi, single) if isinstance(mapping, dict) for key in mapping]
    if any(key.lower() == ALLOW_ORIGIN.lower() for key in present):
        return response
    if isinstance(multi, dict):
        multi[ALLOW_ORIGIN] = [allowed_origin]
    else:
        response["headers"] = {**(single or {}), ALLOW_ORIGIN: allowed_origin}
    return response
