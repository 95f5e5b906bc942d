"""Resuming large uploads: after a closed tab, a failure or a change, only what S3 lacks is sent.

The page keeps an unfinished multipart upload in localStorage; adding the same file again (same
name, size and date) checks what S3 holds (GET /file/{id}/parts) against the local file. The
stack is conftest.MULTIPART_PARAMS: the 11 MiB files here make three parts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import Page, Route, expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import (
    REQUEST_TIMEOUT,
    open_uploads,
    s3_client,
    storage_bucket,
    stored_bytes,
    wait_for_status,
)
from tests.browser.page_watch import PageWatch, watched_tab
from tests.browser.sample_files import random_bytes, write_file
from tests.browser.traffic import (
    GIVE_UP_TIMEOUT_MS,
    LARGE_SIZE,
    MIB,
    Traffic,
    is_created,
    is_part_put,
    part_number,
    saved_uploads,
)
from tests.browser.upload_page import UPLOAD_TIMEOUT_MS, UploadPage


def start_and_close_midway(
    upload_page: UploadPage, stack: RunningStack, watch: PageWatch, path: Path
) -> tuple[str, str]:
    """Add `path` and close the tab once parts 1 and 2 are in S3 while part 3 keeps failing
    (every attempt cut, as by a dropped connection): the id and revert token the page saved in
    localStorage. Part 3 is cut rather than held: a request held in flight may still be let
    through while the tab closes."""
    watch.allow(r"net::ERR_FAILED")
    page = upload_page.page
    finished: list[int | None] = []
    page.on("requestfinished", lambda request: finished.append(part_number(request.url)))
    cut: list[str] = []

    def cut_part_three(route: Route) -> None:
        if part_number(route.request.url) == 3:
            cut.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route(is_part_put(stack.s3_url), cut_part_three)
    upload_page.add_files([path])
    deadline = time.monotonic() + UPLOAD_TIMEOUT_MS / 1000
    while True:
        parts = sorted(n for n in finished if n is not None)
        if (parts == [1, 2] and cut) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(50)
    assert parts == [1, 2] and cut, f"parts finished: {parts}, part 3 cut: {len(cut)}"
    (saved,) = saved_uploads(page)
    page.close()  # mid-upload: part 3 never reached S3
    return saved["id"], saved["revert_token"]


def test_a_tab_closed_midway_resumes_in_a_new_tab_sending_only_the_missing_part(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    content = random_bytes(LARGE_SIZE, seed=13)
    film = write_file(tmp_path, "interview-take-2.mp4", content)
    file_id, _ = start_and_close_midway(multipart_page, multipart_stack, watch, film)
    bucket = storage_bucket(multipart_stack)
    (upload_id,) = open_uploads(multipart_stack, file_id)
    in_s3 = s3_client(multipart_stack).list_parts(Bucket=bucket, Key=file_id, UploadId=upload_id)
    assert [part["PartNumber"] for part in in_s3["Parts"]] == [1, 2]

    # The same browser (same localStorage), a new tab, the same file added again.
    tab = watched_tab(multipart_page.page.context, watch)
    traffic = Traffic.of(tab)
    again = UploadPage(tab, multipart_stack.web_url).open()
    again.add_files([film])
    again.wait_uploaded([film.name])

    assert traffic.api("POST", "/file") == []  # no new upload: the saved one continued
    assert len(traffic.api("GET", f"/file/{file_id}/parts")) == 1
    assert traffic.put_part_numbers() == [3]  # only the part S3 lacked
    assert [entry["number"] for entry in traffic.signed_parts()] == [3]
    assert len(traffic.api("POST", f"/file/{file_id}/complete")) == 1
    assert again.submit() == [file_id]
    record = wait_for_status(multipart_stack, file_id, "uploaded")
    assert record["size"] == LARGE_SIZE
    assert stored_bytes(multipart_stack, file_id) == content
    assert saved_uploads(tab) == []


def test_a_saved_upload_whose_parts_are_not_this_file_starts_again_cleanly(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    first = random_bytes(LARGE_SIZE, seed=14)
    report = write_file(tmp_path, "annual-report.pdf", first)
    old_id, _ = start_and_close_midway(multipart_page, multipart_stack, watch, report)

    # Another file under the same name, size and date: its first part differs.
    stat = report.stat()
    second = random_bytes(5 * MIB, seed=15) + first[5 * MIB :]
    report.write_bytes(second)
    os.utime(report, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    tab = watched_tab(multipart_page.page.context, watch)
    traffic = Traffic.of(tab)
    again = UploadPage(tab, multipart_stack.web_url).open()
    with tab.expect_response(is_created) as created:
        again.add_files([report])
    new_id = created.value.json()["id"]
    again.wait_uploaded([report.name])

    assert len(traffic.api("GET", f"/file/{old_id}/parts")) == 1
    assert len(traffic.api("DELETE", f"/file/{old_id}")) == 1  # the old upload is aborted...
    assert new_id != old_id
    assert traffic.put_part_numbers() == [1, 2, 3]  # ...and the new one sends every part
    wait_for_status(multipart_stack, old_id, "deleted")
    assert open_uploads(multipart_stack, old_id) == []
    wait_for_status(multipart_stack, new_id, "uploaded")
    assert stored_bytes(multipart_stack, new_id) == second


def test_a_saved_upload_that_was_reverted_meanwhile_starts_a_new_one(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"status of (404|409)")
    content = random_bytes(LARGE_SIZE, seed=16)
    drawing = write_file(tmp_path, "floor-plan.pdf", content)
    old_id, token = start_and_close_midway(multipart_page, multipart_stack, watch, drawing)
    gone = requests.delete(
        f"{multipart_stack.api_url}/file/{old_id}",
        headers={"X-Revert-Token": token},
        timeout=REQUEST_TIMEOUT,
    )
    assert gone.status_code == 200, gone.text

    tab = watched_tab(multipart_page.page.context, watch)
    traffic = Traffic.of(tab)
    again = UploadPage(tab, multipart_stack.web_url).open()
    with tab.expect_response(is_created) as created:
        again.add_files([drawing])
    new_id = created.value.json()["id"]
    again.wait_uploaded([drawing.name])

    assert len(traffic.api("GET", f"/file/{old_id}/parts")) == 1
    assert traffic.put_part_numbers() == [1, 2, 3]
    wait_for_status(multipart_stack, new_id, "uploaded")
    assert stored_bytes(multipart_stack, new_id) == content
    assert saved_uploads(tab) == []


def fail_part_two_until_released(
    page: Page, stack: RunningStack
) -> tuple[list[str], Callable[[], None]]:
    """Cut every PUT of part 2 (the network keeps dropping it): the URLs cut so far, and the
    function that lets the next ones through."""
    cut: list[str] = []
    matcher = is_part_put(stack.s3_url)

    def drop_part_two(route: Route) -> None:
        if part_number(route.request.url) == 2:
            cut.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route(matcher, drop_part_two)
    return cut, lambda: page.unroute(matcher, drop_part_two)


def test_a_large_upload_that_keeps_failing_is_kept_and_its_retry_sends_only_what_is_missing(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"net::ERR_FAILED")
    content = random_bytes(LARGE_SIZE, seed=20)
    dataset = write_file(tmp_path, "measurements.zip", content)
    page = multipart_page.page
    traffic = Traffic.of(page)
    cut, release = fail_part_two_until_released(page, multipart_stack)
    with page.expect_response(is_created) as created:
        multipart_page.add_files([dataset])
    file_id = created.value.json()["id"]

    multipart_page.expect_item(
        dataset.name, "processing-error", "Network error", timeout=GIVE_UP_TIMEOUT_MS
    )
    expect(page.locator("#upload-problems")).to_contain_text(
        "The parts already sent are kept: retrying continues from there."
    )
    assert len(cut) == 5  # every attempt the page allows a part, then it gave up
    assert [saved["id"] for saved in saved_uploads(page)] == [file_id]
    sent_before_retry = len(traffic.requests)

    release()
    multipart_page.item(dataset.name).get_by_role("button", name="Retry").click()
    multipart_page.wait_uploaded([dataset.name])

    retry = Traffic(traffic.requests[sent_before_retry:])
    assert retry.api("POST", "/file") == []  # the same upload continued
    assert retry.put_part_numbers() == [2]  # parts 1 and 3 were in S3 already
    expect(page.locator("#upload-problems")).to_be_hidden()
    wait_for_status(multipart_stack, file_id, "uploaded")
    assert stored_bytes(multipart_stack, file_id) == content
    assert saved_uploads(page) == []


def test_removing_a_failed_large_upload_aborts_it(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"net::ERR_FAILED")
    abandoned = write_file(tmp_path, "abandoned.zip", random_bytes(LARGE_SIZE, seed=21))
    page = multipart_page.page
    fail_part_two_until_released(page, multipart_stack)  # never released
    with page.expect_response(is_created) as created:
        multipart_page.add_files([abandoned])
    file_id = created.value.json()["id"]
    multipart_page.expect_item(
        abandoned.name, "processing-error", "Network error", timeout=GIVE_UP_TIMEOUT_MS
    )
    assert open_uploads(multipart_stack, file_id) != []  # kept for a retry...

    with page.expect_response(
        lambda r: r.url.endswith(f"/file/{file_id}") and r.request.method == "DELETE"
    ) as reverted:
        multipart_page.item(abandoned.name).get_by_role("button", name="Remove").click()
    assert reverted.value.status == 200

    wait_for_status(multipart_stack, file_id, "deleted")  # ...until its item is removed
    assert open_uploads(multipart_stack, file_id) == []
    assert saved_uploads(page) == []
