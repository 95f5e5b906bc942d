"""Runs a custom resource's function as CloudFormation does: a request event, a response PUT."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Protocol

from local_stack.account import STACK_ID
from local_stack.cloudformation.models import CustomResourceModel
from web_publisher.response import CustomResourceResponse  # the response's one typed home

log = logging.getLogger("local_stack")
# AWS parity: CloudFormation waits up to the resource's ServiceTimeout (default one hour) for
# the response; locally the wait ends when the function's invocation does, plus this grace.
RESPONSE_GRACE_SECONDS = 5.0
MAX_RESPONSE_BYTES = 4096  # CloudFormation refuses larger response objects
SHUTDOWN_POLL_SECONDS = 0.02


class CustomResourceError(RuntimeError):
    """The custom resource answered FAILED, or never answered."""


class Invoker(Protocol):
    def invoke(self, function_name: str, event: Any, request_id: str = "") -> Any: ...


def run_custom_resource(
    invoker: Invoker,
    resource: CustomResourceModel,
    request_type: str = "Create",
    properties: Mapping[str, Any] | None = None,
    physical_resource_id: str | None = None,
) -> CustomResourceResponse:
    """Send ``request_type`` for ``resource`` to its function; return its SUCCESS answer.

    The response URL is a one-shot loopback listener at an unguessable path (CloudFormation's is
    a presigned S3 URL); it lives only for this request.
    """
    request_id = str(uuid.uuid4())
    token = secrets.token_urlsafe(24)
    received: list[bytes] = []
    arrived = threading.Event()

    class _Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != f"/{token}" or not 0 < length <= MAX_RESPONSE_BYTES or received:
                self.send_error(403)
                return
            received.append(self.rfile.read(length))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            arrived.set()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(
        # shutdown() waits for serve_forever's next poll: socketserver's default 0.5 s would be
        # half a second of every start-up, which publishes the page through this listener.
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
        name="cfn-response",
        daemon=True,
    )
    thread.start()
    try:
        port = server.server_address[1]
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": resource.service_token,
            "ResponseURL": f"http://127.0.0.1:{port}/{token}",
            "StackId": STACK_ID,
            "RequestId": request_id,
            "LogicalResourceId": resource.logical_id,
            "ResourceType": resource.resource_type,
            "ResourceProperties": {
                "ServiceToken": resource.service_token,
                **(properties if properties is not None else resource.properties),
            },
        }
        if physical_resource_id is not None:
            event["PhysicalResourceId"] = physical_resource_id
        result = invoker.invoke(resource.function_logical_id, event, request_id)
        arrived.wait(RESPONSE_GRACE_SECONDS)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    error = getattr(result, "error", None)
    if not received:
        detail = f": {error.get('errorType')}: {error.get('errorMessage')}" if error else ""
        raise CustomResourceError(
            f"{resource.logical_id} ({resource.resource_type}): its function sent no response"
            + detail
        )
    return _parse(resource, received[0], request_id)


def _parse(resource: CustomResourceModel, body: bytes, request_id: str) -> CustomResourceResponse:
    where = f"{resource.logical_id} ({resource.resource_type})"
    try:
        answer = json.loads(body)
    except ValueError as err:
        raise CustomResourceError(f"{where}: the response is not JSON: {err}") from err
    status = answer.get("Status")
    if answer.get("RequestId") != request_id or status not in ("SUCCESS", "FAILED"):
        raise CustomResourceError(f"{where}: invalid response {answer!r}")
    if status == "FAILED":
        raise CustomResourceError(f"{where} failed: {answer.get('Reason') or 'no reason given'}")
    return CustomResourceResponse(
        status="SUCCESS",
        physical_resource_id=str(answer.get("PhysicalResourceId") or ""),
        reason=str(answer.get("Reason") or ""),
        data=dict(answer.get("Data") or {}),
    )
