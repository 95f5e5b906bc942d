"""boto3 clients, created once per container on first use; tests pass their own instead."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

# Endpoints come from boto3's standard AWS_ENDPOINT_URL_* variables (the local stack sets them).
# Virtual-hosted addressing makes presigned URLs use the bucket's regional host
# (bucket.s3.<region>.amazonaws.com): botocore's default, the global host, answers a new bucket
# outside us-east-1 with a 307 redirect, which a browser's CORS upload cannot follow. An endpoint
# given as an IP address and port (the local stack's) still gets path-style URLs.
CLIENT_CONFIG = Config(
    signature_version="s3v4",
    retries={"mode": "standard"},
    s3={"addressing_style": "virtual"},
)


@cache
def dynamodb_client() -> DynamoDBClient:
    """The container's DynamoDB client."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


@cache
def s3_client() -> S3Client:
    """The container's S3 client (SigV4, so presigned URLs sign headers)."""
    return boto3.client("s3", config=CLIENT_CONFIG)
