"""The DynamoDB child answers as moto's own server does, and finds each request's method fast."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from moto.backends import get_backend
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server import werkzeug_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local_stack.dynamodb.durable import DurableDynamoDB
from local_stack.dynamodb.moto_app import moto_dynamodb_app
from local_stack.dynamodb.process import keep_moto_method_names

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


# Headers that differ between any two answers: a fresh id, its checksum, the time.
PER_ANSWER_HEADERS = {"x-amzn-requestid", "x-amz-crc32", "date"}
TABLE = {
    "TableName": "Files",
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}
NEW_ITEM = {
    "TableName": "Files",
    "Item": {"id": {"S": "a"}, "size": {"N": "1024"}},
    "ConditionExpression": "attribute_not_exists(id)",
}
# Successes, moto's own errors (a failed condition, a missing table, a bad item) and a batch.
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("CreateTable", TABLE),
    ("PutItem", NEW_ITEM),
    ("PutItem", NEW_ITEM),
    ("GetItem", {"TableName": "Files", "Key": {"id": {"S": "a"}}}),
    ("GetItem", {"TableName": "Missing", "Key": {"id": {"S": "a"}}}),
    ("PutItem", {"TableName": "Files", "Item": {}}),
    ("BatchGetItem", {"RequestItems": {"Files": {"Keys": [{"id": {"S": "a"}}]}}}),
    ("DeleteItem", {"TableName": "Files", "Key": {"id": {"S": "a"}}, "ReturnValues": "ALL_OLD"}),
]

Answer = tuple[str, list[tuple[str, str]], bytes]


def call(app: Any, operation: str, request: dict[str, Any]) -> Answer:
    environ = EnvironBuilder(
        method="POST",
        path="/",
        data=json.dumps(request).encode(),
        headers=[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", f"DynamoDB_20120810.{operation}"),
            ("Authorization", SIGNED),
        ],
    ).get_environ()
    body, status, headers = run_wsgi_app(app, environ, buffered=True)
    return status, list(headers.items()), b"".join(body)


def list_tables(app: Any) -> dict[str, Any]:
    status, _, body = call(app, "ListTables", {})
    assert status.startswith("200"), status
    answer: dict[str, Any] = json.loads(body)
    return answer


def answers_from_a_fresh_backend(app: Any) -> list[Answer]:
    get_backend("dynamodb").reset()
    answers = []
    try:
        for operation, request in REQUESTS:
            status, headers, body = call(app, operation, request)
            kept = [
                (name, value) for name, value in headers if name.lower() not in PER_ANSWER_HEADERS
            ]
            answers.append((status, kept, body))
    finally:
        get_backend("dynamodb").reset()  # no table left for the next test
    return answers


def test_the_child_answers_as_motos_server_app_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(werkzeug_app, "DISABLE_GLOBAL_CORS", True)  # as the stack runs moto
    served = answers_from_a_fresh_backend(werkzeug_app.create_backend_app("dynamodb"))

    ours = answers_from_a_fresh_backend(moto_dynamodb_app)

    # CreateTable's description carries its creation time: its body and length may differ.
    assert ours[0][0] == served[0][0]
    assert ours[1:] == served[1:]
    failed, ok = "400 BAD REQUEST", "200 OK"
    assert [status for status, _, _ in ours] == [ok, ok, failed, ok, failed, failed, ok, ok]


def test_the_handler_classs_methods_are_listed_once_for_many_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        moto_responses, "method_names_from_class", moto_utils.method_names_from_class
    )
    listed: list[object] = []
    getmembers = inspect.getmembers

    def counting_getmembers(subject: object, *args: Any, **kwargs: Any) -> Any:
        listed.append(subject)
        return getmembers(subject, *args, **kwargs)

    monkeypatch.setattr(inspect, "getmembers", counting_getmembers)
    keep_moto_method_names()
    app = DurableDynamoDB(moto_dynamodb_app, None)

    answers = [list_tables(app) for _ in range(3)]

    assert answers == [{"TableNames": []}] * 3
    assert listed.count(DynamoHandler) == 1
