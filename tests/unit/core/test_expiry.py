"""The scheduled expiry: sparse index pages, races with store, unfinished deletions, re-runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from filestore.service import FileService

if TYPE_CHECKING:
    from tests.unit.core.conftest import Aws, FakeClock, Files

TIMEOUT = 3600


@pytest.fixture
def calls(aws: Aws) -> Iterator[Counter[str]]:
    """DynamoDB operations (and their Limit) made while the test runs."""
    counter: Counter[str] = Counter()

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        counter[model.name] += 1
        if model.name == "Query":
            counter[f"Query Limit={params.get('Limit')}"] += 1

    aws.dynamodb.meta.events.register("provide-client-params.dynamodb.*", count)
    yield counter
    aws.dynamodb.meta.events.unregister("provide-client-params.dynamodb.*", count)


def test_files_not_stored_in_time_are_removed_and_marked_expired(
    files: Files, clock: FakeClock
) -> None:
    pending = files.create()
    uploaded = files.uploaded()
    stored = files.stored()
    clock.advance(TIMEOUT - 1)
    young = files.uploaded()
    clock.advance(1)

    assert files.expire() == {"expired": 2, "finished": 0, "skipped": 0}

    for created in (pending, uploaded):
        item = files.item(created["id"])
        assert item is not None
        assert item["expired"] == {"BOOL": True}
        assert item["deleted_at"] == {"S": "2026-01-31T13:00:00Z"}
        assert "expire_at" not in item and "expiry_shard" not in item
    assert not files.object_exists(uploaded["id"])
    assert files.object_exists(stored["id"])
    assert files.object_exists(young["id"])
    young_item = files.item(young["id"])
    assert young_item is not None and "deleted_at" not in young_item


def test_expiry_follows_every_page_of_every_shard(
    make_service: Callable[..., FileService], files: Files, clock: FakeClock, calls: Counter[str]
) -> None:
    make_service(query_page_size=2)
    created = [files.create()["id"] for _ in range(13)]
    clock.advance(TIMEOUT)
    calls.clear()

    assert files.expire()["expired"] == 13

    assert all((files.item(file_id) or {}).get("expired") for file_id in created)
    assert calls["Query Limit=2"] == calls["Query"]
    assert calls["Query"] >= 13 // 2 + 1  # several pages were needed
    assert calls["Scan"] == 0


def test_expiry_reads_only_the_expiring_files_never_the_whole_table(
    files: Files, clock: FakeClock, calls: Counter[str]
) -> None:
    for _ in range(5):
        files.stored()
    calls.clear()
    clock.advance(10 * TIMEOUT)

    assert files.expire() == {"expired": 0, "finished": 0, "skipped": 0}

    assert calls["Scan"] == 0
    assert calls["Query"] == 4  # one empty page per shard
    assert calls["UpdateItem"] == 0


def test_running_expiry_again_is_harmless(files: Files, clock: FakeClock) -> None:
    created = files.uploaded()
    clock.advance(TIMEOUT)
    assert files.expire()["expired"] == 1
    before = files.item(created["id"])
    clock.advance(60)

    assert files.expire() == {"expired": 0, "finished": 0, "skipped": 0}

    assert files.item(created["id"]) == before


def test_a_store_racing_with_expiry_wins_and_the_file_stays(
    files: Files, clock: FakeClock, aws: Aws, service: FileService
) -> None:
    created = files.uploaded()
    clock.advance(TIMEOUT)
    raced: list[str] = []

    def store_first(params: dict[str, Any], **_: Any) -> None:
        # Between the index Query and the expiry's conditional write, a store lands.
        if "expired" in params.get("UpdateExpression", "") and not raced:
            raced.append(params["Key"]["id"]["S"])
            assert service.store([created["id"]]).done == (created["id"],)

    aws.dynamodb.meta.events.register("provide-client-params.dynamodb.UpdateItem", store_first)
    try:
        tally = files.expire()
    finally:
        aws.dynamodb.meta.events.unregister(
            "provide-client-params.dynamodb.UpdateItem", store_first
        )

    assert raced == [created["id"]]
    assert tally == {"expired": 0, "finished": 0, "skipped": 1}
    assert files.object_exists(created["id"])
    item = files.item(created["id"])
    assert item is not None
    assert "stored_at" in item and "deleted_at" not in item and "expired" not in item


def test_an_unfinished_deletion_is_completed_without_calling_it_expired(
    files: Files, clock: FakeClock, aws: Aws
) -> None:
    created = files.uploaded()
    files.interrupt_deletion(created["id"])  # marked, then crashed before DeleteObject
    clock.advance(TIMEOUT)

    assert files.expire() == {"expired": 0, "finished": 1, "skipped": 0}

    assert not files.object_exists(created["id"])
    item = files.item(created["id"])
    assert item is not None
    assert "expire_at" not in item and "expired" not in item


def test_store_on_upload_records_never_enter_the_expiry_index(
    store_on_upload_files: Files, clock: FakeClock
) -> None:
    created = store_on_upload_files.create()

    item = store_on_upload_files.item(created["id"])
    assert item is not None
    assert "expire_at" not in item and "expiry_shard" not in item
