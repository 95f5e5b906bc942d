"""boto3 clients for the local stack's endpoints, signed with its public local credentials."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_s3.client import S3Client

# Path-style addressing: the local S3 endpoint is one host and port, not one per bucket.
S3_CLIENT_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"})


@functools.cache
def _session() -> boto3.session.Session:
    # One session for every client: botocore's service models load once, not per client.
    return boto3.session.Session()


def _local_client(service: str, endpoint_url: str, **overrides: Any) -> Any:
    # The local credentials and region unless ``overrides`` (boto3 client arguments) say else.
    arguments = {
        "region_name": REGION,
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
        **overrides,
    }
    return _session().client(service, endpoint_url=endpoint_url, **arguments)  # type: ignore[call-overload]


def local_s3_client(
    endpoint_url: str,
    *,
    config: Config | None = None,
    access_key: str = ACCESS_KEY_ID,
    secret_key: str = SECRET_ACCESS_KEY,
    region: str = REGION,
    session_token: str | None = None,
) -> S3Client:
    """An S3 client for ``endpoint_url``, SigV4 and path-style unless ``config`` says else."""
    client: S3Client = _local_client(
        "s3",
        endpoint_url,
        config=S3_CLIENT_CONFIG.merge(config or Config()),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        aws_session_token=session_token,
    )
    return client


def local_dynamodb_client(endpoint_url: str) -> DynamoDBClient:
    """A DynamoDB client for ``endpoint_url`` with the local credentials."""
    client: DynamoDBClient = _local_client("dynamodb", endpoint_url)
    return client


def local_lambda_client(
    endpoint_url: str,
    *,
    access_key: str = ACCESS_KEY_ID,
    secret_key: str = SECRET_ACCESS_KEY,
    region: str = REGION,
    config: Config | None = None,
) -> LambdaClient:
    """A Lambda client for the local Invoke API, with no retries (a test sees each answer)."""
    client: LambdaClient = _local_client(
        "lambda",
        endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(retries={"total_max_attempts": 1}, read_timeout=120).merge(
            config or Config()
        ),
    )
    return client


def signed_get(url: str, service: str = "lambda", timeout: float = 30) -> requests.Response:
    """``GET url`` signed (SigV4) with the local credentials, e.g. ``/_local/dead-letters``."""
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), service, REGION).add_auth(request)
    return requests.get(url, headers=dict(request.headers.items()), timeout=timeout)
