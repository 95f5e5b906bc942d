"""The web port (WSGI, no sockets) serves the web bucket as CloudFront serves it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_stack import web
from local_stack.web import WebApp, WebPageError, local_page_properties

BUCKET = "filestore-local-webbucket"


def _get(app: WebApp, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
    body = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(
            Bucket=BUCKET,
            Key="index.html",
            Body=b"<h1>Filestore</h1>",
            ContentType="text/html; charset=utf-8",
            CacheControl="no-cache",
        )
        client.put_object(
            Bucket=BUCKET,
            Key="vendor/filepond.min.js",
            Body=b"// filepond",
            ContentType="text/javascript; charset=utf-8",
            CacheControl="public, max-age=3600",
        )
        yield client


def test_the_root_serves_the_default_root_object_with_its_stored_headers(s3: Any) -> None:
    status, headers, body = _get(WebApp(s3, BUCKET), "/")
    assert (status, body) == ("200 OK", b"<h1>Filestore</h1>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"].startswith('"')


def test_objects_are_served_by_key_and_head_sends_no_body(s3: Any) -> None:
    app = WebApp(s3, BUCKET)
    status, headers, body = _get(app, "/vendor/filepond.min.js")
    assert (status, body) == ("200 OK", b"// filepond")
    assert headers["Cache-Control"] == "public, max-age=3600"
    status, headers, body = _get(app, "/vendor/filepond.min.js", method="HEAD")
    assert (status, body) == ("200 OK", b"")
    assert headers["Content-Length"] == str(len(b"// filepond"))


def test_a_missing_key_is_access_denied_as_through_origin_access_control(s3: Any) -> None:
    app = WebApp(s3, BUCKET)
    assert _get(app, "/missing.js")[0] == "403 Forbidden"
    assert _get(app, "/vendor/")[0] == "403 Forbidden"  # only the root gets index.html
    assert _get(app, "/../index.html")[0] == "403 Forbidden"


def test_only_get_and_head_are_allowed(s3: Any) -> None:
    assert _get(WebApp(s3, BUCKET), "/index.html", method="POST")[0] == "403 Forbidden"
    assert s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read() == b"<h1>Filestore</h1>"


def test_a_request_made_while_the_page_publishes_waits_and_gets_the_page(s3: Any) -> None:
    publication: Future[str] = Future()
    app = WebApp(s3, publication)
    answers: list[tuple[str, dict[str, str], bytes]] = []
    request = threading.Thread(target=lambda: answers.append(_get(app, "/")))
    request.start()
    request.join(0.2)
    assert request.is_alive() and not answers  # held until the page is there
    publication.set_result(BUCKET)
    request.join(5)
    assert [(status, body) for status, _, body in answers] == [("200 OK", b"<h1>Filestore</h1>")]


def test_a_page_still_unpublished_after_the_wait_is_a_503_saying_so(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "PUBLISH_WAIT_SECONDS", 0.05)
    status, _, body = _get(WebApp(s3, Future()), "/")
    assert (status, body) == ("503 Service Unavailable", web.PUBLISHING)


def test_a_failed_publication_is_a_503_that_leaves_the_reason_to_the_log(s3: Any) -> None:
    publication: Future[str] = Future()
    publication.set_exception(WebPageError("publishing the web page failed: secret detail"))
    status, _, body = _get(WebApp(s3, publication), "/")
    assert (status, body) == ("503 Service Unavailable", web.NOT_PUBLISHED)


def test_the_page_is_published_with_the_local_endpoints_and_no_cdn() -> None:
    properties = {
        "WebBucket": BUCKET,
        "ApiUrl": "https://local.execute-api.us-east-1.amazonaws.com/dev",
        "StorageOrigins": ["https://filestore-local.s3.amazonaws.com"],
        "DistributionId": "filestore-local-WebDistribution",
        "MaxFileSize": "10",
    }
    local = local_page_properties(properties, "http://127.0.0.1:3000/dev", "http://127.0.0.1:4566")
    assert local == {
        "WebBucket": BUCKET,
        "ApiUrl": "http://127.0.0.1:3000/dev",
        "StorageOrigins": ["http://127.0.0.1:4566"],
        "DistributionId": "",
        "MaxFileSize": "10",
    }
