"""The storage bucket: presigned upload and download URLs, HeadObject, ranged GET, DeleteObject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


@dataclass(frozen=True)
class PresignedUpload:
    """A presigned PUT: the URL and exactly the headers its signature covers."""

    url: str
    headers: dict[str, str]
    method: str = "PUT"


@dataclass(frozen=True)
class StoredObject:
    """What HeadObject says about an uploaded object."""

    size: int
    content_type: str


class ObjectStorage:
    """Objects of one bucket, keyed by file id."""

    def __init__(self, client: S3Client, bucket: str, *, url_expiration: int) -> None:
        self._client = client
        self._bucket = bucket
        self._expiration = url_expiration

    def presign_upload(
        self, key: str, *, content_type: str, content_length: int
    ) -> PresignedUpload:
        """A SigV4 PUT URL signing Content-Length, Content-Type and ``If-None-Match: *``."""
        url = self._client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": content_length,
                "IfNoneMatch": "*",
            },
            ExpiresIn=self._expiration,
            HttpMethod="PUT",
        )
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(content_length),
            "If-None-Match": "*",
        }
        return PresignedUpload(url=url, headers=headers)

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
            response = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES:
                return None
            raise
        return StoredObject(
            size=response["ContentLength"],
            content_type=response.get("ContentType") or "application/octet-stream",
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
