"""The typed model of the stack the template declares: functions, table, buckets, API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from local_stack.account import ACCOUNT_ID, REGION
from local_stack.cloudformation.exceptions import TemplateError


@dataclass(frozen=True)
class S3EventSource:
    """An ``S3`` event of a function: which bucket, which event patterns, which key filter."""

    name: str
    bucket_logical_id: str
    bucket_name: str
    events: tuple[str, ...]
    filter_rules: tuple[tuple[str, str], ...] = ()  # ("prefix"|"suffix", value)


@dataclass(frozen=True)
class ScheduleEventSource:
    """A ``Schedule`` (EventBridge rule) event of a function."""

    name: str
    expression: str
    enabled: bool = True
    input: str | None = None  # the constant JSON ``Input`` that replaces the event, if any


@dataclass(frozen=True)
class FunctionModel:
    """One ``AWS::Serverless::Function`` after Globals, conditions and intrinsics."""

    logical_id: str
    handler: str
    code_uri: str
    runtime: str
    timeout: int
    memory_size: int
    environment: Mapping[str, str]
    s3_events: tuple[S3EventSource, ...] = ()
    schedule_events: tuple[ScheduleEventSource, ...] = ()
    dead_letter_target: str | None = None  # EventInvokeConfig OnFailure or DeadLetterQueue
    max_retry_attempts: int = 2  # asynchronous invocations: Lambda's default is 2 retries
    log_group: str = ""

    @property
    def arn(self) -> str:
        return function_arn(self.logical_id)


@dataclass(frozen=True)
class TableModel:
    """The DynamoDB table: its ``create_table`` keyword arguments."""

    logical_id: str
    name: str
    create_table_kwargs: Mapping[str, Any]


VersioningStatus = Literal["Enabled", "Suspended"]


@dataclass(frozen=True)
class BucketModel:
    """An S3 bucket: name, CORS rules (as the template writes them), public reads, versioning."""

    logical_id: str
    name: str
    cors_rules: tuple[Mapping[str, Any], ...] = ()  # CloudFormation CorsRules items
    public_read: bool = False
    versioning: VersioningStatus | None = None  # None: the template does not set it

    def put_bucket_cors_rules(self) -> list[dict[str, Any]]:
        """The CORS rules in S3's ``PutBucketCors`` shape (CloudFormation renames two keys)."""
        renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds", "Id": "ID"}
        return [
            {renamed.get(key, key): value for key, value in rule.items()}
            for rule in self.cors_rules
        ]


@dataclass(frozen=True)
class UsagePlanModel:
    """Throttle and quota of the usage plan attached to the API stage (``None`` = not set)."""

    rate_limit: float | None = None
    burst_limit: int | None = None
    quota_limit: int | None = None
    quota_period: str | None = None


@dataclass(frozen=True)
class ApiModel:
    """The REST API: its stage, its Swagger with intrinsics resolved and its usage plan."""

    logical_id: str
    stage: str
    swagger: Mapping[str, Any]
    usage_plan: UsagePlanModel | None = None
    stage_throttle: UsagePlanModel | None = None  # MethodSettings for every method ("/*", "*")


@dataclass(frozen=True)
class CustomResourceModel:
    """A ``Custom::<Name>`` resource: the function behind its ServiceToken, its properties."""

    logical_id: str
    resource_type: str
    service_token: str
    function_logical_id: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class StackModel:
    """Everything the local stack serves, as the template declares it for these parameters."""

    parameters: Mapping[str, Any]
    conditions: Mapping[str, bool]
    functions: Mapping[str, FunctionModel]
    tables: tuple[TableModel, ...]
    buckets: tuple[BucketModel, ...]
    api: ApiModel | None
    template_dir: Path = field(default=Path())
    custom_resources: tuple[CustomResourceModel, ...] = ()

    def custom_resource(self, resource_type: str) -> CustomResourceModel | None:
        """The one custom resource of ``resource_type``, if the template declares it."""
        found = [item for item in self.custom_resources if item.resource_type == resource_type]
        if len(found) > 1:
            raise TemplateError(f"expected at most one {resource_type}, found {len(found)}")
        return found[0] if found else None

    @property
    def table(self) -> TableModel:
        if len(self.tables) != 1:
            raise TemplateError(f"expected one DynamoDB table, the template has {len(self.tables)}")
        return self.tables[0]


def function_arn(logical_id: str) -> str:
    """The local ARN of a function, as ``Fn::GetAtt <Function>.Arn`` resolves."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{logical_id}"
