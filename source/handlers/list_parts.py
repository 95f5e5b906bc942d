"""GET /file/{id}/parts: the parts S3 holds of a multipart upload, so a client can resume it."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import REVERT_TOKEN_HEADER, header, new_router, resolve
from filestore.observability import logger, tracer
from filestore.validation import parse_file_id, parse_revert_token
from filestore.views import held_parts_view

router = new_router()


@router.get("/file/<id>/parts")
def list_parts(id: str) -> dict[str, Any]:
    file_id = parse_file_id(id)
    token = parse_revert_token(header(router, REVERT_TOKEN_HEADER))
    return held_parts_view(get_service().held_parts(file_id, token))


# No @metrics.log_metrics: this function publishes no metric, so there is nothing to flush.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
