"""Failed uploads say what went wrong: a short status in FilePond, the full sentence below it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Route, expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import object_exists, wait_for_status
from tests.browser.page_watch import PageWatch
from tests.browser.sample_files import pdf_bytes, write_file
from tests.browser.upload_page import UploadPage


def test_a_network_failure_during_the_put_is_explained_and_reverted(
    upload_page: UploadPage, local_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    page = upload_page.page
    watch.allow(r"net::ERR_FAILED")
    page.route(lambda url: url.startswith(local_stack.s3_url), lambda route: route.abort())
    report = write_file(tmp_path, "offline-report.pdf", pdf_bytes("Offline"))
    with page.expect_response(
        lambda response: response.url.endswith("/file") and response.request.method == "POST"
    ) as created:
        upload_page.add_files([report])
    file_id = created.value.json()["id"]

    upload_page.expect_item(report.name, "processing-error")
    expect(upload_page.item(report.name)).to_contain_text("Network error")
    expect(page.locator("#upload-problems")).to_have_text(
        f"{report.name}: Network error: the upload to storage failed. "
        "Check your connection and try again."
    )
    # The adapter reverts the record the failed PUT left pending.
    wait_for_status(local_stack, file_id, "deleted")
    assert not object_exists(local_stack, file_id)


def test_a_retry_after_a_failure_uploads_and_clears_the_problem(
    upload_page: UploadPage, local_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    page = upload_page.page
    watch.allow(r"net::ERR_FAILED")

    failed: list[str] = []

    def fail_once(route: Route) -> None:
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.abort()

    page.route(lambda url: url.startswith(local_stack.s3_url), fail_once)
    report = write_file(tmp_path, "flaky.pdf", pdf_bytes("Flaky"))
    upload_page.add_files([report])
    expect(page.locator("#upload-problems")).to_be_visible()

    upload_page.item(report.name).get_by_role("button", name="Retry").click()
    upload_page.wait_uploaded([report.name])
    expect(page.locator("#upload-problems")).to_be_hidden()
    assert len(upload_page.submit()) == 1


def test_a_type_the_api_refuses_is_explained(limited_page: UploadPage, watch: PageWatch) -> None:
    # The page refuses such a file itself; with its check turned off, the API's check answers.
    watch.allow(r"status of 400")
    limited_page.add_made_file("notes.txt", "text/plain", text="plain text", page_type_check=False)
    limited_page.expect_item("notes.txt", "processing-error", "Type not allowed")
    expect(limited_page.page.locator("#upload-problems")).to_contain_text(
        "notes.txt: Type 'text/plain' is not allowed"
    )


def test_an_empty_file_is_refused_before_any_request(
    upload_page: UploadPage, watch: PageWatch, tmp_path: Path
) -> None:
    empty = write_file(tmp_path, "empty.pdf", b"")
    upload_page.add_files([empty])
    upload_page.expect_item(empty.name, "load-invalid")
    expect(upload_page.item(empty.name)).to_contain_text("File is empty")
    assert [r for r in watch.requests if r.startswith("PUT ") or r.endswith("/file")] == []
