"""The page the browser gets is the one the WebPage publisher wrote into the local web bucket."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from playwright.sync_api import Page

from local_stack.testing.clients import local_s3_client
from local_stack.testing.launcher import RunningStack
from tests.browser.conftest import LIMITED_PARAMS
from tests.browser.upload_page import UploadPage

WEB_BUCKET = "filestore-local-webbucket"  # WebBucket's local name (stack name + logical id)
READ_CSP = """() => document.querySelector('meta[http-equiv="Content-Security-Policy"]').content"""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_page_comes_from_the_web_bucket_with_the_publisher_s_config_and_csp(
    limited_page: UploadPage, limited_stack: RunningStack
) -> None:
    page: Page = limited_page.page
    s3 = local_s3_client(limited_stack.s3_url)
    stored_index = s3.get_object(Bucket=WEB_BUCKET, Key="index.html")["Body"].read().decode()
    stored_config = s3.get_object(Bucket=WEB_BUCKET, Key="config.js")["Body"].read().decode()

    served = page.request.get(limited_stack.web_url)
    assert served.text() == stored_index
    assert page.request.get(f"{limited_stack.web_url}config.js").text() == stored_config

    # config.js: the stack's own values, as the publisher wrote them for this stack.
    config = page.evaluate("() => window.FILESTORE_CONFIG")
    assert config == json.loads(
        stored_config.removeprefix("window.FILESTORE_CONFIG = ").removesuffix(";\n")
    )
    assert config["apiUrl"] == limited_stack.api_url
    assert config["maxFileSize"] == int(LIMITED_PARAMS["MaxFileSize"])
    assert config["allowedTypes"] == LIMITED_PARAMS["AllowedTypes"].split(",")
    # The meta CSP names exactly the local API and S3 endpoint, which the browser enforces.
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in page.evaluate(READ_CSP).split(";")
    )
    assert directives["connect-src"] == [
        "'self'",
        _origin(limited_stack.api_url),
        _origin(limited_stack.s3_url),
    ]
