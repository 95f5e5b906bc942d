"""100 upload flows at once (presign, PUT, S3 event): every file is recorded, none is lost."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from tests.integration.conftest import TargetVars

FLOWS = 100
TYPES = ["text/plain", "image/png", "application/pdf", "application/octet-stream", "video/mp4"]
# How long the S3 events may take to arrive before the test reports the missing ones.
EVENT_DEADLINE_SECONDS = 120


@dataclass(frozen=True)
class Upload:
    """One finished flow: the file as the client declared and sent it."""

    id: str
    name: str
    size: int
    type: str


def upload_flow(api_url: str, index: int, start: threading.Barrier) -> Upload:
    """POST /file, then PUT the raw bytes with exactly the returned headers."""
    start.wait()  # every flow sends its POST /file at the same moment
    name = f"concurrent-{index:03d}.bin"
    size = 1 + index * 37
    content_type = TYPES[index % len(TYPES)]
    created = requests.post(
        f"{api_url}/file", json={"name": name, "size": size, "type": content_type}, timeout=60
    )
    assert created.status_code == 200, f"POST /file #{index}: {created.status_code} {created.text}"
    upload = created.json()
    sent = requests.put(upload["url"], data=os.urandom(size), headers=upload["headers"], timeout=60)
    assert sent.status_code == 200, f"PUT #{index}: {sent.status_code} {sent.text}"
    return Upload(id=upload["id"], name=name, size=size, type=content_type)


def describe(target: TargetVars, ids: list[str]) -> dict[str, dict[str, Any]]:
    response = requests.post(
        f"{target['api_url']}/files",
        params={"nonstored": "yes"},
        json=ids,
        headers={"x-api-key": target["api_key"]},
        timeout=60,
    )
    assert response.status_code == 200, f"POST /files: {response.status_code} {response.text}"
    return {record["id"]: record for record in response.json()}


def wait_until_uploaded(target: TargetVars, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Describe the files until every one is uploaded or the deadline passes."""
    deadline = time.monotonic() + EVENT_DEADLINE_SECONDS
    while True:
        records = describe(target, ids)
        done = all(records.get(file_id, {}).get("status") == "uploaded" for file_id in ids)
        if done or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def test_hundred_concurrent_uploads_are_all_recorded(filestore: TargetVars) -> None:
    start = threading.Barrier(FLOWS)
    with ThreadPoolExecutor(max_workers=FLOWS) as pool:
        uploads = list(
            pool.map(lambda index: upload_flow(filestore["api_url"], index, start), range(FLOWS))
        )
    ids = [upload.id for upload in uploads]
    assert len(set(ids)) == FLOWS, "two flows were handed the same id"

    records = wait_until_uploaded(filestore, ids)

    missing = [upload.name for upload in uploads if upload.id not in records]
    assert not missing, f"{len(missing)} files have no record: {missing}"
    wrong = {
        upload.name: records[upload.id]
        for upload in uploads
        if (records[upload.id]["status"], records[upload.id]["size"], records[upload.id]["type"])
        != ("uploaded", upload.size, upload.type)
    }
    assert not wrong, f"{len(wrong)} of {FLOWS} files are not recorded as uploaded: {wrong}"
    assert [records[file_id]["name"] for file_id in ids] == [upload.name for upload in uploads]
