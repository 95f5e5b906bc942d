"""Drive an S3 WSGI app without sockets, from URLs or from real boto3 clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Request

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.config import DEFAULT_HOST, DEFAULT_S3_PORT, DEFAULT_WEB_PORT
from local_stack.testing.checksums import sha256_b64
from local_stack.testing.clients import local_s3_client

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from mypy_boto3_s3 import S3Client

    from local_stack.s3.journal import ObjectJournal

LOCAL_ENDPOINT = f"http://{DEFAULT_HOST}:{DEFAULT_S3_PORT}"


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
    region: str = REGION,
    endpoint_url: str = LOCAL_ENDPOINT,
    config: Config | None = None,
) -> S3Client:
    """A real boto3 S3 client whose HTTP requests are answered by ``app`` in process."""
    client = local_s3_client(
        endpoint_url, config=config, access_key=access_key, secret_key=secret_key, region=region
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


class Clock:
    """A settable clock for the endpoint (``clock=``), starting at the real time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


ORIGIN = f"http://{DEFAULT_HOST}:{DEFAULT_WEB_PORT}"
CORS_RULES: list[dict[str, Any]] = [
    {
        "AllowedOrigins": [ORIGIN],
        "AllowedMethods": ["PUT", "GET", "HEAD"],
        "AllowedHeaders": ["*"],
        "ExposedHeaders": ["ETag"],
        "MaxAge": 3600,
    }
]


class LocalS3:
    """An endpoint over a fresh moto bucket, with a settable clock and the records it emitted.

    With ``journal`` every write is kept on disk as the stack keeps it (``FILESTORE_DATA_DIR``).
    """

    def __init__(
        self,
        *,
        public: bool = False,
        cors_rules: list[dict[str, Any]] | None = None,
        backend: WSGIApplication | None = None,
        on_object_created: Callable[[dict[str, Any]], None] | None = None,
        journal: ObjectJournal | None = None,
    ) -> None:
        from local_stack.s3.backend import create_backend
        from local_stack.s3.endpoint import BucketSettings, S3Endpoint
        from local_stack.s3.locks import KeyLocks

        self.bucket = f"test-bucket-{uuid.uuid4().hex[:16]}"
        self.moto = create_backend()
        self.backend = backend or self.moto
        self.clock = Clock()
        self.records: list[dict[str, Any]] = []
        self.key_locks = KeyLocks()
        self.endpoint = S3Endpoint(
            self.backend,
            {ACCESS_KEY_ID: SECRET_ACCESS_KEY},
            REGION,
            {
                self.bucket: BucketSettings(
                    cors_rules=CORS_RULES if cors_rules is None else cors_rules, public=public
                )
            },
            on_object_created=on_object_created or self.records.append,
            clock=self.clock,
            key_locks=self.key_locks,
            journal=journal,
        )
        self.client = boto3_client(
            self.endpoint, access_key=ACCESS_KEY_ID, secret_key=SECRET_ACCESS_KEY
        )
        self.client.create_bucket(Bucket=self.bucket)

    def presigned_put(
        self, key: str, size: int, content_type: str, expires: int = 300, **params: Any
    ) -> tuple[str, dict[str, str]]:
        """The URL and headers an upload gets (as Filestore's CreateFile hands them out)."""
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentLength": size,
                "ContentType": content_type,
                "IfNoneMatch": "*",
                **params,
            },
            ExpiresIn=expires,
        )
        headers = {"Content-Type": content_type, "Content-Length": str(size), "If-None-Match": "*"}
        return url, headers

    def start_multipart(self, key: str, content_type: str = "application/zip") -> str:
        """CreateMultipartUpload as Filestore's API creates it (SHA-256 part checksums)."""
        return self.client.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type, ChecksumAlgorithm="SHA256"
        )["UploadId"]

    def presigned_part(
        self, key: str, upload_id: str, number: int, data: bytes, expires: int = 300
    ) -> tuple[str, dict[str, str]]:
        """An UploadPart URL signing the part's Content-Length and SHA-256, and its headers."""
        checksum = sha256_b64(data)
        url = self.client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": number,
                "ContentLength": len(data),
                "ChecksumSHA256": checksum,
            },
            ExpiresIn=expires,
            HttpMethod="PUT",
        )
        return url, {"Content-Length": str(len(data)), "x-amz-checksum-sha256": checksum}

    def presigned_get(self, key: str, expires: int = 300, **params: Any) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key, **params}, ExpiresIn=expires
        )

    def url(self, key: str = "") -> str:
        return f"{LOCAL_ENDPOINT}/{self.bucket}/{key}" if key else f"{LOCAL_ENDPOINT}/{self.bucket}"

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> TestResponse:
        return send(self.endpoint, method, url, headers, body)

    def send_to_moto(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> TestResponse:
        """The same request sent to plain moto, with no endpoint in front."""
        return send(self.moto, method, url, headers, body)

    def events(self) -> list[dict[str, Any]]:
        """The ObjectCreated records handed over so far (before each upload was answered)."""
        return list(self.records)
