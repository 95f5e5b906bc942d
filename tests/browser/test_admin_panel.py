"""The admin panel: lists, stores, downloads and deletes files with a key held in memory only."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import describe, object_exists, wait_for_status
from tests.browser.page_watch import PageWatch
from tests.browser.sample_files import pdf_bytes, random_bytes, write_file
from tests.browser.upload_page import UploadPage


def upload_one(upload_page: UploadPage, stack: RunningStack, path: Path) -> str:
    """Upload `path` through the page; return its id once S3's event has recorded it."""
    upload_page.add_files([path])
    upload_page.wait_uploaded([path.name])
    (file_id,) = upload_page.submit()
    wait_for_status(stack, file_id, "uploaded")
    return file_id


def test_the_admin_panel_stores_then_downloads_a_file(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    contract = write_file(tmp_path, "signed contract.pdf", pdf_bytes("Signed contract"))
    file_id = upload_one(upload_page, local_stack, contract)
    page = upload_page.page

    upload_page.open_admin(local_stack.api_key)
    expect(page.get_by_label("File ids")).to_have_value(file_id)  # prefilled from the page
    upload_page.list_files()
    row = upload_page.admin_row(file_id)
    expect(row).to_contain_text("uploaded")
    expect(row).to_contain_text("application/pdf")
    size = row.locator(".admin-size")
    expect(size).to_have_text(f"{contract.stat().st_size} bytes")  # under 1 KB: exact already
    expect(size).to_have_attribute("title", f"{contract.stat().st_size:,} bytes")

    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Store selected").click()
    expect(page.locator("#admin-status")).to_have_text("Stored 1 file.")
    expect(row).to_contain_text("stored")
    assert describe(local_stack, [file_id])[file_id]["status"] == "stored"

    link = row.get_by_role("link", name=f"Download {contract.name}")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("download", contract.name)
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == contract.name
    assert Path(download.path()).read_bytes() == contract.read_bytes()


def test_the_admin_panel_deletes_a_file(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    draft = write_file(tmp_path, "draft.pdf", pdf_bytes("Draft"))
    file_id = upload_one(upload_page, local_stack, draft)
    page = upload_page.page

    upload_page.open_admin(local_stack.api_key)
    upload_page.list_files([file_id])
    page.get_by_label("Select all files").check()
    page.get_by_role("button", name="Delete selected").click()

    expect(page.locator("#admin-status")).to_have_text("Deleted 1 file.")
    expect(upload_page.admin_row(file_id)).to_contain_text("deleted")
    assert describe(local_stack, [file_id])[file_id]["status"] == "deleted"
    assert not object_exists(local_stack, file_id)


def test_the_api_key_stays_in_memory_only(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    file_id = upload_one(
        upload_page, local_stack, write_file(tmp_path, "memo.pdf", pdf_bytes("Memo"))
    )
    page = upload_page.page
    sent_keys: list[str] = []
    page.on("request", lambda request: sent_keys.append(request.headers.get("x-api-key", "")))

    upload_page.open_admin(local_stack.api_key)
    upload_page.list_files([file_id])

    assert local_stack.api_key in sent_keys  # sent as the x-api-key header...
    stored = page.evaluate(
        "() => [JSON.stringify({...localStorage}), JSON.stringify({...sessionStorage}),"
        " document.cookie, location.href]"
    )
    assert all(local_stack.api_key not in value for value in stored)  # ...and kept nowhere


def test_a_wrong_api_key_is_explained(upload_page: UploadPage, watch: PageWatch) -> None:
    page = upload_page.page
    watch.allow(r"status of 403")
    upload_page.open_admin("not-the-key-not-the-key-not-the-key")
    page.get_by_label("File ids").fill("0" * 32)
    page.get_by_role("button", name="List files").click()
    expect(page.locator("#admin-status")).to_have_text(
        "Access denied (403): the API key or token is missing or wrong."
    )


HOSTILE_NAME = '<img src=x onerror="document.title=1">.pdf'


def test_file_names_are_shown_as_text_never_as_html(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    # File names come from whoever uploads: the page must show them, never run them.
    file_id = upload_one(upload_page, local_stack, write_file(tmp_path, HOSTILE_NAME, pdf_bytes()))
    page = upload_page.page
    upload_page.open_admin(local_stack.api_key)
    upload_page.list_files([file_id])

    expect(upload_page.item(HOSTILE_NAME)).to_contain_text(HOSTILE_NAME)
    expect(upload_page.admin_row(file_id)).to_contain_text(HOSTILE_NAME)
    expect(upload_page.admin_row(file_id).get_by_role("checkbox")).to_have_accessible_name(
        f"Select {HOSTILE_NAME}"
    )
    assert page.locator("main img").count() == 0
    assert page.title() != "1"


def test_the_admin_panel_works_from_the_keyboard(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    file_id = upload_one(upload_page, local_stack, write_file(tmp_path, "keys.pdf", pdf_bytes()))
    page = upload_page.page
    toggle = page.get_by_role("button", name="Administration")
    toggle.focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(local_stack.api_key)
    page.keyboard.press("Tab")
    expect(page.get_by_label("File ids")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="List files")).to_be_focused()
    page.keyboard.press("Enter")
    expect(upload_page.admin_row(file_id)).to_contain_text("uploaded")

    upload_page.admin_row(file_id).get_by_role("checkbox").focus()
    page.keyboard.press("Space")
    store = page.get_by_role("button", name="Store selected")
    store.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#admin-status")).to_have_text("Stored 1 file.")
    expect(upload_page.admin_row(file_id)).to_contain_text("stored")
    # The keyboard user keeps their place: focus stays on the button and the row stays selected.
    expect(store).to_be_focused()
    expect(upload_page.admin_row(file_id).get_by_role("checkbox")).to_be_checked()


def test_sizes_read_as_the_drop_area_reads_them_with_the_exact_bytes_in_the_title(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    # 2.5 MiB: the drop area's "Up to 30 MB" counts in the same units (1 MB = 1024 KB).
    scan = write_file(tmp_path, "scan.pdf", random_bytes(2_621_440))
    file_id = upload_one(upload_page, local_stack, scan)
    expect(upload_page.page.locator("#limits")).to_contain_text(
        re.compile(r"Up to \d+(\.\d+)? [KMG]B")
    )

    upload_page.open_admin(local_stack.api_key)
    upload_page.list_files([file_id])
    size = upload_page.admin_row(file_id).locator(".admin-size")
    expect(size).to_have_text("2.5 MB")
    expect(size).to_have_attribute("title", "2,621,440 bytes")


WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# What an element's box and its scroll width are, for the table's columns.
COLUMN_BOXES = """
() => {
  const wrap = document.querySelector(".table-wrap");
  const box = wrap.getBoundingClientRect();
  const cells = [...document.querySelectorAll("#admin-table th, #admin-table td")].map((cell) => {
    const rect = cell.getBoundingClientRect();
    return { text: cell.textContent.trim(), left: rect.left, right: rect.right };
  });
  return {
    left: box.left, right: box.right, scrollWidth: wrap.scrollWidth,
    clientWidth: wrap.clientWidth, cells,
  };
}
"""


def test_every_admin_column_fits_at_1100_pixels_without_scrolling(
    upload_page: UploadPage, local_stack: RunningStack
) -> None:
    page = upload_page.page
    page.set_viewport_size({"width": 1100, "height": 800})
    # Wide content for every column: a long name, a long type, a size in the megabytes.
    name = "quarterly-board-minutes-final-version.docx"
    with page.expect_response(
        lambda response: response.url.endswith("/file") and response.request.method == "POST"
    ) as created:
        upload_page.add_made_file(name, WORD_TYPE, size=1_234_567)
    file_id = str(created.value.json()["id"])
    upload_page.wait_uploaded([name])
    wait_for_status(local_stack, file_id, "uploaded")
    upload_page.open_admin(local_stack.api_key)
    upload_page.list_files([file_id])
    row = upload_page.admin_row(file_id)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Store selected").click()
    link = row.get_by_role("link", name=f"Download {name}")
    expect(link).to_be_visible()
    expect(row).to_contain_text(WORD_TYPE)

    boxes = page.evaluate(COLUMN_BOXES)
    assert boxes["scrollWidth"] <= boxes["clientWidth"], boxes
    outside = [
        cell
        for cell in boxes["cells"]
        if cell["left"] < boxes["left"] - 0.5 or cell["right"] > boxes["right"] + 0.5
    ]
    assert not outside, f"columns past the table's container: {outside}"
    link_box = link.bounding_box()
    assert link_box is not None
    assert link_box["x"] + link_box["width"] <= boxes["right"] + 0.5
