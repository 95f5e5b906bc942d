"""The container's FileService and boto3 clients: built once from the environment, replaceable."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
import pytest

from filestore import container
from filestore.clients import CLIENT_CONFIG, dynamodb_client, s3_client

if TYPE_CHECKING:
    from filestore.service import FileService


def test_the_default_service_and_its_clients_are_built_once() -> None:
    first = container.get_service()

    assert container.get_service() is first
    assert dynamodb_client() is dynamodb_client()
    assert s3_client() is s3_client()
    assert first.settings.table_name == "filestore-test-FilesTable"


def test_a_service_passed_in_replaces_the_default_until_reset(service: FileService) -> None:
    assert container.get_service() is service

    container.use_service(None)

    assert container.get_service() is not service
    assert container.get_service().settings == service.settings


def test_presigned_urls_use_the_buckets_regional_host_outside_us_east_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = boto3.client("s3", region_name="eu-west-1", config=CLIENT_CONFIG)

    url = client.generate_presigned_url("put_object", Params={"Bucket": "files-1", "Key": "k"})

    assert urlsplit(url).netloc == "files-1.s3.eu-west-1.amazonaws.com"


def test_presigned_urls_point_at_an_endpoint_override_path_style(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
    client = boto3.client("s3", region_name="us-east-1", config=CLIENT_CONFIG)

    url = client.generate_presigned_url("put_object", Params={"Bucket": "files-1", "Key": "k"})

    assert url.startswith("http://127.0.0.1:4566/files-1/k?")
