"""Build the table and bucket from template.yaml (so tests cannot drift); call API handlers."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.testing.lambda_context import lambda_context

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
TABLE_PROPERTIES = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
TEST_FUNCTION_NAME = "filestore-test-function"


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
                "AbortIncompleteMultipartUpload": {
                    key: _parameter_default(value)
                    for key, value in rule["AbortIncompleteMultipartUpload"].items()
                },
            }
            for rule in lifecycle
            if "AbortIncompleteMultipartUpload" in rule
        ]
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket_name,
            LifecycleConfiguration={"Rules": lifecycle_rules},
        )


def _parameter_default(value: Any) -> Any:
    """A ``!Ref`` to a template parameter as its default; any other value as it is."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return _template(TEMPLATE_PATH)["Parameters"][value["Ref"]]["Default"]
    return value


# ---- calling a handler ------------------------------------------------------------------------


@dataclass
class ApiResponse:
    """A Lambda proxy response, decoded: status, JSON body and lower-cased headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def call_api(module: ModuleType, event: dict[str, Any]) -> ApiResponse:
    """Invoke an API handler module like Lambda does and decode its proxy response."""
    raw = module.handler(event, lambda_context(TEST_FUNCTION_NAME))
    headers: dict[str, str] = {}
    for name, values in (raw.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    for name, value in (raw.get("headers") or {}).items():
        headers[name.lower()] = value
    body = raw.get("body")
    return ApiResponse(
        status=raw["statusCode"], body=json.loads(body) if body else None, headers=headers
    )
