"""FileService's operations take and return typed values; the JSON is filestore.views' alone."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from filestore import views
from filestore.models import FileId, FileRecord, Status, UploadKind
from filestore.parts import HeldPart, PartPlan
from filestore.results import (
    BatchProblem,
    BatchResult,
    ClientConfig,
    CompletedUpload,
    DescribedFile,
    ExpiryTally,
    HeldParts,
    PartUpload,
    Upload,
    UploadEventOutcome,
)
from filestore.service import FileService
from filestore.storage import PresignedUpload

FILE_ID = FileId("0123456789abcdef0123456789abcdef")
OPERATIONS = [
    name
    for name, member in inspect.getmembers(FileService, inspect.isfunction)
    if not name.startswith("_")
]


def test_the_service_has_the_operations_the_handlers_call() -> None:
    assert sorted(OPERATIONS) == [
        "complete_upload",
        "config",
        "create_upload",
        "delete",
        "describe",
        "expire",
        "file_status",
        "held_parts",
        "record_upload",
        "revert",
        "sign_parts",
        "store",
    ]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_no_operation_takes_or_returns_untyped_json(operation: str) -> None:
    annotations = inspect.get_annotations(getattr(FileService, operation))

    assert "return" in annotations
    untyped = {name: hint for name, hint in annotations.items() if "Any" in hint or "dict" in hint}
    assert untyped == {}


def test_the_upload_view_is_the_upload_model() -> None:
    upload = Upload(
        file_id=FILE_ID,
        kind=UploadKind.SINGLE,
        request=PresignedUpload(url="https://s3/x", headers={"Content-Type": "text/plain"}),
        expires_at=datetime(2026, 1, 31, 12, 15, tzinfo=UTC),
        revert_token="token",
    )

    assert views.upload_view(upload) == {
        "id": FILE_ID,
        "upload": "single",
        "url": "https://s3/x",
        "method": "PUT",
        "headers": {"Content-Type": "text/plain"},
        "expires_at": "2026-01-31T12:15:00Z",
        "revert_token": "token",
    }


def test_the_multipart_upload_view_gives_the_plan_and_no_url() -> None:
    upload = Upload(
        file_id=FILE_ID,
        kind=UploadKind.MULTIPART,
        plan=PartPlan(size=40 * 1024**2 + 1, part_size=16 * 1024**2),
        expires_at=datetime(2026, 1, 31, 13, 0, tzinfo=UTC),
        revert_token="token",
    )

    assert views.upload_view(upload) == {
        "id": FILE_ID,
        "upload": "multipart",
        "part_size": 16 * 1024**2,
        "part_count": 3,
        "expires_at": "2026-01-31T13:00:00Z",
        "revert_token": "token",
    }


def test_the_part_views_are_the_part_models() -> None:
    request = PresignedUpload(url="https://s3/p", headers={"Content-Length": "5"})
    held = HeldPart(number=2, size=5, etag='"e"', checksum_sha256="c")

    assert views.part_uploads_view([PartUpload(number=2, request=request)]) == {
        "parts": [
            {
                "number": 2,
                "url": "https://s3/p",
                "method": "PUT",
                "headers": {"Content-Length": "5"},
            }
        ]
    }
    assert views.held_parts_view(HeldParts(parts=(held,))) == {
        "parts": [{"number": 2, "size": 5, "checksum_sha256": "c"}]
    }
    completed = CompletedUpload(file_id=FILE_ID, status=Status.UPLOADED)
    assert views.completed_view(completed) == {
        "id": FILE_ID,
        "status": "uploaded",
        "rejected": None,
    }


def test_the_config_view_lists_every_limit() -> None:
    config = ClientConfig(
        max_file_size=5,
        allowed_types=("image/*", "application/pdf"),
        store_on_upload=True,
        url_expiration=60,
        max_name_length=255,
        max_batch_size=100,
        multipart_threshold=33554432,
        part_size=16777216,
    )

    assert views.config_view(config) == {
        "max_file_size": 5,
        "allowed_types": ["image/*", "application/pdf"],
        "store_on_upload": True,
        "url_expiration": 60,
        "max_name_length": 255,
        "max_batch_size": 100,
        "multipart_threshold": 33554432,
        "part_size": 16777216,
    }


def test_the_batch_view_spells_each_problem_as_the_api_does() -> None:
    other = FileId("f" * 32)
    result = BatchResult(done=(FILE_ID,), problems={other: BatchProblem.NOT_UPLOADED})

    assert views.batch_view(result) == {"result": [FILE_ID], "problems": {other: "not uploaded"}}


def test_the_file_view_gives_null_for_what_has_not_happened() -> None:
    record = FileRecord(
        id=FILE_ID,
        name="a.txt",
        type="text/plain",
        size=3,
        created_at=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    )

    [view] = views.file_views([DescribedFile(record=record, download_url=None)])

    assert view == {
        "id": FILE_ID,
        "name": "a.txt",
        "type": "text/plain",
        "size": 3,
        "status": "pending",
        "created_at": "2026-01-31T12:00:00Z",
        "uploaded_at": None,
        "stored_at": None,
        "deleted_at": None,
        "expired": False,
        "rejected": None,
        "url": None,
        "checksum_sha256": None,
        "upload": "single",
    }


def test_the_event_function_views_are_plain_json() -> None:
    outcomes = [UploadEventOutcome.RECORDED, UploadEventOutcome.IGNORED]

    assert views.upload_events_view(outcomes) == {"outcomes": ["recorded", "ignored"]}
    assert all(type(value) is str for value in views.upload_events_view(outcomes)["outcomes"])
    tally = ExpiryTally(expired=2, finished=1, skipped=0)
    assert views.expiry_view(tally) == {"expired": 2, "finished": 1, "skipped": 0}
