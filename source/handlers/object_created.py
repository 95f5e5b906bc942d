"""s3:ObjectCreated on the storage bucket: record uploads, remove objects without a live record."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.events import created_objects
from filestore.observability import logger, metrics, tracer
from filestore.views import upload_events_view


# The event is read as a dict (filestore.events): Powertools' S3Event would import every event
# data class it has, ~17 ms of this function's cold start, for two fields of each record.
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    objects = created_objects(event)  # UnusableEvent when a record names no bucket and key
    service = get_service()
    return upload_events_view(service.record_upload(o.bucket, o.key) for o in objects)
