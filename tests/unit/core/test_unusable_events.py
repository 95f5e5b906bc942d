"""Event functions read only the fields they need; an event they cannot use is one typed error."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pytest

from filestore.errors import UnusableEvent
from handlers import expire_files, object_created
from local_stack.testing.event_builders import schedule_event
from local_stack.testing.lambda_context import lambda_context
from tests.unit.core.conftest import BUCKET_NAME, EXPIRE_RULE_NAME

if TYPE_CHECKING:
    from tests.unit.core.conftest import Files


def run_expiry(event: Any) -> dict[str, int]:
    tally: dict[str, int] = expire_files.handler(event, lambda_context("ExpireFilesFunction"))
    return tally


def run_object_created(event: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = object_created.handler(
        event, lambda_context("ObjectCreatedFunction")
    )
    return result


def without(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name not in names}


@pytest.mark.parametrize(
    "event",
    [
        without(schedule_event(EXPIRE_RULE_NAME), "time"),
        {**schedule_event(EXPIRE_RULE_NAME), "time": 1767225600},
        {},
        [],
        "tick",
    ],
    ids=["no time", "time not a string", "empty object", "array", "string"],
)
def test_the_expiry_runs_whatever_the_schedule_event_lacks(files: Files, event: Any) -> None:
    # The expiry needs nothing from its event: the time is only logged.
    assert run_expiry(event) == {"expired": 0, "finished": 0, "skipped": 0}


def test_the_expiry_logs_the_schedule_time_when_there_is_one(
    files: Files, log_output: io.StringIO
) -> None:
    event = schedule_event(EXPIRE_RULE_NAME)

    run_expiry(event)

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    assert [line["rule_time"] for line in lines if line["message"] == "scheduled expiry"] == [
        event["time"]
    ]


def test_an_upload_event_needs_only_the_bucket_and_the_key_of_each_record(files: Files) -> None:
    created = files.create()
    assert files.upload(created) == 200
    # Every field but s3.bucket.name and s3.object.key gone.
    record = {"s3": {"bucket": {"name": BUCKET_NAME}, "object": {"key": created["id"]}}}

    assert run_object_created({"Records": [record]}) == {"outcomes": ["recorded"]}


def test_an_upload_event_with_no_records_does_nothing(files: Files) -> None:
    assert run_object_created({"Records": []}) == {"outcomes": []}


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({}, "no 'Records' field"),
        ([], "not an S3 event notification"),
        ({"Records": "x"}, "not an S3 event notification"),
        ({"Records": [{}]}, "no 's3' field"),
        ({"Records": [{"s3": {"bucket": {"name": BUCKET_NAME}}}]}, "no 'object' field"),
        ({"Records": [{"s3": {"object": {"key": "k"}}}]}, "no 'bucket' field"),
        ({"Records": [{"s3": None}]}, "not an S3 event notification"),
        (
            {"Records": [{"s3": {"bucket": {"name": BUCKET_NAME}, "object": {"key": ""}}}]},
            "record 0 names no bucket and object key",
        ),
        (
            {"Records": [{"s3": {"bucket": {"name": 7}, "object": {"key": "k"}}}]},
            "record 0 names no bucket and object key",
        ),
    ],
    ids=[
        "no records",
        "array",
        "records not a list",
        "record without s3",
        "no object",
        "no bucket",
        "s3 null",
        "empty key",
        "bucket not a string",
    ],
)
def test_an_upload_event_without_its_bucket_or_key_fails_with_one_typed_error(
    files: Files, event: Any, problem: str
) -> None:
    with pytest.raises(UnusableEvent, match=problem) as raised:
        run_object_created(event)

    # The invocation fails (so Lambda retries, then dead-letters) and nothing was touched.
    assert raised.value.message == str(raised.value)
    assert files.item_count() == 0
