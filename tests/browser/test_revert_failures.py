"""Removing a finished upload: the page says "removed" only when the record is gone.

A revert the API refuses (the file is already stored, 409 ``AlreadyStored``) or that never
reaches it keeps the item in FilePond, says why, and offers a retry; the "files ready to send"
box follows the uploads without another submit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import Response, Route, expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import REQUEST_TIMEOUT, describe, wait_for_status
from tests.browser.page_watch import PageWatch
from tests.browser.sample_files import pdf_bytes, write_file
from tests.browser.upload_page import UploadPage

REVERT_ERROR_STATE = "processing-revert-error"


def upload_one(upload_page: UploadPage, stack: RunningStack, path: Path) -> str:
    """Upload `path` through the page; return its id once S3's event has recorded it."""
    with upload_page.page.expect_response(
        lambda response: response.url.endswith("/file") and response.request.method == "POST"
    ) as created:
        upload_page.add_files([path])
    file_id = str(created.value.json()["id"])
    upload_page.wait_uploaded([path.name])
    wait_for_status(stack, file_id, "uploaded")
    return file_id


def store(stack: RunningStack, file_id: str) -> None:
    """Mark `file_id` stored with the admin API (PUT /files), as an administrator would."""
    response = requests.put(
        f"{stack.api_url.rstrip('/')}/files",
        json=[file_id],
        headers={"x-api-key": stack.api_key},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text


def is_revert(file_id: str) -> Callable[[Response], bool]:
    """Matches the page's DELETE /file/{file_id} (its revert) answer."""

    def matches(response: Response) -> bool:
        return response.url.endswith(f"/file/{file_id}") and response.request.method == "DELETE"

    return matches


def test_removing_a_file_already_stored_keeps_it_and_says_why(
    upload_page: UploadPage, local_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"status of 409")
    page = upload_page.page
    contract = write_file(tmp_path, "kept-contract.pdf", pdf_bytes("Kept"))
    file_id = upload_one(upload_page, local_stack, contract)
    store(local_stack, file_id)

    with page.expect_response(is_revert(file_id)) as reverted:
        upload_page.revert_button(contract.name).click()
    assert reverted.value.status == 409
    assert reverted.value.json()["code"] == "AlreadyStored"

    upload_page.expect_item(contract.name, REVERT_ERROR_STATE, "Already stored", "click to retry")
    expected = (
        f"{contract.name}: Not removed: this file is already stored. "
        "Ask an administrator to delete it."
    )
    expect(page.locator("#upload-problems")).to_have_text(expected)
    expect(page.locator("#status")).to_have_text(expected)
    expect(page.locator("#status")).not_to_contain_text("removed.")
    assert describe(local_stack, [file_id])[file_id]["status"] == "stored"


def test_removing_while_the_api_is_unreachable_keeps_the_file_and_a_retry_removes_it(
    upload_page: UploadPage, local_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"net::ERR_FAILED")
    page = upload_page.page
    draft = write_file(tmp_path, "offline-draft.pdf", pdf_bytes("Offline draft"))
    file_id = upload_one(upload_page, local_stack, draft)

    cut: list[str] = []

    def unreachable(route: Route) -> None:
        if route.request.method == "DELETE":
            cut.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route(f"**/file/{file_id}", unreachable)
    upload_page.revert_button(draft.name).click()

    upload_page.expect_item(draft.name, REVERT_ERROR_STATE, "Network error", "click to retry")
    expect(page.locator("#upload-problems")).to_have_text(
        f"{draft.name}: Not removed: Network error: the server could not be reached. "
        "Check your connection and try again."
    )
    expect(page.locator("#status")).not_to_contain_text("removed.")
    assert len(cut) == 1
    assert describe(local_stack, [file_id])[file_id]["status"] == "uploaded"

    # Back online, the same button retries the removal, which now goes through.
    page.unroute(f"**/file/{file_id}")
    with page.expect_response(is_revert(file_id)) as reverted:
        upload_page.revert_button(draft.name).click()
    assert reverted.value.status == 200
    expect(page.locator("#status")).to_have_text(f"{draft.name} removed.")
    expect(upload_page.item(draft.name)).to_have_count(0)
    expect(page.locator("#upload-problems")).to_be_hidden()
    wait_for_status(local_stack, file_id, "deleted")


def test_the_files_ready_to_send_box_drops_a_removed_file_at_once(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    page = upload_page.page
    first = write_file(tmp_path, "first-page.pdf", pdf_bytes("First"))
    second = write_file(tmp_path, "second-page.pdf", pdf_bytes("Second"))
    first_id = upload_one(upload_page, local_stack, first)
    second_id = upload_one(upload_page, local_stack, second)
    assert sorted(upload_page.submit()) == sorted([first_id, second_id])

    with page.expect_response(is_revert(first_id)):
        upload_page.revert_button(first.name).click()

    # No second submit: the box and the form's field already left the removed file out.
    expect(page.locator("#submitted-ids code")).to_have_text([second_id])
    expect(page.locator("#submit-heading")).to_have_text("1 file ready to send")
    assert upload_page.hidden_ids() == [second_id]
