"""boto3 clients, created once per container on first use; tests pass their own instead."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.context import get_context

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
    client = boto3.client("dynamodb", config=CLIENT_CONFIG)
    build_user_agent_once(client)
    return client


# S3's endpoint ruleset declares these parameters but no rule reads them. botocore before 1.43.14
# keys its endpoint cache on every parameter, so each presigned URL for a new Key evaluated the
# whole ruleset again (0.4 ms of the 0.9 ms a presign took on python3.13 with botocore 1.40.4);
# 1.43.14 drops them before resolving (boto/botocore#3692, EndpointProvider._excluded_params).
S3_UNREFERENCED_ENDPOINT_PARAMS = ("Key", "Prefix", "CopySource")


@cache
def s3_client() -> S3Client:
    """The container's S3 client (SigV4, so presigned URLs sign headers)."""
    client = boto3.client("s3", config=CLIENT_CONFIG)
    share_endpoint_cache_across_keys(client)
    build_user_agent_once(client)
    return client


def share_endpoint_cache_across_keys(client: Any) -> None:
    """On a botocore without boto/botocore#3692, resolve an S3 client's endpoints without the
    parameters no rule reads, as 1.43.14 and later do, so one bucket's keys share one cached
    endpoint. A botocore that already drops them, or is shaped otherwise, is left as it is."""
    provider = getattr(getattr(client, "_ruleset_resolver", None), "_provider", None)
    if provider is None or hasattr(provider, "_excluded_params"):
        return
    resolve = provider.resolve_endpoint

    def resolve_endpoint(**parameters: Any) -> Any:
        for name in S3_UNREFERENCED_ENDPOINT_PARAMS:
            parameters.pop(name, None)
        return resolve(**parameters)

    provider.resolve_endpoint = resolve_endpoint


def build_user_agent_once(client: Any) -> None:
    """On a botocore before 1.44.6, which builds a client's whole User-Agent again for every
    request (twice a call, 63 µs each on python3.13 with botocore 1.40.4), keep each string it
    built: only the request's feature ids (its ``m/`` part) vary from call to call, and this
    client's config and session do not change once it exists. 1.44.6 caches the rest itself
    (``UserAgentString._static_parts``); a botocore that does, or is shaped otherwise, is left
    as it is."""
    creator = getattr(client, "_user_agent_creator", None)
    if creator is None or hasattr(creator, "_static_parts"):
        return
    build = creator.to_string
    built: dict[frozenset[str], str] = {}

    def to_string() -> str:
        context = get_context()
        features = frozenset(context.features) if context is not None else frozenset()
        user_agent = built.get(features)
        if user_agent is None:
            user_agent = built[features] = build()
        return user_agent

    creator.to_string = to_string
