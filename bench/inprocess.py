"""Filestore's real handlers run in this process on in-process moto, with the events AWS sends."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import aws_calls
from bench.aws_calls import CallLog
from bench.settings import SOURCE_DIR, function_environment, stack_model
from local_stack.account import REGION
from local_stack.testing.event_builders import api_event
from local_stack.testing.lambda_context import lambda_context

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Invocation:
    """One handler call: its answer, how long it took and the AWS calls it made."""

    result: Any
    milliseconds: float
    calls: CallLog

    def body(self) -> Any:
        """The JSON body of a proxy response."""
        return json.loads(self.result["body"])


class InProcessStack:
    """The handlers of template.yaml imported here, talking to moto's in-process AWS."""

    def __init__(self) -> None:
        self.model = stack_model()
        self.environment = function_environment()
        self.table_name = self.environment["TABLE_NAME"]
        self.bucket_name = self.environment["BUCKET_NAME"]
        self._handlers: dict[str, Handler] = {}
        self._mock: Any = None
        self._saved_environ: dict[str, str] = {}
        self._devnull: Any = None
        self.dynamodb: Any = None
        self.s3: Any = None

    def __enter__(self) -> InProcessStack:
        self._saved_environ = dict(os.environ)
        for name in [key for key in os.environ if key.startswith("AWS_ENDPOINT_URL")]:
            del os.environ[name]
        os.environ.update(self.environment)
        if str(SOURCE_DIR) not in sys.path:
            sys.path.insert(0, str(SOURCE_DIR))
        aws_calls.install()
        # Powertools warns on every invocation that publishes no metric (GET /config).
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        import boto3
        from moto import mock_aws

        self._mock = mock_aws()
        self._mock.start()
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.reset()
        self._devnull = Path(os.devnull).open("w", encoding="utf-8")
        with contextlib.redirect_stdout(self._devnull):  # handlers log JSON lines to stdout
            for logical_id, function in self.model.functions.items():
                module_name, _, attribute = function.handler.rpartition(".")
                module = importlib.import_module(module_name)
                self._handlers[logical_id] = getattr(module, attribute)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._mock is not None:
            self._mock.stop()
        os.environ.clear()
        os.environ.update(self._saved_environ)
        if self._devnull is not None:
            self._devnull.close()

    def reset(self) -> None:
        """An empty table and bucket, created from the template."""
        if self.table_name in self.dynamodb.list_tables()["TableNames"]:
            self.dynamodb.delete_table(TableName=self.table_name)
        self.dynamodb.create_table(**dict(self.model.table.create_table_kwargs))
        buckets = {bucket["Name"] for bucket in self.s3.list_buckets().get("Buckets", [])}
        if self.bucket_name not in buckets:
            self.s3.create_bucket(Bucket=self.bucket_name)
            return
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket_name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=self.bucket_name, Delete={"Objects": keys})

    def invoke(self, logical_id: str, event: Mapping[str, Any]) -> Invocation:
        """Call the function's handler once, timed, with its AWS calls recorded."""
        handler = self._handlers[logical_id]
        context = lambda_context(logical_id, self.model.functions[logical_id].memory_size)
        with aws_calls.recording() as log, contextlib.redirect_stdout(self._devnull):
            started = time.perf_counter()
            result = handler(dict(event), context)
            elapsed = (time.perf_counter() - started) * 1000
        return Invocation(result, elapsed, log)

    def api(
        self,
        logical_id: str,
        method: str,
        resource: str,
        body: Any = None,
        *,
        api_key: str | None = None,
    ) -> Invocation:
        """Invoke a function with the proxy event API Gateway would send; check it answered 2xx."""
        invocation = self.invoke(logical_id, api_event(method, resource, body, api_key=api_key))
        status = invocation.result.get("statusCode") if isinstance(invocation.result, dict) else 0
        if not isinstance(status, int) or not 200 <= status < 300:
            raise RuntimeError(f"{method} {resource} answered {invocation.result!r:.500}")
        return invocation

    def put_object(self, create_answer: Mapping[str, Any], content: bytes) -> None:
        """What the browser does with POST /file's answer (straight to moto, not recorded)."""
        self.s3.put_object(
            Bucket=self.bucket_name,
            Key=create_answer["id"],
            Body=content,
            ContentType=create_answer["headers"]["Content-Type"],
        )
