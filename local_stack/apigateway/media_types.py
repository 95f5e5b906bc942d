"""Media-type matching for binaryMediaTypes, request models and templates."""

from __future__ import annotations

from collections.abc import Iterable


def essence(content_type: str | None) -> str:
    """ "Application/JSON; charset=utf-8" -> "application/json"."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def matches(media_type: str, patterns: Iterable[str]) -> bool:
    """Whether a media type matches any pattern such as "image/png", "image/*" or "*/*"."""
    kind, _, sub = essence(media_type).partition("/")
    if not kind:
        return False
    for pattern in patterns:
        # binaryMediaTypes in swagger may be written with "~1" for "/" (JSON-pointer escaping).
        p_kind, _, p_sub = essence(pattern.replace("~1", "/")).partition("/")
        if p_kind in ("*", kind) and p_sub in ("*", sub):
            return True
    return False


def accept_matches(accept: str | None, patterns: Iterable[str]) -> bool:
    """Whether any media range of an Accept header matches a pattern."""
    pattern_list = list(patterns)
    return any(matches(part, pattern_list) for part in (accept or "").split(","))
