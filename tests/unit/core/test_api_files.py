"""DELETE /file/{id}, PUT /files, POST /files and DELETE /files through the handler modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from filestore.service import FileService
from handlers import delete_files, describe_files, revert_file, store_files
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import ApiResponse, call_api

if TYPE_CHECKING:
    from tests.unit.core.conftest import FakeClock, Files

UNKNOWN_ID = "0" * 32


def revert(file_id: str, token: str | None, header_name: str = "X-Revert-Token") -> ApiResponse:
    headers = {} if token is None else {header_name: token}
    event = api_event(
        "DELETE",
        "/file/{id}",
        path_parameters={"id": file_id},
        headers=headers,
    )
    return call_api(revert_file, event)


def store(body: Any = None, raw_body: str | None = None) -> ApiResponse:
    return call_api(store_files, api_event("PUT", "/files", body=body, raw_body=raw_body))


def describe(ids: Any, **query: str) -> ApiResponse:
    return call_api(describe_files, api_event("POST", "/files", body=ids, query=query))


def delete(body: Any = None, raw_body: str | None = None) -> ApiResponse:
    return call_api(delete_files, api_event("DELETE", "/files", body=body, raw_body=raw_body))


# ---- revert ----------------------------------------------------------------------------------


def test_revert_removes_the_object_and_marks_the_record_deleted(files: Files) -> None:
    created = files.uploaded()

    response = revert(created["id"], created["revert_token"])

    assert response.status == 200
    assert response.body == {"id": created["id"]}
    assert not files.object_exists(created["id"])
    item = files.item(created["id"])
    assert item is not None
    assert item["deleted_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert "expire_at" not in item and "expiry_shard" not in item
    assert "expired" not in item


def test_revert_works_before_the_upload(files: Files) -> None:
    created = files.create()

    assert revert(created["id"], created["revert_token"]).status == 200
    assert describe([created["id"]], deleted="yes").body[0]["status"] == "deleted"


@pytest.mark.parametrize("header_name", ["x-revert-token", "X-REVERT-TOKEN", "X-Revert-Token"])
def test_revert_token_header_is_case_insensitive(files: Files, header_name: str) -> None:
    created = files.create()

    assert revert(created["id"], created["revert_token"], header_name).status == 200


def test_revert_without_token_is_forbidden(files: Files) -> None:
    created = files.uploaded()

    response = revert(created["id"], None)

    assert response.status == 403
    assert "X-Revert-Token" in response.body["message"]
    assert response.body["code"] == "MissingRevertToken"
    assert files.object_exists(created["id"])


def test_revert_with_a_wrong_token_is_forbidden_and_changes_nothing(files: Files) -> None:
    created = files.uploaded()
    other = files.create()

    response = revert(created["id"], other["revert_token"])

    assert response.status == 403
    assert "does not match" in response.body["message"]
    assert response.body["code"] == "InvalidRevertToken"
    assert files.object_exists(created["id"])
    item = files.item(created["id"])
    assert item is not None and "deleted_at" not in item


@pytest.mark.parametrize(
    "token", ["\ud800", "tök\u00e9n", "x" * 10_000], ids=["surrogate", "latin", "long"]
)
def test_revert_with_a_token_of_any_shape_is_forbidden(files: Files, token: str) -> None:
    created = files.uploaded()

    response = revert(created["id"], token)

    assert response.status == 403
    assert response.body["code"] == "InvalidRevertToken"
    assert files.object_exists(created["id"])


def test_revert_of_an_unknown_id_is_404(files: Files) -> None:
    response = revert(UNKNOWN_ID, "some-token")

    assert response.status == 404
    assert UNKNOWN_ID in response.body["message"]
    assert response.body["code"] == "FileNotFound"
    assert files.item_count() == 0  # no item created by a conditional update


def test_revert_of_a_malformed_id_is_400(files: Files) -> None:
    response = revert("not-an-id", "some-token")

    assert response.status == 400
    assert "32 lowercase hexadecimal" in response.body["message"]
    assert response.body["code"] == "InvalidFileId"


def test_a_malformed_id_is_refused_before_a_missing_token(files: Files) -> None:
    response = revert("not-an-id", None)

    assert (response.status, response.body["code"]) == (400, "InvalidFileId")


def test_revert_of_a_stored_file_is_a_conflict(files: Files) -> None:
    created = files.stored()

    response = revert(created["id"], created["revert_token"])

    assert response.status == 409
    assert "already stored" in response.body["message"]
    assert response.body["code"] == "AlreadyStored"
    assert files.object_exists(created["id"])


def test_revert_twice_is_fine_and_retries_the_object_deletion(files: Files, aws: Any) -> None:
    created = files.uploaded()
    assert revert(created["id"], created["revert_token"]).status == 200
    # An object left behind (e.g. a DeleteObject that failed) is removed by the second revert.
    aws.s3.put_object(Bucket="filestore-test-storage", Key=created["id"], Body=b"again")

    response = revert(created["id"], created["revert_token"])

    assert response.status == 200
    assert not files.object_exists(created["id"])


# ---- store -----------------------------------------------------------------------------------


def test_store_keeps_uploaded_files_and_reports_each_problem(files: Files) -> None:
    uploaded = files.uploaded()
    pending = files.create()
    deleted = files.uploaded()
    assert revert(deleted["id"], deleted["revert_token"]).status == 200

    response = store([uploaded["id"], pending["id"], deleted["id"], UNKNOWN_ID])

    assert response.status == 200
    assert response.body == {
        "result": [uploaded["id"]],
        "problems": {
            pending["id"]: "not uploaded",
            deleted["id"]: "deleted",
            UNKNOWN_ID: "not found",
        },
    }
    item = files.item(uploaded["id"])
    assert item is not None
    assert item["stored_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert "expire_at" not in item and "expiry_shard" not in item
    assert files.item_count() == 3  # the unknown id did not create an item


def test_storing_twice_is_fine_and_keeps_the_first_time(files: Files, clock: FakeClock) -> None:
    created = files.stored()
    clock.advance(60)

    response = store([created["id"]])

    assert response.body == {"result": [created["id"]], "problems": {}}
    item = files.item(created["id"])
    assert item is not None
    assert item["stored_at"] == {"S": "2026-01-31T12:00:00Z"}


def test_store_records_an_upload_whose_event_has_not_arrived_yet(files: Files) -> None:
    created = files.create("notes.txt", 5, type="text/plain")
    assert files.upload(created, b"hello") == 200  # no S3 event delivered

    response = store([created["id"]])

    assert response.body == {"result": [created["id"]], "problems": {}}
    item = files.item(created["id"])
    assert item is not None
    assert item["uploaded_at"] == {"S": "2026-01-31T12:00:00Z"}
    assert item["size"] == {"N": "5"}
    # The late event changes nothing.
    assert files.notify(created["id"]) == ["duplicate"]


def test_store_drops_duplicate_ids(files: Files) -> None:
    created = files.uploaded()

    response = store([created["id"], created["id"]])

    assert response.body == {"result": [created["id"]], "problems": {}}


BAD_ID_LISTS: list[tuple[str, Any, str, str]] = [
    ("object", {"ids": []}, "JSON array", "InvalidBody"),
    ("string", "abc", "JSON array", "InvalidBody"),
    ("empty array", [], "empty", "InvalidBody"),
    ("101 ids", ["a" * 32] * 101, "too many file ids: 101", "InvalidBody"),
    ("number id", [5], "position 0", "InvalidFileId"),
    ("uppercase id", ["A" * 32], "position 0", "InvalidFileId"),
    ("short id", ["a" * 31], "position 0", "InvalidFileId"),
    ("second id bad", ["a" * 32, "../etc/passwd"], "position 1", "InvalidFileId"),
]


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [(body, message, code) for _case, body, message, code in BAD_ID_LISTS],
    ids=[case for case, *_details in BAD_ID_LISTS],
)
@pytest.mark.parametrize("route", [store, describe, delete], ids=["store", "describe", "delete"])
def test_bad_id_lists_are_refused_with_400_naming_the_problem(
    files: Files, route: Any, body: Any, message: str, code: str
) -> None:
    response = route(body)

    assert response.status == 400
    assert message in response.body["message"]
    assert response.body["code"] == code


@pytest.mark.parametrize("route", [store, delete], ids=["store", "delete"])
def test_one_bad_id_refuses_the_whole_request_before_any_write(files: Files, route: Any) -> None:
    uploaded = files.uploaded()

    response = route([uploaded["id"], "../etc/passwd"])

    assert response.status == 400
    assert "position 1" in response.body["message"]
    assert response.body["code"] == "InvalidFileId"
    item = files.item(uploaded["id"])
    assert item is not None
    assert "stored_at" not in item and "deleted_at" not in item
    assert files.object_exists(uploaded["id"])


@pytest.mark.parametrize("route", [store, delete], ids=["store", "delete"])
def test_invalid_json_is_refused_with_400(files: Files, route: Any) -> None:
    response = route(raw_body="[1, 2")

    assert response.status == 400
    assert "not valid JSON" in response.body["message"]
    assert response.body["code"] == "InvalidBody"


@pytest.mark.parametrize(
    ("raw_body", "message"),
    [
        ("[" + "9" * 5000 + "]", "number with too many digits"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["huge number", "deep"],
)
@pytest.mark.parametrize(
    ("module", "method"),
    [(store_files, "PUT"), (describe_files, "POST"), (delete_files, "DELETE")],
    ids=["store", "describe", "delete"],
)
def test_json_python_cannot_read_is_refused_with_400(
    files: Files, module: Any, method: str, raw_body: str, message: str
) -> None:
    response = call_api(module, api_event(method, "/files", raw_body=raw_body))

    assert response.status == 400
    assert message in response.body["message"]
    assert response.body["code"] == "InvalidBody"


def test_describe_with_invalid_json_is_refused_with_400(files: Files) -> None:
    event = api_event("POST", "/files", raw_body="nope")

    response = call_api(describe_files, event)

    assert response.status == 400
    assert "not valid JSON" in response.body["message"]
    assert response.body["code"] == "InvalidBody"


def test_exactly_100_ids_are_accepted(files: Files) -> None:
    ids = [f"{n:032x}" for n in range(100)]

    response = store(ids)

    assert response.status == 200
    assert len(response.body["problems"]) == 100


# ---- describe --------------------------------------------------------------------------------


def test_describe_lists_stored_files_with_a_download_url(files: Files) -> None:
    created = files.stored('résumé "final".pdf', 5)

    response = describe([created["id"]])

    assert response.status == 200
    [view] = response.body
    url = view.pop("url")
    assert view == {
        "id": created["id"],
        "name": 'résumé "final".pdf',
        "type": "application/pdf",
        "size": 5,
        "status": "stored",
        "created_at": "2026-01-31T12:00:00Z",
        "uploaded_at": "2026-01-31T12:00:00Z",
        "stored_at": "2026-01-31T12:00:00Z",
        "deleted_at": None,
        "expired": False,
        "rejected": None,
        "checksum_sha256": None,
        "upload": "single",
    }
    query = parse_qs(urlsplit(url).query)
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == [
        'attachment; filename="resume _final_.pdf";'
        " filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    ]
    download = requests.get(url, timeout=5)
    assert download.status_code == 200
    assert download.content == b"xxxxx"
    assert download.headers["Content-Disposition"] == query["response-content-disposition"][0]


def test_describe_hides_unstored_and_deleted_files_by_default(files: Files) -> None:
    stored = files.stored()
    pending = files.create()
    uploaded = files.uploaded()
    deleted = files.stored()
    assert delete([deleted["id"]]).status == 200
    ids = [pending["id"], stored["id"], uploaded["id"], deleted["id"]]

    default = [view["id"] for view in describe(ids).body]
    with_deleted = describe(ids, deleted="yes").body
    with_nonstored = describe(ids, nonstored="yes").body
    everything = describe(ids, deleted="yes", nonstored="yes").body

    assert default == [stored["id"]]
    assert [view["id"] for view in with_deleted] == [stored["id"], deleted["id"]]
    assert [view["id"] for view in with_nonstored] == [pending["id"], stored["id"], uploaded["id"]]
    assert [view["status"] for view in everything] == ["pending", "stored", "uploaded", "deleted"]
    assert [view["url"] is not None for view in everything] == [False, True, False, False]


def test_describe_keeps_request_order_drops_duplicates_and_unknown_ids(files: Files) -> None:
    first, second, third = files.stored(), files.stored(), files.stored()

    response = describe([third["id"], UNKNOWN_ID, first["id"], third["id"], second["id"]])

    assert [view["id"] for view in response.body] == [third["id"], first["id"], second["id"]]


def test_describe_reports_expired_files(files: Files, clock: FakeClock) -> None:
    created = files.uploaded()
    clock.advance(3601)
    files.expire()

    [view] = describe([created["id"]], deleted="yes").body

    assert view["status"] == "deleted"
    assert view["expired"] is True
    assert view["deleted_at"] == "2026-01-31T13:00:01Z"
    assert view["url"] is None


@pytest.mark.parametrize("flag", ["deleted", "nonstored"])
def test_describe_refuses_a_flag_that_is_not_yes_or_no(files: Files, flag: str) -> None:
    response = describe([UNKNOWN_ID], **{flag: "maybe"})

    assert response.status == 400
    assert f"query parameter {flag}" in response.body["message"]
    assert response.body["code"] == "InvalidQueryParameter"


# ---- delete ----------------------------------------------------------------------------------


def test_delete_removes_objects_and_keeps_records_marked_deleted(files: Files) -> None:
    stored = files.stored()
    pending = files.create()

    response = delete([stored["id"], pending["id"], UNKNOWN_ID])

    assert response.status == 200
    assert response.body == {
        "result": [stored["id"], pending["id"]],
        "problems": {UNKNOWN_ID: "not found"},
    }
    assert not files.object_exists(stored["id"])
    for file_id in (stored["id"], pending["id"]):
        item = files.item(file_id)
        assert item is not None
        assert item["deleted_at"] == {"S": "2026-01-31T12:00:00Z"}
        assert "expire_at" not in item
    assert files.item_count() == 2


def test_deleting_twice_is_fine_and_keeps_the_first_time(
    files: Files, clock: FakeClock, aws: Any
) -> None:
    created = files.stored()
    assert delete([created["id"]]).status == 200
    clock.advance(30)
    aws.s3.put_object(Bucket="filestore-test-storage", Key=created["id"], Body=b"left over")

    response = delete([created["id"]])

    assert response.body == {"result": [created["id"]], "problems": {}}
    assert not files.object_exists(created["id"])
    item = files.item(created["id"])
    assert item is not None
    assert item["deleted_at"] == {"S": "2026-01-31T12:00:00Z"}


def test_a_deleted_file_can_no_longer_be_stored(files: Files) -> None:
    created = files.uploaded()
    assert delete([created["id"]]).status == 200

    assert store([created["id"]]).body == {"result": [], "problems": {created["id"]: "deleted"}}


def test_service_fixture_is_the_one_the_handlers_use(service: FileService, files: Files) -> None:
    created = files.create()

    assert service.settings.table_name == "filestore-test-FilesTable"
    assert files.item(created["id"]) is not None
