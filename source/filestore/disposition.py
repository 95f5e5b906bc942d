"""RFC 6266 ``Content-Disposition`` values that no file name can break out of."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

FALLBACK_NAME = "download"
# RFC 8187 attr-char besides ALPHA / DIGIT (which quote() always keeps).
_ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~"
# Printable ASCII safe inside the quoted fallback, even for naive parsers splitting on ";".
_SAFE_QUOTED = frozenset(chr(code) for code in range(0x20, 0x7F)) - {'"', "\\", "%", ";"}


def ascii_fallback(filename: str) -> str:
    """An ASCII-only stand-in: accents dropped, anything unsafe replaced by ``_``."""
    decomposed = unicodedata.normalize("NFKD", filename)
    letters = (char for char in decomposed if not unicodedata.combining(char))
    fallback = "".join(char if char in _SAFE_QUOTED else "_" for char in letters).strip()
    return fallback or FALLBACK_NAME


def attachment(filename: str) -> str:
    """``attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>``."""
    encoded = quote(filename, safe=_ATTR_CHAR_PUNCTUATION, encoding="utf-8", errors="replace")
    return f"attachment; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{encoded}"
