"""The internal DynamoDB process: conditional writes are atomic; the journal keeps each write."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from local_stack.dynamodb.process import DynamoDBProcess
from local_stack.testing.clients import local_dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.local_only

TABLE = "files"
RACE_ROUNDS = 300
# One of each attribute type the wire format has, so the journal's JSON round trip is checked.
RICH_ITEM: dict[str, Any] = {
    "id": {"S": "rich"},
    "size": {"N": "1048576"},
    "digest": {"B": b"\x00\xffbytes"},
    "tags": {"SS": ["a", "b"]},
    "parts": {"L": [{"N": "1"}, {"S": "two"}, {"NULL": True}]},
    "owner": {"M": {"name": {"S": "ann"}, "admin": {"BOOL": False}}},
}


def _create_table(client: DynamoDBClient, name: str = TABLE) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _items(client: DynamoDBClient, table: str = TABLE) -> dict[str, dict[str, Any]]:
    """Every item of the table by its id (a consistent scan; tables here are small)."""
    scanned = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return {str(item["id"]["S"]): dict(item) for item in scanned}


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "dynamodb.sqlite3"


@pytest.fixture
def processes() -> Iterator[list[DynamoDBProcess]]:
    """DynamoDB processes a test starts; each is closed at the end."""
    started: list[DynamoDBProcess] = []
    yield started
    for process in started:
        process.close()


def _start(processes: list[DynamoDBProcess], journal: Path | None) -> DynamoDBClient:
    process = DynamoDBProcess(journal)
    processes.append(process)
    return local_dynamodb_client(process.url)


def _conditional_set(client: DynamoDBClient, file_id: str, status: str) -> bool:
    """``SET s = status IF s = uploaded``: True when it applied, False when the condition failed."""
    try:
        client.update_item(
            TableName=TABLE,
            Key={"id": {"S": file_id}},
            UpdateExpression="SET s = :new",
            ConditionExpression="s = :uploaded",
            ExpressionAttributeValues={":new": {"S": status}, ":uploaded": {"S": "uploaded"}},
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


@pytest.mark.parametrize("durable", [False, True], ids=["in memory", "journaled"])
def test_of_two_updates_with_mutually_exclusive_conditions_exactly_one_applies(
    processes: list[DynamoDBProcess], journal: Path, durable: bool
) -> None:
    setup = _start(processes, journal if durable else None)
    _create_table(setup)
    url = processes[0].url
    store, delete = local_dynamodb_client(url), local_dynamodb_client(url)
    barrier = threading.Barrier(2)

    def racer(client: DynamoDBClient, file_id: str, status: str) -> bool:
        barrier.wait(timeout=30)
        return _conditional_set(client, file_id, status)

    outcomes = []
    with ThreadPoolExecutor(2) as pool:
        for round_number in range(RACE_ROUNDS):
            file_id = f"file-{round_number}"
            setup.put_item(TableName=TABLE, Item={"id": {"S": file_id}, "s": {"S": "uploaded"}})
            stored = pool.submit(racer, store, file_id, "stored")
            deleted = pool.submit(racer, delete, file_id, "deleted")
            outcomes.append((file_id, stored.result(timeout=60), deleted.result(timeout=60)))

    both = [file_id for file_id, stored, deleted in outcomes if stored and deleted]
    neither = [file_id for file_id, stored, deleted in outcomes if not stored and not deleted]
    assert both == [] and neither == [], f"both applied: {both}; neither applied: {neither}"
    final = {file_id: item["s"]["S"] for file_id, item in _items(setup).items()}
    winners = {file_id: "stored" if stored else "deleted" for file_id, stored, _deleted in outcomes}
    assert final == winners


def test_every_kind_of_write_outlives_the_process_through_the_journal(
    processes: list[DynamoDBProcess], journal: Path
) -> None:
    client = _start(processes, journal)
    _create_table(client)
    _create_table(client, "dropped")
    client.put_item(TableName="dropped", Item={"id": {"S": "x"}})
    client.delete_table(TableName="dropped")
    client.put_item(TableName=TABLE, Item=RICH_ITEM)
    client.put_item(TableName=TABLE, Item={"id": {"S": "updated"}, "n": {"N": "1"}})
    client.update_item(
        TableName=TABLE,
        Key={"id": {"S": "updated"}},
        UpdateExpression="SET n = n + :one REMOVE gone",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    client.put_item(TableName=TABLE, Item={"id": {"S": "deleted"}})
    client.delete_item(TableName=TABLE, Key={"id": {"S": "deleted"}})
    client.put_item(TableName=TABLE, Item={"id": {"S": "batch-deleted"}})
    client.batch_write_item(
        RequestItems={
            TABLE: [
                {"PutRequest": {"Item": {"id": {"S": "batch-put"}, "v": {"S": "1"}}}},
                {"DeleteRequest": {"Key": {"id": {"S": "batch-deleted"}}}},
            ]
        }
    )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"id": {"S": "transacted"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"id": {"S": "batch-put"}},
                    "UpdateExpression": "SET v = :two",
                    "ExpressionAttributeValues": {":two": {"S": "2"}},
                }
            },
        ]
    )
    assert not _conditional_set(client, "updated", "stored")  # refused: nothing to keep
    before = _items(client)
    assert sorted(before) == ["batch-put", "rich", "transacted", "updated"]
    processes.pop().close()

    reopened = _start(processes, journal)

    assert _items(reopened) == before
    assert before["updated"]["n"] == {"N": "2"}
    assert before["batch-put"]["v"] == {"S": "2"}
    assert before["rich"] == RICH_ITEM
    assert reopened.list_tables()["TableNames"] == [TABLE]
    table = reopened.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_a_restarted_child_reloads_the_journal_even_after_a_kill(
    processes: list[DynamoDBProcess], journal: Path
) -> None:
    client = _start(processes, journal)
    dynamodb = processes[0]
    _create_table(client)
    client.put_item(TableName=TABLE, Item=RICH_ITEM)

    dynamodb.restart()  # as asked: the old child ends, a new one serves the same port
    assert _items(client) == {"rich": RICH_ITEM}
    client.put_item(TableName=TABLE, Item={"id": {"S": "after-restart"}})
    assert dynamodb.process.pid is not None
    os.kill(dynamodb.process.pid, signal.SIGKILL)  # as it crashes: only the journal is left
    dynamodb.process.join(timeout=10)
    assert not dynamodb.alive()
    dynamodb.restart()

    assert sorted(_items(client)) == ["after-restart", "rich"]


def test_an_in_memory_child_restarts_empty(processes: list[DynamoDBProcess]) -> None:
    client = _start(processes, None)
    _create_table(client)
    processes[0].restart()
    assert client.list_tables()["TableNames"] == []


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        (
            "UpdateTable",
            lambda c: c.update_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST"),
        ),
        ("CreateBackup", lambda c: c.create_backup(TableName=TABLE, BackupName="before-upgrade")),
        (
            "UpdateTimeToLive",
            lambda c: c.update_time_to_live(
                TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "t"}
            ),
        ),
    ],
)
def test_an_operation_the_journal_does_not_keep_is_refused_with_400_unknown_operation(
    processes: list[DynamoDBProcess], journal: Path, operation: str, call: Any
) -> None:
    client = _start(processes, journal)
    _create_table(client)

    with pytest.raises(ClientError) as refused:
        call(client)

    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert operation in error["Error"]["Message"]
