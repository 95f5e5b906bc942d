"""Multipart uploads through the handler modules, with moto behind them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from filestore.service import FileService
from handlers import complete_upload, create_file, describe_files, list_parts, sign_parts
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import call_api
from tests.helpers.multipart import file_bytes, sha256_b64, split_parts
from tests.unit.core.conftest import BUCKET_NAME

if TYPE_CHECKING:
    from tests.helpers.aws import ApiResponse
    from tests.unit.core.conftest import Aws, FakeClock, Files

MIB = 1024**2
THRESHOLD = 5 * MIB  # the conftest's MULTIPART_THRESHOLD and PART_SIZE
SIZE = 12 * MIB  # three parts: 5, 5 and 2 MiB
TIMEOUT = 3600


@pytest.fixture
def big(make_service: Callable[..., FileService]) -> FileService:
    """A temporary-mode service taking files up to 64 MiB."""
    return make_service(MAX_FILE_SIZE=str(64 * MIB))


def post_file(body: dict[str, Any]) -> ApiResponse:
    return call_api(create_file, api_event("POST", "/file", body=body))


def with_token(created: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    return {
        "path_parameters": {"id": created["id"]},
        "headers": {"X-Revert-Token": token or created["revert_token"]},
    }


def sign(created: dict[str, Any], parts: list[dict[str, Any]], token: str | None = None) -> Any:
    event = api_event(
        "POST", "/file/{id}/parts", body={"parts": parts}, **with_token(created, token)
    )
    return call_api(sign_parts, event)


def held(created: dict[str, Any]) -> ApiResponse:
    return call_api(list_parts, api_event("GET", "/file/{id}/parts", **with_token(created)))


def complete(created: dict[str, Any]) -> ApiResponse:
    event = api_event("POST", "/file/{id}/complete", **with_token(created))
    return call_api(complete_upload, event)


def send_parts(created: dict[str, Any], data: bytes, numbers: list[int]) -> list[int]:
    """Sign and PUT the given parts exactly as a browser would; the HTTP statuses."""
    chunks = split_parts(data, created["part_size"])
    entries = [{"number": n, "checksum_sha256": sha256_b64(chunks[n - 1])} for n in numbers]
    response = sign(created, entries)
    assert response.status == 200, response.body
    return [
        requests.put(
            part["url"], data=chunks[part["number"] - 1], headers=part["headers"]
        ).status_code
        for part in response.body["parts"]
    ]


def complete_behind_the_api(aws: Aws, files: Files, file_id: str) -> None:
    """CompleteMultipartUpload straight on S3, as a concurrent complete of the API would."""
    upload_id = (files.item(file_id) or {})["upload_id"]["S"]
    listed = aws.s3.list_parts(Bucket=BUCKET_NAME, Key=file_id, UploadId=upload_id)
    parts: list[Any] = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in listed["Parts"]]
    aws.s3.complete_multipart_upload(
        Bucket=BUCKET_NAME, Key=file_id, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


def multipart_uploads(aws: Aws) -> list[str]:
    return [u["Key"] for u in aws.s3.list_multipart_uploads(Bucket=BUCKET_NAME).get("Uploads", [])]


# ---- POST /file chooses single or multipart ---------------------------------------------------


def test_one_byte_under_the_threshold_is_a_single_upload(big: FileService) -> None:
    body = post_file({"name": "a.bin", "size": THRESHOLD - 1}).body

    assert body["upload"] == "single"
    assert body["method"] == "PUT" and "url" in body
    assert "part_size" not in body


def test_the_threshold_starts_a_multipart_upload_with_its_plan(
    big: FileService, files: Files, aws: Aws
) -> None:
    response = post_file({"name": "a.bin", "size": THRESHOLD})

    assert response.status == 200
    body = response.body
    assert set(body) == {"id", "upload", "part_size", "part_count", "expires_at", "revert_token"}
    assert (body["upload"], body["part_size"], body["part_count"]) == ("multipart", THRESHOLD, 1)
    assert body["expires_at"] == "2026-01-31T13:00:00Z"  # UploadTimeout after creation
    item = files.item(body["id"])
    assert item is not None and item["part_size"] == {"N": str(THRESHOLD)}
    (upload,) = aws.s3.list_multipart_uploads(Bucket=BUCKET_NAME)["Uploads"]
    assert (upload["Key"], upload["UploadId"]) == (body["id"], item["upload_id"]["S"])


def test_a_single_upload_with_a_checksum_signs_it_into_the_url(big: FileService) -> None:
    checksum = sha256_b64(b"hello")

    body = post_file({"name": "a.txt", "size": 5, "checksum_sha256": checksum}).body

    assert body["headers"]["x-amz-checksum-sha256"] == checksum
    signed = parse_qs(urlsplit(body["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-length", "x-amz-checksum-sha256"} <= set(signed)


def test_a_whole_file_checksum_is_refused_for_a_multipart_upload(big: FileService) -> None:
    response = post_file({"name": "a.bin", "size": THRESHOLD, "checksum_sha256": sha256_b64(b"")})

    assert response.status == 400
    assert response.body["code"] == "ChecksumNotForMultipart"


@pytest.mark.parametrize(
    "checksum",
    ["", "abc", sha256_b64(b"x")[:-1], sha256_b64(b"x").rstrip("=") + "A", "A" * 43 + "B=", None],
)
def test_a_checksum_that_is_not_base64_sha256_is_refused(big: FileService, checksum: Any) -> None:
    response = post_file({"name": "a.txt", "size": 5, "checksum_sha256": checksum})

    assert (response.status, response.body["code"]) == (400, "InvalidChecksum")


# ---- the life of a multipart upload -----------------------------------------------------------


def test_parts_sent_then_completed_make_the_file_with_its_composite_record(
    big: FileService, files: Files, aws: Aws
) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    assert created["part_count"] == 3

    assert send_parts(created, data, [3, 1, 2]) == [200, 200, 200]
    assert [(p["number"], p["size"]) for p in held(created).body["parts"]] == [
        (1, 5 * MIB),
        (2, 5 * MIB),
        (3, 2 * MIB),
    ]
    response = complete(created)

    assert response.status == 200
    assert response.body == {"id": created["id"], "status": "uploaded", "rejected": None}
    stored = aws.s3.get_object(Bucket=BUCKET_NAME, Key=created["id"])
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "application/octet-stream"
    item = files.item(created["id"])
    assert item is not None and item["uploaded_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert multipart_uploads(aws) == []
    assert files.notify(created["id"]) == ["duplicate"]  # the CompleteMultipartUpload event


def test_each_part_url_signs_its_exact_length_and_checksum(big: FileService) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    checksum = sha256_b64(b"part three")

    (part,) = sign(created, [{"number": 3, "checksum_sha256": checksum}]).body["parts"]

    assert part["method"] == "PUT"
    assert part["headers"] == {"Content-Length": str(2 * MIB), "x-amz-checksum-sha256": checksum}
    query = parse_qs(urlsplit(part["url"]).query)
    assert query["partNumber"] == ["3"]
    assert query["X-Amz-SignedHeaders"] == ["content-length;host;x-amz-checksum-sha256"]
    assert query["X-Amz-Expires"] == ["900"]


def test_complete_with_a_missing_part_is_refused_and_completes_nothing(
    big: FileService, files: Files, aws: Aws
) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 3])

    refused = complete(created)

    assert (refused.status, refused.body["code"]) == (409, "IncompleteUpload")
    assert "part 2 of 3 missing" in refused.body["message"]
    assert multipart_uploads(aws) == [created["id"]]
    assert not files.object_exists(created["id"])
    send_parts(created, data, [2])
    assert complete(created).body == {"id": created["id"], "status": "uploaded", "rejected": None}


def test_completing_again_answers_the_same(big: FileService) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 2, 3])

    first = complete(created)
    second = complete(created)

    assert (first.status, second.status) == (200, 200)
    assert first.body == second.body


def test_list_parts_follows_every_page(
    make_service: Callable[..., FileService], aws: Aws, clock: FakeClock
) -> None:
    import os

    from filestore import container
    from runtime_context import Settings

    service = FileService(
        Settings.from_environ({**os.environ, "MAX_FILE_SIZE": str(64 * MIB)}),
        aws.dynamodb,
        aws.s3,
        clock,
        parts_page_size=1,
    )
    container.use_service(service)
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 2, 3])

    assert [p["number"] for p in held(created).body["parts"]] == [1, 2, 3]
    assert complete(created).status == 200


# ---- refusals ---------------------------------------------------------------------------------


def test_part_routes_refuse_a_wrong_token_an_unknown_id_and_a_single_upload(
    big: FileService, files: Files
) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    entry = [{"number": 1, "checksum_sha256": sha256_b64(b"")}]
    single = files.create("small.txt", 5)
    unknown = {**created, "id": "0" * 32}

    assert sign(created, entry, token="wrong").body["code"] == "InvalidRevertToken"
    assert sign(unknown, entry).status == 404
    assert (sign(single, entry).status, sign(single, entry).body["code"]) == (409, "NotMultipart")
    assert complete(single).body["code"] == "NotMultipart"
    assert held(single).body["code"] == "NotMultipart"
    assert (
        call_api(
            sign_parts,
            api_event(
                "POST",
                "/file/{id}/parts",
                body={"parts": entry},
                path_parameters={"id": created["id"]},
            ),
        ).status
        == 403
    )


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ([], "InvalidBody"),
        ([{"number": 4, "checksum_sha256": sha256_b64(b"")}], "InvalidPartNumber"),
        ([{"number": 0, "checksum_sha256": sha256_b64(b"")}], "InvalidBody"),
        ([{"number": 1}], "InvalidChecksum"),
        ([{"number": 1, "checksum_sha256": "nope"}], "InvalidChecksum"),
        ([{"number": 1, "checksum_sha256": sha256_b64(b"")}] * 2, "InvalidBody"),
        ([{"number": n, "checksum_sha256": sha256_b64(b"")} for n in range(1, 102)], "InvalidBody"),
    ],
)
def test_a_bad_part_list_is_refused(
    big: FileService, parts: list[dict[str, Any]], code: str
) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body

    response = sign(created, parts)

    assert (response.status, response.body["code"]) == (400, code)


def test_a_deleted_upload_has_no_parts_and_cannot_complete(big: FileService, files: Files) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    assert files.revert_with_token(created) == 200

    entry = [{"number": 1, "checksum_sha256": sha256_b64(b"")}]
    assert sign(created, entry).body["code"] == "FileDeleted"
    assert held(created).body["code"] == "FileDeleted"
    assert complete(created).body["code"] == "FileDeleted"


def test_signing_after_completion_is_refused(big: FileService) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 2, 3])
    complete(created)

    entry = [{"number": 1, "checksum_sha256": sha256_b64(b"")}]
    assert (sign(created, entry).status, sign(created, entry).body["code"]) == (
        409,
        "AlreadyUploaded",
    )
    assert held(created).body["code"] == "AlreadyUploaded"


def test_an_upload_s3_aborted_is_reported_as_aborted(big: FileService, aws: Aws) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    (upload,) = aws.s3.list_multipart_uploads(Bucket=BUCKET_NAME)["Uploads"]
    aws.s3.abort_multipart_upload(
        Bucket=BUCKET_NAME, Key=created["id"], UploadId=upload["UploadId"]
    )

    assert (held(created).status, held(created).body["code"]) == (409, "UploadAborted")
    assert complete(created).body["code"] == "UploadAborted"


# ---- no orphan parts: revert, delete and expiry abort ----------------------------------------


def test_revert_aborts_the_multipart_upload(big: FileService, files: Files, aws: Aws) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, file_bytes(SIZE), [1])

    assert files.revert_with_token(created) == 200

    assert multipart_uploads(aws) == []


def test_admin_delete_aborts_the_multipart_upload(big: FileService, aws: Aws) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    from handlers import delete_files

    response = call_api(delete_files, api_event("DELETE", "/files", body=[created["id"]]))

    assert response.body == {"result": [created["id"]], "problems": {}}
    assert multipart_uploads(aws) == []


def test_expiry_aborts_an_inactive_multipart_upload(
    big: FileService, files: Files, aws: Aws, clock: FakeClock
) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    clock.advance(TIMEOUT)

    assert files.expire()["expired"] == 1

    assert multipart_uploads(aws) == []
    assert complete(created).body["code"] == "FileDeleted"


def test_signing_parts_keeps_a_long_upload_from_expiring(
    big: FileService, files: Files, aws: Aws, clock: FakeClock
) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    for number in (1, 2, 3):
        clock.advance(TIMEOUT - 60)  # each part comes just before the upload would expire
        send_parts(created, data, [number])
        assert files.expire()["expired"] == 0

    assert complete(created).status == 200
    clock.advance(TIMEOUT)
    assert files.expire() == {"expired": 1, "finished": 0, "skipped": 0}  # uploaded, never stored


def test_expiry_finishing_an_earlier_deletion_still_aborts_the_upload(
    big: FileService, files: Files, aws: Aws, clock: FakeClock
) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    files.interrupt_deletion(created["id"])
    clock.advance(TIMEOUT)

    assert files.expire() == {"expired": 0, "finished": 1, "skipped": 0}
    assert multipart_uploads(aws) == []


def test_describe_reports_the_upload_kind(big: FileService, files: Files) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    event = api_event("POST", "/files", body=[created["id"]], query={"nonstored": "yes"})

    (view,) = call_api(describe_files, event).body

    assert (view["upload"], view["checksum_sha256"], view["status"]) == (
        "multipart",
        None,
        "pending",
    )


def test_a_complete_that_lost_the_race_records_the_winners_object(
    big: FileService, files: Files, aws: Aws
) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 2, 3])
    # Another complete finished first: the upload is gone, the object is there, no record yet.
    complete_behind_the_api(aws, files, created["id"])

    response = complete(created)

    assert response.body == {"id": created["id"], "status": "uploaded", "rejected": None}
    assert files.item_count() == 1


def test_the_complete_event_arriving_first_is_recorded_and_complete_agrees(
    big: FileService, files: Files, aws: Aws
) -> None:
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 2, 3])
    complete_behind_the_api(aws, files, created["id"])

    assert files.notify(created["id"]) == ["recorded"]  # s3:ObjectCreated:CompleteMultipartUpload
    item = files.item(created["id"])
    assert item is not None and item["size"] == {"N": str(SIZE)}
    assert complete(created).body == {"id": created["id"], "status": "uploaded", "rejected": None}


def test_in_store_on_upload_mode_a_completed_upload_is_stored(
    make_service: Callable[..., FileService],
) -> None:
    make_service(MAX_FILE_SIZE=str(64 * MIB), STORE_ON_UPLOAD="True")
    data = file_bytes(SIZE)
    created = post_file({"name": "big.bin", "size": SIZE}).body
    send_parts(created, data, [1, 2, 3])

    assert complete(created).body == {"id": created["id"], "status": "stored", "rejected": None}
    assert complete(created).body == {"id": created["id"], "status": "stored", "rejected": None}


def test_an_expiry_that_read_the_index_before_a_part_signing_skips_the_file(
    big: FileService, files: Files, aws: Aws, clock: FakeClock
) -> None:
    created = post_file({"name": "big.bin", "size": SIZE}).body
    clock.advance(TIMEOUT)
    expiring = list(big._files.expiring(clock()))  # the expiry's read of the index...
    send_parts(created, file_bytes(SIZE), [1])  # ...then the upload shows activity

    outcome = big._files.mark_deleted(expiring[0].id, now=clock(), unless_stored=True, expired=True)

    assert not outcome.applied
    assert multipart_uploads(aws) == [created["id"]]


def test_an_upload_whose_record_cannot_be_written_is_aborted(
    big: FileService, files: Files, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = post_file({"name": "first.bin", "size": SIZE}).body["id"]
    fresh = "f" * 32
    draws = iter([taken, fresh])
    monkeypatch.setattr("filestore.service.secrets.token_hex", lambda _n: next(draws))

    created = post_file({"name": "second.bin", "size": SIZE}).body

    assert created["id"] == fresh  # the taken id was drawn first, and its upload let go
    assert sorted(multipart_uploads(aws)) == sorted([taken, fresh])
    assert len(aws.s3.list_multipart_uploads(Bucket=BUCKET_NAME)["Uploads"]) == 2
