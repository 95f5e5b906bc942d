"""Successful uploads emit one s3:ObjectCreated record each, in AWS's event shape, off-thread."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote_plus

from local_stack.account import ACCESS_KEY_ID
from local_stack.s3 import event_key
from local_stack.testing.s3_wsgi import (
    LocalS3,
)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # S3's ETag of a single-part object


def test_a_presigned_upload_emits_one_record_in_the_aws_shape(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    response = s3.send("PUT", url, headers, b"hello")

    [record] = s3.events()
    # Written out by hand from AWS's documented record, with the region and principal as
    # literals, as an independent check of build_record (the event builders reuse it).
    assert record == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": record["eventTime"],
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": f"AWS:{ACCESS_KEY_ID}"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": response.headers["x-amz-request-id"],
            "x-amz-id-2": response.headers["x-amz-id-2"],
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": record["s3"]["configurationId"],
            "bucket": {
                "name": s3.bucket,
                "ownerIdentity": {
                    "principalId": record["s3"]["bucket"]["ownerIdentity"]["principalId"]
                },
                "arn": f"arn:aws:s3:::{s3.bucket}",
            },
            "object": {
                "key": "file-1",
                "size": 5,
                "eTag": md5(b"hello"),
                "sequencer": record["s3"]["object"]["sequencer"],
            },
        },
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert re.fullmatch(r"[0-9A-F]+", record["s3"]["object"]["sequencer"])
    assert record["s3"]["configurationId"]


def test_keys_are_url_encoded_as_s3_does_and_decode_with_unquote_plus(s3: LocalS3) -> None:
    key = "dir/my file+1 (é).txt"
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"x")

    [record] = s3.events()

    assert record["s3"]["object"]["key"] == "dir/my+file%2B1+%28%C3%A9%29.txt"
    assert unquote_plus(record["s3"]["object"]["key"]) == key


def test_event_key_encoding_keeps_slashes_and_uses_plus_for_spaces() -> None:
    assert event_key("a b/c+d") == "a+b/c%2Bd"
    assert event_key("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef"


def test_sequencers_increase_from_one_upload_to_the_next(s3: LocalS3) -> None:
    for index in range(5):
        s3.client.put_object(Bucket=s3.bucket, Key="same-key", Body=bytes([index]))

    sequencers = [record["s3"]["object"]["sequencer"] for record in s3.events()]

    assert len(sequencers) == 5
    assert sequencers == sorted(sequencers)
    assert len(set(sequencers)) == 5


def test_copy_and_multipart_uploads_emit_their_own_event_names(s3: LocalS3) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key="source", Body=b"12345")
    s3.client.copy_object(
        Bucket=s3.bucket, Key="copy", CopySource={"Bucket": s3.bucket, "Key": "source"}
    )
    upload = s3.client.create_multipart_upload(Bucket=s3.bucket, Key="multi")
    part = s3.client.upload_part(
        Bucket=s3.bucket, Key="multi", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 10
    )
    s3.client.complete_multipart_upload(
        Bucket=s3.bucket,
        Key="multi",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    summary = [
        (r["eventName"], r["s3"]["object"]["key"], r["s3"]["object"]["size"]) for r in s3.events()
    ]

    assert summary == [
        ("ObjectCreated:Put", "source", 5),
        ("ObjectCreated:Copy", "copy", 5),
        ("ObjectCreated:CompleteMultipartUpload", "multi", 10),
    ]
    multipart = s3.events()[-1]["s3"]["object"]
    assert multipart["eTag"].endswith("-1") and "versionId" not in multipart


def test_refused_or_non_creating_requests_emit_nothing(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    s3.send("PUT", url, {**headers, "Content-Type": "text/html"}, b"hello")  # tampered
    s3.send("PUT", url, headers, b"hel")  # short body
    s3.client.put_object(Bucket=s3.bucket, Key="other", Body=b"x")
    s3.send("PUT", url, headers, b"hello")
    s3.send("PUT", url, headers, b"hello")  # 412: already there
    s3.client.put_object_tagging(
        Bucket=s3.bucket, Key="other", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
    )
    s3.client.delete_object(Bucket=s3.bucket, Key="other")
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="never-completed")

    keys = [record["s3"]["object"]["key"] for record in s3.events()]

    assert keys == ["other", "file-1"]


def test_the_event_is_handed_over_before_the_upload_is_answered() -> None:
    # The hand-over only queues the event (Lambda's asynchronous invocation queue, durable
    # when the stack keeps its data): a 2xx answer means the event will be delivered.
    answered_before_hand_over: list[bool] = []
    responses: list[int] = []

    def queue(record: dict[str, Any]) -> None:
        answered_before_hand_over.append(bool(responses))

    s3 = LocalS3(on_object_created=queue)
    url, headers = s3.presigned_put("file-1", 5, "text/plain")

    responses.append(s3.send("PUT", url, headers, b"hello").status_code)

    assert responses == [200]
    assert answered_before_hand_over == [False]


def test_a_failing_hand_over_does_not_fail_the_upload_or_later_records() -> None:
    delivered: list[str] = []

    def flaky_queue(record: dict[str, Any]) -> None:
        key = record["s3"]["object"]["key"]
        if key == "first":
            raise RuntimeError("queue down")
        delivered.append(key)

    s3 = LocalS3(on_object_created=flaky_queue)
    first = s3.send("PUT", *_presigned(s3, "first"), b"hello")
    s3.send("PUT", *_presigned(s3, "second"), b"hello")

    assert first.status_code == 200
    assert delivered == ["second"]


def _presigned(s3: LocalS3, key: str) -> tuple[str, dict[str, str]]:
    return s3.presigned_put(key, 5, "text/plain")
