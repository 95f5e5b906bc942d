"""s3:ObjectCreated on the storage bucket: record uploads, remove objects without a live record."""

from __future__ import annotations

import vendor  # noqa: F401  (must come first: puts source/ext on sys.path)

# isort: split
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from filestore.container import get_service
from filestore.observability import logger, metrics, tracer


# The event is read as the plain dict S3 sends: importing Powertools' event data classes for two
# fields would load all of its ~35 event classes into every cold start.
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    service = get_service()
    outcomes: list[str] = []
    for record in event.get("Records", []):
        bucket, key = record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]
        if bucket != service.settings.bucket_name:
            logger.warning("event for another bucket", extra={"bucket": bucket})
            outcomes.append("ignored")
            continue
        outcomes.append(service.record_upload(unquote_plus(key)))  # keys use "+" for spaces
    return {"outcomes": outcomes}
