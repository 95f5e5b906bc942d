"""The parts of a received WSGI request that S3 authenticates and routes on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes

# WSGI passes these two headers without the HTTP_ prefix (PEP 3333).
_UNPREFIXED_HEADERS = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as S3 sees it before running it: what was signed, and what it addresses."""

    method: str
    host: str
    canonical_path: str  # the URI-encoded path, as SigV4's canonical request has it
    query: tuple[tuple[str, str], ...]  # decoded (name, value) pairs, in the order received
    headers: Mapping[str, str]  # lower-case name -> value
    bucket: str
    key: str
    source_ip: str

    def query_value(self, name: str) -> str | None:
        for pair_name, value in self.query:
            if pair_name == name:
                return value
        return None

    def has_query(self, name: str) -> bool:
        return any(pair_name == name for pair_name, _ in self.query)


def _wsgi_text(value: str) -> str:
    """WSGI hands over header bytes as latin-1 text; clients signed them as UTF-8 text."""
    raw = value.encode("latin-1", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


def _raw_path(environ: Mapping[str, Any]) -> bytes:
    # Prefer the path exactly as received (werkzeug's server sets RAW_URI / REQUEST_URI), so an
    # encoded character is canonicalized the way the client signed it.
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        path = str(raw_uri).split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        return unquote_to_bytes(path.encode("latin-1", errors="replace"))
    return str(environ.get("PATH_INFO", "/")).encode("latin-1")


def parse_query(query_string: str) -> tuple[tuple[str, str], ...]:
    """Decode a raw query string into pairs; an absent ``=`` gives an empty value (``?uploads``)."""
    pairs = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return tuple(pairs)


def received_request(environ: Mapping[str, Any]) -> ReceivedRequest:
    """Read a WSGI environ into a ``ReceivedRequest`` (path-style addressing: /bucket/key)."""
    headers: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers[name[5:].replace("_", "-").lower()] = _wsgi_text(str(value))
        elif name in _UNPREFIXED_HEADERS and value not in (None, ""):
            headers[_UNPREFIXED_HEADERS[name]] = str(value)
    raw_path = _raw_path(environ) or b"/"
    # AWS parity: S3 does not normalize the path (no "." / ".." folding, no double encoding);
    # its canonical URI is each byte URI-encoded except unreserved characters and "/".
    canonical_path = quote(raw_path, safe="/~")
    decoded_path = raw_path.decode("utf-8", errors="replace")
    bucket, _, key = decoded_path.lstrip("/").partition("/")
    host = headers.get("host") or str(environ.get("SERVER_NAME", ""))
    return ReceivedRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        host=host,
        canonical_path=canonical_path,
        query=parse_query(str(environ.get("QUERY_STRING", ""))),
        headers=headers,
        bucket=bucket,
        key=key,
        source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
    )
