"""Filestore's real handlers run in this process on in-process moto, with the events AWS sends."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import aws_calls
from bench.aws_calls import CallLog
from bench.events import api_event
from bench.lambda_env import REGION, SOURCE_DIR, function_environment, stack_model

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers read."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass(frozen=True)
class Invocation:
    """One handler call: its answer, how long it took and the AWS calls it made."""

    result: Any
    milliseconds: float
    calls: CallLog


class InProcessStack:
    """The handlers of template.yaml imported here, talking to moto's in-process AWS."""

    def __init__(self, store_on_upload: bool = False) -> None:
        self.model = stack_model(store_on_upload)
        self.environment = function_environment(store_on_upload)
        self.table_name = self.environment["TABLE_NAME"]
        self.bucket_name = self.environment["BUCKET_NAME"]
        self._handlers: dict[str, Handler] = {}
        self._mock: Any = None
        self._saved_environ: dict[str, str] = {}
        self._devnull: Any = None
        self.dynamodb: Any = None
        self.s3: Any = None

    # ---- lifecycle ---------------------------------------------------------------------------
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
        tables = self.dynamodb.list_tables()["TableNames"]
        if self.table_name in tables:
            self.dynamodb.delete_table(TableName=self.table_name)
        self.dynamodb.create_table(**dict(self.model.table.create_table_kwargs))
        buckets = {bucket["Name"] for bucket in self.s3.list_buckets().get("Buckets", [])}
        if self.bucket_name in buckets:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket_name):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.s3.delete_objects(Bucket=self.bucket_name, Delete={"Objects": keys})
        else:
            self.s3.create_bucket(Bucket=self.bucket_name)

    # ---- invoking ----------------------------------------------------------------------------
    def invoke(self, logical_id: str, event: Mapping[str, Any]) -> Invocation:
        """Call the function's handler once, timed, with its AWS calls recorded."""
        handler = self._handlers[logical_id]
        context = LambdaContext(
            function_name=logical_id,
            invoked_function_arn=self.model.functions[logical_id].arn,
            aws_request_id=str(uuid.uuid4()),
        )
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
        path_parameters: Mapping[str, str] | None = None,
    ) -> Invocation:
        """Invoke a function with the proxy event API Gateway would send; check it answered 2xx."""
        invocation = self.invoke(
            logical_id, api_event(method, resource, body, api_key, path_parameters)
        )
        status = invocation.result.get("statusCode") if isinstance(invocation.result, dict) else 0
        if not isinstance(status, int) or not 200 <= status < 300:
            raise RuntimeError(f"{method} {resource} answered {invocation.result!r:.500}")
        return invocation

    # ---- the steps of an upload --------------------------------------------------------------
    def put_object(self, create_answer: Mapping[str, Any], content: bytes) -> None:
        """What the browser does with POST /file's answer (straight to moto, not recorded)."""
        headers = create_answer["headers"]
        self.s3.put_object(
            Bucket=self.bucket_name,
            Key=create_answer["id"],
            Body=content,
            ContentType=headers["Content-Type"],
        )

    def object_created_event(self, key: str, size: int) -> dict[str, Any]:
        return s3_event(self.bucket_name, key, size)


def s3_event(bucket: str, key: str, size: int, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    """An ``s3:ObjectCreated:*`` notification with one record, as S3 sends it."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": now,
                "eventName": name,
                "userIdentity": {"principalId": "AWS:BENCH"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16]},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "ObjectCreated",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "BENCH"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {"key": key, "size": size, "sequencer": uuid.uuid4().hex[:16]},
                },
            }
        ]
    }


def schedule_event(rule_arn: str) -> dict[str, Any]:
    """The EventBridge ``Scheduled Event`` a schedule sends."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


@contextlib.contextmanager
def in_process_stack(store_on_upload: bool = False) -> Iterator[InProcessStack]:
    with InProcessStack(store_on_upload) as stack:
        yield stack


def body_of(invocation: Invocation) -> Any:
    """The JSON body of a proxy response."""
    return json.loads(invocation.result["body"])


def ids_of(answers: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(answer["id"]) for answer in answers]
