"""What the published page is made of: config.js, the exact connect-src, types and caching."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

CONFIG_FILE = "config.js"  # static/web/index.html loads it before the page's own scripts
# Pages and config.js must be revalidated on every visit so a deploy shows at once; the rest may
# be cached for an hour (the names carry no content hash, so no "immutable").
NO_CACHE = "no-cache"
SHORT_CACHE = "public, max-age=3600"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE | re.DOTALL)
_CSP_EQUIV = re.compile(r"""http-equiv\s*=\s*["']content-security-policy["']""", re.IGNORECASE)
_CONTENT = re.compile(r"""(\bcontent\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


class PageError(ValueError):
    """The built page cannot be published as it is (no meta CSP, a bad source list)."""


@dataclass(frozen=True)
class PageConfig:
    """The page's runtime configuration, written to config.js from the stack's own values."""

    api_url: str
    max_file_size: int
    allowed_types: tuple[str, ...]
    store_on_upload: bool

    def script(self) -> str:
        """The content of config.js (``window.FILESTORE_CONFIG``)."""
        values = {
            "apiUrl": self.api_url,
            "maxFileSize": self.max_file_size,
            "allowedTypes": list(self.allowed_types),
            "storeOnUpload": self.store_on_upload,
        }
        return f"window.FILESTORE_CONFIG = {json.dumps(values)};\n"


def with_connect_src(html: str, sources: Sequence[str]) -> str:
    """``html`` whose meta Content-Security-Policy allows connections to ``sources`` only.

    Every other directive stays as the page wrote it; a page without a meta CSP is refused, so a
    page can never be published with a policy looser than intended.
    """
    for source in sources:
        if not source or any(char in source for char in ' ;,"<>'):
            raise PageError(f"not a CSP source: {source!r}")
    replaced = 0

    def rewrite_tag(match: re.Match[str]) -> str:
        nonlocal replaced
        tag = match.group(0)
        if not _CSP_EQUIV.search(tag):
            return tag
        content = _CONTENT.search(tag)
        if content is None:
            raise PageError("the page's Content-Security-Policy meta tag has no content")
        replaced += 1
        policy = _policy_with_connect_src(content.group(3), sources)
        start, end = content.span(3)
        return tag[:start] + policy + tag[end:]

    published = _META_TAG.sub(rewrite_tag, html)
    if not replaced:
        raise PageError("the page has no Content-Security-Policy meta tag")
    return published


def _policy_with_connect_src(policy: str, sources: Sequence[str]) -> str:
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    connect = " ".join(["connect-src", *sources])
    kept = [part for part in directives if part.split()[0].lower() != "connect-src"]
    if len(kept) == len(directives):
        return "; ".join([*kept, connect])
    position = next(i for i, p in enumerate(directives) if p.split()[0].lower() == "connect-src")
    kept.insert(position, connect)
    return "; ".join(kept)


def content_type(key: str) -> str:
    """The Content-Type the object ``key`` is served with."""
    suffix = PurePosixPath(key).suffix.lower()
    known = CONTENT_TYPES.get(suffix)
    if known is not None:
        return known
    guessed, _encoding = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def cache_control(key: str) -> str:
    """The Cache-Control of the object ``key``."""
    return NO_CACHE if key.endswith(".html") or key == CONFIG_FILE else SHORT_CACHE
