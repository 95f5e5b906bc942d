"""The benchmark's AWS call counter: calls, items read and request units per recorded block."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bench import aws_calls

TABLE = "counted"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    aws_calls.install()
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def test_calls_outside_a_recording_are_not_counted(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "before"}})
    with aws_calls.recording() as log:
        pass
    assert sum(log.calls.values()) == 0


def test_writes_and_reads_are_counted_with_their_units(dynamodb: Any) -> None:
    with aws_calls.recording() as log:
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "a"}})
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "b"}, "expire_at": {"N": "1"}})
        dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "a"}}, ConsistentRead=True)
        dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "missing"}})
    assert log.count("dynamodb", "PutItem") == 2
    assert log.count("dynamodb") == 4
    assert log.write_units == 3  # the second write also writes the expiry index
    assert log.read_units == 1.5  # a strong read is one unit, an eventual read half
    assert log.items_read == 1


def test_query_counts_items_returned_and_scanned(dynamodb: Any) -> None:
    for name in ("a", "b", "c"):
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": name}})
    with aws_calls.recording() as log:
        dynamodb.scan(
            TableName=TABLE,
            FilterExpression="id = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
        )
    assert log.count("dynamodb", "Scan") == 1
    assert log.items_read == 1
    assert log.items_scanned == 3
