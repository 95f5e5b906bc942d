"""Multipart uploads where moto falls short of S3: part checksums, ListParts pages, completion.

moto 5.2.5 accepts a part without the checksum its upload was created for, keeps no part
checksum, pages ListParts by list index instead of part number, answers 500 for a part or a
completion of an unknown upload, reads each part whole into memory and assembles a completed
object in memory (``bytes`` of the whole object, twice). Here each step reads and writes
moto's own models (under the key's or the part's lock), so every other operation (GET, HEAD,
versions, the journal) sees the same objects as before.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from local_stack.s3 import errors
from local_stack.s3.backend import s3_models
from local_stack.s3.checksums import COMPOSITE_ALGORITHMS, composite
from local_stack.s3.forwarding import BackendResponse, internal_error
from local_stack.s3.payload import ReceivedBody
from local_stack.s3.request import ReceivedRequest

# AWS parity: every part but the last must hold at least 5 MiB; part numbers run 1..10,000;
# ListParts returns at most 1,000 parts a page.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000
MAX_LIST_PARTS = 1000
_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
_CHUNK = 1024 * 1024
logger = logging.getLogger(__name__)
_OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"  # moto's owner


def _xml_answer(body: bytes, *headers: tuple[str, str]) -> BackendResponse:
    """A 200 the endpoint builds itself instead of moto's."""
    fields = [("Content-Type", "application/xml"), ("Content-Length", str(len(body))), *headers]
    return BackendResponse("200 OK", fields, [body])


def operation(request: ReceivedRequest) -> str | None:
    """The multipart operation a keyed request is, if any (S3's operation names)."""
    if not request.key or not request.has_query("uploadId"):
        return None
    if request.method == "PUT" and request.has_query("partNumber"):
        return None if "x-amz-copy-source" in request.headers else "UploadPart"
    return {
        "GET": "ListParts",
        "POST": "CompleteMultipartUpload",
        "DELETE": "AbortMultipartUpload",
    }.get(request.method)


def _bucket(request: ReceivedRequest) -> Any:
    bucket = s3_models().buckets.get(request.bucket)
    if bucket is None:
        raise errors.S3Error(
            404,
            "NoSuchBucket",
            "The specified bucket does not exist",
            (("BucketName", request.bucket),),
        )
    return bucket


def _upload(request: ReceivedRequest) -> Any:
    upload_id = request.query_value("uploadId") or ""
    upload = _bucket(request).multiparts.get(upload_id)
    if upload is None or upload.key_name != request.key:
        raise errors.no_such_upload(upload_id)
    return upload


def upload_algorithm(upload: Any) -> str | None:
    """The checksum algorithm the upload was created with (lower case), if any."""
    algorithm = upload.metadata.get("x-amz-checksum-algorithm")
    return str(algorithm).lower() if algorithm else None


def _sent_algorithm(headers: Mapping[str, str]) -> str | None:
    trailer = headers.get("x-amz-trailer", "")
    for name in [*headers, *trailer.split(",")]:
        name = name.strip().lower()
        if name.startswith("x-amz-checksum-") and name not in (
            "x-amz-checksum-mode",
            "x-amz-checksum-type",
            "x-amz-checksum-algorithm",
        ):
            return name.removeprefix("x-amz-checksum-")
    return None


# UploadPart -----------------------------------------------------------------------------------


def check_part(request: ReceivedRequest) -> None:
    """Refuse an UploadPart as S3 does before it reads the body."""
    raw = request.query_value("partNumber") or ""
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PART_NUMBER:
        raise errors.invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", raw
        )
    algorithm = upload_algorithm(_upload(request))
    sent = _sent_algorithm(request.headers)
    if algorithm is not None and sent != algorithm:
        # AWS parity: a part of an upload created with a checksum algorithm must carry it.
        raise errors.invalid_request(
            "Checksum Type mismatch occurred, expected checksum Type: "
            f"{algorithm}, actual checksum Type: {sent or 'null'}"
        )


def run(request: ReceivedRequest, body: ReceivedBody, operation: str | None) -> BackendResponse:
    """UploadPart or CompleteMultipartUpload (the caller holds the lock); a bug is a 500."""
    try:
        if operation == "UploadPart":
            return upload_part(request, body)
        return complete(request, body.read_small())
    except errors.S3Error:
        raise
    except Exception as err:
        logger.exception("%s of %s failed", operation, request.key)
        raise internal_error() from err


def upload_part(request: ReceivedRequest, body: ReceivedBody) -> BackendResponse:
    """UploadPart on moto's models, the checked body copied from its spool file a MiB at a time.

    moto's own UploadPart reads the whole body into memory (about three copies of it on the way
    into the part's buffer); this is what ``FakeMultipart.set_part`` does, streamed. The caller
    holds the part's lock.
    """
    from moto.s3.models import FakeKey

    backend = s3_models()
    upload = _upload(request)  # again: it may have been aborted while the body arrived
    number = int(request.query_value("partNumber") or 0)
    part = FakeKey(
        number,  # type: ignore[arg-type]  # moto names a part by its number
        b"",
        account_id=backend.account_id,
        region_name=backend.region_name,
        encryption=upload.sse_encryption,
        kms_key_id=upload.kms_key_id,
    )
    md5 = hashlib.md5(usedforsecurity=False)
    body.file.seek(0)
    while chunk := body.file.read(_CHUNK):
        md5.update(chunk)
        part._value_buffer.write(chunk)
    part.contentsize = body.size
    part._etag = md5.hexdigest()
    # A part sent again replaces the old one; the old buffer is closed when nothing reads it
    # (moto disposes of it at once, under a completion that may be copying it).
    upload.parts[number] = part
    if number not in upload.partlist:
        bisect.insort(upload.partlist, number)
    headers = {**part.response_dict, "content-length": "0"}
    return BackendResponse("200 OK", list(headers.items()), [b""])


# ListParts ------------------------------------------------------------------------------------


def _int_param(request: ReceivedRequest, name: str, default: int) -> int:
    raw = request.query_value(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise errors.invalid_argument(
            f"Provided {name} not an integer or within integer range", name, raw
        )
    return int(raw)


def list_parts(request: ReceivedRequest) -> BackendResponse:
    """ListParts by part number: ``part-number-marker`` is the last number of the page before."""
    upload = _upload(request)
    marker = _int_param(request, "part-number-marker", 0)
    max_parts = min(_int_param(request, "max-parts", MAX_LIST_PARTS), MAX_LIST_PARTS)
    numbers = sorted(number for number in upload.parts if number > marker)
    page = numbers[:max_parts]
    algorithm = upload_algorithm(upload)
    parts = []
    for number in page:
        part = upload.parts[number]
        fields = [
            f"<PartNumber>{number}</PartNumber>",
            f"<LastModified>{part.last_modified_ISO8601}</LastModified>",
            f"<ETag>{escape(part.etag)}</ETag>",
            f"<Size>{part.size}</Size>",
        ]
        if part.checksum_value and part.checksum_algorithm:
            name = f"Checksum{part.checksum_algorithm.upper()}"
            fields.append(f"<{name}>{escape(part.checksum_value)}</{name}>")
        parts.append("<Part>" + "".join(fields) + "</Part>")
    owner = f"<ID>{_OWNER_ID}</ID><DisplayName>webfile</DisplayName>"
    checksum = f"<ChecksumAlgorithm>{algorithm.upper()}</ChecksumAlgorithm>" if algorithm else ""
    if algorithm in COMPOSITE_ALGORITHMS:
        checksum += "<ChecksumType>COMPOSITE</ChecksumType>"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="{_XMLNS}">'
        f"<Bucket>{escape(request.bucket)}</Bucket><Key>{escape(request.key)}</Key>"
        f"<UploadId>{escape(upload.id)}</UploadId>"
        f"<PartNumberMarker>{marker}</PartNumberMarker>"
        f"<NextPartNumberMarker>{page[-1] if page else 0}</NextPartNumberMarker>"
        f"<MaxParts>{max_parts}</MaxParts>"
        f"<IsTruncated>{'true' if len(numbers) > len(page) else 'false'}</IsTruncated>"
        f"{''.join(parts)}<Initiator>{owner}</Initiator><Owner>{owner}</Owner>"
        f"<StorageClass>{escape(upload.storage or 'STANDARD')}</StorageClass>{checksum}"
        "</ListPartsResult>"
    ).encode()
    return _xml_answer(body)


# CompleteMultipartUpload ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ListedPart:
    number: int
    etag: str
    checksums: dict[str, str]  # lower-case algorithm -> base64, as the request lists them


def _listed_parts(data: bytes) -> list[_ListedPart]:
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - a signed request's small XML body
    except ElementTree.ParseError:
        raise errors.malformed_xml() from None
    listed = []
    for element in root:
        if element.tag.rsplit("}", 1)[-1] != "Part":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in element}
        number = fields.get("PartNumber", "")
        if not number.isdigit() or "ETag" not in fields:
            raise errors.malformed_xml()
        checksums = {
            name.removeprefix("Checksum").lower(): value
            for name, value in fields.items()
            if name.startswith("Checksum") and name != "ChecksumType"
        }
        listed.append(_ListedPart(int(number), fields["ETag"].strip('"'), checksums))
    if not listed:
        raise errors.malformed_xml()
    return listed


def _checked_parts(upload: Any, listed: list[_ListedPart], upload_id: str) -> list[Any]:
    """The stored parts the request names, refused as S3 refuses them (order, ETag, checksum)."""
    algorithm = upload_algorithm(upload)
    previous = 0
    parts = []
    for item in listed:
        if item.number <= previous:
            raise errors.invalid_part_order()
        previous = item.number
        part = upload.parts.get(item.number)
        if part is None or part.etag.strip('"') != item.etag:
            raise errors.invalid_part(upload_id, item.number, item.etag)
        if algorithm is not None and algorithm not in item.checksums:
            raise errors.invalid_request(
                f"The upload was created using a {algorithm} checksum. The complete request "
                "must include the checksum for each part. It was missing for part "
                f"{item.number} in the request."
            )
        stored = (part.checksum_algorithm or "").lower()
        for name, value in item.checksums.items():
            if name != stored or value != part.checksum_value:
                # AWS parity: a part checksum that is not the stored one is an InvalidPart.
                raise errors.invalid_part(upload_id, item.number, item.etag)
        parts.append(part)
    for number, part in zip(listed[:-1], parts[:-1], strict=True):
        if part.size < MIN_PART_SIZE:
            raise errors.entity_too_small(part.size, MIN_PART_SIZE, number.number, number.etag)
    return parts


def complete(request: ReceivedRequest, data: bytes) -> BackendResponse:
    """CompleteMultipartUpload on moto's models, the object streamed together part by part.

    The caller holds the key's lock, so ``If-None-Match: *`` is checked and the object written
    with no other write to the key in between (S3 serializes conditional writes per key).
    """
    from moto.s3.models import FakeKey

    backend = s3_models()
    bucket = _bucket(request)
    upload_id = request.query_value("uploadId") or ""
    versions = bucket.keys.getlist(request.key, [])
    existing = versions[-1] if versions and hasattr(versions[-1], "_value_buffer") else None
    if existing is not None and getattr(existing.multipart, "id", None) == upload_id:
        return _completed_answer(request, existing)  # moto parity: completing again is a 200
    upload = _upload(request)
    if request.headers.get("if-none-match", "").strip() == "*" and existing is not None:
        raise errors.precondition_failed("If-None-Match")
    parts = _checked_parts(upload, _listed_parts(data), upload_id)
    algorithm = upload_algorithm(upload)
    checksum = None
    if algorithm in COMPOSITE_ALGORITHMS:
        checksum = composite(algorithm, [part.checksum_value for part in parts])
        declared = request.headers.get(f"x-amz-checksum-{algorithm}")
        if declared is not None and declared not in (checksum, f"{checksum}-{len(parts)}"):
            raise errors.S3Error(
                400,
                "BadDigest",
                f"The {algorithm} you specified did not match the calculated checksum.",
            )
    md5s = b"".join(bytes.fromhex(part.etag.strip('"')) for part in parts)
    # moto's put_object, with the value streamed into the key's spooled buffer (on disk past
    # a few MiB) instead of one bytes object; the key is published only once it is whole.
    key = FakeKey(
        name=request.key,
        bucket_name=request.bucket,
        value=b"",
        account_id=backend.account_id,
        region_name=backend.region_name,
        storage=upload.storage,
        etag=f"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(parts)}",
        is_versioned=bucket.is_versioned,
        version_id=str(uuid.uuid4()) if bucket.is_versioned else "null",
        multipart=upload,
        encryption=upload.sse_encryption,
        kms_key_id=upload.kms_key_id,
    )
    size = 0
    for part in parts:
        with part.lock:
            part._value_buffer.seek(0)
            while chunk := part._value_buffer.read(_CHUNK):
                key._value_buffer.write(chunk)
                size += len(chunk)
    key.contentsize = size
    key.set_metadata(upload.metadata)
    if checksum is not None and algorithm is not None:
        key.checksum_algorithm = algorithm.upper()
        key.checksum_value = checksum
        key.checksum_type = "COMPOSITE"
        key.checksum_parts = len(parts)
    bucket.keys.setlist(request.key, [*versions, key] if bucket.is_versioned else [key])
    del bucket.multiparts[upload_id]
    backend.put_object_tagging(key, upload.tags)
    backend.put_object_acl(request.bucket, request.key, upload.acl, disable_notification=True)
    return _completed_answer(request, key)


def _completed_answer(request: ReceivedRequest, key: Any) -> BackendResponse:
    checksum = ""
    if key.checksum_type == "COMPOSITE" and key.checksum_algorithm and key.checksum_value:
        name = f"Checksum{key.checksum_algorithm.upper()}"
        value = f"{key.checksum_value}-{key.checksum_parts}"
        checksum = f"<{name}>{escape(value)}</{name}><ChecksumType>COMPOSITE</ChecksumType>"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<CompleteMultipartUploadResult xmlns="{_XMLNS}">'
        f"<Location>http://{escape(request.host)}/{escape(request.bucket)}/"
        f"{escape(request.key)}</Location>"
        f"<Bucket>{escape(request.bucket)}</Bucket><Key>{escape(request.key)}</Key>"
        f"<ETag>{escape(key.etag)}</ETag>{checksum}</CompleteMultipartUploadResult>"
    ).encode()
    if key.version_id != "null":
        return _xml_answer(body, ("x-amz-version-id", key.version_id))
    return _xml_answer(body)
