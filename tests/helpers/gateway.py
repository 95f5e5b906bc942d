"""Swagger pieces and request helpers for the local API Gateway's unit tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_stack.account import ACCOUNT_ID, REGION
from local_stack.apigateway import Gateway, HttpRequest, HttpResponse


def lambda_proxy(function_name: str) -> dict[str, Any]:
    """An `x-amazon-apigateway-integration` that proxies to a Lambda function (REST v1)."""
    return {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}/invocations",
    }


def send_json(
    gateway: Gateway,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """One request to the socket-free gateway's ``dev`` stage, with a JSON Content-Type."""
    all_headers = [("Content-Type", "application/json"), *(headers or [])]
    return gateway.handle(HttpRequest(method, f"/dev{path}", [], all_headers, body))


def last_header(response: HttpResponse, name: str) -> str | None:
    """The last value of a response header (any case), or None."""
    values = [value for key, value in response.headers if key.lower() == name.lower()]
    return values[-1] if values else None


@contextmanager
def served(server: Any) -> Iterator[int]:
    """Serve ``server`` on a thread for a ``with`` block; yields its port."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
