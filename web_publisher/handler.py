"""Custom::WebPage handler: Create/Update publish the page, Delete empties the web bucket."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import boto3

from web_publisher.publish import Publication, publish, unpublish
from web_publisher.response import CustomResourceResponse, Responder

LOGGER = logging.getLogger("web_publisher")
LOGGER.setLevel(logging.INFO)
# The answer is sent this long before the function's deadline if the work is still running, so
# CloudFormation always hears FAILED instead of waiting for its own timeout.
DEADLINE_MARGIN_SECONDS = 5.0


def handler(event: Mapping[str, Any], context: Any) -> None:
    """Entry point: do the request's work, then answer CloudFormation, never leaving it waiting."""
    responder = Responder(event)
    physical_id = physical_resource_id(event)
    remaining = context.get_remaining_time_in_millis() / 1000 - DEADLINE_MARGIN_SECONDS
    timer = threading.Timer(
        max(remaining, 0.0),
        _send_timeout,
        args=(responder, physical_id, event.get("RequestType")),
    )
    timer.daemon = True
    timer.start()
    try:
        data = _run(event, physical_id)
    except Exception as err:
        LOGGER.exception("%s of the web page failed", event.get("RequestType"))
        response = CustomResourceResponse("FAILED", physical_id, f"{type(err).__name__}: {err}")
    else:
        response = CustomResourceResponse("SUCCESS", physical_id, data=data)
    finally:
        timer.cancel()
    responder.send(response)


def physical_resource_id(event: Mapping[str, Any]) -> str:
    """The published page is named by its bucket: a new bucket means a new resource.

    CloudFormation then deletes the old one (emptying the old bucket) after the update; a Delete
    for a page whose Create failed carries the id given then, and empties what is there.
    """
    properties = event.get("ResourceProperties") or {}
    bucket = properties.get("WebBucket")
    if event.get("RequestType") == "Delete" or not isinstance(bucket, str) or not bucket:
        existing = event.get("PhysicalResourceId")
        return str(existing) if existing else f"web-page-{event.get('RequestId', 'unknown')}"
    return f"s3://{bucket}"


def _run(event: Mapping[str, Any], physical_id: str) -> dict[str, str]:
    request_type = event.get("RequestType")
    s3 = boto3.client("s3")
    if request_type == "Delete":
        bucket = physical_id.removeprefix("s3://") if physical_id.startswith("s3://") else ""
        if bucket:
            unpublish(bucket, s3=s3)
        return {}
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unknown RequestType {request_type!r}")
    publication = Publication.from_properties(event.get("ResourceProperties") or {})
    cloudfront = boto3.client("cloudfront") if publication.distribution_id else None
    result = publish(
        publication,
        s3=s3,
        cloudfront=cloudfront,
        caller_reference=f"filestore-web-{event.get('RequestId', '')}",
    )
    return {"Objects": str(len(result.written)), "Invalidation": result.invalidation_id or ""}


def _send_timeout(responder: Responder, physical_id: str, request_type: Any) -> None:
    reason = f"{request_type} of the web page did not finish before the function's timeout"
    LOGGER.error(reason)
    responder.send(CustomResourceResponse("FAILED", physical_id, reason))
