"""Test helpers: drive an S3 WSGI app without sockets, from URLs or from real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Request

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from mypy_boto3_s3 import S3Client

LOCAL_ENDPOINT = "http://127.0.0.1:4566"


def send(
    app: WSGIApplication,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    *,
    remote_addr: str = "127.0.0.1",
) -> TestResponse:
    """Send one request to ``app`` as an HTTP server would hand it over (raw path kept)."""
    parts = urlsplit(url)
    header_map = {"Host": parts.netloc, **(headers or {})}
    builder = EnvironBuilder(
        path=parts.path or "/",
        query_string=parts.query,
        method=method,
        headers=list(header_map.items()),
        data=body,
        environ_overrides={"REMOTE_ADDR": remote_addr},
    )
    environ = builder.get_environ()
    # A Content-Length header given here wins over the body's real length, as on the wire
    # (the endpoint must notice a body shorter than its Content-Length).
    declared = {name.lower(): value for name, value in header_map.items()}.get("content-length")
    if declared is not None:
        environ["CONTENT_LENGTH"] = declared
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return TestResponse(app_iter, status, response_headers, request=Request(environ))


class _RawBody:
    """The ``raw`` object botocore reads an HTTP response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._read = False

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        if self._data:
            yield self._data

    def read(self, amt: int | None = None) -> bytes:
        if self._read:
            return b""
        self._read = True
        return self._data


def boto3_client(
    app: WSGIApplication,
    *,
    access_key: str,
    secret_key: str,
    region: str = "us-east-1",
    endpoint_url: str = LOCAL_ENDPOINT,
    config: Config | None = None,
) -> S3Client:
    """A real boto3 S3 client whose HTTP requests are answered by ``app`` in process."""
    client: S3Client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=(config or Config()).merge(
            Config(signature_version="s3v4", s3={"addressing_style": "path"})
        ),
    )

    def answer(request: AWSPreparedRequest, **_kwargs: Any) -> AWSResponse:
        body = request.body
        if body is not None and hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        payload = bytes(body) if body else None
        headers = {
            name: value.decode("utf-8") if isinstance(value, bytes) else str(value)
            for name, value in request.headers.items()
        }
        # botocore lets the HTTP client add Content-Length; add it the way http.client does
        # (always for PUT and POST, even when the body is empty).
        has_length = any(name.lower() == "content-length" for name in headers)
        if not has_length and (payload or request.method in ("PUT", "POST")):
            headers["Content-Length"] = str(len(payload or b""))
        response = send(app, request.method, request.url, headers, payload)
        return AWSResponse(
            request.url,
            response.status_code,
            HTTPHeaders.from_pairs(list(response.headers.items())),
            _RawBody(response.data),
        )

    handler: Any = answer  # a before-send handler's return value becomes the response
    client.meta.events.register("before-send.s3.*", handler)
    return client
