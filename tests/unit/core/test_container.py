"""The container's FileService and boto3 clients: built once from the environment, replaceable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from filestore import container
from filestore.clients import dynamodb_client, s3_client

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
