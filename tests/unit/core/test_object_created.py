"""The s3:ObjectCreated handler: encoded keys, duplicates, orphans and deleted records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from handlers import object_created
from local_stack.testing.event_builders import s3_object_created_event
from local_stack.testing.lambda_context import lambda_context

if TYPE_CHECKING:
    from tests.unit.core.conftest import FakeClock, Files

BUCKET = "filestore-test-storage"


def test_upload_event_records_size_and_type_from_s3(files: Files, aws: Any) -> None:
    created = files.create("photo.png", 4)
    # S3's view (HeadObject) replaces the declared size and type.
    aws.s3.put_object(Bucket=BUCKET, Key=created["id"], Body=b"12345678", ContentType="image/webp")

    assert files.notify(created["id"]) == ["recorded"]

    item = files.item(created["id"])
    assert item is not None
    assert item["uploaded_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert item["size"] == {"N": "8"}
    assert item["type"] == {"S": "image/webp"}
    assert "stored_at" not in item
    assert "expire_at" in item  # still expiring until stored


def test_duplicate_events_change_nothing(files: Files, clock: FakeClock) -> None:
    created = files.create()
    assert files.upload(created) == 200
    assert files.notify(created["id"], created["id"]) == ["recorded", "duplicate"]
    before = files.item(created["id"])
    clock.advance(120)

    assert files.notify(created["id"]) == ["duplicate"]

    assert files.item(created["id"]) == before


@pytest.mark.parametrize(
    "key",
    ["a b+c.txt", "100%2B.txt", "résumé final.pdf", "folder/ünïcødé +%20.bin"],
    ids=["space and plus", "literal %2B", "unicode", "mixed"],
)
def test_encoded_keys_are_decoded_and_foreign_objects_removed(
    files: Files, aws: Any, key: str
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=b"stray")

    assert files.notify(key) == ["removed"]

    assert not files.object_exists(key)
    assert files.item_count() == 0


def test_encoded_event_key_of_a_real_upload_finds_its_record(files: Files) -> None:
    created = files.create()
    assert files.upload(created) == 200

    # Ids need no encoding, so the encoded and raw forms agree.
    assert files.notify(created["id"]) == ["recorded"]


def test_object_with_no_record_is_removed_and_no_record_is_created(files: Files, aws: Any) -> None:
    unknown = "f" * 32
    aws.s3.put_object(Bucket=BUCKET, Key=unknown, Body=b"orphan")

    assert files.notify(unknown) == ["removed"]

    assert not files.object_exists(unknown)
    assert files.item(unknown) is None


def test_upload_landing_after_a_revert_is_removed_and_does_not_resurrect_the_record(
    files: Files, aws: Any
) -> None:
    created = files.create()
    assert files.revert_with_token(created) == 200
    # The browser's PUT was already in flight: the object appears after the deletion.
    aws.s3.put_object(Bucket=BUCKET, Key=created["id"], Body=b"late!")

    assert files.notify(created["id"]) == ["removed"]

    assert not files.object_exists(created["id"])
    item = files.item(created["id"])
    assert item is not None
    assert "deleted_at" in item
    assert "uploaded_at" not in item


def test_event_for_an_object_already_gone_does_nothing(files: Files) -> None:
    created = files.create()

    assert files.notify(created["id"]) == ["gone"]

    item = files.item(created["id"])
    assert item is not None and "uploaded_at" not in item


def test_event_for_another_bucket_is_ignored(files: Files) -> None:
    created = files.create()
    assert files.upload(created) == 200
    event = s3_object_created_event("someone-elses-bucket", created["id"], 5)

    result = object_created.handler(event, lambda_context("ObjectCreatedFunction"))

    assert result == {"outcomes": ["ignored"]}
    item = files.item(created["id"])
    assert item is not None and "uploaded_at" not in item


def test_in_store_on_upload_mode_the_upload_event_stores_the_file(
    store_on_upload_files: Files,
) -> None:
    driver = store_on_upload_files
    created = driver.create()
    assert driver.upload(created) == 200

    assert driver.notify(created["id"]) == ["recorded"]

    item = driver.item(created["id"])
    assert item is not None
    assert item["uploaded_at"] == item["stored_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert "expire_at" not in item and "expiry_shard" not in item
