"""What the browser tests check behind the page: the admin API (with the key) and the S3 bucket."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local_stack.testing.clients import local_s3_client
from local_stack.testing.launcher import RunningStack

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

REQUEST_TIMEOUT = 10


def describe(stack: RunningStack, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every record among `ids`, whatever its status, by id (POST /files with both flags)."""
    response = requests.post(
        f"{stack.api_url.rstrip('/')}/files",
        params={"deleted": "yes", "nonstored": "yes"},
        json=list(ids),
        headers={"x-api-key": stack.api_key},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()}


def wait_for_status(
    stack: RunningStack, file_id: str, status: str, timeout: float = 10.0
) -> dict[str, Any]:
    """The record of `file_id` once its status is `status`; fails with the last record seen."""
    deadline = time.monotonic() + timeout
    record: dict[str, Any] | None = None
    while True:
        record = describe(stack, [file_id]).get(file_id)
        if record is not None and record["status"] == status:
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"{file_id} never became {status!r}; last record: {record}")
        time.sleep(0.2)


def s3_client(stack: RunningStack) -> S3Client:
    """A boto3 S3 client for the local stack's S3 endpoint (no retries: a failure shows)."""
    return local_s3_client(stack.s3_url, config=Config(retries={"max_attempts": 1}))


def storage_bucket(stack: RunningStack) -> str:
    """The storage bucket's name: from the stack when it says, else the only bucket that is not
    the web bucket."""
    name = getattr(stack, "bucket_name", None)
    if isinstance(name, str) and name:
        return name
    buckets = [b["Name"] for b in s3_client(stack).list_buckets().get("Buckets", [])]
    storage = [b for b in buckets if "web" not in b.lower()]
    assert len(storage) == 1, f"cannot tell the storage bucket among {buckets}"
    return storage[0]


def object_exists(stack: RunningStack, key: str) -> bool:
    """Whether the storage bucket holds `key` (HeadObject with the local credentials)."""
    try:
        s3_client(stack).head_object(Bucket=storage_bucket(stack), Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return False
        raise
    return True


def stored_bytes(stack: RunningStack, file_id: str) -> bytes:
    """The object S3 holds for `file_id`."""
    body = s3_client(stack).get_object(Bucket=storage_bucket(stack), Key=file_id)["Body"]
    content: bytes = body.read()
    return content


def open_uploads(stack: RunningStack, file_id: str) -> list[str]:
    """The upload ids of the unfinished multipart uploads S3 keeps for `file_id`."""
    answer = s3_client(stack).list_multipart_uploads(Bucket=storage_bucket(stack), Prefix=file_id)
    return [upload["UploadId"] for upload in answer.get("Uploads", [])]
