"""Store-on-upload mode (StoreOnLoad=True): uploads are stored by the S3 event itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import describe_files, store_files
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import call_api

if TYPE_CHECKING:
    from tests.unit.core.conftest import Files


def test_put_files_is_refused_with_400(store_on_upload_files: Files) -> None:
    created = store_on_upload_files.create()

    response = call_api(store_files, api_event("PUT", "/files", body=[created["id"]]))

    assert response.status == 400
    assert "stored on upload" in response.body["message"]
    assert response.body["code"] == "NotInThisMode"


def test_an_uploaded_file_is_listed_as_stored_with_a_url(store_on_upload_files: Files) -> None:
    created = store_on_upload_files.create("a.txt", 3)
    assert store_on_upload_files.upload(created) == 200
    store_on_upload_files.notify(created["id"])

    [view] = call_api(describe_files, api_event("POST", "/files", body=[created["id"]])).body

    assert view["status"] == "stored"
    assert view["url"]


def test_the_revert_token_works_until_deletion_even_once_stored(
    store_on_upload_files: Files,
) -> None:
    created = store_on_upload_files.create()
    assert store_on_upload_files.upload(created) == 200
    store_on_upload_files.notify(created["id"])

    assert store_on_upload_files.revert_with_token(created) == 200

    assert not store_on_upload_files.object_exists(created["id"])
    item = store_on_upload_files.item(created["id"])
    assert item is not None and "deleted_at" in item
    assert store_on_upload_files.revert_with_token(created) == 200  # idempotent
