"""Uploads through the page into the local stack: complete, cancelled midway, reverted."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import object_exists, wait_for_status
from tests.browser.sample_files import pdf_bytes, png_bytes, random_bytes, write_file
from tests.browser.upload_page import UploadPage

REPO_ROOT = Path(__file__).resolve().parents[2]
# The README's picture of the page is rewritten only on request (FILESTORE_SCREENSHOT=1); every
# other run leaves its screenshot with the test artifacts (git-ignored).
README_SCREENSHOT = REPO_ROOT / "docs" / "screenshot.png"
ARTIFACT_SCREENSHOT = Path(__file__).resolve().parent / "artifacts" / "screenshot.png"


def screenshot_path() -> Path:
    """Where this run's picture of the page goes."""
    requested = os.environ.get("FILESTORE_SCREENSHOT", "") == "1"
    return README_SCREENSHOT if requested else ARTIFACT_SCREENSHOT


# Upload bandwidth for the cancel test: a 3 MB file takes about 12 s, time enough to cancel.
THROTTLED_UPLOAD_BYTES_PER_SECOND = 256 * 1024


def test_two_files_upload_and_the_api_records_their_size_and_type(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    image = write_file(tmp_path, "harbour-at-dusk.png", png_bytes())
    document = write_file(tmp_path, "quarterly-report.pdf", pdf_bytes())
    expect(upload_page.page.locator("#mode-note")).to_contain_text("kept only once they are stored")

    upload_page.add_files([image, document])
    upload_page.wait_uploaded([image.name, document.name])
    ids = upload_page.submit()

    assert len(ids) == 2
    assert upload_page.hidden_ids() == ids
    # S3's ObjectCreated event records the upload (size and type as S3 saw them) asynchronously.
    records = [wait_for_status(local_stack, file_id, "uploaded") for file_id in ids]
    by_name = {record["name"]: record for record in records}
    assert by_name.keys() == {image.name, document.name}
    assert by_name[image.name]["size"] == image.stat().st_size
    assert by_name[image.name]["type"] == "image/png"
    assert by_name[document.name]["size"] == document.stat().st_size
    assert by_name[document.name]["type"] == "application/pdf"
    for record in records:
        assert object_exists(local_stack, record["id"])

    # The README's picture of the page: both uploads finished and the form submitted.
    upload_page.page.mouse.move(0, 0)
    upload_page.page.wait_for_timeout(600)  # let FilePond's completion animation settle
    screenshot = screenshot_path()
    screenshot.parent.mkdir(exist_ok=True)
    upload_page.page.screenshot(path=str(screenshot), full_page=True)


def test_cancelling_an_upload_midway_leaves_no_object_and_a_deleted_record(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    big = write_file(tmp_path, "raw-footage.pdf", random_bytes(3 * 1024 * 1024))
    page = upload_page.page
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": THROTTLED_UPLOAD_BYTES_PER_SECOND,
        },
    )
    with page.expect_response(
        lambda response: response.url.endswith("/file") and response.request.method == "POST"
    ) as created:
        upload_page.add_files([big])
    file_id = created.value.json()["id"]

    # Midway: the PUT has started and reported some progress, but not all of it.
    expect(upload_page.item(big.name).locator(".filepond--file-status-main")).to_have_text(
        re.compile(r"^Uploading ([1-8]\d|[1-9])%$")
    )
    with page.expect_event("requestfailed", lambda request: request.method == "PUT") as cut:
        upload_page.item(big.name).get_by_role("button", name="Cancel").click()
    assert file_id in cut.value.url  # the PUT to S3 was cut off in flight
    expect(upload_page.item_state(big.name)).to_have_attribute(
        "data-filepond-item-state", "cancelled"
    )

    record = wait_for_status(local_stack, file_id, "deleted")
    assert record["uploaded_at"] is None
    assert not object_exists(local_stack, file_id)


def test_reverting_a_finished_upload_removes_the_object_and_marks_the_record_deleted(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    image = write_file(tmp_path, "wrong-photo.png", png_bytes(64, 48))
    page = upload_page.page
    with page.expect_response(
        lambda response: response.url.endswith("/file") and response.request.method == "POST"
    ) as created:
        upload_page.add_files([image])
    file_id = created.value.json()["id"]
    upload_page.wait_uploaded([image.name])
    assert object_exists(local_stack, file_id)

    with page.expect_response(
        lambda response: (
            response.url.endswith(f"/file/{file_id}") and response.request.method == "DELETE"
        )
    ) as reverted:
        upload_page.item(image.name).get_by_role("button", name="Remove").click()
    assert reverted.value.status == 200
    assert reverted.value.request.headers.get("x-revert-token")

    record = wait_for_status(local_stack, file_id, "deleted")
    assert record["deleted_at"] is not None
    assert not object_exists(local_stack, file_id)
    assert upload_page.submit() == []


def hold_creations(page: Page) -> list[Route]:
    """Hold every POST /file until the test lets it go (route.continue_()); the held routes."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/file", hold)
    return held


def wait_held(page: Page, held: list[Route]) -> Route:
    for _ in range(100):
        if held:
            return held[0]
        page.wait_for_timeout(100)
    raise AssertionError("the page sent no POST /file")


def test_cancelling_during_the_post_reverts_the_record_it_creates(
    upload_page: UploadPage, local_stack: RunningStack, tmp_path: Path
) -> None:
    page = upload_page.page
    puts: list[str] = []
    page.on(
        "request", lambda request: puts.append(request.url) if request.method == "PUT" else None
    )
    held = hold_creations(page)
    document = write_file(tmp_path, "second-thoughts.pdf", pdf_bytes("Second thoughts"))
    upload_page.add_files([document])
    post = wait_held(page, held)

    upload_page.item(document.name).get_by_role("button", name="Cancel").click()
    with page.expect_response(lambda response: response.request.method == "POST") as created:
        post.continue_()  # the answer arrives within the grace the adapter gives it
    file_id = created.value.json()["id"]

    record = wait_for_status(local_stack, file_id, "deleted")
    assert record["uploaded_at"] is None
    assert not puts  # no upload to S3 followed the cancelled POST


def test_cancelling_a_post_that_does_not_answer_cuts_it_off(
    upload_page: UploadPage, tmp_path: Path
) -> None:
    page = upload_page.page
    held = hold_creations(page)
    document = write_file(tmp_path, "stuck.pdf", pdf_bytes("Stuck"))
    upload_page.add_files([document])
    wait_held(page, held)

    with page.expect_event(
        "requestfailed", lambda request: request.method == "POST", timeout=10_000
    ) as cut:
        upload_page.item(document.name).get_by_role("button", name="Cancel").click()
    assert cut.value.url.endswith("/file")  # abort cancels the POST too, not only the PUT
