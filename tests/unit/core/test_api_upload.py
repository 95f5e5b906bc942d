"""GET /config and POST /file through the handler modules, with moto behind them."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from filestore.service import FileService, hash_token
from handlers import create_file, get_config
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import call_api

if TYPE_CHECKING:
    from tests.unit.core.conftest import Files


def post_file(body: Any = None, raw_body: str | None = None) -> Any:
    return call_api(create_file, api_event("POST", "/file", body=body, raw_body=raw_body))


def test_config_reports_limits_and_mode(service: FileService) -> None:
    response = call_api(get_config, api_event("GET", "/config"))

    assert response.status == 200
    assert response.body == {
        "max_file_size": 1048576,
        "allowed_types": ["*"],
        "store_on_upload": False,
        "url_expiration": 900,
        "max_name_length": 255,
        "max_batch_size": 100,
        "multipart_threshold": 5242880,
        "part_size": 5242880,
    }


def test_config_lists_each_allowed_pattern(make_service: Any) -> None:
    make_service(ALLOWED_TYPES="image/*, application/pdf", STORE_ON_UPLOAD="True")

    body = call_api(get_config, api_event("GET", "/config")).body

    assert body["allowed_types"] == ["image/*", "application/pdf"]
    assert body["store_on_upload"] is True


def test_every_response_carries_the_allowed_origin_even_without_an_origin_header(
    service: FileService,
) -> None:
    ok = call_api(get_config, api_event("GET", "/config"))
    refused = post_file(raw_body="{")

    assert ok.headers["access-control-allow-origin"] == "https://files.example.com"
    assert refused.headers["access-control-allow-origin"] == "https://files.example.com"


def test_cors_allows_the_revert_token_and_api_key_headers(service: FileService) -> None:
    event = api_event("GET", "/config", headers={"Origin": "https://files.example.com"})

    allowed = call_api(get_config, event).headers["access-control-allow-headers"].lower()

    assert "x-revert-token" in allowed
    assert "x-api-key" in allowed


def test_create_returns_presigned_put_with_the_exact_headers_to_send(
    service: FileService, files: Files
) -> None:
    created = files.create("report.pdf", 1234)

    assert created["method"] == "PUT"
    assert created["headers"] == {
        "Content-Type": "application/pdf",
        "Content-Length": "1234",
        "If-None-Match": "*",
    }
    assert created["expires_at"] == "2026-01-31T12:15:00Z"
    query = parse_qs(urlsplit(created["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host;if-none-match"]
    assert query["X-Amz-Expires"] == ["900"]


def test_upload_url_key_is_the_id_never_the_name(files: Files) -> None:
    created = files.create("../../etc/passwd.txt".replace("/", "_"), 5)

    assert urlsplit(created["url"]).path.endswith("/" + created["id"])
    assert "passwd" not in created["url"]


def test_ids_are_128_random_bits_in_lowercase_hex(files: Files) -> None:
    ids = {files.create()["id"] for _ in range(20)}

    assert len(ids) == 20
    assert all(re.fullmatch(r"[0-9a-f]{32}", file_id) for file_id in ids)
    # 20 random 128-bit ids: every hex digit position varies across them.
    assert all(len({file_id[i] for file_id in ids}) > 1 for i in range(32))


def test_create_writes_a_pending_record_with_only_the_token_hash(files: Files) -> None:
    created = files.create("report.pdf", 5)

    item = files.item(created["id"])
    assert item is not None
    assert item["name"] == {"S": "report.pdf"}
    assert item["type"] == {"S": "application/pdf"}
    assert item["size"] == {"N": "5"}
    assert item["created_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert item["revert_token_hash"] == {"S": hash_token(created["revert_token"])}
    assert created["revert_token"] not in str(item)
    assert item["expiry_shard"]["N"] in {"0", "1", "2", "3"}
    assert item["expire_at"] == {"N": str(1769860800 + 3600)}
    assert not {"uploaded_at", "stored_at", "deleted_at"} & item.keys()


def test_revert_token_has_at_least_256_bits(files: Files) -> None:
    token = files.create()["revert_token"]

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_create_never_logs_the_revert_token_or_the_signature(
    files: Files, log_output: io.StringIO
) -> None:
    created = files.create()

    logs = log_output.getvalue()
    signature = parse_qs(urlsplit(created["url"]).query)["X-Amz-Signature"][0]
    assert created["id"] in logs
    assert created["revert_token"] not in logs
    assert signature not in logs


def test_browser_upload_to_the_presigned_url_succeeds_once(files: Files) -> None:
    created = files.create("notes.txt", 11)

    assert files.upload(created, b"hello world") == 200
    assert files.upload(created, b"hello world") == 412  # If-None-Match: * refuses a second PUT


@pytest.mark.parametrize(
    ("name", "expected_type"),
    [
        ("photo.PNG", "image/png"),
        ("notes.txt", "text/plain"),
        ("archive.unknownext", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
        ("weird:name#1.pdf", "application/pdf"),
    ],
)
def test_type_defaults_from_the_extension(files: Files, name: str, expected_type: str) -> None:
    assert files.create(name, 5)["headers"]["Content-Type"] == expected_type


def test_empty_type_from_a_browser_is_guessed_from_the_name(files: Files) -> None:
    assert files.create("a.pdf", 5, type="")["headers"]["Content-Type"] == "application/pdf"


def test_declared_type_wins_over_the_extension(files: Files) -> None:
    assert files.create("a.pdf", 5, type="Text/Plain")["headers"]["Content-Type"] == "text/plain"


def test_allowed_type_patterns_admit_matching_types(make_service: Any, files: Files) -> None:
    make_service(ALLOWED_TYPES="image/*,application/pdf")

    assert files.create("a.jpg", 5)["headers"]["Content-Type"] == "image/jpeg"
    assert files.create("a.pdf", 5)["headers"]["Content-Type"] == "application/pdf"


def test_size_may_equal_the_maximum(files: Files) -> None:
    assert files.create("big.bin", 1048576)["headers"]["Content-Length"] == "1048576"


def test_name_of_255_characters_is_accepted(files: Files) -> None:
    assert files.create("n" * 251 + ".txt", 5)["id"]


def test_unicode_names_are_accepted(files: Files) -> None:
    created = files.create('résumé "final".pdf', 5)

    item = files.item(created["id"])
    assert item is not None
    assert item["name"] == {"S": 'résumé "final".pdf'}


BAD_UPLOAD_REQUESTS: list[tuple[str, Any, str, str]] = [
    ("array body", ["a.pdf"], "JSON object", "InvalidBody"),
    ("string body", "a.pdf", "JSON object", "InvalidBody"),
    ("missing name", {"size": 5}, "name is required", "InvalidBody"),
    ("name not a string", {"name": 5, "size": 5}, "name must be a string", "InvalidBody"),
    ("empty name", {"name": "", "size": 5}, "name is empty", "InvalidBody"),
    ("name too long", {"name": "n" * 256, "size": 5}, "at most 255", "InvalidBody"),
    ("control character", {"name": "a\r\nb.txt", "size": 5}, "control characters", "InvalidBody"),
    ("NUL", {"name": "a\u0000.txt", "size": 5}, "control characters", "InvalidBody"),
    ("slash", {"name": "dir/a.txt", "size": 5}, "/ or \\", "InvalidBody"),
    ("backslash", {"name": "dir\\a.txt", "size": 5}, "/ or \\", "InvalidBody"),
    ("missing size", {"name": "a.txt"}, "size is required", "InvalidBody"),
    ("size as string", {"name": "a.txt", "size": "5"}, "size must be an integer", "InvalidBody"),
    ("size as float", {"name": "a.txt", "size": 5.5}, "size must be an integer", "InvalidBody"),
    ("size as bool", {"name": "a.txt", "size": True}, "size must be an integer", "InvalidBody"),
    ("zero size", {"name": "a.txt", "size": 0}, "at least 1 byte", "InvalidBody"),
    ("negative size", {"name": "a.txt", "size": -1}, "at least 1 byte", "InvalidBody"),
    (
        "size over limit",
        {"name": "a.txt", "size": 1048577},
        "maximum file size 1048576",
        "FileTooLarge",
    ),
    (
        "type not a string",
        {"name": "a.txt", "size": 5, "type": 7},
        "type must be a string",
        "InvalidBody",
    ),
    (
        "type null",
        {"name": "a.txt", "size": 5, "type": None},
        "type must be a string",
        "InvalidBody",
    ),
    (
        "type not a mime type",
        {"name": "a.txt", "size": 5, "type": "text"},
        "not a valid mime",
        "InvalidBody",
    ),
    (
        "type with header injection",
        {"name": "a.txt", "size": 5, "type": "text/plain\r\nX-Evil: 1"},
        "not a valid mime",
        "InvalidBody",
    ),
    (
        "line break after a parameter separator",
        {"name": "a.txt", "size": 5, "type": "text/plain;\r\ncharset=utf-8"},
        "not a valid mime",
        "InvalidBody",
    ),
]


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [(body, message, code) for _case, body, message, code in BAD_UPLOAD_REQUESTS],
    ids=[case for case, *_details in BAD_UPLOAD_REQUESTS],
)
def test_bad_upload_request_is_refused_with_400_naming_the_problem(
    files: Files, body: Any, message: str, code: str
) -> None:
    response = post_file(body=body)

    assert response.status == 400
    assert message in response.body["message"]
    assert response.body["code"] == code
    assert files.item_count() == 0


def test_an_error_body_holds_exactly_a_message_and_a_code(files: Files) -> None:
    response = post_file(body={"name": "a.txt"})

    assert response.body == {"message": "size is required", "code": "InvalidBody"}


@pytest.mark.parametrize("padded", [" text/plain", "text/plain\t", "text/plain ; charset=utf-8"])
def test_a_type_padded_with_spaces_or_tabs_is_accepted(files: Files, padded: str) -> None:
    content_type = files.create("a.txt", 5, type=padded)["headers"]["Content-Type"]

    assert content_type.startswith("text/plain")
    assert content_type.strip() == content_type


@pytest.mark.parametrize(
    ("raw_body", "message"),
    [
        (None, "body is missing"),
        ("", "body is missing"),
        ("{not json", "not valid JSON"),
        ('{"name": "a.txt", "size": 5', "not valid JSON"),
        ('{"name": "a\\ud800.txt", "size": 5}', "unpaired surrogates"),
        ('{"name": "a.txt", "size": NaN}', "size must be an integer"),
        ('{"name": "a.txt", "size": 1' + "0" * 5000 + "}", "number with too many digits"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["none", "empty", "garbage", "truncated", "surrogate", "nan", "huge number", "deep"],
)
def test_missing_or_malformed_json_is_refused_with_400(
    files: Files, raw_body: str | None, message: str
) -> None:
    response = post_file(raw_body=raw_body)

    assert response.status == 400
    assert message in response.body["message"]
    assert response.body["code"] == "InvalidBody"
    assert files.item_count() == 0


def test_type_outside_the_allowed_patterns_is_refused(make_service: Any, files: Files) -> None:
    make_service(ALLOWED_TYPES="image/*,application/pdf")

    response = post_file(body={"name": "a.txt", "size": 5})

    assert response.status == 400
    assert "type 'text/plain' is not allowed" in response.body["message"]
    assert "image/*, application/pdf" in response.body["message"]
    assert response.body["code"] == "TypeNotAllowed"
    assert files.item_count() == 0


def test_unknown_route_is_a_json_404(service: FileService) -> None:
    response = call_api(get_config, api_event("GET", "/nowhere"))

    assert response.status == 404
    assert response.body == {"message": "no such route", "code": "RouteNotFound"}


def test_base64_encoded_json_body_is_accepted(files: Files) -> None:
    body = base64.b64encode(json.dumps({"name": "a.txt", "size": 3}).encode()).decode()
    event = api_event("POST", "/file", raw_body=body)
    event["isBase64Encoded"] = True

    response = call_api(create_file, event)

    assert response.status == 200
    assert response.body["headers"]["Content-Length"] == "3"
