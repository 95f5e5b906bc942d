"""The HTTP side of the API functions: one resolver factory, request access, the error mapping."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from filestore.errors import FilestoreError, InvalidBody, RouteNotFound
from filestore.observability import logger
from filestore.rest import Cors, NoRoute, Response, Router
from filestore.validation import parse_json_body
from filestore.views import error_view
from runtime_context import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

REVERT_TOKEN_HEADER = "X-Revert-Token"  # noqa: S105 - a header name, not a secret
EXTRA_ALLOWED_HEADERS = (REVERT_TOKEN_HEADER, "X-Api-Key", "Content-Type")
CORS_MAX_AGE_SECONDS = 600


def new_router() -> Router:
    """A router for one function's routes (resolved by :func:`resolve`)."""
    return Router()


def _refused(error: FilestoreError) -> Response:
    details = {"status": int(error.status), "code": error.code, "reason": error.message}
    logger.info("request refused", extra=details)
    return error_response(error)


def _handled_error(error: Exception) -> Response | None:
    """Filestore's typed errors, malformed JSON and unknown routes become 4xx; others raise."""
    if isinstance(error, FilestoreError):
        return _refused(error)
    if isinstance(error, json.JSONDecodeError):
        return _refused(InvalidBody(f"request body is not valid JSON: {error.msg}"))
    if isinstance(error, NoRoute):
        return _refused(RouteNotFound("no such route"))
    return None


def error_response(error: FilestoreError) -> Response:
    """``{"message": ..., "code": ...}`` with the error's status."""
    return Response(status_code=int(error.status), body=json.dumps(error_view(error)))


def resolve(router: Router, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route one API Gateway event through ``router``'s routes; every response carries
    ``Access-Control-Allow-Origin`` (docs/ARCHITECTURE.md)."""
    cors = Cors(
        allow_origin=get_settings().allowed_origin,
        allow_headers=EXTRA_ALLOWED_HEADERS,
        max_age=CORS_MAX_AGE_SECONDS,
    )
    return router.dispatch(event, _handled_error, cors)


def json_body(router: Router) -> Any:
    """The current request's body as JSON (``InvalidBody`` when missing or invalid)."""
    event = router.current_event
    return parse_json_body(event.body, is_base64_encoded=bool(event.is_base64_encoded))


def header(router: Router, name: str) -> str | None:
    """A request header, whatever its case (single- or multi-value event fields)."""
    return router.current_event.header(name)


def query_value(router: Router, name: str) -> str | None:
    """One query string parameter (the first, if repeated)."""
    return router.current_event.query_value(name)
