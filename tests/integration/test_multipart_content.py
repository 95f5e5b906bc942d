"""The content check on multipart uploads through a local stack in store-on-upload mode.

POST /file/{id}/complete records the assembled object itself, so it runs the check (one ranged
GET) before the conditional write that would store it: a refused file is never stored, and the
answer says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests

from tests.helpers import signatures
from tests.helpers.multipart import file_bytes
from tests.integration.test_content_check import object_exists
from tests.integration.test_multipart_uploads import MULTIPART_PARAMS, SIZE, Client

if TYPE_CHECKING:
    from tests.integration.conftest import StackFactory, TargetVars

pytestmark = pytest.mark.local_only


@pytest.fixture(scope="module")
def images_stored_on_upload(local_stacks: StackFactory) -> TargetVars:
    return local_stacks({**MULTIPART_PARAMS, "AllowedTypes": "image/*", "StoreOnLoad": "True"})


def test_html_declared_png_in_parts_is_refused_by_complete_and_never_stored(
    images_stored_on_upload: TargetVars,
) -> None:
    client = Client(images_stored_on_upload)
    head = signatures.html()
    created = client.create(type="image/png")
    client.send(created, head + file_bytes(SIZE - len(head)), [1, 2, 3])

    completed = client.complete(created)

    refused = {
        "id": created["id"],
        "status": "deleted",
        "rejected": "content is text/html, not image/png",
    }
    assert completed.status_code == 200, completed.text
    assert completed.json() == refused
    assert client.complete(created).json() == refused  # again: the same
    status = requests.get(
        f"{client.api}/file/{created['id']}", headers=client.token(created), timeout=30
    )
    assert status.json() == refused
    record = client.describe(created["id"])
    assert (record["status"], record["stored_at"], record["url"]) == ("deleted", None, None)
    assert record["upload"] == "multipart"
    assert not object_exists(images_stored_on_upload, created["id"])


def test_a_real_png_in_parts_is_stored_by_complete_and_downloads_intact(
    images_stored_on_upload: TargetVars,
) -> None:
    client = Client(images_stored_on_upload)
    head = signatures.png()
    data = head + file_bytes(SIZE - len(head), seed=3)
    created = client.create(type="image/png")
    client.send(created, data, [1, 2, 3])

    completed = client.complete(created)

    assert completed.json() == {"id": created["id"], "status": "stored", "rejected": None}
    record = client.describe(created["id"])
    assert (record["status"], record["rejected"]) == ("stored", None)
    assert record["checksum_sha256"].endswith("-3")
    assert requests.get(record["url"], timeout=60).content == data
