"""Serves the web page (static/web/) with a generated /config.js pointing at the local API."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.page_config import CONFIG_FILE, config_script

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
else:
    StartResponse = WSGIEnvironment = Any

MISSING_PAGE = (
    "The web page is not built: static/web/index.html is missing.\n"
    "Run `make setup` (it builds static/web/ from the pinned npm packages), then reload.\n"
)


class WebApp:
    """A WSGI app serving files under ``root`` read-only, plus ``/config.js``."""

    def __init__(self, root: Path, api_url: str) -> None:
        self._root = root.resolve()
        self._config = config_script(api_url).encode()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        if method not in ("GET", "HEAD"):
            return _send(start_response, "405 Method Not Allowed", b"", "text/plain", method)
        if path == f"/{CONFIG_FILE}":
            return _send(start_response, "200 OK", self._config, "text/javascript", method)
        if not (self._root / "index.html").is_file():
            body = MISSING_PAGE.encode()
            return _send(start_response, "500 Internal Server Error", body, "text/plain", method)
        file = self._resolve(path)
        if file is None:
            return _send(start_response, "404 Not Found", b"Not found\n", "text/plain", method)
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript",):
            content_type += "; charset=utf-8"
        return _send(start_response, "200 OK", file.read_bytes(), content_type, method)

    def _resolve(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        candidate = (self._root / relative).resolve()
        # Never serve anything outside the page's folder (``..``, symlinks out of it).
        if not candidate.is_relative_to(self._root) or not candidate.is_file():
            return None
        return candidate


def _send(
    start_response: StartResponse, status: str, body: bytes, content_type: str, method: str
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [b""] if method == "HEAD" else [body]
