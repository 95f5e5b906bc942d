"""AllowedTypes on the bytes through a local stack: S3 PUT, S3 event, ranged GET, the API."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from local_stack.testing.clients import local_s3_client
from tests.helpers import signatures

if TYPE_CHECKING:
    from tests.integration.conftest import StackFactory, TargetVars

pytestmark = pytest.mark.local_only

IMAGES_ONLY = {"AllowedTypes": "image/*"}
EVENT_DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def images_only(local_stacks: StackFactory) -> TargetVars:
    return local_stacks(IMAGES_ONLY)


def upload(target: TargetVars, name: str, content: bytes, mime_type: str) -> dict[str, Any]:
    created = requests.post(
        f"{target['api_url']}/file",
        json={"name": name, "size": len(content), "type": mime_type},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    ticket: dict[str, Any] = created.json()
    sent = requests.put(ticket["url"], data=content, headers=ticket["headers"], timeout=30)
    assert sent.status_code == 200, sent.text
    return ticket


def status(target: TargetVars, ticket: dict[str, Any]) -> dict[str, Any]:
    answer = requests.get(
        f"{target['api_url']}/file/{ticket['id']}",
        headers={"X-Revert-Token": ticket["revert_token"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def settled(target: TargetVars, ticket: dict[str, Any]) -> dict[str, Any]:
    """The file's status once the S3 event has been handled (no longer pending)."""
    deadline = time.monotonic() + EVENT_DEADLINE_SECONDS
    while (current := status(target, ticket))["status"] == "pending":
        assert time.monotonic() < deadline, f"no S3 event handled for {ticket['id']}"
        time.sleep(0.1)
    return current


def describe(target: TargetVars, file_id: str) -> dict[str, Any]:
    answer = requests.post(
        f"{target['api_url']}/files",
        params={"deleted": "yes", "nonstored": "yes"},
        json=[file_id],
        headers={"x-api-key": target["api_key"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    [view] = answer.json()
    return dict(view)


def store(target: TargetVars, file_id: str) -> dict[str, Any]:
    answer = requests.put(
        f"{target['api_url']}/files",
        json=[file_id],
        headers={"x-api-key": target["api_key"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def object_exists(target: TargetVars, key: str) -> bool:
    listing = local_s3_client(target["s3_url"]).list_objects_v2(Bucket=target["bucket"], Prefix=key)
    return any(entry["Key"] == key for entry in listing.get("Contents", []))


def test_html_declared_png_ends_deleted_with_its_reason(images_only: TargetVars) -> None:
    ticket = upload(images_only, "photo.png", signatures.html(), "image/png")

    assert settled(images_only, ticket) == {
        "id": ticket["id"],
        "status": "deleted",
        "rejected": "content is text/html, not image/png",
    }
    view = describe(images_only, ticket["id"])
    assert (view["status"], view["rejected"], view["url"]) == (
        "deleted",
        "content is text/html, not image/png",
        None,
    )
    assert not object_exists(images_only, ticket["id"])
    assert store(images_only, ticket["id"])["problems"] == {ticket["id"]: "rejected"}


def test_a_real_png_is_kept_and_downloads_intact(images_only: TargetVars) -> None:
    content = signatures.png()
    ticket = upload(images_only, "photo.png", content, "image/png")

    assert settled(images_only, ticket) == {
        "id": ticket["id"],
        "status": "uploaded",
        "rejected": None,
    }
    assert object_exists(images_only, ticket["id"])
    assert store(images_only, ticket["id"]) == {"result": [ticket["id"]], "problems": {}}
    view = describe(images_only, ticket["id"])
    assert view["rejected"] is None
    assert requests.get(view["url"], timeout=30).content == content


def test_a_store_racing_the_event_never_keeps_a_failing_file(images_only: TargetVars) -> None:
    ticket = upload(images_only, "cat.gif", signatures.elf(), "image/gif")

    # Sent at once: the store may come before the event (HeadObject fallback) or after it.
    assert store(images_only, ticket["id"]) == {
        "result": [],
        "problems": {ticket["id"]: "rejected"},
    }
    final = settled(images_only, ticket)
    assert final["rejected"] == "content is application/x-executable, not image/gif"
    assert describe(images_only, ticket["id"])["stored_at"] is None
    assert not object_exists(images_only, ticket["id"])
