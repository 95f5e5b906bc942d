"""A file whose bytes do not fit AllowedTypes fails in the page, with the server's reason."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import object_exists, wait_for_status
from tests.browser.page_watch import PageWatch
from tests.browser.sample_files import random_bytes, write_file
from tests.browser.traffic import LARGE_SIZE, Traffic, saved_uploads
from tests.browser.upload_page import UploadPage
from tests.helpers import signatures


def test_an_html_page_named_png_fails_with_the_servers_reason(
    limited_page: UploadPage, limited_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    page = limited_page.page
    fake = write_file(tmp_path, "holiday.png", signatures.html())
    file_id = limited_page.add_file_for_id(fake)

    limited_page.expect_item(fake.name, "processing-error", "Content refused")
    expect(page.locator("#upload-problems")).to_have_text(
        f"{fake.name}: Refused: its content is text/html, not image/png."
    )
    record = wait_for_status(limited_stack, file_id, "deleted")
    assert record["rejected"] == "content is text/html, not image/png"
    assert not object_exists(limited_stack, file_id)
    assert limited_page.submit() == []  # a refused file is not among the finished ones


def test_the_admin_table_shows_why_a_file_was_rejected(
    limited_page: UploadPage, limited_stack: RunningStack, tmp_path: Path
) -> None:
    fake = write_file(tmp_path, "scan.pdf", signatures.zip_archive())
    file_id = limited_page.add_file_for_id(fake)
    limited_page.expect_item(fake.name, "processing-error", "Content refused")

    limited_page.open_admin(limited_stack.api_key)
    limited_page.list_files([file_id])

    expect(limited_page.admin_row(file_id)).to_contain_text(
        "Rejected: content is application/zip, not application/pdf"
    )


def test_a_large_html_page_named_png_is_refused_by_its_completion(
    checked_multipart_page: UploadPage,
    checked_multipart_stack: RunningStack,
    tmp_path: Path,
) -> None:
    page = checked_multipart_page.page
    traffic = Traffic.of(page)
    head = signatures.html()
    fake = write_file(tmp_path, "poster.png", head + random_bytes(LARGE_SIZE - len(head), seed=5))
    file_id = checked_multipart_page.add_file_for_id(fake)

    checked_multipart_page.expect_item(fake.name, "processing-error", "Content refused")
    expect(page.locator("#upload-problems")).to_have_text(
        f"{fake.name}: Refused: its content is text/html, not image/png."
    )
    # The complete's answer carried the verdict: no status polling, nothing kept to resume.
    assert len(traffic.api("POST", "/complete")) == 1
    assert traffic.api("GET", f"/file/{file_id}") == []
    assert saved_uploads(page) == []
    record = wait_for_status(checked_multipart_stack, file_id, "deleted")
    assert (record["rejected"], record["upload"]) == (
        "content is text/html, not image/png",
        "multipart",
    )
    assert not object_exists(checked_multipart_stack, file_id)
