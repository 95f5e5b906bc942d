"""The ExpireSchedule rule: remove files not stored within UploadTimeout (temporary mode only)."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.events import scheduled_time
from filestore.observability import logger, metrics, tracer
from filestore.views import expiry_view


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    logger.info("scheduled expiry", extra={"rule_time": scheduled_time(event)})
    return expiry_view(get_service().expire())
