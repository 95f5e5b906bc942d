"""The local API Gateway at its edges: deep JSON, odd types, big events, long and padded headers."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack.apigateway import Gateway, HttpResponse, make_server, make_wsgi_app
from local_stack.apigateway.gateway import MAX_EVENT_BYTES
from local_stack.apigateway.validation import ecma_regex
from local_stack.awslambda.invocation import InvocationResult
from local_stack.cloudformation.loader import load_stack
from tests.helpers.gateway import last_header, send_json, served

ROOT = Path(__file__).resolve().parents[3]
API = load_stack(ROOT / "template.yaml", {"AllowedOrigin": "*"}).api
assert API is not None
KEY = "test-key-value-of-twenty-or-more"
ID = "0123456789abcdef0123456789abcdef"
DEPTHS = [1, 2, 10, 100, 500, 900, 990, 999, 1000, 1001, 5000, 100_000]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        self.calls.append((function_name, event))
        return InvocationResult(payload={"statusCode": 200, "body": "{}"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def gateway(recorder: Recorder) -> Gateway:
    assert API is not None
    return Gateway(dict(API.swagger), API.stage, recorder, {KEY: "key-id"})


def assert_refused(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """A gateway refusal: its status, ``{"message", "code"}`` and the CORS header."""
    assert response.status == status
    assert last_header(response, "Content-Type") == "application/json"
    assert last_header(response, "Access-Control-Allow-Origin") == "*"
    document: dict[str, Any] = json.loads(response.body)
    assert set(document) == {"message", "code"}
    assert document["code"] == code
    return document


def nested(depth: int, kind: str) -> bytes:
    if kind == "unclosed arrays":
        return b"[" * depth
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    if kind == "objects":
        return b'{"a":' * depth + b"1" + b"}" * depth
    # A valid upload request but for its name, which is deep.
    return b'{"name":' + b"[" * depth + b"]" * depth + b',"size":1}'


# ---- deep JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["unclosed arrays", "arrays", "objects", "in a field"])
@pytest.mark.parametrize(("method", "path"), [("POST", "/file"), ("PUT", "/files")])
def test_json_nested_to_any_depth_is_a_400_bad_request_body_with_cors(
    gateway: Gateway, recorder: Recorder, method: str, path: str, kind: str, depth: int
) -> None:
    response = send_json(gateway, method, path, nested(depth, kind), [("x-api-key", KEY)])

    assert_refused(response, 400, "BadRequestBody")
    assert recorder.calls == []


def test_json_too_deep_to_parse_says_so(gateway: Gateway) -> None:
    document = assert_refused(
        send_json(gateway, "POST", "/file", b"[" * 1000), 400, "BadRequestBody"
    )

    assert "nested too deeply" in document["message"]


# ---- mime types ------------------------------------------------------------------------------

REFUSED_TYPES = {
    "CRLF and a parameter": "text/plain\r\n;a=b",
    "final LF": "text/plain\n",
    "LF after a parameter": "text/plain;a=b\n",
    "CR": "text/plain\r",
    "VT": "text/plain\x0b",
    "FF": "text/plain\x0c",
    "NEL": "text/plain\x85",
    "LS": "text/plain\u2028",
    "PS": "text/plain\u2029",
    "NUL": "text/plain\x00",
    "LF in a quoted value": 'text/plain; a="b\nc"',
    "non-ASCII in a quoted value": 'text/plain; a="é"',
    "subtype starting with a symbol": "text/+plain",
}


@pytest.mark.parametrize("mime_type", REFUSED_TYPES.values(), ids=list(REFUSED_TYPES))
def test_a_type_with_a_line_break_control_or_unicode_space_is_refused_before_the_function(
    gateway: Gateway, recorder: Recorder, mime_type: str
) -> None:
    body = json.dumps({"name": "a.txt", "size": 1, "type": mime_type}).encode()

    document = assert_refused(send_json(gateway, "POST", "/file", body), 400, "BadRequestBody")

    assert "ECMA 262 regex" in document["message"]
    assert recorder.calls == []


@pytest.mark.parametrize("mime_type", ['text/plain; charset="utf-8"', "text/plain; charset=utf-8"])
def test_a_type_with_a_token_or_quoted_parameter_reaches_the_function(
    gateway: Gateway, recorder: Recorder, mime_type: str
) -> None:
    body = json.dumps({"name": "a.txt", "size": 1, "type": mime_type}).encode()

    assert send_json(gateway, "POST", "/file", body).status == 200
    assert [name for name, _ in recorder.calls] == ["CreateFileFunction"]


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^a$", "a\n", False),  # Python's $ would match before the final newline
        ("^a$", "a", True),
        ("^\\d$", "\u0663", False),  # an Arabic-Indic digit: ECMA's \d is ASCII
        ("^[\\d]$", "7", True),
        ("^\\w+$", "é", False),
        ("^\\s$", "\u2028", True),  # ECMA's \s takes line terminators and Unicode spaces
        ("^[$]$", "$", True),
    ],
)
def test_swagger_patterns_are_matched_with_ecma_262_meaning(
    pattern: str, text: str, matches: bool
) -> None:
    assert (ecma_regex(pattern).search(text) is not None) is matches


# ---- Lambda's 6 MB event ---------------------------------------------------------------------


def test_a_request_whose_event_is_over_lambdas_6_mb_gets_413_with_cors(
    gateway: Gateway, recorder: Recorder
) -> None:
    # The body alone is exactly at the limit; the event adds the headers and the context.
    response = send_json(gateway, "DELETE", f"/file/{ID}", b"x" * MAX_EVENT_BYTES)

    document = assert_refused(response, 413, "RequestTooLarge")
    assert document["message"] == "Request Too Long"
    assert recorder.calls == []


def test_big_headers_count_towards_the_event(gateway: Gateway, recorder: Recorder) -> None:
    headers = [(f"X-Filler-{n}", "h" * 60_000) for n in range(110)]

    assert_refused(send_json(gateway, "GET", "/config", headers=headers), 413, "RequestTooLarge")
    assert recorder.calls == []


def test_a_request_whose_event_fits_reaches_the_function(
    gateway: Gateway, recorder: Recorder
) -> None:
    response = send_json(gateway, "DELETE", f"/file/{ID}", b"x" * (MAX_EVENT_BYTES - 8192))

    assert response.status == 200
    assert [name for name, _ in recorder.calls] == ["RevertFileFunction"]


# ---- padded API keys -------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [f" {KEY}", f"{KEY} ", f"\t{KEY}", f" {KEY} "])
def test_an_api_key_with_whitespace_around_it_is_403(
    gateway: Gateway, recorder: Recorder, sent: str
) -> None:
    response = send_json(gateway, "PUT", "/files", json.dumps([ID]).encode(), [("x-api-key", sent)])

    assert_refused(response, 403, "Forbidden")
    assert recorder.calls == []


def test_other_header_values_reach_the_event_without_the_whitespace_around_them(
    gateway: Gateway, recorder: Recorder
) -> None:
    send_json(gateway, "GET", "/config", headers=[("X-Padded", " \tvalue \t")])

    assert recorder.calls[-1][1]["headers"]["X-Padded"] == "value"


# ---- through the API's HTTP server -----------------------------------------------------------


@pytest.fixture
def api_port(gateway: Gateway) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, make_wsgi_app(gateway), refusal=gateway.refusal)
    with served(server) as port:
        yield port


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes or says how long it is)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"connection closed before an answer: {received!r}"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("iso-8859-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        while len(body) < int(headers.get("content-length", "0")):
            chunk = connection.recv(65536)
            assert chunk, "connection closed before the whole body"
            body += chunk
    return int(lines[0].split(" ")[1]), headers, body


def test_a_header_line_over_64_kib_gets_a_json_431_with_cors(api_port: int) -> None:
    request = b"GET /dev/config HTTP/1.1\r\nHost: local\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n"

    status, headers, body = exchange(api_port, request)

    assert status == 431
    assert headers["content-type"] == "application/json"
    assert headers["access-control-allow-origin"] == "*"
    assert json.loads(body) == {"message": "Request Header Fields Too Large", "code": "Default4XX"}


def test_deep_json_through_the_server_is_a_json_400_with_cors(
    api_port: int, recorder: Recorder
) -> None:
    body = b"[" * 100_000
    request = (
        b"POST /dev/file HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    status, headers, answer = exchange(api_port, request)

    assert status == 400
    assert headers["access-control-allow-origin"] == "*"
    assert json.loads(answer)["code"] == "BadRequestBody"
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (f"x-api-key: {KEY}", 200),
        (f"x-api-key:{KEY}", 200),
        (f"X-Api-Key:\t{KEY}", 200),
        (f"x-api-key:  {KEY}", 403),
        (f"x-api-key: \t{KEY}", 403),
        (f"x-api-key: {KEY} ", 403),
        (f"x-api-key: {KEY}\t", 403),
    ],
    ids=[
        "exact",
        "no space",
        "tab for a space",
        "leading space",
        "leading tab",
        "trailing space",
        "trailing tab",
    ],
)
def test_the_api_key_header_is_compared_as_sent_over_http(
    api_port: int, line: str, status: int
) -> None:
    # After the colon and its one space, the key is exactly what was sent.
    body = json.dumps([ID]).encode()
    request = (
        b"PUT /dev/files HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\n"
        + f"{line}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    answer_status, _headers, _body = exchange(api_port, request)

    assert answer_status == status
