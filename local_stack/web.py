"""The web port: serves the web bucket as CloudFront serves it (signed reads, the root object)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
else:
    StartResponse = WSGIEnvironment = Any

DEFAULT_ROOT_OBJECT = "index.html"  # WebDistribution's DefaultRootObject
# The object's headers CloudFront passes on to the browser, by their GetObject field.
PASSED_HEADERS = {"Content-Type": "ContentType", "Cache-Control": "CacheControl", "ETag": "ETag"}


def local_page_properties(
    properties: Mapping[str, Any], api_url: str, s3_url: str
) -> dict[str, Any]:
    """The WebPage resource's properties with the local endpoints, as functions get theirs.

    The page talks to the local API and the local S3 endpoint (presigned URLs point there), and
    no CDN exists to invalidate.
    """
    return {**properties, "ApiUrl": api_url, "StorageOrigins": [s3_url], "DistributionId": ""}


class WebApp:
    """A WSGI app answering GET and HEAD with the objects of ``bucket``, read with ``s3``."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            # AWS parity: the distribution allows GET and HEAD only (AllowedMethods).
            return _send(start_response, "403 Forbidden", b"Method not allowed\n", {}, method)
        path = environ.get("PATH_INFO", "/") or "/"
        key = path.lstrip("/") or DEFAULT_ROOT_OBJECT  # only the root gets the root object
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            # AWS parity: the origin access control may only GetObject (no ListBucket), so S3
            # answers 403 AccessDenied for a missing key and CloudFront passes it on.
            return _send(start_response, "403 Forbidden", b"AccessDenied\n", {}, method)
        headers = {
            name: str(found[field]) for name, field in PASSED_HEADERS.items() if found.get(field)
        }
        body = found["Body"].read()
        return _send(start_response, "200 OK", body, headers, method)


def _send(
    start_response: StartResponse,
    status: str,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
) -> list[bytes]:
    sent = {
        "Content-Type": "text/plain; charset=utf-8",
        **headers,
        "Content-Length": str(len(body)),
        "X-Content-Type-Options": "nosniff",
    }
    start_response(status, list(sent.items()))
    return [b""] if method == "HEAD" else [body]
