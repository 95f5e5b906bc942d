"""The local stack versions the storage bucket as template.yaml says, and keeps versions on disk."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from local_stack.testing.clients import local_s3_client
from local_stack.testing.launcher import RunningStack, start_local_stack

pytestmark = pytest.mark.local_only

TIMEOUT = 30  # seconds for one HTTP request
EVENT_WAIT_SECONDS = 30.0  # far beyond an event's delay: only a lost event runs out of it


def _upload(stack: RunningStack, content: bytes) -> dict[str, Any]:
    answer = requests.post(
        f"{stack.api_url}/file", json={"name": "notes.txt", "size": len(content)}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    put = requests.put(created["url"], data=content, headers=created["headers"], timeout=TIMEOUT)
    assert put.status_code == 200, put.text
    return created


def _status(stack: RunningStack, file_id: str) -> str:
    answer = requests.post(
        f"{stack.api_url}/files",
        params={"nonstored": "yes", "deleted": "yes"},
        json=[file_id],
        headers={"x-api-key": stack.api_key},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    (record,) = answer.json()
    return str(record["status"])


def _wait_until_uploaded(stack: RunningStack, file_id: str) -> None:
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    while _status(stack, file_id) == "pending":
        assert time.monotonic() < deadline, stack.log_text()[-4000:]
        time.sleep(0.05)


def _missing(stack: RunningStack, key: str) -> bool:
    s3 = local_s3_client(stack.s3_url)
    try:
        s3.head_object(Bucket=stack.bucket_name, Key=key)
    except ClientError as err:
        return str(err.response["Error"]["Code"]) == "404"
    return False


def _kept_versions(stack: RunningStack, key: str) -> list[bytes]:
    """The bytes of every noncurrent version of ``key`` (the latest must be a delete marker)."""
    s3 = local_s3_client(stack.s3_url)
    listed = s3.list_object_versions(Bucket=stack.bucket_name, Prefix=key)
    markers = listed.get("DeleteMarkers", [])
    assert [marker["IsLatest"] for marker in markers] == [True]
    return [
        s3.get_object(Bucket=stack.bucket_name, Key=key, VersionId=version["VersionId"])[
            "Body"
        ].read()
        for version in listed.get("Versions", [])
    ]


def test_a_deleted_file_is_404_its_version_stays_and_both_survive_a_restart(
    stacks: list[RunningStack], tmp_path: Path
) -> None:
    env = {"FILESTORE_DATA_DIR": str(tmp_path / "data")}
    stack = start_local_stack(env=env)
    stacks.append(stack)
    deleted = _upload(stack, b"deleted by the admin")
    reverted = _upload(stack, b"withdrawn by its uploader")
    for created in (deleted, reverted):
        _wait_until_uploaded(stack, created["id"])
    removal = requests.delete(
        f"{stack.api_url}/files",
        json=[deleted["id"]],
        headers={"x-api-key": stack.api_key},
        timeout=TIMEOUT,
    )
    assert removal.status_code == 200, removal.text
    revert = requests.delete(
        f"{stack.api_url}/file/{reverted['id']}",
        headers={"X-Revert-Token": reverted["revert_token"]},
        timeout=TIMEOUT,
    )
    assert revert.status_code == 200, revert.text

    for _run in ("before the restart", "after it"):
        s3 = local_s3_client(stack.s3_url)
        assert s3.get_bucket_versioning(Bucket=stack.bucket_name)["Status"] == "Enabled"
        assert _missing(stack, deleted["id"]) and _missing(stack, reverted["id"])
        assert _kept_versions(stack, deleted["id"]) == [b"deleted by the admin"]
        assert _kept_versions(stack, reverted["id"]) == [b"withdrawn by its uploader"]
        stack.stop()
        stack = start_local_stack(env=env)
        stacks.append(stack)


def test_zero_retention_days_suspend_versioning_and_keep_no_bytes(
    stacks: list[RunningStack],
) -> None:
    stack = start_local_stack(params={"DeletedFileRetentionDays": "0"})
    stacks.append(stack)
    created = _upload(stack, b"gone for good")
    _wait_until_uploaded(stack, created["id"])

    revert = requests.delete(
        f"{stack.api_url}/file/{created['id']}",
        headers={"X-Revert-Token": created["revert_token"]},
        timeout=TIMEOUT,
    )

    assert revert.status_code == 200, revert.text
    s3 = local_s3_client(stack.s3_url)
    assert s3.get_bucket_versioning(Bucket=stack.bucket_name)["Status"] == "Suspended"
    assert _missing(stack, created["id"])
    # S3 would leave a "null" delete marker here; moto removes the object without one.
    listed = s3.list_object_versions(Bucket=stack.bucket_name, Prefix=created["id"])
    assert listed.get("Versions", []) == []
