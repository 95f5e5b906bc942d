"""The DynamoDB child finds each request's moto method without listing the class every time."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local_stack.dynamodb.durable import DurableDynamoDB
from local_stack.dynamodb.process import keep_moto_method_names

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def list_tables(app: Any) -> dict[str, Any]:
    environ = EnvironBuilder(
        method="POST",
        path="/",
        data=b"{}",
        headers=[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", SIGNED),
        ],
    ).get_environ()
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("200"), status
    answer: dict[str, Any] = json.loads(b"".join(body))
    return answer


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
    app = DurableDynamoDB(create_backend_app("dynamodb"), None)

    answers = [list_tables(app) for _ in range(3)]

    assert answers == [{"TableNames": []}] * 3
    assert listed.count(DynamoHandler) == 1
