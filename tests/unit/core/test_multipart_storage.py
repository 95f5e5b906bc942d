"""ObjectStorage's multipart calls: each answer S3 can give a CompleteMultipartUpload, handled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber

from filestore.clients import CLIENT_CONFIG
from filestore.errors import IncompleteUpload
from filestore.parts import HeldPart
from filestore.storage import Completion, ObjectStorage

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

BUCKET = "bucket"
KEY = "0123456789abcdef0123456789abcdef"
UPLOAD_ID = "upload-1"
PARTS = [HeldPart(1, 5, '"a"', "c1"), HeldPart(2, 3, '"b"', None)]
EXPECTED_COMPLETE = {
    "Bucket": BUCKET,
    "Key": KEY,
    "UploadId": UPLOAD_ID,
    "MultipartUpload": {
        "Parts": [
            {"PartNumber": 1, "ETag": '"a"', "ChecksumSHA256": "c1"},
            {"PartNumber": 2, "ETag": '"b"'},
        ]
    },
    "IfNoneMatch": "*",
}


@pytest.fixture
def client() -> S3Client:
    s3: S3Client = boto3.client(
        "s3",
        config=CLIENT_CONFIG,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return s3


@pytest.fixture
def stub(client: S3Client) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def storage(client: S3Client, **options: Any) -> ObjectStorage:
    return ObjectStorage(client, BUCKET, url_expiration=60, sleep=lambda _s: None, **options)


def refuse(stub: Stubber, method: str, code: str, status: int, expected: Any) -> None:
    stub.add_client_error(
        method, service_error_code=code, http_status_code=status, expected_params=expected
    )


def test_a_complete_names_every_part_with_its_checksum(client: S3Client, stub: Stubber) -> None:
    stub.add_response("complete_multipart_upload", {}, EXPECTED_COMPLETE)

    assert storage(client).complete_multipart(KEY, UPLOAD_ID, PARTS) is Completion.COMPLETED


@pytest.mark.parametrize(
    ("code", "status", "completion"),
    [("PreconditionFailed", 412, Completion.EXISTS), ("NoSuchUpload", 404, Completion.GONE)],
)
def test_a_complete_another_complete_won_is_told_apart(
    client: S3Client, stub: Stubber, code: str, status: int, completion: Completion
) -> None:
    refuse(stub, "complete_multipart_upload", code, status, EXPECTED_COMPLETE)

    assert storage(client).complete_multipart(KEY, UPLOAD_ID, PARTS) is completion


def test_a_conditional_conflict_is_retried(client: S3Client, stub: Stubber) -> None:
    refuse(stub, "complete_multipart_upload", "ConditionalRequestConflict", 409, EXPECTED_COMPLETE)
    refuse(stub, "complete_multipart_upload", "PreconditionFailed", 412, EXPECTED_COMPLETE)

    assert storage(client).complete_multipart(KEY, UPLOAD_ID, PARTS) is Completion.EXISTS


@pytest.mark.parametrize("code", ["InvalidPart", "InvalidPartOrder", "EntityTooSmall"])
def test_parts_that_changed_since_they_were_listed_are_a_conflict(
    client: S3Client, stub: Stubber, code: str
) -> None:
    refuse(stub, "complete_multipart_upload", code, 400, EXPECTED_COMPLETE)

    with pytest.raises(IncompleteUpload, match=code):
        storage(client).complete_multipart(KEY, UPLOAD_ID, PARTS)


def test_list_parts_reads_every_page(client: S3Client, stub: Stubber) -> None:
    base = {"Bucket": BUCKET, "Key": KEY, "UploadId": UPLOAD_ID, "MaxParts": 1}
    part = {"ETag": '"e"', "Size": 5, "ChecksumSHA256": "c"}
    stub.add_response(
        "list_parts",
        {"Parts": [{"PartNumber": 1, **part}], "IsTruncated": True, "NextPartNumberMarker": 1},
        base,
    )
    stub.add_response(
        "list_parts",
        {"Parts": [{"PartNumber": 2, **part}], "IsTruncated": False},
        {**base, "PartNumberMarker": 1},
    )

    held = storage(client, parts_page_size=1).list_parts(KEY, UPLOAD_ID)

    assert held == [HeldPart(1, 5, '"e"', "c"), HeldPart(2, 5, '"e"', "c")]


def test_aborting_an_upload_that_is_gone_is_fine(client: S3Client, stub: Stubber) -> None:
    expected = {"Bucket": BUCKET, "Key": KEY, "UploadId": UPLOAD_ID}
    refuse(stub, "abort_multipart_upload", "NoSuchUpload", 404, expected)

    storage(client).abort_multipart(KEY, UPLOAD_ID)  # no error


def test_an_abort_s3_refuses_otherwise_is_not_hidden(client: S3Client, stub: Stubber) -> None:
    expected = {"Bucket": BUCKET, "Key": KEY, "UploadId": UPLOAD_ID}
    refuse(stub, "abort_multipart_upload", "AccessDenied", 403, expected)

    with pytest.raises(client.exceptions.ClientError):
        storage(client).abort_multipart(KEY, UPLOAD_ID)
