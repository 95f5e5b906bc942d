"""The web page server (WSGI, no sockets): static files, the generated config.js, no escapes."""

from __future__ import annotations

from pathlib import Path

from local_stack.web import MISSING_PAGE, WebApp


def _get(app: WebApp, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
    body = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "web"
    (site / "vendor").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Filestore</h1>")
    (site / "vendor" / "filepond.js").write_text("// filepond")
    (tmp_path / "secret.txt").write_text("not for the web")
    return site


def test_config_js_points_the_page_at_the_local_api(tmp_path: Path) -> None:
    status, headers, body = _get(WebApp(_site(tmp_path), "http://127.0.0.1:3000/dev"), "/config.js")
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/javascript"
    assert body == b'window.FILESTORE_CONFIG = {"apiUrl": "http://127.0.0.1:3000/dev"};\n'


def test_index_and_vendor_files_are_served(tmp_path: Path) -> None:
    app = WebApp(_site(tmp_path), "http://api")
    status, headers, body = _get(app, "/")
    assert (status, body) == ("200 OK", b"<h1>Filestore</h1>")
    assert headers["Content-Type"].startswith("text/html")
    status, headers, body = _get(app, "/vendor/filepond.js")
    assert (status, body) == ("200 OK", b"// filepond")
    assert "javascript" in headers["Content-Type"]


def test_nothing_outside_the_page_folder_is_served(tmp_path: Path) -> None:
    app = WebApp(_site(tmp_path), "http://api")
    assert _get(app, "/../secret.txt")[0] == "404 Not Found"
    assert _get(app, "/vendor/../../secret.txt")[0] == "404 Not Found"
    assert _get(app, "/missing.js")[0] == "404 Not Found"
    assert _get(app, "/index.html", method="POST")[0] == "405 Method Not Allowed"


def test_a_page_that_was_not_built_gives_a_clear_500(tmp_path: Path) -> None:
    status, _, body = _get(WebApp(tmp_path / "not-built", "http://api"), "/")
    assert status == "500 Internal Server Error"
    assert body == MISSING_PAGE.encode()
