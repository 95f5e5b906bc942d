"""Content checks: whether an upload's first bytes fit its declared type and AllowedTypes."""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from filestore.validation import type_is_allowed

# How much of an object the check reads (one ranged GET): filetype looks at most this far, and
# the office formats' entry names sit in a ZIP's first local headers.
HEAD_BYTES = 8192

# Names our rules give what filetype has no signature for (WHATWG MIME Sniffing, section 7.1).
HTML = "text/html"
SVG = "image/svg+xml"
PLAIN_TEXT = "text/plain"
BINARY = "application/octet-stream"

# Declared spellings browsers and tools use for a type filetype names otherwise.
ALIASES: dict[str, str] = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/vnd.microsoft.icon": "image/x-icon",
    "image/x-ms-bmp": "image/bmp",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "application/x-gzip": "application/gzip",
    "application/vnd.rar": "application/x-rar-compressed",
    "application/x-rar": "application/x-rar-compressed",
    "application/vnd.microsoft.portable-executable": "application/x-msdownload",
    "application/x-dosexec": "application/x-msdownload",
    "application/x-elf": "application/x-executable",
    "audio/mp3": "audio/mpeg",
    "audio/wav": "audio/x-wav",
    "audio/wave": "audio/x-wav",
    "audio/vnd.wave": "audio/x-wav",
    "audio/flac": "audio/x-flac",
    "audio/aiff": "audio/x-aiff",
    "audio/x-m4a": "audio/mp4",
    "video/avi": "video/x-msvideo",
    "font/woff": "application/font-woff",
    "font/ttf": "application/font-sfnt",
    "font/otf": "application/font-sfnt",
    "font/sfnt": "application/font-sfnt",
}

# A detected type that is a special case of another: an APNG is a PNG, a .docx is a ZIP.
KIND_OF: dict[str, str] = {
    "image/apng": "image/png",
    "video/x-m4v": "video/mp4",
    "application/epub+zip": "application/zip",
    "application/vnd.oasis.opendocument.text": "application/zip",
    "application/vnd.oasis.opendocument.spreadsheet": "application/zip",
    "application/vnd.oasis.opendocument.presentation": "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "application/zip",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "application/zip",
}

# filetype's MIME names that are not precise (its EOT matcher answers application/octet-stream).
_DETECTED_BY_EXTENSION = {"eot": "application/vnd.ms-fontobject"}
if TYPE_CHECKING:
    from types import ModuleType

_WHITESPACE = b"\t\n\x0c\r "
_UTF8_BOM = b"\xef\xbb\xbf"
_UNICODE_BOMS = (b"\xfe\xff", b"\xff\xfe")  # UTF-16 either way (and UTF-32 LE)
# WHATWG MIME Sniffing 7.1: the tags that make a browser sniff an unknown resource as HTML; a tag
# ends at a space or ">" there, and here at any whitespace too.
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--)(?:[\s>]|$)",
    re.IGNORECASE,
)
# An SVG document: an optional XML declaration, comments and doctype, then the <svg> root.
_SVG_START = re.compile(
    rb"(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<!doctype[^>]*>)\s*)*<svg(?:[\s>/]|$)",
    re.IGNORECASE | re.DOTALL,
)
# What makes an SVG run code when opened: a script element, an event attribute, a javascript: URL.
_SVG_SCRIPT = re.compile(rb"<script[\s>/]|\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE)
# WHATWG MIME Sniffing 7.2: the "binary data bytes" no text holds.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


class ContentVerdict(NamedTuple):
    """What the check found: the type the bytes show (None for none), and why it refused."""

    detected: str | None
    rejected: str | None = None

    @property
    def passed(self) -> bool:
        return self.rejected is None


class Detection(NamedTuple):
    """A type read from the bytes; ``signature`` is False for the text-or-binary fallback."""

    mime: str
    signature: bool
    scripted: bool = False


@cache
def _filetype() -> ModuleType:
    """filetype, imported on the first check: functions that never check skip its import."""
    return importlib.import_module("filetype")


@cache
def signed_types() -> frozenset[str]:
    """The declared types whose bytes must carry a signature: filetype's and the SVG rule's."""
    kinds = _filetype().types
    names = {_DETECTED_BY_EXTENSION.get(kind.extension, kind.mime) for kind in kinds}
    return frozenset(names | {SVG}) - {BINARY}


def content_is_checked(allowed_types: tuple[str, ...]) -> bool:
    """Whether AllowedTypes limits anything: with ``*`` the bytes are never read."""
    return not any(pattern in ("*", "*/*") for pattern in allowed_types)


def detect(head: bytes) -> Detection | None:
    """The type of a file's first bytes: filetype's signatures, then our markup and text rules.

    None for an empty head. Only ``head`` is looked at, so a script past it is not seen.
    """
    if not head:
        return None
    kind = _filetype().guess(head)
    if kind is not None:
        return Detection(_DETECTED_BY_EXTENSION.get(kind.extension, kind.mime), signature=True)
    text = head[len(_UTF8_BOM) :] if head.startswith(_UTF8_BOM) else head
    text = text.lstrip(_WHITESPACE)
    if _SVG_START.match(text):
        return Detection(SVG, signature=True, scripted=_SVG_SCRIPT.search(text) is not None)
    if _HTML_START.match(text):
        return Detection(HTML, signature=True)
    if head.startswith(_UNICODE_BOMS) or not _BINARY_BYTES.search(head):
        return Detection(PLAIN_TEXT, signature=False)
    return Detection(BINARY, signature=False)


def check_content(declared: str, head: bytes, allowed_types: tuple[str, ...]) -> ContentVerdict:
    """Whether a file whose first bytes are ``head`` may be kept under ``allowed_types``.

    It passes when its declared type is allowed, the bytes carry that type's signature where one
    is known, and what the bytes are detected as is allowed too. Call it only when
    :func:`content_is_checked`.
    """
    essence = canonical(declared)
    allowed_types = tuple(canonical(pattern) for pattern in allowed_types)
    if not _allowed(essence, allowed_types):
        return ContentVerdict(None, f"type {essence} is not allowed")
    found = detect(head)
    if found is None:
        if essence in signed_types():
            return ContentVerdict(None, f"content is empty, not {essence}")
        return ContentVerdict(None)
    if found.scripted:
        return ContentVerdict(found.mime, f"content is {found.mime} with a script")
    if not found.signature:
        return _check_unsigned(essence, found.mime, allowed_types)
    if _related(found.mime, essence):
        # The bytes are the declared type, or one is a special case of the other (a .docx
        # declared as a ZIP, or a .docx whose entries lie past the head): allowed with it.
        return ContentVerdict(found.mime)
    if essence in signed_types() or not _allowed(found.mime, allowed_types):
        return ContentVerdict(found.mime, f"content is {found.mime}, not {essence}")
    return ContentVerdict(found.mime)  # e.g. HTML declared text/plain where text/* is allowed


def canonical(mime_type: str) -> str:
    """The essence of a mime type (no parameters, lower case), under the name filetype uses."""
    essence = mime_type.split(";", 1)[0].strip().lower()
    return ALIASES.get(essence, essence)


def _check_unsigned(essence: str, fallback: str, allowed_types: tuple[str, ...]) -> ContentVerdict:
    """No signature found: text passes on a declared type without one; binary is not text."""
    if essence in signed_types():
        return ContentVerdict(fallback, f"content is {fallback}, not {essence}")
    if fallback == BINARY and essence.startswith("text/") and not _allowed(BINARY, allowed_types):
        return ContentVerdict(fallback, f"content is {fallback}, not {essence}")
    return ContentVerdict(None)


def _related(detected: str, declared: str) -> bool:
    return declared in (detected, KIND_OF.get(detected)) or KIND_OF.get(declared) == detected


def _allowed(mime_type: str, allowed_types: tuple[str, ...]) -> bool:
    """A type is allowed when it, or the type it is a special case of, matches a pattern."""
    parent = KIND_OF.get(mime_type)
    return type_is_allowed(mime_type, allowed_types) or (
        parent is not None and type_is_allowed(parent, allowed_types)
    )
