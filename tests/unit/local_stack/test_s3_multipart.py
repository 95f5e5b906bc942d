"""Multipart uploads through the local S3 endpoint, as the browser and the API drive them."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from local_stack.testing.checksums import composite_sha256, sha256_b64
from local_stack.testing.s3_wsgi import ORIGIN, LocalS3
from tests.helpers.s3_errors import s3_error

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART = 5 * 1024 * 1024  # S3's smallest part but the last
# The template's CORS rule for the storage bucket (template.yaml, StorageBucket).
TEMPLATE_RULES = [
    {
        "AllowedOrigins": [ORIGIN],
        "AllowedMethods": ["PUT", "GET"],
        "AllowedHeaders": [
            "content-type",
            "content-length",
            "if-none-match",
            "x-amz-checksum-sha256",
        ],
        "ExposedHeaders": ["ETag"],
        "MaxAge": 3000,
    }
]


def send_part(s3: LocalS3, key: str, upload_id: str, number: int, data: bytes) -> str:
    """PUT one part to its presigned URL (as the page does); its ETag."""
    url, headers = s3.presigned_part(key, upload_id, number, data)
    response = s3.send("PUT", url, headers, data)
    assert response.status_code == 200, response.data
    return response.headers["ETag"]


def listed(s3: LocalS3, key: str, upload_id: str, marker: int = 0, limit: int = 1000) -> Any:
    return s3.client.list_parts(
        Bucket=s3.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker, MaxParts=limit
    )


def completed_parts(s3: LocalS3, key: str, upload_id: str) -> list[CompletedPartTypeDef]:
    """What the API sends to CompleteMultipartUpload: every part ListParts shows, checksums too."""
    return [
        {"PartNumber": p["PartNumber"], "ETag": p["ETag"], "ChecksumSHA256": p["ChecksumSHA256"]}
        for p in listed(s3, key, upload_id)["Parts"]
    ]


def complete(s3: LocalS3, key: str, upload_id: str, parts: list[CompletedPartTypeDef]) -> Any:
    return s3.client.complete_multipart_upload(
        Bucket=s3.bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
        IfNoneMatch="*",
    )


def refusal(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_a_three_part_upload_completes_with_the_composite_checksum_and_one_event(
    s3: LocalS3,
) -> None:
    parts = [b"a" * PART, b"b" * PART, b"tail"]
    upload_id = s3.start_multipart("big.zip")
    for number, data in enumerate(parts, start=1):
        send_part(s3, "big.zip", upload_id, number, data)

    answer = complete(s3, "big.zip", upload_id, completed_parts(s3, "big.zip", upload_id))

    assert answer["ChecksumSHA256"] == composite_sha256(parts)
    assert answer["ChecksumType"] == "COMPOSITE"
    head = s3.client.head_object(Bucket=s3.bucket, Key="big.zip", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == composite_sha256(parts)
    assert head["ChecksumType"] == "COMPOSITE"
    assert head["ContentLength"] == 2 * PART + 4
    assert head["ContentType"] == "application/zip"
    got = s3.client.get_object(Bucket=s3.bucket, Key="big.zip", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == composite_sha256(parts)
    assert got["Body"].read() == b"".join(parts)
    events = s3.events()
    assert [event["eventName"] for event in events] == ["ObjectCreated:CompleteMultipartUpload"]
    assert events[0]["s3"]["object"]["size"] == 2 * PART + 4
    assert events[0]["s3"]["object"]["eTag"] == answer["ETag"].strip('"')


def test_a_part_answers_and_lists_its_checksum(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")
    url, headers = s3.presigned_part("k", upload_id, 1, b"x" * 10)

    response = s3.send("PUT", url, headers, b"x" * 10)

    assert response.headers["x-amz-checksum-sha256"] == sha256_b64(b"x" * 10)
    assert listed(s3, "k", upload_id)["Parts"][0]["ChecksumSHA256"] == sha256_b64(b"x" * 10)


def test_a_part_with_flipped_bytes_is_refused_with_bad_digest_and_not_kept(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")
    url, headers = s3.presigned_part("k", upload_id, 1, b"honest bytes")

    response = s3.send("PUT", url, headers, b"HONEST BYTES")

    assert response.status_code == 400
    assert s3_error(response.data)["Code"] == "BadDigest"
    assert listed(s3, "k", upload_id).get("Parts", []) == []


@pytest.mark.parametrize("body", [b"honest bytes, and more", b"honest"])
def test_a_part_of_another_length_than_signed_is_refused(s3: LocalS3, body: bytes) -> None:
    upload_id = s3.start_multipart("k")
    url, headers = s3.presigned_part("k", upload_id, 1, b"honest bytes")
    headers = {
        **headers,
        "Content-Length": str(len(body)),
        "x-amz-checksum-sha256": sha256_b64(body),
    }

    response = s3.send("PUT", url, headers, body)

    assert response.status_code == 403
    assert s3_error(response.data)["Code"] == "SignatureDoesNotMatch"
    assert listed(s3, "k", upload_id).get("Parts", []) == []


def test_a_part_without_the_uploads_checksum_is_refused(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")

    with pytest.raises(ClientError) as error:
        s3.client.upload_part(
            Bucket=s3.bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"x",
            ChecksumAlgorithm="CRC32",
        )

    assert refusal(error) == (400, "InvalidRequest")
    assert error.value.response["Error"]["Message"] == (
        "Checksum Type mismatch occurred, expected checksum Type: sha256, "
        "actual checksum Type: crc32"
    )


def test_a_part_number_beyond_10000_is_refused(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")

    with pytest.raises(ClientError) as error:
        s3.client.upload_part(
            Bucket=s3.bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=10001,
            Body=b"x",
            ChecksumSHA256=sha256_b64(b"x"),
        )

    assert refusal(error) == (400, "InvalidArgument")


def test_list_parts_pages_by_part_number(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")
    for number in (1, 2, 4, 5, 7):
        send_part(s3, "k", upload_id, number, bytes([number]))

    pages = []
    marker = 0
    while True:
        page = listed(s3, "k", upload_id, marker=marker, limit=2)
        pages.append([part["PartNumber"] for part in page["Parts"]])
        if not page["IsTruncated"]:
            break
        marker = page["NextPartNumberMarker"]

    assert pages == [[1, 2], [4, 5], [7]]
    after_three = listed(s3, "k", upload_id, marker=3)
    assert [part["PartNumber"] for part in after_three["Parts"]] == [4, 5, 7]
    assert after_three["NextPartNumberMarker"] == 7
    assert after_three["IsTruncated"] is False


def test_a_small_part_that_is_not_the_last_makes_completion_entity_too_small(
    s3: LocalS3,
) -> None:
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"a" * (PART - 1))
    send_part(s3, "k", upload_id, 2, b"tail")

    with pytest.raises(ClientError) as error:
        complete(s3, "k", upload_id, completed_parts(s3, "k", upload_id))

    assert refusal(error) == (400, "EntityTooSmall")
    fields: dict[str, Any] = dict(error.value.response["Error"])
    assert (fields["ProposedSize"], fields["PartNumber"]) == (str(PART - 1), "1")
    assert listed(s3, "k", upload_id)["Parts"], "the upload stays open after a refusal"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("wrong-etag", "InvalidPart"),
        ("unknown-part", "InvalidPart"),
        ("other-checksum", "InvalidPart"),
        ("no-checksum", "InvalidRequest"),
        ("out-of-order", "InvalidPartOrder"),
    ],
)
def test_completion_refuses_parts_that_are_not_the_stored_ones(
    s3: LocalS3, change: str, code: str
) -> None:
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"a" * PART)
    send_part(s3, "k", upload_id, 2, b"tail")
    parts = completed_parts(s3, "k", upload_id)
    if change == "wrong-etag":
        parts[1]["ETag"] = '"0123456789abcdef0123456789abcdef"'
    elif change == "unknown-part":
        parts.append({**parts[1], "PartNumber": 3})
    elif change == "other-checksum":
        parts[1]["ChecksumSHA256"] = sha256_b64(b"other")
    elif change == "no-checksum":
        del parts[1]["ChecksumSHA256"]
    else:
        parts.reverse()

    with pytest.raises(ClientError) as error:
        complete(s3, "k", upload_id, parts)

    assert refusal(error) == (400, code)
    with pytest.raises(ClientError):
        s3.client.head_object(Bucket=s3.bucket, Key="k")


def test_completion_refuses_a_whole_object_checksum_that_is_not_the_composite(
    s3: LocalS3,
) -> None:
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"only")

    with pytest.raises(ClientError) as error:
        s3.client.complete_multipart_upload(
            Bucket=s3.bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={"Parts": completed_parts(s3, "k", upload_id)},
            ChecksumSHA256=f"{sha256_b64(b'other')}-1",
        )

    assert refusal(error) == (400, "BadDigest")


def test_completing_onto_an_existing_key_fails_its_precondition(s3: LocalS3) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="k", Body=b"first")
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"second")

    with pytest.raises(ClientError) as error:
        complete(s3, "k", upload_id, completed_parts(s3, "k", upload_id))

    assert refusal(error) == (412, "PreconditionFailed")
    assert s3.client.get_object(Bucket=s3.bucket, Key="k")["Body"].read() == b"first"


def test_concurrent_completes_of_one_key_make_one_object_and_one_event(s3: LocalS3) -> None:
    uploads = []
    for letter in "abcd":
        upload_id = s3.start_multipart("k")
        send_part(s3, "k", upload_id, 1, letter.encode() * 1000)
        uploads.append((upload_id, completed_parts(s3, "k", upload_id)))
    outcomes: list[str] = []
    start = threading.Barrier(len(uploads))

    def race(upload_id: str, parts: list[CompletedPartTypeDef]) -> None:
        start.wait()
        try:
            complete(s3, "k", upload_id, parts)
            outcomes.append("completed")
        except ClientError as err:
            outcomes.append(err.response["Error"]["Code"])

    threads = [threading.Thread(target=race, args=upload) for upload in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["PreconditionFailed"] * 3 + ["completed"]
    assert len(s3.events()) == 1


def test_completing_again_answers_the_same_object(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"only")
    parts = completed_parts(s3, "k", upload_id)
    first = complete(s3, "k", upload_id, parts)

    again = complete(s3, "k", upload_id, parts)

    assert (again["ETag"], again["ChecksumSHA256"]) == (first["ETag"], first["ChecksumSHA256"])


@pytest.mark.parametrize("ending", ["aborted", "completed"])
def test_an_ended_upload_is_no_such_upload_for_parts_and_listing(s3: LocalS3, ending: str) -> None:
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"only")
    if ending == "aborted":
        s3.client.abort_multipart_upload(Bucket=s3.bucket, Key="k", UploadId=upload_id)
    else:
        complete(s3, "k", upload_id, completed_parts(s3, "k", upload_id))
    url, headers = s3.presigned_part("k", upload_id, 2, b"late")

    late_part = s3.send("PUT", url, headers, b"late")

    assert late_part.status_code == 404
    assert s3_error(late_part.data)["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as error:
        s3.client.list_parts(Bucket=s3.bucket, Key="k", UploadId=upload_id)
    assert refusal(error) == (404, "NoSuchUpload")
    if ending == "aborted":
        with pytest.raises(ClientError) as error:
            complete(s3, "k", upload_id, [{"PartNumber": 1, "ETag": '"00"'}])
        assert refusal(error) == (404, "NoSuchUpload")


def test_a_part_put_from_the_page_passes_the_templates_cors_and_exposes_its_etag() -> None:
    s3 = LocalS3(cors_rules=TEMPLATE_RULES)
    upload_id = s3.start_multipart("k")
    url, headers = s3.presigned_part("k", upload_id, 1, b"part")

    preflight = s3.send(
        "OPTIONS",
        url,
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-amz-checksum-sha256",
        },
    )
    sent = s3.send("PUT", url, {**headers, "Origin": ORIGIN}, b"part")

    assert preflight.status_code == 200, preflight.data
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-amz-checksum-sha256"
    assert sent.status_code == 200
    assert sent.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert sent.headers["Access-Control-Expose-Headers"] == "ETag"
    assert sent.headers["ETag"]


def test_a_put_with_a_signed_checksum_refuses_other_bytes_and_keeps_the_checksum(
    s3: LocalS3,
) -> None:
    body = b"hello"
    url, headers = s3.presigned_put("k", len(body), "text/plain", ChecksumSHA256=sha256_b64(body))
    headers = {**headers, "x-amz-checksum-sha256": sha256_b64(body)}

    flipped = s3.send("PUT", url, headers, b"HELLO")
    sent = s3.send("PUT", url, headers, body)

    assert flipped.status_code == 400
    assert s3_error(flipped.data)["Code"] == "BadDigest"
    assert sent.status_code == 200, sent.data
    assert sent.headers["x-amz-checksum-sha256"] == sha256_b64(body)
    head = s3.client.head_object(Bucket=s3.bucket, Key="k", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (sha256_b64(body), "FULL_OBJECT")


def test_a_part_sent_again_replaces_the_first(s3: LocalS3) -> None:
    upload_id = s3.start_multipart("k")
    send_part(s3, "k", upload_id, 1, b"first")
    etag = send_part(s3, "k", upload_id, 1, b"second")

    parts = listed(s3, "k", upload_id)["Parts"]

    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, etag, 6)]
    assert parts[0]["ChecksumSHA256"] == sha256_b64(b"second")
    complete(s3, "k", upload_id, completed_parts(s3, "k", upload_id))
    assert s3.client.get_object(Bucket=s3.bucket, Key="k")["Body"].read() == b"second"


@pytest.mark.parametrize("value", ["not base64!", "AAAA"])
def test_a_checksum_that_is_no_sha256_digest_is_an_invalid_request(s3: LocalS3, value: str) -> None:
    upload_id = s3.start_multipart("k")

    with pytest.raises(ClientError) as error:
        s3.client.upload_part(
            Bucket=s3.bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"part",
            ChecksumSHA256=value,
        )

    assert refusal(error) == (400, "InvalidRequest")
    assert error.value.response["Error"]["Message"] == (
        "Value for x-amz-checksum-sha256 header is invalid."
    )
