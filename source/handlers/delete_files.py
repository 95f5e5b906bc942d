"""DELETE /files (API key): remove files' objects and mark their records deleted."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import json_body, new_router, resolve
from filestore.observability import logger, metrics, tracer
from filestore.validation import parse_id_list
from filestore.views import batch_view

router = new_router()


@router.delete("/files")
def delete_files() -> dict[str, Any]:
    file_ids = parse_id_list(json_body(router))
    return batch_view(get_service().delete(file_ids))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
