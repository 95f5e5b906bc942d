"""A local API Gateway (REST API, v1): swagger routes → Lambda proxy events → HTTP responses."""

from __future__ import annotations

from local_stack.apigateway.gateway import Gateway, HttpRequest, HttpResponse, Quota, Throttle
from local_stack.apigateway.http_server import make_server, make_wsgi_app

__all__ = [
    "Gateway",
    "HttpRequest",
    "HttpResponse",
    "Quota",
    "Throttle",
    "make_server",
    "make_wsgi_app",
]
