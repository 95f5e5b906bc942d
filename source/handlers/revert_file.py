"""DELETE and GET /file/{id}: with its X-Revert-Token the uploader reverts or reads its upload."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import REVERT_TOKEN_HEADER, header, new_router, resolve
from filestore.observability import logger, metrics, tracer
from filestore.validation import parse_file_id, parse_revert_token
from filestore.views import file_ref_view, file_status_view

router = new_router()


@router.delete("/file/<id>")
def revert_file(id: str) -> dict[str, Any]:
    file_id = parse_file_id(id)  # a malformed id is a 400 before a missing token's 403
    token = parse_revert_token(header(router, REVERT_TOKEN_HEADER))
    return file_ref_view(get_service().revert(file_id, token))


@router.get("/file/<id>")
def file_status(id: str) -> dict[str, Any]:
    file_id = parse_file_id(id)
    token = parse_revert_token(header(router, REVERT_TOKEN_HEADER))
    return file_status_view(get_service().file_status(file_id, token))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
