"""Bucket CORS (from the template's rules) answers preflights and decorates responses as S3."""

from __future__ import annotations

import pytest

from local_stack.testing.s3_wsgi import ORIGIN, LocalS3
from tests.helpers.s3_errors import s3_error as error_of

RESTRICTED_RULES = [
    {
        "AllowedOrigins": ["https://*.example.com"],
        "AllowedMethods": ["PUT"],
        "AllowedHeaders": ["content-type", "if-none-match"],
        "ExposedHeaders": ["ETag", "x-amz-request-id"],
        "MaxAge": 600,
    }
]


@pytest.fixture
def restricted() -> LocalS3:
    return LocalS3(cors_rules=RESTRICTED_RULES)


def preflight(s3: LocalS3, origin: str, method: str, headers: str = "") -> dict[str, str]:
    request = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request["Access-Control-Request-Headers"] = headers
    return request


def test_an_allowed_preflight_is_answered_without_authentication(restricted: LocalS3) -> None:
    response = restricted.send(
        "OPTIONS",
        restricted.url("file-1"),
        preflight(restricted, "https://app.example.com", "PUT", "Content-Type, If-None-Match"),
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, if-none-match"
    assert response.headers["Access-Control-Expose-Headers"] == "ETag, x-amz-request-id"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.test", "PUT", "content-type"),
        ("https://app.example.com", "DELETE", ""),
        ("https://app.example.com", "PUT", "x-custom-header"),
        ("http://app.example.com", "PUT", ""),
    ],
    ids=["origin", "method", "header", "scheme"],
)
def test_a_preflight_no_rule_allows_is_refused_as_s3_does(
    restricted: LocalS3, origin: str, method: str, headers: str
) -> None:
    response = restricted.send(
        "OPTIONS", restricted.url("file-1"), preflight(restricted, origin, method, headers)
    )

    error = error_of(response.data)
    assert (response.status_code, error["Code"]) == (403, "AccessForbidden")
    assert error["Message"].startswith("CORSResponse: This CORS request is not allowed.")
    assert (error["Method"], error["ResourceType"]) == (method, "OBJECT")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_preflight_without_origin_is_a_bad_request(s3: LocalS3) -> None:
    response = s3.send("OPTIONS", s3.url("file-1"), {"Access-Control-Request-Method": "PUT"})

    assert (response.status_code, error_of(response.data)["Code"]) == (400, "BadRequest")


def test_a_preflight_to_a_bucket_without_cors_is_refused() -> None:
    s3 = LocalS3(cors_rules=[])

    response = s3.send("OPTIONS", s3.url("file-1"), preflight(s3, ORIGIN, "PUT"))

    error = error_of(response.data)
    assert (response.status_code, error["Code"]) == (403, "AccessForbidden")
    assert error["Message"] == "CORSResponse: CORS is not enabled for this bucket."


def test_an_upload_from_an_allowed_origin_exposes_the_rule_headers(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url, {**headers, "Origin": ORIGIN}, b"hello")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Expose-Headers"] == "ETag"
    assert response.headers["Vary"].startswith("Origin")
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]  # not moto's "*"


def test_a_refused_upload_still_carries_cors_headers_for_the_browser(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    s3.clock.advance(3600)

    response = s3.send("PUT", url, {**headers, "Origin": ORIGIN}, b"hello")

    assert response.status_code == 403
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_origin_no_rule_allows_gets_no_cors_headers(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url, {**headers, "Origin": "https://evil.test"}, b"hello")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]
