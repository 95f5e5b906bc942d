"""Publishes the web page: config.js from the stack outputs, sync to WebBucket, CDN invalidation."""

from __future__ import annotations

import argparse
import logging
import mimetypes
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from scripts.page_config import CONFIG_FILE, config_script

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_s3 import S3Client

LOGGER = logging.getLogger("filestore.deploy_web")
WEB_DIR = Path(__file__).resolve().parent.parent / "static" / "web"
# Pages and config.js must be revalidated on every visit so a deploy shows at once; the rest may
# be cached for an hour (the names carry no content hash, so no "immutable").
NO_CACHE = "no-cache"
SHORT_CACHE = "public, max-age=3600"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


class DeployError(RuntimeError):
    """The stack or the site is not in a state that can be published."""


@dataclass(frozen=True)
class WebTarget:
    """Where the page goes and which API it talks to, from the stack outputs."""

    api_root_url: str
    bucket: str
    distribution_id: str


def read_target(cloudformation: CloudFormationClient, stack_name: str) -> WebTarget:
    """Read ApiRootUrl, WebBucketName and WebDistributionId from the stack's outputs."""
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {
        output["OutputKey"]: output["OutputValue"]
        for output in stacks[0].get("Outputs", [])
        if "OutputKey" in output and "OutputValue" in output
    }
    missing = [
        key for key in ("ApiRootUrl", "WebBucketName", "WebDistributionId") if key not in outputs
    ]
    if missing:
        raise DeployError(f"stack {stack_name} has no output {', '.join(missing)}")
    return WebTarget(
        api_root_url=outputs["ApiRootUrl"],
        bucket=outputs["WebBucketName"],
        distribution_id=outputs["WebDistributionId"],
    )


def content_type(path: Path) -> str:
    """The Content-Type S3 should serve ``path`` with."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known is not None:
        return known
    guessed, _encoding = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def cache_control(key: str) -> str:
    """The Cache-Control of an object key."""
    return NO_CACHE if key.endswith(".html") or key == CONFIG_FILE else SHORT_CACHE


def site_files(web_dir: Path) -> dict[str, Path]:
    """Every file of the site by its object key (path relative to ``web_dir``, with /)."""
    if not (web_dir / "index.html").is_file():
        raise DeployError(f"{web_dir}/index.html is missing; build the page first (make setup)")
    return {
        path.relative_to(web_dir).as_posix(): path
        for path in sorted(web_dir.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def sync_site(s3: S3Client, bucket: str, web_dir: Path) -> tuple[int, int]:
    """Upload every file of ``web_dir`` and delete objects it no longer has; (uploaded, deleted)."""
    files = site_files(web_dir)
    for key, path in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(path),
            CacheControl=cache_control(key),
        )
    stale = [key for key in _object_keys(s3, bucket) if key not in files]
    for start in range(0, len(stale), DELETE_BATCH):
        batch = stale[start : start + DELETE_BATCH]
        response = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
        )
        if response.get("Errors"):
            raise DeployError(f"could not delete old objects: {response['Errors']}")
    return len(files), len(stale)


def invalidate(cloudfront: CloudFrontClient, distribution_id: str) -> str:
    """Ask CloudFront to drop every cached object; returns the invalidation id."""
    response = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"filestore-deploy-web-{time.time_ns()}",
        },
    )
    return response["Invalidation"]["Id"]


def deploy_web(
    stack_name: str,
    *,
    web_dir: Path = WEB_DIR,
    cloudformation: CloudFormationClient,
    s3: S3Client,
    cloudfront: CloudFrontClient,
) -> WebTarget:
    """Write config.js for ``stack_name``, sync the site to its bucket and invalidate its CDN."""
    target = read_target(cloudformation, stack_name)
    (web_dir / CONFIG_FILE).write_text(config_script(target.api_root_url), encoding="utf-8")
    uploaded, deleted = sync_site(s3, target.bucket, web_dir)
    LOGGER.info("uploaded %d files to s3://%s, deleted %d", uploaded, target.bucket, deleted)
    invalidation = invalidate(cloudfront, target.distribution_id)
    LOGGER.info("CloudFront invalidation %s started", invalidation)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point of ``make deploy-web STACK=name``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", required=True, help="name of the deployed Filestore stack")
    parser.add_argument("--region", help="AWS region (default: the standard AWS configuration)")
    parser.add_argument("--web-dir", type=Path, default=WEB_DIR, help="the built site")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    session = boto3.Session(region_name=args.region)
    try:
        deploy_web(
            args.stack,
            web_dir=args.web_dir,
            cloudformation=session.client("cloudformation"),
            s3=session.client("s3"),
            cloudfront=session.client("cloudfront"),
        )
    except DeployError as err:
        LOGGER.error("deploy-web failed: %s", err)
        return 1
    return 0


def _object_keys(s3: S3Client, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if "Key" in item:
                yield item["Key"]


if __name__ == "__main__":
    raise SystemExit(main())
