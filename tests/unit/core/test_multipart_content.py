"""The content check on multipart uploads: POST /file/{id}/complete and its S3 event."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from filestore.service import FileService
from tests.helpers import signatures
from tests.helpers.multipart import file_bytes
from tests.unit.core.test_content_check import status
from tests.unit.core.test_multipart import (
    MIB,
    SIZE,
    complete,
    complete_behind_the_api,
    post_file,
    send_parts,
)

if TYPE_CHECKING:
    from tests.unit.core.conftest import Aws, Files

HTML_AS_PNG = "content is text/html, not image/png"


def images_only(make_service: Callable[..., FileService], **extra: str) -> FileService:
    return make_service(MAX_FILE_SIZE=str(64 * MIB), ALLOWED_TYPES="image/*", **extra)


def sent(head: bytes, *, name: str = "big.png") -> dict[str, Any]:
    """A three-part image/png upload whose bytes start with ``head``, every part sent."""
    data = head + file_bytes(SIZE - len(head))
    created = post_file({"name": name, "size": SIZE, "type": "image/png"}).body
    assert created["upload"] == "multipart"
    assert send_parts(created, data, [1, 2, 3]) == [200, 200, 200]
    return created


def test_complete_refuses_html_declared_png_removes_it_and_says_why(
    make_service: Callable[..., FileService], files: Files
) -> None:
    images_only(make_service)
    created = sent(signatures.html())

    response = complete(created)

    assert response.status == 200
    assert response.body == {"id": created["id"], "status": "deleted", "rejected": HTML_AS_PNG}
    assert not files.object_exists(created["id"])
    assert status(created).body == {
        "id": created["id"],
        "status": "deleted",
        "rejected": HTML_AS_PNG,
    }
    item = files.item(created["id"])
    assert item is not None and "stored_at" not in item and "expire_at" not in item


def test_completing_a_refused_upload_again_answers_the_same(
    make_service: Callable[..., FileService], files: Files
) -> None:
    images_only(make_service)
    created = sent(signatures.html())
    first = complete(created)

    again = complete(created)

    assert again.status == 200
    assert again.body == first.body
    # The CompleteMultipartUpload event arriving after the refusal finds nothing to record.
    assert files.notify(created["id"]) == ["gone"]


def test_in_store_on_upload_mode_a_refused_multipart_file_is_never_stored(
    make_service: Callable[..., FileService], files: Files
) -> None:
    images_only(make_service, STORE_ON_UPLOAD="True")
    created = sent(signatures.pe())

    response = complete(created)

    assert response.body == {
        "id": created["id"],
        "status": "deleted",
        "rejected": "content is application/x-msdownload, not image/png",
    }
    item = files.item(created["id"])
    assert item is not None and "stored_at" not in item and "deleted_at" in item
    assert not files.object_exists(created["id"])


def test_in_store_on_upload_mode_complete_reads_the_head_before_it_stores_a_real_png(
    make_service: Callable[..., FileService], files: Files, aws: Aws
) -> None:
    images_only(make_service, STORE_ON_UPLOAD="True")
    created = sent(signatures.png())
    ranges: list[str] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        ranges.append(params["headers"].get("Range", ""))

    aws.s3.meta.events.register("before-call.s3.GetObject", remember)
    try:
        response = complete(created)
    finally:
        aws.s3.meta.events.unregister("before-call.s3.GetObject", remember)

    assert response.body == {"id": created["id"], "status": "stored", "rejected": None}
    assert ranges == ["bytes=0-8191"]
    assert files.object_exists(created["id"])


def test_the_complete_event_refusing_first_makes_complete_answer_the_refusal(
    make_service: Callable[..., FileService], files: Files, aws: Aws
) -> None:
    images_only(make_service)
    created = sent(signatures.html())
    complete_behind_the_api(aws, files, created["id"])

    assert files.notify(created["id"]) == ["rejected"]  # s3:ObjectCreated:CompleteMultipartUpload
    response = complete(created)

    assert response.status == 200
    assert response.body == {"id": created["id"], "status": "deleted", "rejected": HTML_AS_PNG}


def test_a_refused_single_upload_is_still_no_multipart_upload_to_complete(
    make_service: Callable[..., FileService], files: Files
) -> None:
    images_only(make_service)
    created = files.create("photo.png", len(signatures.html()), type="image/png")
    assert files.upload(created, signatures.html()) == 200
    assert files.notify(created["id"]) == ["rejected"]

    response = complete(created)

    assert response.status == 409
    assert response.body["code"] == "FileDeleted"
