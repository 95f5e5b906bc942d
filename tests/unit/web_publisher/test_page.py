"""web_publisher.page: config.js from the stack's values, the exact connect-src in the meta CSP."""

from __future__ import annotations

import json

import pytest

from web_publisher.page import PageConfig, PageError, cache_control, content_type, with_connect_src

PAGE = """<!doctype html><head>
<meta charset="utf-8" />
<meta
  http-equiv="Content-Security-Policy"
  content="default-src 'none'; script-src 'self'; connect-src 'self'; object-src 'none'"
/>
<meta name="referrer" content="strict-origin-when-cross-origin" />
</head>"""
SOURCES = (
    "'self'",
    "https://abc.execute-api.eu-west-1.amazonaws.com",
    "https://b.s3.amazonaws.com",
)


def test_config_js_carries_the_api_root_limits_and_mode() -> None:
    config = PageConfig("https://abc.example/dev", 1000, ("image/*", "application/pdf"), True)
    script = config.script()
    prefix, suffix = "window.FILESTORE_CONFIG = ", ";\n"
    assert script.startswith(prefix) and script.endswith(suffix)
    assert json.loads(script[len(prefix) : -len(suffix)]) == {
        "apiUrl": "https://abc.example/dev",
        "maxFileSize": 1000,
        "allowedTypes": ["image/*", "application/pdf"],
        "storeOnUpload": True,
    }


def test_only_connect_src_is_replaced_in_place_and_the_rest_of_the_page_is_kept() -> None:
    published = with_connect_src(PAGE, SOURCES)
    assert (
        "content=\"default-src 'none'; script-src 'self'; connect-src 'self' "
        "https://abc.execute-api.eu-west-1.amazonaws.com https://b.s3.amazonaws.com; "
        "object-src 'none'\"" in published
    )
    assert published.replace(published[published.index('content="default') :], "") == PAGE.replace(
        PAGE[PAGE.index('content="default') :], ""
    )
    assert '<meta name="referrer" content="strict-origin-when-cross-origin" />' in published


def test_a_policy_without_connect_src_gets_one() -> None:
    page = '<meta http-equiv="content-security-policy" content="default-src \'none\'">'
    assert with_connect_src(page, ["'self'"]) == (
        '<meta http-equiv="content-security-policy" content="default-src \'none\'; '
        "connect-src 'self'\">"
    )


def test_a_page_without_a_meta_csp_is_refused() -> None:
    with pytest.raises(PageError, match="no Content-Security-Policy meta tag"):
        with_connect_src('<meta name="referrer" content="no-referrer">', SOURCES)


@pytest.mark.parametrize("source", ["", "https://a.example; script-src *", 'https://a"b', "a b"])
def test_a_source_that_would_change_the_policy_is_refused(source: str) -> None:
    with pytest.raises(PageError, match="not a CSP source"):
        with_connect_src(PAGE, ["'self'", source])


@pytest.mark.parametrize(
    ("key", "expected_type", "expected_cache"),
    [
        ("index.html", "text/html; charset=utf-8", "no-cache"),
        ("config.js", "text/javascript; charset=utf-8", "no-cache"),
        ("uploader.js", "text/javascript; charset=utf-8", "public, max-age=3600"),
        ("vendor/filepond.min.css", "text/css; charset=utf-8", "public, max-age=3600"),
        ("favicon.svg", "image/svg+xml", "public, max-age=3600"),
        ("vendor/LICENSE", "application/octet-stream", "public, max-age=3600"),
    ],
)
def test_objects_get_their_content_type_and_cache_policy(
    key: str, expected_type: str, expected_cache: str
) -> None:
    assert content_type(key) == expected_type
    assert cache_control(key) == expected_cache
