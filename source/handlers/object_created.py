"""s3:ObjectCreated on the storage bucket: record uploads, remove objects without a live record."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.events import created_objects
from filestore.observability import logger, metrics, tracer
from filestore.views import upload_events_view


# Powertools' S3Event gives the record its shape. Importing the data classes costs this cold
# start ~15 ms, which keeps it below the API functions' (their REST resolver loads them too).
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, list[str]]:
    objects = created_objects(event)  # UnusableEvent when a record names no bucket and key
    service = get_service()
    return upload_events_view(service.record_upload(o.bucket, o.key) for o in objects)
