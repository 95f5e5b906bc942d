"""Limits from GET /config: refused in the page before any request, and by S3 if forced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
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

    limited_page.expect_item(too_big.name, "load-invalid", "File too large", "Max. 976 KB")
    assert upload_requests(watch) == []


def test_a_type_not_allowed_is_refused_before_any_request(
    limited_page: UploadPage, watch: PageWatch, tmp_path: Path
) -> None:
    notes = write_file(tmp_path, "notes.txt", b"plain text is not allowed here\n")

    limited_page.add_files([notes])

    limited_page.expect_item(
        notes.name, "load-invalid", "Type not allowed", "Allowed: image files or PDF"
    )
    assert upload_requests(watch) == []


def test_an_oversize_upload_forced_past_the_page_is_refused_by_s3(
    limited_page: UploadPage, limited_stack: RunningStack, watch: PageWatch
) -> None:
    page = limited_page.page
    watch.allow(r"Failed to load resource: the server responded with a status of 403")
    with (
        page.expect_response(lambda r: r.url.endswith("/file") and r.request.method == "POST") as c,
        page.expect_response(lambda r: r.request.method == "PUT") as put,
    ):
        limited_page.add_made_file(
            "forced.png", "image/png", size=MAX_FILE_SIZE + 200_000, declared_size=1_000
        )
    file_id = c.value.json()["id"]

    assert c.value.status == 200  # the API believed the declared 1000 bytes...
    assert put.value.status == 403  # ...but S3 checks the signed Content-Length
    limited_page.expect_item("forced.png", "processing-error", "Refused by storage")
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


def config_of(stack: RunningStack) -> dict[str, Any]:
    """GET /config as the page reads it."""
    answer = requests.get(f"{stack.api_url}/config", timeout=10)
    assert answer.status_code == 200, answer.text
    config: dict[str, Any] = answer.json()
    return config


def test_a_name_over_the_configured_length_is_refused_before_any_request(
    limited_page: UploadPage, limited_stack: RunningStack, watch: PageWatch
) -> None:
    longest = config_of(limited_stack)["max_name_length"]
    name = "n" * (longest - 3) + ".pdf"  # one character too many

    limited_page.add_made_file(name, "application/pdf", text="%PDF-1.4\n")

    limited_page.expect_item(name, "load-invalid", "Name too long", f"At most {longest} characters")
    assert upload_requests(watch) == []


def test_a_name_of_exactly_the_configured_length_uploads(
    limited_page: UploadPage, limited_stack: RunningStack
) -> None:
    name = "n" * (config_of(limited_stack)["max_name_length"] - 4) + ".pdf"

    limited_page.add_made_file(name, "application/pdf", text="%PDF-1.4\n")

    limited_page.wait_uploaded([name])


def test_the_admin_panel_takes_its_batch_limit_from_the_config(
    limited_page: UploadPage, limited_stack: RunningStack, watch: PageWatch
) -> None:
    most = config_of(limited_stack)["max_batch_size"]
    page = limited_page.page
    limited_page.open_admin(limited_stack.api_key)
    expect(page.locator("#admin-ids-hint")).to_have_text(
        f"One per line or separated by commas, up to {most}."
    )

    page.get_by_label("File ids").fill("\n".join(f"{n:032x}" for n in range(most + 1)))
    page.get_by_role("button", name="List files").click()

    expect(page.locator("#admin-status")).to_have_text(f"At most {most} ids at a time.")
    assert [r for r in watch.requests if r.split("?")[0].endswith("/files")] == []
