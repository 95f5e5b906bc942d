"""Multipart uploads end to end on a local stack: the API plans, signs and completes; S3 checks.

The stack runs with the smallest MultipartThreshold and PartSize the template allows (5 MiB), so
a 12 MiB file is three parts (5, 5 and 2 MiB). Every refusal here is the local S3 endpoint's, as
S3's would be: a part with other bytes (400 BadDigest), of another length (the signature covers
Content-Length), or sent to an aborted upload (404 NoSuchUpload).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
import requests

from local_stack.testing.clients import local_lambda_client, local_s3_client
from tests.helpers.multipart import composite_sha256, file_bytes, sha256_b64, split_parts
from tests.integration.tavern_helpers import check_s3_error, scheduled_event

if TYPE_CHECKING:
    from tests.integration.conftest import StackFactory, TargetVars

pytestmark = pytest.mark.local_only

MIB = 1024**2
MULTIPART_PARAMS = {"MultipartThreshold": str(5 * MIB), "PartSize": str(5 * MIB)}
SIZE = 12 * MIB
EVENT_DEADLINE_SECONDS = 30
CONCURRENT_COMPLETES = 8


@pytest.fixture(scope="module")
def stack(local_stacks: StackFactory) -> TargetVars:
    return local_stacks(MULTIPART_PARAMS)


@pytest.fixture(scope="module")
def expiring_stack(local_stacks: StackFactory) -> TargetVars:
    return local_stacks({**MULTIPART_PARAMS, "UploadTimeout": "1"})


class Client:
    """The page's side of a multipart upload, with plain HTTP."""

    def __init__(self, target: TargetVars) -> None:
        self.target = target
        self.api = target["api_url"]

    def create(self, size: int = SIZE, **extra: Any) -> dict[str, Any]:
        response = requests.post(
            f"{self.api}/file", json={"name": "big.bin", "size": size, **extra}, timeout=30
        )
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    def token(self, created: dict[str, Any]) -> dict[str, str]:
        return {"X-Revert-Token": created["revert_token"]}

    def sign(self, created: dict[str, Any], checksums: dict[int, str]) -> list[dict[str, Any]]:
        entries = [{"number": n, "checksum_sha256": c} for n, c in checksums.items()]
        response = requests.post(
            f"{self.api}/file/{created['id']}/parts",
            json={"parts": entries},
            headers=self.token(created),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        parts: list[dict[str, Any]] = response.json()["parts"]
        return parts

    def send(self, created: dict[str, Any], data: bytes, numbers: list[int]) -> None:
        """Sign the parts, then PUT them in parallel (4 at a time) with exactly their headers."""
        chunks = split_parts(data, created["part_size"])
        signed = self.sign(created, {n: sha256_b64(chunks[n - 1]) for n in numbers})

        def put(part: dict[str, Any]) -> int:
            body = chunks[part["number"] - 1]
            return requests.put(
                part["url"], data=body, headers=part["headers"], timeout=60
            ).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(put, signed)) == [200] * len(signed)

    def held(self, created: dict[str, Any]) -> requests.Response:
        return requests.get(
            f"{self.api}/file/{created['id']}/parts", headers=self.token(created), timeout=30
        )

    def complete(self, created: dict[str, Any]) -> requests.Response:
        return requests.post(
            f"{self.api}/file/{created['id']}/complete", headers=self.token(created), timeout=60
        )

    def describe(self, file_id: str) -> dict[str, Any]:
        response = requests.post(
            f"{self.api}/files",
            params={"nonstored": "yes", "deleted": "yes"},
            json=[file_id],
            headers={"x-api-key": self.target["api_key"]},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        (record,) = response.json()
        described: dict[str, Any] = record
        return described

    def s3(self) -> Any:
        return local_s3_client(self.target["s3_url"])

    def uploads_of(self, file_id: str) -> list[str]:
        listing = self.s3().list_multipart_uploads(Bucket=self.target["bucket"], Prefix=file_id)
        return [upload["UploadId"] for upload in listing.get("Uploads", [])]


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + EVENT_DEADLINE_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {EVENT_DEADLINE_SECONDS} s")
        time.sleep(0.2)


def test_a_three_part_upload_with_checksums_is_completed_and_recorded(stack: TargetVars) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=1)
    created = client.create()
    assert (created["upload"], created["part_size"], created["part_count"]) == (
        "multipart",
        5 * MIB,
        3,
    )

    client.send(created, data, [1, 2, 3])
    completed = client.complete(created)

    assert completed.status_code == 200, completed.text
    assert completed.json() == {"id": created["id"], "status": "uploaded", "rejected": None}
    record = client.describe(created["id"])
    chunks = split_parts(data, 5 * MIB)
    assert record["status"] == "uploaded"
    assert record["upload"] == "multipart"
    assert record["size"] == SIZE
    assert record["checksum_sha256"] == composite_sha256(chunks)
    stored = client.s3().get_object(Bucket=stack["bucket"], Key=created["id"])
    assert stored["Body"].read() == data
    assert client.uploads_of(created["id"]) == []


def test_an_upload_resumes_from_the_parts_s3_holds(stack: TargetVars) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=2)
    chunks = split_parts(data, 5 * MIB)
    created = client.create()
    client.send(created, data, [1, 3])  # then the tab closed

    held = client.held(created)

    assert held.status_code == 200, held.text
    assert held.json() == {
        "parts": [
            {"number": 1, "size": 5 * MIB, "checksum_sha256": sha256_b64(chunks[0])},
            {"number": 3, "size": 2 * MIB, "checksum_sha256": sha256_b64(chunks[2])},
        ]
    }
    client.send(created, data, [2])  # only the missing part
    assert client.complete(created).status_code == 200
    assert client.s3().get_object(Bucket=stack["bucket"], Key=created["id"])["Body"].read() == data


def test_a_part_with_flipped_bytes_is_refused_by_s3(stack: TargetVars) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=3)
    chunk = split_parts(data, 5 * MIB)[0]
    created = client.create()
    (part,) = client.sign(created, {1: sha256_b64(chunk)})
    flipped = bytes([chunk[0] ^ 0xFF]) + chunk[1:]

    response = requests.put(part["url"], data=flipped, headers=part["headers"], timeout=60)

    assert response.status_code == 400
    check_s3_error(response, "BadDigest")
    assert client.held(created).json() == {"parts": []}


def test_a_part_of_another_length_is_refused_by_s3(stack: TargetVars) -> None:
    client = Client(stack)
    chunk = split_parts(file_bytes(SIZE, seed=4), 5 * MIB)[1]
    created = client.create()
    shorter = chunk[:-1]
    (part,) = client.sign(created, {2: sha256_b64(shorter)})
    headers = {**part["headers"], "Content-Length": str(len(shorter))}

    response = requests.put(part["url"], data=shorter, headers=headers, timeout=60)

    assert response.status_code == 403  # Content-Length is signed: another one breaks the signature
    check_s3_error(response, "SignatureDoesNotMatch")
    assert client.held(created).json() == {"parts": []}


def test_complete_with_a_missing_part_is_refused_then_completes_once_it_is_sent(
    stack: TargetVars,
) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=5)
    created = client.create()
    client.send(created, data, [1, 2])

    refused = client.complete(created)

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "IncompleteUpload"
    assert "part 3 of 3 missing" in refused.json()["message"]
    assert client.describe(created["id"])["status"] == "pending"
    assert len(client.uploads_of(created["id"])) == 1  # nothing was completed
    client.send(created, data, [3])
    assert client.complete(created).json() == {
        "id": created["id"],
        "status": "uploaded",
        "rejected": None,
    }


def test_completing_twice_answers_the_same_and_makes_one_object(stack: TargetVars) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=6)
    created = client.create()
    client.send(created, data, [1, 2, 3])

    first, second = client.complete(created), client.complete(created)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (
        first.json()
        == second.json()
        == {"id": created["id"], "status": "uploaded", "rejected": None}
    )


def test_concurrent_completes_make_one_object_and_one_record_without_a_5xx(
    stack: TargetVars,
) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=7)
    created = client.create()
    client.send(created, data, [1, 2, 3])
    start = threading.Barrier(CONCURRENT_COMPLETES)

    def complete() -> requests.Response:
        start.wait()
        return client.complete(created)

    with ThreadPoolExecutor(max_workers=CONCURRENT_COMPLETES) as pool:
        answers = list(pool.map(lambda _: complete(), range(CONCURRENT_COMPLETES)))

    assert [answer.status_code for answer in answers] == [200] * CONCURRENT_COMPLETES, [
        answer.text for answer in answers
    ]
    assert {answer.text for answer in answers} == {answers[0].text}
    assert client.describe(created["id"])["status"] == "uploaded"
    assert client.s3().get_object(Bucket=stack["bucket"], Key=created["id"])["Body"].read() == data
    versions = client.s3().list_objects_v2(Bucket=stack["bucket"], Prefix=created["id"])
    assert [entry["Key"] for entry in versions["Contents"]] == [created["id"]]


def test_revert_aborts_the_multipart_upload(stack: TargetVars) -> None:
    client = Client(stack)
    data = file_bytes(SIZE, seed=8)
    chunks = split_parts(data, 5 * MIB)
    created = client.create()
    client.send(created, data, [1])
    (late,) = client.sign(created, {2: sha256_b64(chunks[1])})

    reverted = requests.delete(
        f"{client.api}/file/{created['id']}", headers=client.token(created), timeout=30
    )

    assert reverted.status_code == 200, reverted.text
    assert client.uploads_of(created["id"]) == []
    sent = requests.put(late["url"], data=chunks[1], headers=late["headers"], timeout=60)
    assert sent.status_code == 404
    check_s3_error(sent, "NoSuchUpload")
    assert client.complete(created).json()["code"] == "FileDeleted"


def test_expiry_aborts_an_inactive_multipart_upload(expiring_stack: TargetVars) -> None:
    client = Client(expiring_stack)
    data = file_bytes(SIZE, seed=9)
    created = client.create()
    client.send(created, data, [1])
    time.sleep(2.5)  # UploadTimeout is 1 s; expire_at counts whole seconds

    ran = local_lambda_client(expiring_stack["lambda_url"]).invoke(
        FunctionName="ExpireFilesFunction", Payload=json.dumps(scheduled_event()).encode()
    )

    assert ran["StatusCode"] == 200 and "FunctionError" not in ran, ran["Payload"].read()
    assert client.uploads_of(created["id"]) == []
    record = client.describe(created["id"])
    assert (record["status"], record["expired"]) == ("deleted", True)


def test_a_single_upload_with_a_checksum_refuses_other_bytes(stack: TargetVars) -> None:
    client = Client(stack)
    data = b"checked by S3"
    created = client.create(size=len(data), checksum_sha256=sha256_b64(data))
    assert created["upload"] == "single"

    wrong = requests.put(created["url"], data=data.upper(), headers=created["headers"], timeout=30)
    right = requests.put(created["url"], data=data, headers=created["headers"], timeout=30)

    assert wrong.status_code == 400
    check_s3_error(wrong, "BadDigest")
    assert right.status_code == 200
    eventually(lambda: client.describe(created["id"])["status"] == "uploaded", "the upload event")
    assert client.describe(created["id"])["checksum_sha256"] == sha256_b64(data)
