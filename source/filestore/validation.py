"""Parses client input into typed values; each failure is a typed error naming the problem."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import unicodedata
from typing import TYPE_CHECKING, Any, NamedTuple

from filestore.errors import (
    ChecksumNotForMultipart,
    FileTooLarge,
    InvalidBody,
    InvalidChecksum,
    InvalidFileId,
    InvalidQueryParameter,
    MissingRevertToken,
    TypeNotAllowed,
)
from filestore.models import FileId
from filestore.parts import MAX_PARTS

if TYPE_CHECKING:
    from runtime_context import Settings

# api/swagger.yaml states the same limits and patterns (tests/unit/infra/test_limits_contract.py).
MAX_NAME_LENGTH = 255
MAX_BATCH_SIZE = 100  # file ids per PUT, POST or DELETE /files
MAX_TYPE_LENGTH = 255
DEFAULT_TYPE = "application/octet-stream"
FILE_ID = re.compile(r"[0-9a-f]{32}")
# The canonical base64 of 32 bytes: 43 characters, the last carrying 2 zero bits, then "=".
CHECKSUM_SHA256 = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
MAX_PARTS_PER_REQUEST = 100  # part URLs signed at once: the page asks for a few just in time
# A type and subtype are RFC 6838 restricted names: a letter or digit, then up to 126 of these.
_MIME_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
# A parameter is an RFC 9110 token, "=", then a token or a quoted string; ASCII only.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # noqa: S105 - a grammar, not a secret
_QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
# Only spaces and tabs may pad a type and its parameters: no line break, no other control
# character and no Unicode space (NEL, U+2028, ...) can reach the Content-Type header.
MIME_TYPE = re.compile(
    rf"[ \t]*({_MIME_NAME})/({_MIME_NAME})"
    rf"((?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*)[ \t]*"
)
YES_WORDS = frozenset({"yes", "true", "1"})
NO_WORDS = frozenset({"no", "false", "0", ""})


class NewFile(NamedTuple):
    """A valid POST /file request."""

    name: str
    size: int
    type: str
    checksum_sha256: str | None = None


class PartRequest(NamedTuple):
    """One entry of a POST /file/{id}/parts body: a part number and that part's SHA-256."""

    number: int
    checksum_sha256: str


def parse_json_body(body: str | None, *, is_base64_encoded: bool = False) -> Any:
    """The request body as JSON; missing, undecodable or invalid bodies are bad requests."""
    if body is None or body == "":
        raise InvalidBody("request body is missing; send JSON")
    text = body
    if is_base64_encoded:
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as err:
            raise InvalidBody("request body is not valid base64-encoded UTF-8") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        message = f"request body is not valid JSON: {err.msg} at position {err.pos}"
        raise InvalidBody(message) from err
    except ValueError as err:  # an integer beyond Python's int_max_str_digits
        raise InvalidBody("request body holds a number with too many digits") from err
    except RecursionError as err:
        raise InvalidBody("request body is nested too deeply") from err


def parse_new_file(payload: Any, settings: Settings) -> NewFile:
    """A POST /file body, ``{"name", "size", "type"?, "checksum_sha256"?}``, within the limits of
    this deployment (MaxFileSize, AllowedTypes; a whole-file checksum only below
    MultipartThreshold, since S3 verifies a multipart upload's parts, not the whole)."""
    if not isinstance(payload, dict):
        raise InvalidBody('request body must be a JSON object like {"name": "a.pdf", "size": 1}')
    name = _parse_name(payload.get("name"))
    size = _parse_size(payload.get("size"), settings.max_file_size)
    mime_type = _parse_type(payload.get("type", ""), name)
    allowed_types = settings.allowed_types
    if not type_is_allowed(mime_type, allowed_types):
        raise TypeNotAllowed(
            f"type {mime_type!r} is not allowed; allowed types: {', '.join(allowed_types)}"
        )
    checksum = None
    if "checksum_sha256" in payload:
        checksum = parse_checksum(payload["checksum_sha256"], "checksum_sha256")
        if size >= settings.multipart_threshold:
            raise ChecksumNotForMultipart(
                f"a file of {size} bytes is uploaded in parts (MultipartThreshold is"
                f" {settings.multipart_threshold}), and S3 verifies each part's checksum, not"
                " the whole file's; send checksum_sha256 with each part instead"
            )
    return NewFile(name=name, size=size, type=mime_type, checksum_sha256=checksum)


def parse_checksum(value: Any, where: str) -> str:
    """A base64-encoded SHA-256 digest (44 characters, as S3's x-amz-checksum-sha256)."""
    if not isinstance(value, str) or not CHECKSUM_SHA256.fullmatch(value):
        raise InvalidChecksum(
            f"{where} must be the base64 of a 32-byte SHA-256 digest (44 characters)"
        )
    return value


def parse_part_requests(payload: Any) -> list[PartRequest]:
    """A POST /file/{id}/parts body: ``{"parts": [{"number", "checksum_sha256"}, ...]}`` with
    1..MAX_PARTS_PER_REQUEST entries, each number once; the service checks them against the plan."""
    if not isinstance(payload, dict) or not isinstance(payload.get("parts"), list):
        raise InvalidBody(
            'request body must be a JSON object like {"parts": [{"number": 1,'
            ' "checksum_sha256": "<base64 SHA-256>"}]}'
        )
    entries = payload["parts"]
    if not 1 <= len(entries) <= MAX_PARTS_PER_REQUEST:
        raise InvalidBody(f"send 1 to {MAX_PARTS_PER_REQUEST} parts, not {len(entries)}")
    parts: list[PartRequest] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidBody(f"part at position {position} is not an object")
        number = entry.get("number")
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidBody(f"part at position {position} has no integer number")
        if not 1 <= number <= MAX_PARTS:
            raise InvalidBody(f"part number {number} is outside 1..{MAX_PARTS}")
        if "checksum_sha256" not in entry:
            raise InvalidChecksum(f"part {number} has no checksum_sha256; each part needs one")
        checksum = parse_checksum(entry["checksum_sha256"], f"part {number}'s checksum_sha256")
        parts.append(PartRequest(number=number, checksum_sha256=checksum))
    numbers = [part.number for part in parts]
    if len(set(numbers)) != len(numbers):
        raise InvalidBody("each part number may appear once")
    return parts


def parse_id_list(payload: Any) -> list[FileId]:
    """A JSON array of 1..MAX_BATCH_SIZE file ids; duplicates are dropped, order kept."""
    if not isinstance(payload, list):
        raise InvalidBody("request body must be a JSON array of file ids")
    if not payload:
        raise InvalidBody(f"the array of file ids is empty; send 1 to {MAX_BATCH_SIZE} ids")
    if len(payload) > MAX_BATCH_SIZE:
        raise InvalidBody(f"too many file ids: {len(payload)}; send at most {MAX_BATCH_SIZE}")
    for position, file_id in enumerate(payload):
        if not isinstance(file_id, str) or not FILE_ID.fullmatch(file_id):
            raise InvalidFileId(
                f"file id at position {position} is not 32 lowercase hexadecimal characters"
            )
    return [FileId(file_id) for file_id in dict.fromkeys(payload)]


def parse_file_id(value: str | None) -> FileId:
    """One file id from a path."""
    if value is None or not FILE_ID.fullmatch(value):
        raise InvalidFileId("file id must be 32 lowercase hexadecimal characters")
    return FileId(value)


def parse_revert_token(value: str | None) -> str:
    """The X-Revert-Token header: present is all it takes here; the service checks it."""
    if not value:
        raise MissingRevertToken("the X-Revert-Token header is missing")
    return value


def parse_flag(value: str | None, name: str) -> bool:
    """A yes/no query string flag such as ``deleted=yes``; absent means no."""
    if value is None:
        return False
    word = value.strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise InvalidQueryParameter(f"query parameter {name} must be yes or no, not {value[:20]!r}")


def type_is_allowed(mime_type: str, allowed_types: tuple[str, ...]) -> bool:
    """Whether a mime type matches one of the patterns ``*``, ``*/*``, ``image/*``, ``a/b``."""
    essence = mime_type.split(";", 1)[0].strip().lower()
    major = essence.split("/", 1)[0]
    for pattern in allowed_types:
        if pattern in ("*", "*/*") or pattern == essence:
            return True
        if pattern.endswith("/*") and pattern[:-2] == major:
            return True
    return False


def _parse_name(value: Any) -> str:
    if value is None:
        raise InvalidBody("name is required")
    if not isinstance(value, str):
        raise InvalidBody("name must be a string")
    if not value:
        raise InvalidBody("name is empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidBody(f"name is {len(value)} characters long; at most {MAX_NAME_LENGTH}")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise InvalidBody("name contains control characters or unpaired surrogates")
    if "/" in value or "\\" in value:
        raise InvalidBody("name contains / or \\; send the file name without its folder")
    return value


def _parse_size(value: Any, max_file_size: int) -> int:
    if value is None:
        raise InvalidBody("size is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBody("size must be an integer number of bytes")
    if value < 1:
        raise InvalidBody(f"size must be at least 1 byte, not {value}")
    if value > max_file_size:
        raise FileTooLarge(f"size {value} is larger than the maximum file size {max_file_size}")
    return value


def _parse_type(value: Any, name: str) -> str:
    # Absent or empty: guessed. A null is refused, as the gateway's model (a string) refuses it.
    if value == "":
        _stem, dot, extension = name.rpartition(".")
        # A bare "file.<ext>" so that characters like ":" or "#" in the name are not URL syntax.
        guessed = mimetypes.guess_type(f"file.{extension}", strict=False)[0] if dot else None
        return guessed or DEFAULT_TYPE
    if not isinstance(value, str):
        raise InvalidBody("type must be a string such as image/png")
    match = MIME_TYPE.fullmatch(value)
    if len(value) > MAX_TYPE_LENGTH or match is None:
        raise InvalidBody("type is not a valid mime type such as image/png")
    major, minor, parameters = match.groups()
    return f"{major.lower()}/{minor.lower()}{parameters}"
