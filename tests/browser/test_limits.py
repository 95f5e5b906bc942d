"""Limits from GET /config: refused in the page before any request, and by S3 if forced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import object_exists, wait_for_status
from tests.browser.page_watch import PageWatch
from tests.browser.sample_files import png_bytes, random_bytes, write_file
from tests.browser.upload_page import UploadPage

MAX_FILE_SIZE = 1_000_000  # conftest.LIMITED_PARAMS


def upload_requests(watch: PageWatch) -> list[str]:
    """Requests to POST /file or PUT to S3 that the page sent (none may follow a refused file)."""
    return [
        request
        for request in watch.requests
        if request.startswith("PUT ") or request.split("?")[0].endswith("/file")
    ]


def test_the_page_shows_the_limits_from_the_config(limited_page: UploadPage) -> None:
    expect(limited_page.page.locator("#limits")).to_have_text(
        "Up to 976 KB per file · image files or PDF"
    )


def test_a_file_over_the_size_limit_is_refused_before_any_request(
    limited_page: UploadPage, watch: PageWatch, tmp_path: Path
) -> None:
    too_big = write_file(tmp_path, "huge-scan.pdf", random_bytes(MAX_FILE_SIZE + 1))

    limited_page.add_files([too_big])

    expect(limited_page.item_state(too_big.name)).to_have_attribute(
        "data-filepond-item-state", "load-invalid"
    )
    status = limited_page.item(too_big.name).locator(".filepond--file-status")
    expect(status).to_contain_text("File too large")
    expect(status).to_contain_text("Max. 976 KB")
    assert upload_requests(watch) == []


def test_a_type_not_allowed_is_refused_before_any_request(
    limited_page: UploadPage, watch: PageWatch, tmp_path: Path
) -> None:
    notes = write_file(tmp_path, "notes.txt", b"plain text is not allowed here\n")

    limited_page.add_files([notes])

    expect(limited_page.item_state(notes.name)).to_have_attribute(
        "data-filepond-item-state", "load-invalid"
    )
    status = limited_page.item(notes.name).locator(".filepond--file-status")
    expect(status).to_contain_text("Type not allowed")
    expect(status).to_contain_text("Allowed: image files or PDF")
    assert upload_requests(watch) == []


FORCE_UPLOAD = """
async ({ size, declaredSize }) => {
  const bytes = new Uint8Array(size).fill(137);
  const file = new File([bytes], "forced.png", { type: "image/png" });
  Object.defineProperty(file, "size", { value: declaredSize });
  return await new Promise((resolve) => {
    window.filestoreUploader.process(
      "file_id", file, {},
      (id) => resolve({ outcome: "load", id }),
      (message) => resolve({ outcome: "error", message }),
      () => {},
      () => resolve({ outcome: "abort" }),
    );
  });
}
"""


def test_an_oversize_upload_forced_past_the_page_is_refused_by_s3(
    limited_page: UploadPage, limited_stack: RunningStack, watch: PageWatch
) -> None:
    page = limited_page.page
    watch.allow(r"Failed to load resource: the server responded with a status of 403")
    with (
        page.expect_response(lambda r: r.url.endswith("/file") and r.request.method == "POST") as c,
        page.expect_response(lambda r: r.request.method == "PUT") as put,
    ):
        result: dict[str, Any] = page.evaluate(
            FORCE_UPLOAD, {"size": MAX_FILE_SIZE + 200_000, "declaredSize": 1_000}
        )
    file_id = c.value.json()["id"]

    assert c.value.status == 200  # the API believed the declared 1000 bytes...
    assert put.value.status == 403  # ...but S3 checks the signed Content-Length
    assert result["outcome"] == "error"
    assert result["message"] == "Refused by storage"
    expect(page.locator("#upload-problems")).to_have_text(
        "forced.png: Storage refused the file: its size or type differs from what was announced."
    )
    assert not object_exists(limited_stack, file_id)
    # The adapter reverts the record it could not fill.
    wait_for_status(limited_stack, file_id, "deleted")


def test_the_page_refuses_nothing_that_fits(
    limited_page: UploadPage, limited_stack: RunningStack, tmp_path: Path
) -> None:
    image = write_file(tmp_path, "small.png", png_bytes(120, 80))
    limited_page.add_files([image])
    limited_page.wait_uploaded([image.name])
    assert len(limited_page.submit()) == 1
