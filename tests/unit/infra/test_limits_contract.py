"""Every limit and pattern in api/swagger.yaml is the one filestore.validation enforces.

API Gateway checks request bodies against the swagger's models before any function runs, and
the functions check them again with ``filestore.validation``. Both must refuse exactly the same
requests: a gateway that is looser lets clients meet two different errors for one mistake, and a
gateway that is stricter refuses what the code accepts (Schemathesis once found swagger taking
``"type": "h"``, which the code refuses). Swagger patterns are ECMA 262 regular expressions
(what API Gateway runs); they are matched here with ECMA's meaning of ``^`` and ``$``.

One difference is known and stays: JSON can carry a lone surrogate (``"\\ud800"``), which the
name pattern cannot exclude without refusing every emoji; the function refuses it. Hypothesis'
text strategies never generate one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, ValidationError, validators

from filestore.errors import FilestoreError
from filestore.models import Status, UploadKind
from filestore.parts import MAX_PARTS
from filestore.storage import PresignedUpload
from filestore.validation import (
    CHECKSUM_SHA256,
    FILE_ID,
    MAX_BATCH_SIZE,
    MAX_NAME_LENGTH,
    MAX_PARTS_PER_REQUEST,
    MAX_TYPE_LENGTH,
    MIME_TYPE,
    parse_flag,
    parse_id_list,
    parse_new_file,
)
from runtime_context import Settings
from tests.unit.infra.support import load_swagger, load_template

LIMIT_KEYWORDS = frozenset(
    {"minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems", "enum"}
)
MAX_FILE_SIZE_CEILING: int = load_template()["Parameters"]["MaxFileSize"]["MaxValue"]
# The widest deployment: the largest MaxFileSize the template allows, every type allowed.
WIDEST = Settings(
    table_name="files",
    bucket_name="bucket",
    store_on_upload=False,
    signed_url_expiration=900,
    max_file_size=MAX_FILE_SIZE_CEILING,
    allowed_types=("*",),
    allowed_origin="*",
    upload_timeout=3600,
    multipart_threshold=33554432,
    part_size=16777216,
)
EXAMPLES = 400


def _limits(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every (``where.keyword``, value) of a limit keyword in a schema or parameter, nested."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in LIMIT_KEYWORDS:
                yield f"{where}.{key}", value
            elif key == "properties":
                for name, child in value.items():
                    yield from _limits(child, f"{where}.{name}")
            elif key in ("items", "additionalProperties", "schema"):
                yield from _limits(value, f"{where}.{key}")


def swagger_limits() -> dict[str, Any]:
    swagger = load_swagger()
    found: dict[str, Any] = {}
    for section in ("definitions", "parameters"):
        for name, node in swagger[section].items():
            found.update(_limits(node, f"{section}.{name}"))
    return found


def ecma_search(pattern: str, text: str) -> bool:
    """ECMA 262 without flags: ``$`` matches only at the very end (Python's also before a final
    newline), so an anchored ``^...$`` pattern is a full match of what lies between."""
    assert pattern.startswith("^") and pattern.endswith("$"), pattern
    return re.fullmatch(f"(?:{pattern[1:-1]})", text) is not None


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if isinstance(instance, str) and not ecma_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaDraft4Validator = validators.extend(Draft4Validator, {"pattern": _ecma_pattern})


@cache
def _model_validator(model: str) -> Any:
    definitions = load_swagger()["definitions"]
    return EcmaDraft4Validator({**definitions[model], "definitions": definitions})


def gateway_accepts(model: str, body: Any) -> bool:
    return bool(_model_validator(model).is_valid(body))


def function_accepts_new_file(body: Any) -> bool:
    try:
        parse_new_file(body, WIDEST)
    except FilestoreError:
        return False
    return True


def function_accepts_id_list(body: Any) -> bool:
    try:
        parse_id_list(body)
    except FilestoreError:
        return False
    return True


# ---- every limit is accounted for ----------------------------------------------------------

# Limits whose value the code states.
EXPECTED_LIMITS: dict[str, Any] = {
    "definitions.CreateFileRequest.name.minLength": 1,
    "definitions.CreateFileRequest.name.maxLength": MAX_NAME_LENGTH,
    "definitions.CreateFileRequest.size.minimum": 1,
    "definitions.CreateFileRequest.size.maximum": MAX_FILE_SIZE_CEILING,
    "definitions.CreateFileRequest.type.maxLength": MAX_TYPE_LENGTH,
    "definitions.IdList.minItems": 1,
    "definitions.IdList.maxItems": MAX_BATCH_SIZE,
    "definitions.IdList.items.pattern": f"^{FILE_ID.pattern}$",
    "parameters.FileId.pattern": f"^{FILE_ID.pattern}$",
    "parameters.IncludeDeleted.enum": ["yes", "no"],
    "parameters.IncludeNonStored.enum": ["yes", "no"],
    "definitions.Upload.id.pattern": f"^{FILE_ID.pattern}$",
    "definitions.Upload.method.enum": [PresignedUpload(url="", headers={}).method],
    "definitions.FileInfo.status.enum": [status.value for status in Status],
    "definitions.FileStatus.status.enum": [status.value for status in Status],
    "definitions.FileInfo.upload.enum": [kind.value for kind in UploadKind],
    "definitions.Upload.upload.enum": [kind.value for kind in UploadKind],
    "definitions.CreateFileRequest.checksum_sha256.pattern": f"^{CHECKSUM_SHA256.pattern}$",
    "definitions.SignPartsRequest.parts.minItems": 1,
    "definitions.SignPartsRequest.parts.maxItems": MAX_PARTS_PER_REQUEST,
    "definitions.SignPartsRequest.parts.items.number.minimum": 1,
    "definitions.SignPartsRequest.parts.items.number.maximum": MAX_PARTS,
    "definitions.SignPartsRequest.parts.items.checksum_sha256.pattern": (
        f"^{CHECKSUM_SHA256.pattern}$"
    ),
    "definitions.PartUploads.parts.items.method.enum": [PresignedUpload(url="", headers={}).method],
    "definitions.CompletedUpload.status.enum": [
        Status.UPLOADED.value,
        Status.STORED.value,
        Status.DELETED.value,
    ],
}
# Patterns written differently from the code's checks: the property tests below show that the
# gateway model and the function accept exactly the same requests.
PATTERNS_CHECKED_BY_BEHAVIOUR = frozenset(
    {"definitions.CreateFileRequest.name.pattern", "definitions.CreateFileRequest.type.pattern"}
)


def test_every_swagger_limit_and_pattern_is_tied_to_the_code() -> None:
    # A limit added to the swagger must be added here, tied to where the code enforces it.
    assert set(swagger_limits()) == set(EXPECTED_LIMITS) | PATTERNS_CHECKED_BY_BEHAVIOUR


@pytest.mark.parametrize("where", sorted(EXPECTED_LIMITS))
def test_swagger_states_the_limit_the_code_enforces(where: str) -> None:
    assert swagger_limits()[where] == EXPECTED_LIMITS[where]


# ---- the limits mean the same in both places ----------------------------------------------


@pytest.mark.parametrize("length", [0, 1, MAX_NAME_LENGTH, MAX_NAME_LENGTH + 1])
def test_name_length_limits_agree(length: int) -> None:
    body = {"name": "n" * length, "size": 1}

    assert gateway_accepts("CreateFileRequest", body) == function_accepts_new_file(body)


@pytest.mark.parametrize(
    "size", [-1, 0, 1, MAX_FILE_SIZE_CEILING, MAX_FILE_SIZE_CEILING + 1, 1.5, 2.0, True, "1"]
)
def test_size_limits_agree_up_to_the_largest_max_file_size(size: Any) -> None:
    body = {"name": "a.txt", "size": size}

    assert gateway_accepts("CreateFileRequest", body) == function_accepts_new_file(body)


NAMES = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="ab./\\ é\x00\x1f\x7f\x85\x9f\xa0\n\t\u2028😀", max_size=8),
    st.text(min_size=MAX_NAME_LENGTH - 2, max_size=MAX_NAME_LENGTH + 2),
    st.none(),
    st.integers(),
)
MIME_TYPES = st.one_of(
    st.from_regex(MIME_TYPE, fullmatch=True).filter(lambda value: len(value) <= 300),
    st.text(alphabet="ab/;= \t\r\n\x0b\u2003+.*", max_size=16),
    # Quoted parameter values around every character the grammar treats specially.
    st.text(alphabet='a"\\\t \r\n\x0b\x0c\x00\x7f\x85\u2028\u2029\xa0é;=', max_size=8).map(
        lambda value: f'text/plain; a="{value}"'
    ),
    st.text(max_size=12),
    st.text(min_size=MAX_TYPE_LENGTH - 1, max_size=MAX_TYPE_LENGTH + 1).map(
        lambda filler: "a/" + filler
    ),
    st.none(),
    st.integers(),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(name=NAMES, mime_type=MIME_TYPES, with_type=st.booleans())
@example(name="a.txt", mime_type="h", with_type=True)
@example(name="a.txt", mime_type="text/plain\n", with_type=True)
@example(name="a.txt", mime_type="text/plain\r\n;a=b", with_type=True)
@example(name="a.txt", mime_type='text/plain; a="\u2028"', with_type=True)
@example(name="a\n", mime_type="", with_type=True)
@example(name="a.txt", mime_type=None, with_type=True)
def test_the_gateway_model_and_the_function_accept_the_same_upload_requests(
    name: Any, mime_type: Any, with_type: bool
) -> None:
    body: dict[str, Any] = {"name": name, "size": 1}
    if with_type:
        body["type"] = mime_type

    assert gateway_accepts("CreateFileRequest", body) == function_accepts_new_file(body), body


# Every character that could break or smuggle a header line, and two that are not ASCII.
REFUSED_IN_A_TYPE = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "VT": "\x0b",
    "FF": "\x0c",
    "NUL": "\x00",
    "DEL": "\x7f",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
    "NBSP": "\xa0",
    "e-acute": "é",
}
WHERE_IN_A_TYPE = {
    "before": "{}text/plain",
    "after": "text/plain{}",
    "before a parameter": "text/plain{};a=b",
    "after the separator": "text/plain;{}a=b",
    "in a quoted value": 'text/plain; a="b{}c"',
}


@pytest.mark.parametrize("where", WHERE_IN_A_TYPE.values(), ids=list(WHERE_IN_A_TYPE))
@pytest.mark.parametrize("char", REFUSED_IN_A_TYPE.values(), ids=list(REFUSED_IN_A_TYPE))
def test_line_breaks_controls_and_non_ascii_in_a_type_are_refused_by_both(
    char: str, where: str
) -> None:
    body = {"name": "a.txt", "size": 1, "type": where.format(char)}

    assert not gateway_accepts("CreateFileRequest", body)
    assert not function_accepts_new_file(body)


@pytest.mark.parametrize(
    "mime_type",
    ['text/plain; charset="utf-8"', 'text/plain;a="say \\"hi\\""', "text/plain; q=0.5; a=b"],
)
def test_token_and_quoted_string_parameters_are_accepted_by_both(mime_type: str) -> None:
    body = {"name": "a.txt", "size": 1, "type": mime_type}

    assert gateway_accepts("CreateFileRequest", body)
    assert function_accepts_new_file(body)


FILE_IDS = st.one_of(
    st.from_regex(FILE_ID, fullmatch=True),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=31, max_size=33),
    st.integers(),
    st.none(),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    body=st.one_of(
        st.lists(FILE_IDS, max_size=3),
        # Around the limit: MAX_BATCH_SIZE - 1 to + 1 ids, the last one drawn.
        st.tuples(st.integers(MAX_BATCH_SIZE - 2, MAX_BATCH_SIZE), FILE_IDS).map(
            lambda drawn: ["0" * 32] * drawn[0] + [drawn[1]]
        ),
        st.dictionaries(st.text(max_size=3), FILE_IDS, max_size=2),
        st.text(max_size=40),
    )
)
@example(body=[])
@example(body=["0" * 32] * MAX_BATCH_SIZE)
@example(body=["0" * 32] * (MAX_BATCH_SIZE + 1))
def test_the_gateway_model_and_the_function_accept_the_same_id_lists(body: Any) -> None:
    assert gateway_accepts("IdList", body) == function_accepts_id_list(body)


@pytest.mark.parametrize(("word", "meaning"), [("yes", True), ("no", False)])
def test_each_flag_value_the_swagger_lists_means_what_it_says(word: str, meaning: bool) -> None:
    assert parse_flag(word, "deleted") is meaning
