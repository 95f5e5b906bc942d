"""Builders for the WebPage publisher's tests: its properties, in-process requests."""

from __future__ import annotations

from typing import Any

from local_stack.cloudformation.custom_resource import run_custom_resource
from local_stack.cloudformation.models import CustomResourceModel
from local_stack.testing.lambda_context import lambda_context
from web_publisher import handler as handler_module
from web_publisher.response import CustomResourceResponse

REGION = "us-east-1"
WEB_BUCKET = "filestore-web-test"
API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/dev"
STORAGE_ORIGINS = [
    "https://filestore-files.s3.amazonaws.com",
    "https://filestore-files.s3.us-east-1.amazonaws.com",
]
PAGE = (
    '<!doctype html><meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; connect-src 'self'\"><title>Filestore</title>"
)


def properties(distribution: str = "", bucket: str = WEB_BUCKET, **extra: Any) -> dict[str, Any]:
    """The WebPage resource's properties as CloudFormation sends them (numbers as strings)."""
    return {
        "WebBucket": bucket,
        "DistributionId": distribution,
        "ApiUrl": API_URL,
        "StorageOrigins": STORAGE_ORIGINS,
        "MaxFileSize": "1048576",
        "AllowedTypes": "image/*,application/pdf",
        "StoreOnUpload": "False",
        **extra,
    }


class InProcessInvoker:
    """Calls the handler in this process (under moto) as Lambda would call it."""

    def __init__(self, remaining_ms: int | None = None) -> None:
        self.remaining_ms = remaining_ms

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> None:
        context: Any = lambda_context(function_name)
        if self.remaining_ms is not None:
            remaining = self.remaining_ms

            class _Short:
                def __getattr__(self, name: str) -> Any:
                    return getattr(lambda_context(function_name), name)

                def get_remaining_time_in_millis(self) -> int:
                    return remaining

            context = _Short()
        handler_module.handler(event, context)


RESOURCE = CustomResourceModel(
    logical_id="WebPage",
    resource_type="Custom::WebPage",
    service_token="arn:aws:lambda:us-east-1:123456789012:function:PublishWebFunction",
    function_logical_id="PublishWebFunction",
    properties={},
)


def send(
    request_type: str,
    props: dict[str, Any],
    physical_id: str | None = None,
    invoker: InProcessInvoker | None = None,
) -> CustomResourceResponse:
    """Send one CloudFormation request to the handler and return its (SUCCESS) response."""
    return run_custom_resource(
        invoker or InProcessInvoker(), RESOURCE, request_type, props, physical_id
    )
