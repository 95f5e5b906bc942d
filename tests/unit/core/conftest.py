"""Fixtures for the core unit tests: env, moto resources from template.yaml, a service, a clock."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from moto import mock_aws

from filestore import container
from filestore.clients import CLIENT_CONFIG
from filestore.observability import SERVICE_NAME, logger, metrics
from filestore.service import FileService
from local_stack.testing.event_builders import (
    api_event,
    s3_notification,
    s3_object_created_record,
    schedule_event,
)
from local_stack.testing.lambda_context import lambda_context
from runtime_context import Settings
from tests.helpers.aws import call_api, create_files_table, create_storage_bucket

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

TABLE_NAME = "filestore-test-FilesTable"
BUCKET_NAME = "filestore-test-storage"
START = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
EXPIRE_RULE_NAME = "filestore-test-ExpireFilesFunctionExpire"
BASE_ENVIRONMENT = {
    "TABLE_NAME": TABLE_NAME,
    "BUCKET_NAME": BUCKET_NAME,
    "STORE_ON_UPLOAD": "False",
    "SIGNED_URL_EXPIRATION": "900",
    "MAX_FILE_SIZE": "1048576",
    "ALLOWED_TYPES": "*",
    "ALLOWED_ORIGIN": "https://files.example.com",
    "UPLOAD_TIMEOUT": "3600",
    "MULTIPART_THRESHOLD": "5242880",
    "PART_SIZE": "5242880",
    "POWERTOOLS_SERVICE_NAME": "filestore",
    "POWERTOOLS_METRICS_NAMESPACE": "Filestore",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
FOREIGN_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
)


@dataclass
class FakeClock:
    """A clock the tests move by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Aws:
    """The moto clients the tests and the service share."""

    dynamodb: DynamoDBClient
    s3: S3Client


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The functions' environment as template.yaml sets it; no real AWS settings leak in."""
    for name in FOREIGN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    container.reset()
    metrics.clear_metrics()
    yield dict(BASE_ENVIRONMENT)
    container.reset()
    metrics.clear_metrics()


@pytest.fixture(scope="session")
def aws_clients() -> Aws:
    """Clients made once (loading botocore models is slow); moto intercepts them per test."""
    return Aws(
        dynamodb=boto3.client(
            "dynamodb",
            config=CLIENT_CONFIG,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ),
        s3=boto3.client(
            "s3",
            config=CLIENT_CONFIG,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ),
    )


@pytest.fixture
def aws(aws_clients: Aws) -> Iterator[Aws]:
    """moto's DynamoDB and S3 with FilesTable and StorageBucket built from template.yaml."""
    with mock_aws():
        create_files_table(aws_clients.dynamodb, TABLE_NAME)
        create_storage_bucket(aws_clients.s3, BUCKET_NAME)
        yield aws_clients


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_service(
    aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FileService]:
    """Build a FileService (with optional env overrides) and make the handlers use it."""

    def build(query_page_size: int | None = None, **environment: str) -> FileService:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        container.reset()
        service = FileService(
            Settings.from_environ(os.environ),
            aws.dynamodb,
            aws.s3,
            clock,
            query_page_size=query_page_size,
            sleep=lambda _seconds: None,
        )
        container.use_service(service)
        return service

    return build


@pytest.fixture
def service(make_service: Callable[..., FileService]) -> FileService:
    """The temporary-mode service (StoreOnLoad=False) the handlers use."""
    return make_service()


@pytest.fixture
def store_on_upload_service(make_service: Callable[..., FileService]) -> FileService:
    """The store-on-upload service (StoreOnLoad=True) the handlers use."""
    return make_service(STORE_ON_UPLOAD="True")


@dataclass
class Files:
    """The client side of the file life cycle, driven through the real handler modules."""

    aws: Aws

    def create(self, name: str = "report.pdf", size: int = 5, **extra: Any) -> dict[str, Any]:
        from handlers import create_file

        response = call_api(
            create_file, api_event("POST", "/file", body={"name": name, "size": size, **extra})
        )
        assert response.status == 200, response.body
        created: dict[str, Any] = response.body
        return created

    def upload(self, created: dict[str, Any], content: bytes | None = None) -> int:
        """PUT the bytes to the presigned URL exactly as a browser would; the HTTP status."""
        size = int(created["headers"]["Content-Length"])
        data = content if content is not None else b"x" * size
        result = requests.put(created["url"], data=data, headers=created["headers"], timeout=5)
        return result.status_code

    def notify(self, *keys: str) -> list[str]:
        """Deliver one s3:ObjectCreated event for the keys (encoded as S3 does); the outcomes."""
        from handlers import object_created

        event = s3_notification(s3_object_created_record(BUCKET_NAME, key, 1) for key in keys)
        context = lambda_context("ObjectCreatedFunction")
        outcome: list[str] = object_created.handler(event, context)["outcomes"]
        return outcome

    def uploaded(self, name: str = "report.pdf", size: int = 5, **extra: Any) -> dict[str, Any]:
        created = self.create(name, size, **extra)
        assert self.upload(created) == 200
        assert self.notify(created["id"]) == ["recorded"]
        return created

    def stored(self, name: str = "report.pdf", size: int = 5, **extra: Any) -> dict[str, Any]:
        from handlers import store_files

        created = self.uploaded(name, size, **extra)
        response = call_api(store_files, api_event("PUT", "/files", body=[created["id"]]))
        assert response.body == {"result": [created["id"]], "problems": {}}
        return created

    def revert_with_token(self, created: dict[str, Any]) -> int:
        """DELETE /file/{id} with the upload's own revert token; the HTTP status."""
        from handlers import revert_file

        event = api_event(
            "DELETE",
            "/file/{id}",
            path_parameters={"id": created["id"]},
            headers={"X-Revert-Token": created["revert_token"]},
        )
        return call_api(revert_file, event).status

    def expire(self) -> dict[str, int]:
        """Run the scheduled expiry through its handler."""
        from handlers import expire_files

        event = schedule_event(EXPIRE_RULE_NAME, START)
        tally: dict[str, int] = expire_files.handler(event, lambda_context("ExpireFilesFunction"))
        return tally

    def item(self, file_id: str) -> dict[str, Any] | None:
        """The raw table item (consistent read), or None."""
        response = self.aws.dynamodb.get_item(
            TableName=TABLE_NAME, Key={"id": {"S": file_id}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def interrupt_deletion(self, file_id: str) -> None:
        """A deletion that marked the record and then stopped (a Lambda timed out, say)."""
        self.aws.dynamodb.update_item(
            TableName=TABLE_NAME,
            Key={"id": {"S": file_id}},
            UpdateExpression="SET deleted_at = :now",
            ExpressionAttributeValues={":now": {"S": "2026-01-31T12:00:00Z"}},
        )

    def object_exists(self, key: str) -> bool:
        listing = self.aws.s3.list_objects_v2(Bucket=BUCKET_NAME, Prefix=key)
        return any(entry["Key"] == key for entry in listing.get("Contents", []))

    def item_count(self) -> int:
        return self.aws.dynamodb.scan(TableName=TABLE_NAME, Select="COUNT")["Count"]


@pytest.fixture
def files(aws: Aws, service: FileService) -> Files:
    """Drive uploads through the handlers against the temporary-mode service."""
    return Files(aws)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the Powertools logger writes during the test, as its JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    standard_logger = logging.getLogger(SERVICE_NAME)  # the logger Powertools writes through
    standard_logger.addHandler(handler)
    yield stream
    standard_logger.removeHandler(handler)


@pytest.fixture
def store_on_upload_files(aws: Aws, store_on_upload_service: FileService) -> Files:
    """Drive uploads through the handlers against the store-on-upload service."""
    return Files(aws)
