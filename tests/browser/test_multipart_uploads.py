"""Large files through the page: checksummed parts in parallel, one progress bar, retries, resume.

The stack (conftest.MULTIPART_PARAMS) sends files of 5 MiB and more in 5 MiB parts, so the
11 MiB file here makes three parts: 5 MiB, 5 MiB and 1 MiB.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import Page, Route, expect

from local_stack.testing.launcher import RunningStack
from tests.browser.filestore_api import REQUEST_TIMEOUT, s3_client, storage_bucket, wait_for_status
from tests.browser.page_watch import PageWatch, watched_tab
from tests.browser.sample_files import random_bytes, write_file
from tests.browser.traffic import (
    CHECKSUM_HEADER,
    MIB,
    PART_SIZE,
    Traffic,
    is_part_put,
    part_checksums,
    part_number,
    record_status_texts,
    saved_uploads,
    status_texts,
    throttle_upload,
)
from tests.browser.upload_page import UPLOAD_TIMEOUT_MS, UploadPage
from tests.helpers.multipart import composite_sha256, sha256_b64, split_parts

LARGE_SIZE = 11 * MIB
# Upload bandwidth for the progress and cancel tests: 11 MiB takes about 5.5 s.
THROTTLED_BYTES_PER_SECOND = 2 * MIB
# A part's five attempts wait 0.5 + 1 + 2 + 4 s at most between them (multipart.js).
GIVE_UP_TIMEOUT_MS = 20_000


def stored_bytes(stack: RunningStack, file_id: str) -> bytes:
    """The object S3 holds for `file_id`."""
    body = s3_client(stack).get_object(Bucket=storage_bucket(stack), Key=file_id)["Body"]
    content: bytes = body.read()
    return content


def open_uploads(stack: RunningStack, file_id: str) -> list[str]:
    """The upload ids of the unfinished multipart uploads S3 keeps for `file_id`."""
    answer = s3_client(stack).list_multipart_uploads(Bucket=storage_bucket(stack), Prefix=file_id)
    return [upload["UploadId"] for upload in answer.get("Uploads", [])]


def is_created(response_url: str, method: str) -> bool:
    return response_url.endswith("/file") and method == "POST"


def test_a_large_file_goes_up_in_checksummed_parts_under_one_progress_bar(
    multipart_page: UploadPage, multipart_stack: RunningStack, tmp_path: Path
) -> None:
    content = random_bytes(LARGE_SIZE, seed=11)
    video = write_file(tmp_path, "site-survey.mp4", content)
    page = multipart_page.page
    traffic = Traffic.of(page)
    throttle_upload(page, THROTTLED_BYTES_PER_SECOND)
    record_status_texts(page)

    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
        multipart_page.add_files([video])
    ticket = created.value.json()
    assert ticket["upload"] == "multipart"
    assert ticket["part_count"] == 3
    assert "url" not in ticket
    # Kept in localStorage while it runs, so a crash or a closed tab can resume it.
    expect(page.locator(".filepond--item")).to_have_count(1)
    assert [saved["id"] for saved in saved_uploads(page)] == [ticket["id"]]
    multipart_page.wait_uploaded([video.name])

    # Each part PUT carries its own SHA-256, as signed by the API from what the page sent.
    expected = part_checksums(content)
    assert traffic.put_part_numbers() == [1, 2, 3]
    for put in traffic.part_puts():
        assert put.headers[CHECKSUM_HEADER] == expected[part_number(put.url) or 0]
    assert sorted((e["number"], e["checksum_sha256"]) for e in traffic.signed_parts()) == sorted(
        expected.items()
    )
    assert len(traffic.api("POST", "/file")) == 1
    assert len(traffic.api("POST", f"/file/{ticket['id']}/complete")) == 1

    # One bar for the whole file: its percentage only ever grows, through many steps.
    percents = [
        int(match.group(1))
        for text in status_texts(page)
        if (match := re.fullmatch(r"Uploading (\d+)%", text))
    ]
    assert len(set(percents)) >= 5, percents
    assert percents == sorted(percents), percents
    assert percents[0] < 50 < percents[-1], percents

    record = wait_for_status(multipart_stack, ticket["id"], "uploaded")
    assert record["size"] == LARGE_SIZE
    assert record["upload"] == "multipart"
    # S3's composite checksum of the part checksums the page computed.
    assert record["checksum_sha256"] == composite_sha256(split_parts(content, PART_SIZE))
    assert stored_bytes(multipart_stack, ticket["id"]) == content
    assert saved_uploads(page) == []  # completed: nothing left to resume
    assert multipart_page.submit() == [ticket["id"]]


def test_a_part_that_fails_is_signed_again_and_retried(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"net::ERR_FAILED")
    content = random_bytes(LARGE_SIZE, seed=12)
    archive = write_file(tmp_path, "backup.zip", content)
    page = multipart_page.page
    traffic = Traffic.of(page)
    cut: list[str] = []

    def fail_part_two_once(route: Route) -> None:
        if part_number(route.request.url) == 2 and not cut:
            cut.append(route.request.url)
            route.abort()  # the network drops this one PUT
        else:
            route.continue_()

    page.route(is_part_put(multipart_stack.s3_url), fail_part_two_once)
    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
        multipart_page.add_files([archive])
    file_id = created.value.json()["id"]
    multipart_page.wait_uploaded([archive.name])

    assert len(cut) == 1
    assert traffic.put_part_numbers() == [1, 2, 2, 3]  # part 2 twice, the others once
    # The retry asked for a fresh link (a retry never holds an expired one).
    assert sorted(entry["number"] for entry in traffic.signed_parts()) == [1, 2, 2, 3]
    expect(page.locator("#upload-problems")).to_be_hidden()
    wait_for_status(multipart_stack, file_id, "uploaded")
    assert stored_bytes(multipart_stack, file_id) == content


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
    with tab.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
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
    with tab.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
        again.add_files([drawing])
    new_id = created.value.json()["id"]
    again.wait_uploaded([drawing.name])

    assert len(traffic.api("GET", f"/file/{old_id}/parts")) == 1
    assert traffic.put_part_numbers() == [1, 2, 3]
    wait_for_status(multipart_stack, new_id, "uploaded")
    assert stored_bytes(multipart_stack, new_id) == content
    assert saved_uploads(tab) == []


def test_cancelling_a_large_upload_cuts_its_parts_and_aborts_it(
    multipart_page: UploadPage, multipart_stack: RunningStack, tmp_path: Path
) -> None:
    content = random_bytes(LARGE_SIZE, seed=17)
    raw = write_file(tmp_path, "raw-footage.mov", content)
    page = multipart_page.page
    throttle_upload(page, THROTTLED_BYTES_PER_SECOND)
    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
        multipart_page.add_files([raw])
    file_id = created.value.json()["id"]
    expect(multipart_page.item(raw.name).locator(".filepond--file-status-main")).to_have_text(
        re.compile(r"^Uploading ([1-8]\d|[1-9])%$")
    )

    cut: list[str] = []
    page.on("requestfailed", lambda request: cut.append(request.url))
    multipart_page.item(raw.name).get_by_role("button", name="Cancel").click()
    expect(multipart_page.item_state(raw.name)).to_have_attribute(
        "data-filepond-item-state", "cancelled"
    )

    wait_for_status(multipart_stack, file_id, "deleted")
    assert [url for url in cut if part_number(url) is not None], cut  # parts cut in flight
    assert open_uploads(multipart_stack, file_id) == []  # the multipart upload is aborted
    assert saved_uploads(page) == []


def test_a_small_file_is_sent_with_its_checksum_signed(
    multipart_page: UploadPage, multipart_stack: RunningStack, tmp_path: Path
) -> None:
    content = random_bytes(MIB, seed=18)
    scan = write_file(tmp_path, "scan.pdf", content)
    page = multipart_page.page
    traffic = Traffic.of(page)
    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
        multipart_page.add_files([scan])
    ticket = created.value.json()
    multipart_page.wait_uploaded([scan.name])

    checksum = part_checksums(content)[1]
    assert ticket["upload"] == "single"
    body = created.value.request.post_data_json
    assert isinstance(body, dict)
    assert body["checksum_sha256"] == checksum
    (put,) = [r for r in traffic.requests if r.method == "PUT"]
    assert put.headers[CHECKSUM_HEADER] == checksum
    assert saved_uploads(page) == []  # small uploads keep their token in memory only
    record = wait_for_status(multipart_stack, ticket["id"], "uploaded")
    assert record["checksum_sha256"] == checksum
    assert record["upload"] == "single"


def test_bytes_that_differ_from_the_signed_checksum_are_refused_by_storage(
    multipart_page: UploadPage, multipart_stack: RunningStack, watch: PageWatch, tmp_path: Path
) -> None:
    watch.allow(r"status of 400")
    scan = write_file(tmp_path, "damaged.pdf", random_bytes(MIB, seed=19))
    page = multipart_page.page

    def announce_other_bytes(route: Route) -> None:
        # As if the bytes changed after hashing: the API signs a checksum the PUT cannot match.
        body = route.request.post_data_json
        assert isinstance(body, dict)
        body["checksum_sha256"] = sha256_b64(b"other bytes")
        route.continue_(post_data=json.dumps(body))

    page.route("**/file", announce_other_bytes)
    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
        multipart_page.add_files([scan])
    file_id = created.value.json()["id"]

    multipart_page.expect_item(scan.name, "processing-error", "Checksum mismatch")
    expect(page.locator("#upload-problems")).to_contain_text(
        "Storage refused the file: its bytes do not match the checksum"
    )
    wait_for_status(multipart_stack, file_id, "deleted")  # the page reverts what it could not fill


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
    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
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
    with page.expect_response(lambda r: is_created(r.url, r.request.method)) as created:
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
