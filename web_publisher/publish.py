"""Copies the built page into the web bucket, writes config.js and the CSP, invalidates the CDN."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from web_publisher.page import (
    CONFIG_FILE,
    PageConfig,
    PageError,
    cache_control,
    content_type,
    with_connect_src,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_s3 import S3Client

LOGGER = logging.getLogger("web_publisher")
# The built page travels in the function's package, next to the web_publisher package.
SITE_DIR = Path(__file__).resolve().parent.parent / "site"
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


class PublishError(RuntimeError):
    """The page cannot be published: bad properties, an unbuilt site, a refused write."""


@dataclass(frozen=True)
class Publication:
    """Where the page goes and what it is configured with: the custom resource's properties."""

    bucket: str
    distribution_id: str  # empty: no CDN to invalidate
    config: PageConfig
    storage_origins: tuple[str, ...]

    @property
    def connect_sources(self) -> tuple[str, ...]:
        """The page's own origin, the API's origin and the storage bucket's origins."""
        return ("'self'", origin_of(self.config.api_url), *self.storage_origins)

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> Publication:
        """Read the WebPage resource's ResourceProperties (CloudFormation sends strings)."""
        try:
            bucket = _text(properties, "WebBucket")
            api_url = _text(properties, "ApiUrl")
            origins = properties.get("StorageOrigins") or []
            if isinstance(origins, str) or not origins:
                raise PublishError("StorageOrigins must be a non-empty list of origins")
            max_size = int(str(properties.get("MaxFileSize", "")))
            types = [t.strip() for t in str(properties.get("AllowedTypes", "*")).split(",")]
            store = str(properties.get("StoreOnUpload", "False")).lower() == "true"
        except ValueError as err:
            raise PublishError(f"MaxFileSize must be a whole number: {err}") from err
        return cls(
            bucket=bucket,
            distribution_id=str(properties.get("DistributionId") or ""),
            config=PageConfig(
                api_url=api_url,
                max_file_size=max_size,
                allowed_types=tuple(t for t in types if t),
                store_on_upload=store,
            ),
            storage_origins=tuple(origin_of(str(origin)) for origin in origins),
        )


@dataclass(frozen=True)
class PublishResult:
    """What a publication did: the keys written and removed, the invalidation started."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    invalidation_id: str | None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, refusing anything that is not an http(s) origin."""
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if not sep or scheme not in ("https", "http") or not host:
        raise PublishError(f"not an http(s) URL: {url!r}")
    return f"{scheme}://{host}"


def site_files(site_dir: Path) -> dict[str, Path]:
    """Every file of the built site by its object key (its path under ``site_dir``, with /)."""
    if not (site_dir / "index.html").is_file():
        raise PublishError(f"{site_dir}/index.html is missing: the package holds no built page")
    return {
        path.relative_to(site_dir).as_posix(): path
        for path in sorted(site_dir.rglob("*"))
        if path.is_file() and not path.name.startswith(".") and path.name != CONFIG_FILE
    }


def publish(
    publication: Publication,
    *,
    s3: S3Client,
    cloudfront: CloudFrontClient | None,
    site_dir: Path | None = None,
    caller_reference: str,
) -> PublishResult:
    """Write the page into its bucket, remove what it no longer has, invalidate the CDN."""
    files = site_files(site_dir or SITE_DIR)
    bodies: dict[str, bytes] = {}
    for key, path in files.items():
        body = path.read_bytes()
        if key.endswith(".html"):
            try:
                html = with_connect_src(body.decode("utf-8"), publication.connect_sources)
            except (PageError, UnicodeDecodeError) as err:
                raise PublishError(f"{key}: {err}") from err
            body = html.encode("utf-8")
        bodies[key] = body
    bodies[CONFIG_FILE] = publication.config.script().encode("utf-8")
    for key, body in bodies.items():
        s3.put_object(
            Bucket=publication.bucket,
            Key=key,
            Body=body,
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )
    stale = tuple(key for key in object_keys(s3, publication.bucket) if key not in bodies)
    _delete(s3, publication.bucket, [{"Key": key} for key in stale])
    invalidation = None
    if publication.distribution_id and cloudfront is not None:
        response = cloudfront.create_invalidation(
            DistributionId=publication.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": ["/*"]},
                "CallerReference": caller_reference,
            },
        )
        invalidation = response["Invalidation"]["Id"]
    LOGGER.info(
        "published %d objects to s3://%s, removed %d, invalidation %s",
        len(bodies),
        publication.bucket,
        len(stale),
        invalidation,
    )
    return PublishResult(tuple(bodies), stale, invalidation)


def unpublish(bucket: str, *, s3: S3Client) -> int:
    """Remove every object (and every version of it) from ``bucket``; a missing bucket is empty.

    The web bucket holds nothing but the page, so emptying it lets CloudFormation delete it.
    """
    removed = 0
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            targets = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in entries
                if "Key" in item and "VersionId" in item
            ]
            _delete(s3, bucket, targets)
            removed += len(targets)
    except s3.exceptions.NoSuchBucket:
        LOGGER.info("s3://%s is already gone", bucket)
        return removed
    LOGGER.info("removed %d object versions from s3://%s", removed, bucket)
    return removed


def object_keys(s3: S3Client, bucket: str) -> Iterator[str]:
    """Every key in ``bucket``."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if "Key" in item:
                yield item["Key"]


def _delete(s3: S3Client, bucket: str, targets: list[Any]) -> None:
    for start in range(0, len(targets), DELETE_BATCH):
        batch = targets[start : start + DELETE_BATCH]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise PublishError(
                f"could not delete {len(errors)} objects from s3://{bucket}, "
                f"first {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )


def _text(properties: Mapping[str, Any], name: str) -> str:
    value = properties.get(name)
    if not isinstance(value, str) or not value:
        raise PublishError(f"{name} is required")
    return value
