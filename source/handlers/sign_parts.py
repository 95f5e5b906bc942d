"""POST /file/{id}/parts: presigned UploadPart URLs for a few parts of a multipart upload."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import REVERT_TOKEN_HEADER, header, json_body, new_router, resolve
from filestore.observability import logger, metrics, tracer
from filestore.validation import parse_file_id, parse_part_requests, parse_revert_token
from filestore.views import part_uploads_view

router = new_router()


@router.post("/file/<id>/parts")
def sign_parts(id: str) -> dict[str, Any]:
    file_id = parse_file_id(id)
    token = parse_revert_token(header(router, REVERT_TOKEN_HEADER))
    parts = parse_part_requests(json_body(router))
    return part_uploads_view(get_service().sign_parts(file_id, token, parts))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # no signatures in X-Ray
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
