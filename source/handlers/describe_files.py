"""POST /files (API key): describe files; deleted=yes and nonstored=yes widen the list."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import json_body, new_router, query_value, resolve
from filestore.observability import logger, tracer
from filestore.validation import parse_flag, parse_id_list
from filestore.views import file_views

router = new_router()


@router.post("/files")
def describe_files() -> list[dict[str, Any]]:
    file_ids = parse_id_list(json_body(router))
    described = get_service().describe(
        file_ids,
        include_deleted=parse_flag(query_value(router, "deleted"), "deleted"),
        include_nonstored=parse_flag(query_value(router, "nonstored"), "nonstored"),
    )
    return file_views(described)


# No @metrics.log_metrics: this function publishes no metric, so there is nothing to flush.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # no secrets in X-Ray
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
