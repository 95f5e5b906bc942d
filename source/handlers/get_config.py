"""GET /config: the limits and mode a client needs before uploading."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.http import new_router, resolve
from filestore.observability import logger, tracer
from filestore.views import config_view

router = new_router()


@router.get("/config")
def get_config() -> dict[str, Any]:
    return config_view(get_service().config())


# No @metrics.log_metrics: this function publishes no metric, so there is nothing to flush.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(router, event, context)
