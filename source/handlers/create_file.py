"""POST /file: a pending record and a presigned PUT URL for one upload."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import json_body, new_router, resolve
from filestore.observability import logger, metrics, tracer
from filestore.validation import parse_new_file
from filestore.views import upload_view

router = new_router()


@router.post("/file")
def create_file() -> dict[str, Any]:
    service = get_service()
    new_file = parse_new_file(json_body(router), service.settings)
    return upload_view(service.create_upload(new_file))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # no secrets in X-Ray
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
