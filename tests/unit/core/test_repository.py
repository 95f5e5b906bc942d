"""FileRepository against botocore's Stubber: BatchGetItem's UnprocessedKeys and backoff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from filestore.models import FileRecord
from filestore.repository import FileRepository

TABLE = "files"


def item(file_id: str) -> dict[str, Any]:
    return {
        "id": {"S": file_id},
        "name": {"S": f"{file_id[:4]}.txt"},
        "type": {"S": "text/plain"},
        "size": {"N": "3"},
        "created_at": {"S": "2026-01-31T12:00:00Z"},
        "stored_at": {"S": "2026-01-31T12:05:00Z"},
    }


def keys(*file_ids: str) -> list[dict[str, Any]]:
    return [{"id": {"S": file_id}} for file_id in file_ids]


IDS = [f"{n:032x}" for n in range(1, 5)]


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_batch(stubber: Stubber, asked: list[str], returned: list[str], left: list[str]) -> None:
    response: dict[str, Any] = {"Responses": {TABLE: [item(file_id) for file_id in returned]}}
    if left:
        response["UnprocessedKeys"] = {TABLE: {"Keys": keys(*left), "ConsistentRead": True}}
    else:
        response["UnprocessedKeys"] = {}
    stubber.add_response(
        "batch_get_item",
        response,
        {"RequestItems": {TABLE: {"Keys": keys(*asked), "ConsistentRead": True}}},
    )


def test_unprocessed_keys_are_retried_until_every_record_is_read(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    expect_batch(stubber, IDS, returned=IDS[:1], left=IDS[1:])
    expect_batch(stubber, IDS[1:], returned=[], left=IDS[1:])  # no progress: retry anyway
    expect_batch(stubber, IDS[1:], returned=IDS[1:3], left=IDS[3:])
    expect_batch(stubber, IDS[3:], returned=IDS[3:], left=[])
    sleeps: list[float] = []

    records = FileRepository(client, TABLE, sleep=sleeps.append).get_many(IDS)

    assert sorted(records) == IDS
    assert all(isinstance(record, FileRecord) for record in records.values())
    assert len(sleeps) == 3  # one backoff before each retry, none before the first call
    assert all(0 < pause <= 2.0 for pause in sleeps)


def test_backoff_grows_but_stays_capped(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    expect_batch(stubber, IDS[:1], returned=[], left=IDS[:1])
    for _ in range(11):
        expect_batch(stubber, IDS[:1], returned=[], left=IDS[:1])
    expect_batch(stubber, IDS[:1], returned=IDS[:1], left=[])
    sleeps: list[float] = []

    repository = FileRepository(client, TABLE, sleep=sleeps.append, max_backoff_seconds=0.5)
    records = repository.get_many(IDS[:1])

    assert list(records) == IDS[:1]
    assert len(sleeps) == 12
    assert max(sleeps) <= 0.5
    assert sleeps[-1] >= 0.25  # reached the cap (jitter keeps at least half)
    assert sleeps[0] < 0.25


def test_batch_get_of_more_than_100_ids_is_refused_before_any_call(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, _stubber = stubbed

    with pytest.raises(ValueError, match="at most 100"):
        FileRepository(client, TABLE).get_many([f"{n:032x}" for n in range(101)])


def test_unknown_ids_are_simply_absent(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    expect_batch(stubber, IDS[:2], returned=IDS[:1], left=[])

    records = FileRepository(client, TABLE, sleep=lambda _s: None).get_many(IDS[:2])

    assert list(records) == IDS[:1]
