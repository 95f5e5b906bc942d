"""Build the table and bucket from template.yaml (so tests cannot drift) and fake Lambda events."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from local_stack.cloudformation.cfn_yaml import load_cfn_yaml

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
TABLE_PROPERTIES = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


@lru_cache(maxsize=4)
def _template(template_path: Path) -> dict[str, Any]:
    if not template_path.is_file():
        raise AssertionError(f"{template_path} is missing: the tests build AWS resources from it")
    return load_cfn_yaml(template_path)


def template_resource(logical_id: str, template_path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """One resource of the SAM template; fails loudly when the template or resource is missing."""
    resources = copy.deepcopy(_template(template_path).get("Resources", {}))
    if logical_id not in resources:
        raise AssertionError(f"{template_path} has no resource {logical_id}")
    resource: dict[str, Any] = resources[logical_id]
    return resource


def create_files_table(client: DynamoDBClient, table_name: str) -> None:
    """Create FilesTable with exactly the key schema and indexes template.yaml declares."""
    properties = template_resource("FilesTable")["Properties"]
    arguments = {name: properties[name] for name in TABLE_PROPERTIES if name in properties}
    client.create_table(TableName=table_name, **arguments)
    client.get_waiter("table_exists").wait(TableName=table_name)


def create_storage_bucket(client: S3Client, bucket_name: str) -> None:
    """Create StorageBucket with the template's encryption, public access block and lifecycle."""
    properties = template_resource("StorageBucket")["Properties"]
    client.create_bucket(Bucket=bucket_name)
    if "BucketEncryption" in properties:
        # CloudFormation's rule key differs from the S3 API's (Apply... prefix).
        encryption_rules: list[Any] = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        client.put_bucket_encryption(
            Bucket=bucket_name,
            ServerSideEncryptionConfiguration={"Rules": encryption_rules},
        )
    if "PublicAccessBlockConfiguration" in properties:
        client.put_public_access_block(
            Bucket=bucket_name,
            PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"],
        )
    lifecycle = properties.get("LifecycleConfiguration", {}).get("Rules", [])
    if lifecycle:
        lifecycle_rules: list[Any] = [
            {
                "ID": rule["Id"],
                "Status": rule["Status"],
                "Filter": {"Prefix": ""},
                "AbortIncompleteMultipartUpload": rule["AbortIncompleteMultipartUpload"],
            }
            for rule in lifecycle
            if "AbortIncompleteMultipartUpload" in rule
        ]
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket_name,
            LifecycleConfiguration={"Rules": lifecycle_rules},
        )


# ---- Lambda events -----------------------------------------------------------------------------


@dataclass
class FakeLambdaContext:
    """The attributes of a Lambda context object that Powertools reads."""

    function_name: str = "filestore-test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:filestore-test-function"
    )
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/filestore-test-function"
    log_stream_name: str = "2026/01/31/[$LATEST]test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    request_id: str | None = None,
    stage: str = "dev",
) -> dict[str, Any]:
    """An API Gateway REST API (v1) Lambda proxy event, as API Gateway sends it.

    ``body`` is JSON-encoded; ``raw_body`` is sent as is (for malformed input).
    """
    all_headers = {"Accept": "application/json", "Host": "api.example.com", **(headers or {})}
    if body is not None or raw_body is not None:
        all_headers.setdefault("Content-Type", "application/json")
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": 1_769_860_800_000,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
        },
        "body": raw_body if raw_body is not None else (None if body is None else json.dumps(body)),
        "isBase64Encoded": False,
    }


def s3_object_created_event(
    bucket: str, keys: list[str], *, encode: bool = True, sizes: list[int] | None = None
) -> dict[str, Any]:
    """An ``s3:ObjectCreated:Put`` notification; keys are URL-encoded as S3 does unless told."""
    records = []
    for position, key in enumerate(keys):
        records.append(
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-01-31T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "ObjectCreated",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/") if encode else key,
                        "size": sizes[position] if sizes else 1,
                        "eTag": "0123456789abcdef0123456789abcdef",
                        "sequencer": f"{position:016X}",
                    },
                },
            }
        )
    return {"Records": records}


def schedule_event(time: str = "2026-01-31T12:00:00Z") -> dict[str, Any]:
    """The EventBridge Scheduled Event a ``Schedule`` event source sends."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/filestore-ExpireSchedule"],
        "detail": {},
    }


@dataclass
class ApiResponse:
    """A Lambda proxy response, decoded: status, JSON body and lower-cased headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def call_api(module: ModuleType, event: dict[str, Any]) -> ApiResponse:
    """Invoke an API handler module like Lambda does and decode its proxy response."""
    raw = module.handler(event, FakeLambdaContext())
    headers: dict[str, str] = {}
    for name, values in (raw.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    for name, value in (raw.get("headers") or {}).items():
        headers[name.lower()] = value
    body = raw.get("body")
    return ApiResponse(
        status=raw["statusCode"], body=json.loads(body) if body else None, headers=headers
    )
