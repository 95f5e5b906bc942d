"""The storage bucket: presigned URLs, HeadObject, ranged GET, DeleteObject, multipart uploads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import ClientError

from filestore.errors import IncompleteUpload
from filestore.parts import HeldPart

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
NO_SUCH_UPLOAD = "NoSuchUpload"
PRECONDITION_FAILED = "PreconditionFailed"
# S3 answers 409 to a conditional write racing another on the same key; retrying settles it.
CONDITIONAL_CONFLICT = "ConditionalRequestConflict"
CONFLICT_ATTEMPTS = 4
# The parts changed between our ListParts and the Complete (a part re-sent meanwhile).
PART_MISMATCH_CODES = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "BadDigest"})
CHECKSUM_HEADER = "x-amz-checksum-sha256"


class PresignedUpload(NamedTuple):
    """A presigned PUT: the URL and exactly the headers its signature covers."""

    url: str
    headers: dict[str, str]
    method: str = "PUT"


class StoredObject(NamedTuple):
    """What HeadObject says about an uploaded object."""

    size: int
    content_type: str
    checksum_sha256: str | None = None  # base64; a multipart object's ends in "-<parts>"


class Completion(StrEnum):
    """What CompleteMultipartUpload with ``If-None-Match: *`` led to."""

    COMPLETED = "completed"  # this call made the object
    EXISTS = "exists"  # the object is there already: a concurrent complete made it
    GONE = "gone"  # the upload is no more: completed meanwhile, or aborted


class ObjectStorage:
    """Objects of one bucket, keyed by file id."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        url_expiration: int,
        parts_page_size: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._expiration = url_expiration
        self._parts_page_size = parts_page_size
        self._sleep = sleep

    def presign_upload(
        self, key: str, *, content_type: str, content_length: int, checksum_sha256: str | None
    ) -> PresignedUpload:
        """A SigV4 PUT URL signing Content-Length, Content-Type, ``If-None-Match: *`` and, when
        given, ``x-amz-checksum-sha256`` (S3 then refuses other bytes with 400 BadDigest)."""
        params: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "ContentType": content_type,
            "ContentLength": content_length,
            "IfNoneMatch": "*",
        }
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(content_length),
            "If-None-Match": "*",
        }
        if checksum_sha256 is not None:
            params["ChecksumSHA256"] = checksum_sha256
            headers[CHECKSUM_HEADER] = checksum_sha256
        url = self._client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=self._expiration, HttpMethod="PUT"
        )
        return PresignedUpload(url=url, headers=headers)

    def start_multipart(self, key: str, *, content_type: str) -> str:
        """CreateMultipartUpload with SHA-256 part checksums and the declared type: its id."""
        response = self._client.create_multipart_upload(
            Bucket=self._bucket, Key=key, ContentType=content_type, ChecksumAlgorithm="SHA256"
        )
        return response["UploadId"]

    def presign_part(
        self, key: str, upload_id: str, *, number: int, content_length: int, checksum_sha256: str
    ) -> PresignedUpload:
        """A SigV4 UploadPart URL signing the part's exact Content-Length and its SHA-256."""
        url = self._client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": number,
                "ContentLength": content_length,
                "ChecksumSHA256": checksum_sha256,
            },
            ExpiresIn=self._expiration,
            HttpMethod="PUT",
        )
        headers = {"Content-Length": str(content_length), CHECKSUM_HEADER: checksum_sha256}
        return PresignedUpload(url=url, headers=headers)

    def list_parts(self, key: str, upload_id: str) -> list[HeldPart] | None:
        """Every part S3 holds, page after page; None when the upload is no more."""
        arguments: dict[str, Any] = {"Bucket": self._bucket, "Key": key, "UploadId": upload_id}
        if self._parts_page_size is not None:
            arguments["MaxParts"] = self._parts_page_size
        held: list[HeldPart] = []
        while True:
            try:
                page = self._client.list_parts(**arguments)
            except ClientError as err:
                if _code(err) == NO_SUCH_UPLOAD:
                    return None
                raise
            held.extend(
                HeldPart(
                    number=part["PartNumber"],
                    size=part["Size"],
                    etag=part["ETag"],
                    checksum_sha256=part.get("ChecksumSHA256"),
                )
                for part in page.get("Parts", [])
            )
            if not page.get("IsTruncated"):
                return held
            arguments["PartNumberMarker"] = page["NextPartNumberMarker"]

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[HeldPart]) -> Completion:
        """CompleteMultipartUpload with ``If-None-Match: *``: never replaces an object."""
        completed: list[CompletedPartTypeDef] = []
        for part in parts:
            entry: CompletedPartTypeDef = {"PartNumber": part.number, "ETag": part.etag}
            if part.checksum_sha256 is not None:
                entry["ChecksumSHA256"] = part.checksum_sha256
            completed.append(entry)
        attempt = 0
        while True:
            try:
                self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": completed},
                    IfNoneMatch="*",
                )
            except ClientError as err:
                code = _code(err)
                attempt += 1
                if code == CONDITIONAL_CONFLICT and attempt < CONFLICT_ATTEMPTS:
                    self._sleep(random.uniform(0.05, 0.2) * 2**attempt)
                    continue
                if code == PRECONDITION_FAILED:
                    return Completion.EXISTS
                if code in (NO_SUCH_UPLOAD, CONDITIONAL_CONFLICT):
                    return Completion.GONE  # the HeadObject that follows tells which
                if code in PART_MISMATCH_CODES:
                    message = err.response.get("Error", {}).get("Message", code)
                    raise IncompleteUpload(
                        f"S3 refused the parts ({code}: {message}); list them and send again"
                    ) from err
                raise
            return Completion.COMPLETED

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """AbortMultipartUpload; an upload already completed or aborted is not an error."""
        try:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except ClientError as err:
            if _code(err) != NO_SUCH_UPLOAD:
                raise

    def presign_download(self, key: str, *, content_type: str, content_disposition: str) -> str:
        """A SigV4 GET URL that makes S3 answer with this type and disposition."""
        return self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition,
            },
            ExpiresIn=self._expiration,
            HttpMethod="GET",
        )

    def head(self, key: str) -> StoredObject | None:
        """Size and type of the object, or None when there is none."""
        try:
            response = self._client.head_object(
                Bucket=self._bucket, Key=key, ChecksumMode="ENABLED"
            )
        except ClientError as err:
            if _code(err) in MISSING_OBJECT_CODES:
                return None
            raise
        return StoredObject(
            size=response["ContentLength"],
            content_type=response.get("ContentType") or "application/octet-stream",
            checksum_sha256=response.get("ChecksumSHA256"),
        )

    def read_head(self, key: str, length: int) -> bytes | None:
        """The object's first ``length`` bytes (one ranged GET), or None when there is none."""
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=key, Range=f"bytes=0-{length - 1}"
            )
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code == "InvalidRange":  # S3's answer for an empty object
                return b""
            if code in MISSING_OBJECT_CODES:
                return None
            raise
        with response["Body"] as body:
            return body.read(length)

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error in S3."""
        self._client.delete_object(Bucket=self._bucket, Key=key)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
