"""S3 checksums: digests of a streaming body, a multipart composite, kept with what they cover."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from botocore import httpchecksum

from local_stack.s3 import errors
from local_stack.s3.backend import s3_models
from local_stack.s3.request import ReceivedRequest

if TYPE_CHECKING:
    from local_stack.s3.payload import ReceivedBody

# The algorithms S3 names in x-amz-checksum-<algorithm> (other x-amz-checksum-* are settings).
CHECKSUM_ALGORITHMS = frozenset(
    {"crc32", "crc32c", "crc64nvme", "sha1", "sha256", "sha512", "md5", "xxhash64", "xxhash3"}
    | {"xxhash128"}
)
# AWS parity: these algorithms give a multipart object a COMPOSITE checksum (a checksum of the
# parts' checksums, "-N" appended); CRC64NVME is always FULL_OBJECT (not emulated here).
COMPOSITE_ALGORITHMS = frozenset({"sha1", "sha256", "crc32", "crc32c"})
_DIGEST_BYTES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}


class _Checksum(Protocol):
    def update(self, chunk: bytes | memoryview) -> None: ...
    def b64digest(self) -> str: ...


def _checksum_classes() -> Mapping[str, Callable[[], _Checksum]]:
    # botocore's own checksum implementations (CRC32, SHA1, SHA256; CRC32C/CRC64NVME with awscrt).
    classes: Mapping[str, Callable[[], _Checksum]] = getattr(httpchecksum, "_CHECKSUM_CLS", {})
    return classes


def bad_digest(algorithm: str) -> errors.S3Error:
    return errors.S3Error(
        400,
        "BadDigest",
        f"The {algorithm.upper()} you specified did not match the calculated checksum.",
    )


class BodyDigests:
    """Every digest S3 checks of one body, fed chunk by chunk (the body is never held whole)."""

    def __init__(self, content_sha256: bool, declared: Mapping[str, str]) -> None:
        self._sha256_hex = hashlib.sha256() if content_sha256 else None
        self._declared = dict(declared)  # algorithm -> the base64 value the client declared
        self._checksums: dict[str, _Checksum] = {}
        for algorithm, value in self._declared.items():
            checksum_class = _checksum_classes().get(algorithm)
            if checksum_class is None:
                # Unknown here (e.g. CRC32C without awscrt): cannot check it, so refuse it.
                raise errors.not_implemented(f"x-amz-checksum-{algorithm}")
            digest = raw_digest(value)
            if digest is None or len(digest) != _DIGEST_BYTES.get(algorithm, len(digest)):
                # AWS parity: a value that is no digest of this algorithm is refused at once.
                raise errors.invalid_request(
                    f"Value for x-amz-checksum-{algorithm} header is invalid."
                )
            self._checksums[algorithm] = checksum_class()

    def update(self, chunk: bytes | memoryview) -> None:
        if self._sha256_hex is not None:
            self._sha256_hex.update(chunk)
        for checksum in self._checksums.values():
            checksum.update(chunk)

    def content_sha256(self) -> str:
        return self._sha256_hex.hexdigest() if self._sha256_hex is not None else ""

    def verify(self) -> dict[str, str]:
        """The declared checksums, once the bytes match them (else S3's 400 BadDigest)."""
        for algorithm, checksum in self._checksums.items():
            if checksum.b64digest() != self._declared[algorithm]:
                raise bad_digest(algorithm)
        return dict(self._declared)


def verify_checksum(algorithm: str, expected: str, chunks: Iterable[bytes]) -> None:
    """Refuse ``chunks`` when a declared ``x-amz-checksum-<algorithm>`` does not match them."""
    digests = BodyDigests(False, {algorithm: expected})
    for chunk in chunks:
        digests.update(chunk)
    digests.verify()


def raw_digest(b64_value: str) -> bytes | None:
    """The bytes of a base64 checksum, or None when it is not valid base64."""
    try:
        return base64.b64decode(b64_value, validate=True)
    except (binascii.Error, ValueError):
        return None


def composite(algorithm: str, part_checksums: Iterable[str]) -> str:
    """S3's composite checksum: base64(H(concat of the parts' raw digests)), without "-N".

    AWS parity: for SHA-256, ``base64(sha256(d1 || d2 || ... || dN))`` where ``di`` is part i's
    32-byte digest, in part-number order; S3 shows it as ``<value>-N``.
    """
    checksum_class = _checksum_classes()[algorithm]
    checksum = checksum_class()
    for value in part_checksums:
        checksum.update(raw_digest(value) or b"")
    return checksum.b64digest()


# Kept with the object or part ------------------------------------------------------------------


def keep(request: ReceivedRequest, body: ReceivedBody, *, part: bool) -> list[tuple[str, str]]:
    """Store a PUT's or a part's verified checksum with it (moto drops it); its answer headers.

    Called under the key's (or part's) lock, after the bytes are stored, before the journal.
    """
    if not body.checksums:
        return []
    algorithm, value = sorted(body.checksums.items())[0]
    bucket = s3_models().buckets.get(request.bucket)
    if bucket is None:
        return []
    if part:
        upload = bucket.multiparts.get(request.query_value("uploadId") or "")
        fake = upload.parts.get(int(request.query_value("partNumber") or 0)) if upload else None
        kind = None
    else:
        versions = bucket.keys.getlist(request.key, [])
        fake = versions[-1] if versions else None
        kind = "FULL_OBJECT"  # AWS parity: a single PUT's checksum covers the whole object
    if fake is None:
        return []
    fake.checksum_algorithm = algorithm.upper()
    fake.checksum_value = value
    fake.checksum_type = kind
    headers = [(f"x-amz-checksum-{algorithm}", value)]
    return headers + ([("x-amz-checksum-type", kind)] if kind else [])


def stored_headers(request: ReceivedRequest) -> dict[str, str]:
    """The checksum headers of a GET/HEAD with ``x-amz-checksum-mode: ENABLED``.

    AWS parity: a multipart object's COMPOSITE checksum reads ``<value>-<parts>``; moto's HEAD
    leaves off the suffix and the ``x-amz-checksum-type``.
    """
    if request.headers.get("x-amz-checksum-mode", "").upper() != "ENABLED":
        return {}
    bucket = s3_models().buckets.get(request.bucket)
    if bucket is None or request.has_query("partNumber"):
        return {}
    wanted = request.query_value("versionId")
    versions = bucket.keys.getlist(request.key, [])
    key = next((v for v in reversed(versions) if wanted is None or v.version_id == wanted), None)
    if key is None or not getattr(key, "checksum_value", None) or not key.checksum_algorithm:
        return {}
    value = key.checksum_value
    if key.checksum_type == "COMPOSITE":
        value = f"{value}-{key.checksum_parts}"
    answer = {f"x-amz-checksum-{key.checksum_algorithm.lower()}": value}
    if key.checksum_type:
        answer["x-amz-checksum-type"] = key.checksum_type
    return answer
