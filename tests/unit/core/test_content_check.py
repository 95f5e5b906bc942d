"""The content check in the upload flows: S3 event, PUT /files' fallback, GET /file/{id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from filestore.content import HEAD_BYTES
from filestore.service import FileService
from handlers import describe_files, revert_file, store_files
from local_stack.testing.event_builders import api_event
from tests.helpers import signatures
from tests.helpers.aws import ApiResponse, call_api

if TYPE_CHECKING:
    from tests.unit.core.conftest import Aws, Files

IMAGES_ONLY = {"ALLOWED_TYPES": "image/*"}


@pytest.fixture
def image_service(make_service: Callable[..., FileService]) -> FileService:
    return make_service(**IMAGES_ONLY)


def upload(files: Files, name: str, content: bytes, mime_type: str) -> dict[str, Any]:
    created = files.create(name, len(content), type=mime_type)
    assert files.upload(created, content) == 200
    return created


def describe(file_id: str) -> dict[str, Any]:
    response = call_api(
        describe_files,
        api_event("POST", "/files", body=[file_id], query={"deleted": "yes", "nonstored": "yes"}),
    )
    assert response.status == 200, response.body
    [view] = response.body
    return dict(view)


def status(created: dict[str, Any], token: str | None = None) -> ApiResponse:
    event = api_event(
        "GET",
        "/file/{id}",
        path_parameters={"id": created["id"]},
        headers={"X-Revert-Token": token or created["revert_token"]},
    )
    return call_api(revert_file, event)


def test_html_declared_png_is_rejected_removed_and_says_why(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "photo.png", signatures.html(), "image/png")

    assert files.notify(created["id"]) == ["rejected"]

    assert not files.object_exists(created["id"])
    view = describe(created["id"])
    assert view["status"] == "deleted"
    assert view["rejected"] == "content is text/html, not image/png"
    assert view["uploaded_at"] == view["deleted_at"]
    assert view["url"] is None
    item = files.item(created["id"])
    assert item is not None and "expire_at" not in item  # the deletion is finished


def test_a_real_png_is_kept_and_has_no_rejection(files: Files, image_service: FileService) -> None:
    created = upload(files, "photo.png", signatures.png(), "image/png")

    assert files.notify(created["id"]) == ["recorded"]

    assert files.object_exists(created["id"])
    view = describe(created["id"])
    assert view["status"] == "uploaded"
    assert view["rejected"] is None


def test_an_executable_declared_as_an_image_is_rejected(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "cat.gif", signatures.pe(), "image/gif")

    assert files.notify(created["id"]) == ["rejected"]

    assert describe(created["id"])["rejected"] == (
        "content is application/x-msdownload, not image/gif"
    )


def test_with_every_type_allowed_the_bytes_are_never_read(
    files: Files, service: FileService, aws: Aws
) -> None:
    reads: list[dict[str, Any]] = []
    aws.s3.meta.events.register(
        "before-call.s3.GetObject", lambda params, **_: reads.append(params)
    )
    try:
        created = upload(files, "photo.png", signatures.html(), "image/png")
        assert files.notify(created["id"]) == ["recorded"]
    finally:
        aws.s3.meta.events.unregister("before-call.s3.GetObject")

    assert reads == []


def test_the_check_reads_only_the_first_bytes_with_one_ranged_get(
    files: Files, image_service: FileService, aws: Aws
) -> None:
    ranges: list[str] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        ranges.append(params["headers"].get("Range", ""))

    aws.s3.meta.events.register("before-call.s3.GetObject", remember)
    try:
        created = upload(files, "big.png", signatures.png() + bytes(100_000), "image/png")
        assert files.notify(created["id"]) == ["recorded"]
    finally:
        aws.s3.meta.events.unregister("before-call.s3.GetObject", remember)

    assert ranges == [f"bytes=0-{HEAD_BYTES - 1}"]


def test_a_store_before_the_event_checks_the_content_first(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "photo.png", signatures.html(), "image/png")

    response = call_api(store_files, api_event("PUT", "/files", body=[created["id"]]))

    assert response.body == {"result": [], "problems": {created["id"]: "rejected"}}
    assert not files.object_exists(created["id"])
    assert describe(created["id"])["rejected"] == "content is text/html, not image/png"
    # The event, arriving late, finds nothing left to record.
    assert files.notify(created["id"]) == ["gone"]
    assert describe(created["id"])["status"] == "deleted"


def test_a_store_that_loses_the_race_to_the_events_rejection_reports_it_rejected(
    files: Files, image_service: FileService, aws: Aws
) -> None:
    created = upload(files, "photo.png", signatures.html(), "image/png")
    raced: list[str] = []

    def event_first(**_: Any) -> None:  # the event runs between the store's HeadObject and GET
        if not raced:
            raced.append("event")  # before the event's own GET comes through here
            raced.extend(files.notify(created["id"]))

    aws.s3.meta.events.register("before-call.s3.GetObject", event_first)
    try:
        response = call_api(store_files, api_event("PUT", "/files", body=[created["id"]]))
    finally:
        aws.s3.meta.events.unregister("before-call.s3.GetObject", event_first)

    assert raced == ["event", "rejected"]
    assert response.body == {"result": [], "problems": {created["id"]: "rejected"}}


def test_storing_a_file_the_event_rejected_reports_it_rejected(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "photo.png", signatures.zeros(), "image/png")
    assert files.notify(created["id"]) == ["rejected"]

    response = call_api(store_files, api_event("PUT", "/files", body=[created["id"]]))

    assert response.body == {"result": [], "problems": {created["id"]: "rejected"}}


def test_a_store_before_the_event_keeps_a_file_that_passes(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "photo.png", signatures.png(), "image/png")

    response = call_api(store_files, api_event("PUT", "/files", body=[created["id"]]))

    assert response.body == {"result": [created["id"]], "problems": {}}
    assert files.notify(created["id"]) == ["duplicate"]


def test_store_on_upload_never_stores_a_rejected_file(
    files: Files, make_service: Callable[..., FileService]
) -> None:
    make_service(STORE_ON_UPLOAD="True", **IMAGES_ONLY)
    created = upload(files, "photo.png", signatures.svg(script=True), "image/svg+xml")

    assert files.notify(created["id"]) == ["rejected"]

    view = describe(created["id"])
    assert view["stored_at"] is None
    assert view["rejected"] == "content is image/svg+xml with a script"


def test_a_repeated_event_after_a_rejection_changes_nothing(
    files: Files, image_service: FileService, aws: Aws
) -> None:
    created = upload(files, "photo.png", signatures.html(), "image/png")
    assert files.notify(created["id"]) == ["rejected"]
    before = files.item(created["id"])

    assert files.notify(created["id"]) == ["gone"]

    assert files.item(created["id"]) == before


def test_an_interrupted_rejection_is_finished_by_the_events_retry(
    files: Files, image_service: FileService, aws: Aws
) -> None:
    created = upload(files, "photo.png", signatures.html(), "image/png")

    def fail(**_: Any) -> None:
        raise ConnectionError("S3 went away")

    aws.s3.meta.events.register("before-call.s3.DeleteObject", fail)
    try:
        with pytest.raises(ConnectionError):
            files.notify(created["id"])
    finally:
        aws.s3.meta.events.unregister("before-call.s3.DeleteObject", fail)
    assert describe(created["id"])["rejected"] is not None  # the record was written first
    assert files.object_exists(created["id"])

    assert files.notify(created["id"]) == ["removed"]

    assert not files.object_exists(created["id"])


def test_the_uploader_reads_its_files_status_and_rejection_with_its_token(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "photo.png", signatures.html(), "image/png")
    assert status(created).body == {"id": created["id"], "status": "pending", "rejected": None}
    files.notify(created["id"])

    response = status(created)

    assert response.status == 200
    assert response.body == {
        "id": created["id"],
        "status": "deleted",
        "rejected": "content is text/html, not image/png",
    }


def test_a_status_read_with_a_wrong_token_is_forbidden(
    files: Files, image_service: FileService
) -> None:
    created = upload(files, "photo.png", signatures.png(), "image/png")

    response = status(created, token="not-the-token")

    assert response.status == 403
    assert response.body["code"] == "InvalidRevertToken"
