"""The S3 journal: what the endpoint wrote is loaded back into a fresh moto, bytes and all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from moto.s3.models import s3_backends

from local_stack.account import ACCOUNT_ID
from local_stack.s3.journal import ObjectJournal
from local_stack.testing.checksums import composite_sha256, sha256_b64
from local_stack.testing.s3_wsgi import LocalS3

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART_SIZE = 5 * 1024 * 1024  # S3's smallest part but the last


@pytest.fixture
def journaled(tmp_path: Path) -> LocalS3:
    return LocalS3(journal=ObjectJournal(tmp_path))


def _fresh_moto(s3: LocalS3) -> None:
    """Forget everything moto holds (as a new stack process starts), then recreate the bucket."""
    s3_backends[ACCOUNT_ID]["aws"].reset()
    s3.client.create_bucket(Bucket=s3.bucket)
    assert s3.client.list_objects_v2(Bucket=s3.bucket).get("KeyCount") == 0


def _objects(s3: LocalS3) -> dict[str, dict[str, Any]]:
    """Every object's bytes, ETag, content type and user metadata, by key."""
    listing = s3.client.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    found = {}
    for entry in listing:
        key = entry["Key"]
        got = s3.client.get_object(Bucket=s3.bucket, Key=key)
        found[key] = {
            "body": got["Body"].read(),
            "etag": got["ETag"],
            "type": got["ContentType"],
            "metadata": got["Metadata"],
            "listed_etag": entry["ETag"],
            "size": entry["Size"],
        }
    return found


def _upload_parts(
    s3: LocalS3, key: str, parts: list[bytes]
) -> tuple[str, list[CompletedPartTypeDef]]:
    upload_id = s3.client.create_multipart_upload(
        Bucket=s3.bucket, Key=key, ContentType="application/zip"
    )["UploadId"]
    done: list[CompletedPartTypeDef] = []
    for number, data in enumerate(parts, start=1):
        answer = s3.client.upload_part(
            Bucket=s3.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        done.append({"PartNumber": number, "ETag": answer["ETag"]})
    return upload_id, done


def _write_everything(s3: LocalS3) -> tuple[str, list[CompletedPartTypeDef]]:
    """One of each write the endpoint journals; the open upload's id and its parts."""
    bucket = s3.bucket
    s3.client.put_object(
        Bucket=bucket, Key="single", Body=b"one", ContentType="text/csv", Metadata={"owner": "ann"}
    )
    s3.client.put_object(Bucket=bucket, Key="overwritten", Body=b"old", ContentType="text/plain")
    s3.client.put_object(Bucket=bucket, Key="overwritten", Body=b"newer", ContentType="image/png")
    s3.client.put_object(Bucket=bucket, Key="deleted", Body=b"gone")
    s3.client.delete_object(Bucket=bucket, Key="deleted")
    for key in ("batch-1", "batch-2", "batch-kept"):
        s3.client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.client.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "batch-1"}, {"Key": "batch-2"}]}
    )
    upload_id, parts = _upload_parts(s3, "assembled", [b"a" * PART_SIZE, b"tail"])
    s3.client.complete_multipart_upload(
        Bucket=bucket, Key="assembled", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    return _upload_parts(s3, "unfinished", [b"b" * PART_SIZE, b"end"])


def test_restore_brings_back_every_object_with_its_bytes_etag_type_and_metadata(
    journaled: LocalS3, tmp_path: Path
) -> None:
    _write_everything(journaled)
    before = _objects(journaled)
    assert sorted(before) == ["assembled", "batch-kept", "overwritten", "single"]

    _fresh_moto(journaled)
    restored = ObjectJournal(tmp_path).restore()

    assert restored == 4
    assert _objects(journaled) == before
    assert before["single"]["metadata"] == {"owner": "ann"}
    assert before["overwritten"]["body"] == b"newer"
    assert before["assembled"]["body"] == b"a" * PART_SIZE + b"tail"
    assert before["assembled"]["etag"].endswith('-2"')


def test_an_unfinished_multipart_upload_lists_its_parts_and_completes_after_restore(
    journaled: LocalS3, tmp_path: Path
) -> None:
    upload_id, parts = _write_everything(journaled)

    _fresh_moto(journaled)
    ObjectJournal(tmp_path).restore()

    uploads = journaled.client.list_multipart_uploads(Bucket=journaled.bucket)["Uploads"]
    assert [(upload["Key"], upload["UploadId"]) for upload in uploads] == [
        ("unfinished", upload_id)
    ]
    listed = journaled.client.list_parts(
        Bucket=journaled.bucket, Key="unfinished", UploadId=upload_id
    )["Parts"]
    assert [(part["PartNumber"], part["ETag"], part["Size"]) for part in listed] == [
        (1, parts[0]["ETag"], PART_SIZE),
        (2, parts[1]["ETag"], 3),
    ]
    journaled.client.complete_multipart_upload(
        Bucket=journaled.bucket,
        Key="unfinished",
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    )
    got = journaled.client.get_object(Bucket=journaled.bucket, Key="unfinished")
    assert got["Body"].read() == b"b" * PART_SIZE + b"end"
    assert got["ContentType"] == "application/zip"


def test_a_completed_upload_is_kept_once_restored_and_forgotten_by_the_journal(
    journaled: LocalS3, tmp_path: Path
) -> None:
    upload_id, parts = _write_everything(journaled)
    journaled.client.complete_multipart_upload(
        Bucket=journaled.bucket,
        Key="unfinished",
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    )

    _fresh_moto(journaled)
    assert ObjectJournal(tmp_path).restore() == 5

    assert journaled.client.list_multipart_uploads(Bucket=journaled.bucket).get("Uploads") is None
    got = journaled.client.get_object(Bucket=journaled.bucket, Key="unfinished")
    assert got["Body"].read() == b"b" * PART_SIZE + b"end"


def test_the_journal_keeps_one_blob_per_live_object_or_part_and_restore_drops_orphans(
    journaled: LocalS3, tmp_path: Path
) -> None:
    _write_everything(journaled)
    blobs = tmp_path / "blobs"
    # 4 objects and the open upload's 2 parts: overwritten, deleted and assembled parts are gone.
    assert len(list(blobs.iterdir())) == 6
    orphan = blobs / "0123456789abcdef0123456789abcdef"
    orphan.write_bytes(b"left by a write that crashed before its row was committed")

    _fresh_moto(journaled)
    ObjectJournal(tmp_path).restore()

    assert not orphan.exists()
    assert len(list(blobs.iterdir())) == 6
    assert journaled.client.get_object(Bucket=journaled.bucket, Key="single")["Body"].read() == (
        b"one"
    )


def test_writes_after_a_restore_are_journaled_too(journaled: LocalS3, tmp_path: Path) -> None:
    journaled.client.put_object(Bucket=journaled.bucket, Key="first", Body=b"1")
    _fresh_moto(journaled)
    ObjectJournal(tmp_path).restore()
    journaled.client.put_object(Bucket=journaled.bucket, Key="second", Body=b"2")
    journaled.client.delete_object(Bucket=journaled.bucket, Key="first")

    _fresh_moto(journaled)
    assert ObjectJournal(tmp_path).restore() == 1

    assert sorted(_objects(journaled)) == ["second"]


def _versions(s3: LocalS3) -> list[tuple[str, str, bool, bytes | None]]:
    """Every version of every key: (key, version id, is a delete marker, bytes)."""
    listed = s3.client.list_object_versions(Bucket=s3.bucket)
    found: list[tuple[str, str, bool, bytes | None]] = []
    for version in listed.get("Versions", []):
        body = s3.client.get_object(
            Bucket=s3.bucket, Key=version["Key"], VersionId=version["VersionId"]
        )["Body"].read()
        found.append((version["Key"], version["VersionId"], False, body))
    for marker in listed.get("DeleteMarkers", []):
        found.append((marker["Key"], marker["VersionId"], True, None))
    return sorted(found)


def test_every_version_and_delete_marker_of_a_versioned_bucket_is_restored(
    journaled: LocalS3, tmp_path: Path
) -> None:
    versioning: Any = {"Status": "Enabled"}
    journaled.client.put_bucket_versioning(
        Bucket=journaled.bucket, VersioningConfiguration=versioning
    )
    journaled.client.put_object(Bucket=journaled.bucket, Key="doc", Body=b"first")
    journaled.client.put_object(Bucket=journaled.bucket, Key="doc", Body=b"second")
    journaled.client.put_object(Bucket=journaled.bucket, Key="removed", Body=b"kept as a version")
    journaled.client.delete_object(Bucket=journaled.bucket, Key="removed")
    before = _versions(journaled)
    assert sorted((key, marker) for key, _, marker, _ in before) == [
        ("doc", False),
        ("doc", False),
        ("removed", False),
        ("removed", True),
    ]

    _fresh_moto(journaled)
    journaled.client.put_bucket_versioning(
        Bucket=journaled.bucket, VersioningConfiguration=versioning
    )  # a bucket setting: the stack applies the template's at every start
    ObjectJournal(tmp_path).restore()

    assert _versions(journaled) == before
    latest = journaled.client.get_object(Bucket=journaled.bucket, Key="doc")
    assert latest["Body"].read() == b"second"


def test_an_aborted_upload_and_a_part_sent_twice_leave_no_blob_behind(
    journaled: LocalS3, tmp_path: Path
) -> None:
    aborted, _ = _upload_parts(journaled, "aborted", [b"x" * 10, b"y" * 10])
    journaled.client.abort_multipart_upload(
        Bucket=journaled.bucket, Key="aborted", UploadId=aborted
    )
    resent, _ = _upload_parts(journaled, "resent", [b"old part"])
    again = journaled.client.upload_part(
        Bucket=journaled.bucket, Key="resent", UploadId=resent, PartNumber=1, Body=b"new part!"
    )
    assert len(list((tmp_path / "blobs").iterdir())) == 1  # the resent part's latest bytes

    _fresh_moto(journaled)
    ObjectJournal(tmp_path).restore()

    uploads = journaled.client.list_multipart_uploads(Bucket=journaled.bucket)["Uploads"]
    assert [upload["UploadId"] for upload in uploads] == [resent]
    (part,) = journaled.client.list_parts(Bucket=journaled.bucket, Key="resent", UploadId=resent)[
        "Parts"
    ]
    assert (part["ETag"], part["Size"]) == (again["ETag"], len(b"new part!"))


def test_part_checksums_and_the_completed_composite_survive_a_restart(
    journaled: LocalS3, tmp_path: Path
) -> None:
    parts = [b"c" * PART_SIZE, b"d" * PART_SIZE, b"end"]
    upload_id = journaled.start_multipart("resumed")
    for number, data in enumerate(parts[:2], start=1):
        url, headers = journaled.presigned_part("resumed", upload_id, number, data)
        assert journaled.send("PUT", url, headers, data).status_code == 200

    _fresh_moto(journaled)
    ObjectJournal(tmp_path).restore()
    listed = journaled.client.list_parts(
        Bucket=journaled.bucket, Key="resumed", UploadId=upload_id
    )["Parts"]
    assert [part["ChecksumSHA256"] for part in listed] == [sha256_b64(p) for p in parts[:2]]
    url, headers = journaled.presigned_part("resumed", upload_id, 3, parts[2])
    assert journaled.send("PUT", url, headers, parts[2]).status_code == 200
    listed = journaled.client.list_parts(
        Bucket=journaled.bucket, Key="resumed", UploadId=upload_id
    )["Parts"]
    done = journaled.client.complete_multipart_upload(
        Bucket=journaled.bucket,
        Key="resumed",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {
                    "PartNumber": p["PartNumber"],
                    "ETag": p["ETag"],
                    "ChecksumSHA256": p["ChecksumSHA256"],
                }
                for p in listed
            ]
        },
    )
    assert done["ChecksumSHA256"] == composite_sha256(parts)

    _fresh_moto(journaled)
    ObjectJournal(tmp_path).restore()

    head = journaled.client.head_object(
        Bucket=journaled.bucket, Key="resumed", ChecksumMode="ENABLED"
    )
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (composite_sha256(parts), "COMPOSITE")
    assert head["ETag"] == done["ETag"]
    assert journaled.client.list_multipart_uploads(Bucket=journaled.bucket).get("Uploads", []) == []
    got = journaled.client.get_object(Bucket=journaled.bucket, Key="resumed")["Body"].read()
    assert got == b"".join(parts)
