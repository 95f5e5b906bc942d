"""The internal DynamoDB process: serves moto's DynamoDB alone and ends with the stack."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests

from local_stack.dynamodb.process import DynamoDBProcess
from local_stack.testing.clients import local_dynamodb_client

pytestmark = pytest.mark.local_only


def test_it_serves_dynamodb_until_closed_then_ends_and_frees_its_port() -> None:
    dynamodb = DynamoDBProcess()
    try:
        client = local_dynamodb_client(dynamodb.url)
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"id": {"S": "a"}})
        item = client.get_item(TableName="t", Key={"id": {"S": "a"}})
        assert item["Item"] == {"id": {"S": "a"}}
        # DynamoDB alone: an S3 request on this unauthenticated port finds no bucket listing.
        s3_listing = requests.get(f"{dynamodb.url}/", timeout=30)
        assert b"ListAllMyBucketsResult" not in s3_listing.content
    finally:
        dynamodb.close()
    assert not dynamodb.process.is_alive(), "the DynamoDB process outlived close()"
    port = urlsplit(dynamodb.url).port
    assert port is not None
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # free again
