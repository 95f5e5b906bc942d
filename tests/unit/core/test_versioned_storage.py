"""The storage bucket versioned as template.yaml sets it: removals hide files, versions stay."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import requests
from botocore.exceptions import ClientError

from handlers import delete_files, describe_files
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import call_api, create_storage_bucket
from tests.unit.core.conftest import BUCKET_NAME, TABLE_NAME

if TYPE_CHECKING:
    from tests.unit.core.conftest import Aws, FakeClock, Files

TIMEOUT = 3600


def _revert(files: Files, created: dict[str, Any]) -> None:
    assert files.revert_with_token(created) == 200


def _delete(files: Files, created: dict[str, Any]) -> None:
    response = call_api(delete_files, api_event("DELETE", "/files", body=[created["id"]]))
    assert response.body == {"result": [created["id"]], "problems": {}}


def _expire(files: Files, created: dict[str, Any], clock: FakeClock) -> None:
    clock.advance(TIMEOUT + 1)
    assert files.expire()["expired"] == 1


REMOVALS: dict[str, Callable[[Files, dict[str, Any], FakeClock], None]] = {
    "revert": lambda files, created, _clock: _revert(files, created),
    "delete": lambda files, created, _clock: _delete(files, created),
    "expiry": _expire,
}


def _versions(aws: Aws, key: str) -> list[tuple[bool, bool]]:
    """(is a delete marker, is the latest) of every version of ``key``, newest first."""
    listed = aws.s3.list_object_versions(Bucket=BUCKET_NAME, Prefix=key)
    entries = [
        (entry["LastModified"], False, entry["IsLatest"]) for entry in listed.get("Versions", [])
    ]
    entries += [
        (entry["LastModified"], True, entry["IsLatest"])
        for entry in listed.get("DeleteMarkers", [])
    ]
    return [(marker, latest) for _, marker, latest in sorted(entries, key=lambda e: not e[2])]


def _error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_the_template_default_versions_the_storage_bucket(aws: Aws) -> None:
    assert aws.s3.get_bucket_versioning(Bucket=BUCKET_NAME)["Status"] == "Enabled"


@pytest.mark.parametrize("removal", sorted(REMOVALS))
def test_a_removed_file_is_gone_for_clients_and_kept_as_a_noncurrent_version(
    files: Files, aws: Aws, clock: FakeClock, removal: str
) -> None:
    created = files.uploaded(size=7)
    content = aws.s3.get_object(Bucket=BUCKET_NAME, Key=created["id"])["Body"].read()

    REMOVALS[removal](files, created, clock)

    assert _error_code(lambda: aws.s3.get_object(Bucket=BUCKET_NAME, Key=created["id"])) in (
        "NoSuchKey",
        "404",
    )
    assert _error_code(lambda: aws.s3.head_object(Bucket=BUCKET_NAME, Key=created["id"])) == "404"
    assert not files.object_exists(created["id"])
    assert _versions(aws, created["id"]) == [(True, True), (False, False)]
    (kept,) = aws.s3.list_object_versions(Bucket=BUCKET_NAME, Prefix=created["id"])["Versions"]
    old = aws.s3.get_object(Bucket=BUCKET_NAME, Key=created["id"], VersionId=kept["VersionId"])
    assert old["Body"].read() == content
    item = files.item(created["id"])
    assert item is not None and "deleted_at" in item


def test_an_upload_after_a_revert_is_removed_again_and_leaves_only_versions(
    files: Files, aws: Aws
) -> None:
    created = files.create()
    assert files.revert_with_token(created) == 200

    # The presigned URL is still valid; If-None-Match: * passes because only a marker exists.
    assert files.upload(created) == 200
    assert files.notify(created["id"]) == ["removed"]

    assert _error_code(lambda: aws.s3.head_object(Bucket=BUCKET_NAME, Key=created["id"])) == "404"
    markers = [marker for marker, _ in _versions(aws, created["id"])]
    assert markers.count(False) == 1 and markers[0] is True


def test_a_second_upload_to_a_live_file_is_still_refused_with_versioning_on(files: Files) -> None:
    created = files.uploaded()

    assert files.upload(created, b"y" * int(created["headers"]["Content-Length"])) == 412


def test_with_zero_retention_days_a_removed_file_keeps_no_bytes(
    files: Files, aws: Aws, clock: FakeClock
) -> None:
    aws.s3.delete_bucket(Bucket=BUCKET_NAME)
    create_storage_bucket(aws.s3, BUCKET_NAME, (("DeletedFileRetentionDays", "0"),))
    assert aws.s3.get_bucket_versioning(Bucket=BUCKET_NAME)["Status"] == "Suspended"
    created = files.uploaded()

    _delete(files, created)

    listed = aws.s3.list_object_versions(Bucket=BUCKET_NAME, Prefix=created["id"])
    assert listed.get("Versions", []) == []
    assert _error_code(lambda: aws.s3.head_object(Bucket=BUCKET_NAME, Key=created["id"])) == "404"


def test_the_readme_recovery_restores_a_deleted_file_for_download(
    files: Files, aws: Aws, clock: FakeClock
) -> None:
    created = files.stored(size=9)
    _delete(files, created)

    # README "Recovering a deleted file": 1. remove the delete marker, 2. clear deleted_at.
    (marker,) = aws.s3.list_object_versions(Bucket=BUCKET_NAME, Prefix=created["id"])[
        "DeleteMarkers"
    ]
    aws.s3.delete_object(Bucket=BUCKET_NAME, Key=created["id"], VersionId=marker["VersionId"])
    clock.advance(60)
    aws.dynamodb.update_item(
        TableName=TABLE_NAME,
        Key={"id": {"S": created["id"]}},
        UpdateExpression=(
            "REMOVE deleted_at, expired, expiry_shard, expire_at"
            " SET stored_at = if_not_exists(stored_at, :now)"
        ),
        ConditionExpression="attribute_exists(deleted_at) AND attribute_exists(uploaded_at)",
        ExpressionAttributeValues={":now": {"S": "2026-01-31T12:01:00Z"}},
    )

    response = call_api(describe_files, api_event("POST", "/files", body=[created["id"]]))
    (described,) = response.body
    assert described["id"] == created["id"]
    download = requests.get(described["url"], timeout=5)
    assert download.status_code == 200
    assert len(download.content) == 9
