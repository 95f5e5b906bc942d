"""Reads template.yaml (and the Swagger it includes) into a typed model of the local stack."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_stack.account import ACCOUNT_ID, REGION, REST_API_ID, STACK_NAME
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml

_NO_VALUE: Any = object()  # what ``Ref: AWS::NoValue`` resolves to; removed from its parent
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

# DynamoDB CreateTable accepts these template properties as they are.
_CREATE_TABLE_KEYS = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "SSESpecification",
    "TableClass",
    "DeletionProtectionEnabled",
    "Tags",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


class TemplateError(ValueError):
    """The template cannot be read into a stack: a bad parameter, an unknown reference, ..."""


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
    """The DynamoDB table: ``create_table`` keyword arguments and its TTL attribute."""

    logical_id: str
    name: str
    create_table_kwargs: Mapping[str, Any]
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class BucketModel:
    """An S3 bucket: its name, its CORS rules (as the template writes them) and public reads."""

    logical_id: str
    name: str
    cors_rules: tuple[Mapping[str, Any], ...] = ()  # CloudFormation CorsRules items
    public_read: bool = False

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
class StackModel:
    """Everything the local stack serves, as the template declares it for these parameters."""

    parameters: Mapping[str, Any]
    conditions: Mapping[str, bool]
    functions: Mapping[str, FunctionModel]
    tables: tuple[TableModel, ...]
    buckets: tuple[BucketModel, ...]
    api: ApiModel | None
    template_dir: Path = field(default=Path())

    @property
    def table(self) -> TableModel:
        if len(self.tables) != 1:
            raise TemplateError(f"expected one DynamoDB table, the template has {len(self.tables)}")
        return self.tables[0]


def function_arn(logical_id: str) -> str:
    """The local ARN of a function, as ``Fn::GetAtt <Function>.Arn`` resolves."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{logical_id}"


def load_stack(template_path: str | Path, overrides: Mapping[str, str] | None = None) -> StackModel:
    """Read ``template_path`` with parameter ``overrides`` into a ``StackModel``."""
    path = Path(template_path)
    try:
        template = load_cfn_yaml(path)
    except (OSError, ValueError) as err:
        raise TemplateError(f"cannot read {path}: {err}") from err
    return build_stack(template, overrides or {}, path.parent)


def build_stack(
    template: Mapping[str, Any], overrides: Mapping[str, str], template_dir: Path
) -> StackModel:
    """Turn an already loaded template into a ``StackModel`` (no file reads but includes)."""
    parameters = resolve_parameters(template.get("Parameters") or {}, overrides)
    resolver = Resolver(template, parameters, template_dir)
    functions = {
        logical_id: _function(logical_id, resource, resolver, template.get("Globals") or {})
        for logical_id, resource in resolver.resources_of("AWS::Serverless::Function")
    }
    tables = tuple(
        _table(logical_id, resource, resolver)
        for logical_id, resource in resolver.resources_of("AWS::DynamoDB::Table")
    )
    public = _publicly_readable_buckets(resolver)
    buckets = tuple(
        _bucket(logical_id, resource, resolver, logical_id in public)
        for logical_id, resource in resolver.resources_of("AWS::S3::Bucket")
    )
    apis = [
        _api(logical_id, resource, resolver)
        for logical_id, resource in resolver.resources_of(_SERVERLESS_API)
    ]
    if len(apis) > 1:
        raise TemplateError("the local stack serves one AWS::Serverless::Api, found several")
    return StackModel(
        parameters=parameters,
        conditions=resolver.conditions,
        functions=functions,
        tables=tables,
        buckets=buckets,
        api=apis[0] if apis else None,
        template_dir=template_dir,
    )


# ---- parameters ------------------------------------------------------------------------------


def resolve_parameters(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Apply overrides and defaults, validating each value as CloudFormation does."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"unknown template parameter(s): {', '.join(unknown)}; "
            f"the template declares: {', '.join(sorted(declared))}"
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            raw = _scalar_text(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no Default: set it in FILESTORE_PARAMS")
        values[name] = _validated_parameter(name, spec, raw)
    return values


def _validated_parameter(name: str, spec: Mapping[str, Any], raw: str) -> Any:
    kind = spec.get("Type", "String")
    if kind == "CommaDelimitedList":
        return [item.strip() for item in raw.split(",")] if raw else []
    allowed = spec.get("AllowedValues")
    if allowed is not None and raw not in [_scalar_text(value) for value in allowed]:
        choices = ", ".join(_scalar_text(value) for value in allowed)
        raise TemplateError(f"parameter {name}={raw!r} is not one of: {choices}")
    if kind == "Number":
        try:
            number = float(raw)
        except ValueError as err:
            raise TemplateError(f"parameter {name}={raw!r} must be a number") from err
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise TemplateError(f"parameter {name}={raw} is below its MinValue {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise TemplateError(f"parameter {name}={raw} is above its MaxValue {spec['MaxValue']}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), raw) is None:
        detail = spec.get("ConstraintDescription") or f"must match {pattern}"
        raise TemplateError(f"parameter {name}={raw!r}: {detail}")
    if "MinLength" in spec and len(raw) < int(spec["MinLength"]):
        raise TemplateError(f"parameter {name} is shorter than its MinLength {spec['MinLength']}")
    if "MaxLength" in spec and len(raw) > int(spec["MaxLength"]):
        raise TemplateError(f"parameter {name} is longer than its MaxLength {spec['MaxLength']}")
    return raw  # CloudFormation hands every parameter to Ref as a string


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- intrinsic functions ---------------------------------------------------------------------


class Resolver:
    """Evaluates conditions and intrinsic functions against parameters and resources."""

    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, Any], template_dir: Path
    ) -> None:
        self._template = template
        self._parameters = parameters
        self._template_dir = template_dir
        self._all_resources: Mapping[str, Any] = template.get("Resources") or {}
        self._mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._condition_specs: Mapping[str, Any] = template.get("Conditions") or {}
        self._condition_values: dict[str, bool] = {}
        self._physical_names: dict[str, str] = {}
        self.conditions = {name: self.condition(name) for name in self._condition_specs}
        self.resources: dict[str, Mapping[str, Any]] = {
            logical_id: resource
            for logical_id, resource in self._all_resources.items()
            if "Condition" not in resource or self.condition(str(resource["Condition"]))
        }

    def resources_of(self, resource_type: str) -> list[tuple[str, Mapping[str, Any]]]:
        return [
            (logical_id, resource)
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        ]

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self._condition_specs:
                raise TemplateError(f"unknown condition {name}")
            self._condition_values[name] = False  # guards against a cycle
            self._condition_values[name] = self._truth(self._condition_specs[name], name)
        return self._condition_values[name]

    def _truth(self, spec: Any, where: str) -> bool:
        if isinstance(spec, dict) and len(spec) == 1:
            ((key, arg),) = spec.items()
            if key == "Condition":
                return self.condition(str(arg))
            if key == "Fn::Equals":
                left, right = (self.resolve(item, where) for item in _pair(arg, key, where))
                return _scalar_text(left) == _scalar_text(right)
            if key == "Fn::Not":
                return not self._truth(_single(arg, key, where), where)
            if key == "Fn::And":
                return all(self._truth(item, where) for item in arg)
            if key == "Fn::Or":
                return any(self._truth(item, where) for item in arg)
        raise TemplateError(f"{where}: not a condition: {spec!r}")

    def resolve(self, value: Any, where: str = "template") -> Any:
        """Resolve every intrinsic function in ``value``; ``AWS::NoValue`` entries disappear."""
        if isinstance(value, list):
            items = [self.resolve(item, where) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, arg, where)
        resolved = {key: self.resolve(item, f"{where}.{key}") for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _intrinsic(self, key: str, arg: Any, where: str) -> Any:
        if key == "Ref":
            return self.ref(str(self.resolve(arg, where)), where)
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else self.resolve(arg, where)
            logical_id, attribute = _pair(parts, key, where)
            return self.get_att(str(logical_id), str(attribute), where)
        if key == "Fn::Sub":
            return self._sub(arg, where)
        if key == "Fn::If":
            if not isinstance(arg, list) or len(arg) != 3:
                raise TemplateError(f"{where}: Fn::If needs [condition, then, else]")
            chosen = arg[1] if self.condition(str(arg[0])) else arg[2]
            return self.resolve(chosen, where)
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truth({key: arg}, where)
        if key == "Fn::Join":
            delimiter, items = _pair(arg, key, where)
            return str(delimiter).join(_scalar_text(item) for item in self._list(items, where))
        if key == "Fn::Split":
            delimiter, text = _pair(arg, key, where)
            return str(self.resolve(text, where)).split(str(delimiter))
        if key == "Fn::Select":
            index, items = _pair(arg, key, where)
            values = self._list(items, where)
            position = int(self.resolve(index, where))
            if not 0 <= position < len(values):
                raise TemplateError(f"{where}: Fn::Select index {position} is out of range")
            return values[position]
        if key == "Fn::FindInMap":
            name, top, second = (str(self.resolve(item, where)) for item in arg)
            try:
                return self.resolve(self._mappings[name][top][second], where)
            except KeyError as err:
                raise TemplateError(f"{where}: Fn::FindInMap has no {name}/{top}/{second}") from err
        if key == "Fn::Base64":
            text = str(self.resolve(arg, where))
            return base64.b64encode(text.encode()).decode()
        if key == "Fn::Transform":
            return self._transform(arg, where)
        raise TemplateError(f"{where}: the local stack does not support {key}")

    def _list(self, items: Any, where: str) -> list[Any]:
        values = self.resolve(items, where)
        if not isinstance(values, list):
            raise TemplateError(f"{where}: expected a list, got {values!r}")
        return values

    def ref(self, name: str, where: str) -> Any:
        if name in self._parameters:
            return self._parameters[name]
        pseudo = _PSEUDO_PARAMETERS.get(name)
        if pseudo is not None:
            return pseudo
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.resources:
            return self.physical_name(name)
        base, _, suffix = name.partition(".")
        if suffix == "Stage" and self.resources.get(base, {}).get("Type") == _SERVERLESS_API:
            # SAM's ``Ref: <Api>.Stage`` names the stage the Api resource creates.
            properties = self.resources[base].get("Properties") or {}
            return self.resolve(properties.get("StageName"), where)
        if name in self._all_resources:
            raise TemplateError(f"{where}: Ref {name}, a resource its condition leaves out")
        raise TemplateError(f"{where}: Ref to unknown parameter or resource {name}")

    def physical_name(self, logical_id: str) -> str:
        """What ``Ref`` returns for a resource, named as a deployment would (deterministically)."""
        if logical_id not in self._physical_names:
            resource = self.resources[logical_id]
            properties = resource.get("Properties") or {}
            kind = resource.get("Type", "")
            name_property = _NAME_PROPERTIES.get(kind)
            if name_property and name_property in properties:
                name = str(self.resolve(properties[name_property], f"{logical_id}.{name_property}"))
            elif kind == "AWS::S3::Bucket":
                name = f"{STACK_NAME}-{logical_id.lower()}"
            elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
                name = logical_id  # locally a function is named by its logical id
            elif kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
                name = REST_API_ID
            elif kind == "AWS::SQS::Queue":
                name = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{STACK_NAME}-{logical_id}"
            else:
                name = f"{STACK_NAME}-{logical_id}"
            self._physical_names[logical_id] = name
        return self._physical_names[logical_id]

    def get_att(self, logical_id: str, attribute: str, where: str) -> Any:
        if logical_id not in self.resources:
            raise TemplateError(f"{where}: Fn::GetAtt on unknown resource {logical_id}")
        kind = self.resources[logical_id].get("Type", "")
        name = self.physical_name(logical_id)
        attributes: dict[str, Any] = {}
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            attributes = {"Arn": function_arn(logical_id)}
        elif kind == "AWS::S3::Bucket":
            attributes = {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{REGION}.amazonaws.com",
            }
        elif kind == "AWS::DynamoDB::Table":
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
            attributes = {"Arn": arn, "StreamArn": f"{arn}/stream/local"}
        elif kind == "AWS::SQS::Queue":
            queue_name = name.rsplit("/", 1)[-1]
            attributes = {
                "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}",
                "QueueName": queue_name,
                "QueueUrl": name,
            }
        elif kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            attributes = {"RootResourceId": "root"}
        if attribute not in attributes:
            raise TemplateError(f"{where}: the local stack cannot resolve {logical_id}.{attribute}")
        return attributes[attribute]

    def _sub(self, arg: Any, where: str) -> str:
        if isinstance(arg, list):
            text, variables = _pair(arg, "Fn::Sub", where)
            values = {str(k): self.resolve(v, where) for k, v in (variables or {}).items()}
        else:
            text, values = arg, {}
        if not isinstance(text, str):
            raise TemplateError(f"{where}: Fn::Sub needs a string")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ``${!Literal}`` stays as ``${Literal}``
            if name in values:
                return _scalar_text(values[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _scalar_text(self.get_att(logical_id, attribute, where))
            return _scalar_text(self.ref(name, where))

        return _SUB_VARIABLE.sub(replace, text)

    def _transform(self, arg: Any, where: str) -> Any:
        if not isinstance(arg, dict) or arg.get("Name") != "AWS::Include":
            raise TemplateError(f"{where}: only Fn::Transform AWS::Include is supported")
        location = str(self.resolve((arg.get("Parameters") or {}).get("Location"), where))
        if "://" in location:
            raise TemplateError(f"{where}: AWS::Include {location} must be a local file path")
        path = (self._template_dir / location).resolve()
        try:
            included = load_cfn_yaml(path)
        except (OSError, ValueError) as err:
            raise TemplateError(f"{where}: cannot include {location}: {err}") from err
        return self.resolve(included, location)


_SERVERLESS_API = "AWS::Serverless::Api"

_PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}

_NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Serverless::Function": "FunctionName",
}


def _pair(arg: Any, key: str, where: str) -> tuple[Any, Any]:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError(f"{where}: {key} needs a list of two items")
    return arg[0], arg[1]


def _single(arg: Any, key: str, where: str) -> Any:
    if isinstance(arg, list) and len(arg) == 1:
        return arg[0]
    raise TemplateError(f"{where}: {key} needs a list of one condition")


# ---- resources -------------------------------------------------------------------------------


_FUNCTION_KEYS = (
    "Handler",
    "CodeUri",
    "Runtime",
    "Timeout",
    "MemorySize",
    "Environment",
    "DeadLetterQueue",
    "EventInvokeConfig",
    "LoggingConfig",
)


def _function(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, globals_: Mapping[str, Any]
) -> FunctionModel:
    where = logical_id
    raw_defaults = globals_.get("Function") or {}
    raw_own = resource.get("Properties") or {}
    # Only what the local runtime uses is resolved: policies and roles never run locally.
    defaults = {
        key: resolver.resolve(raw_defaults[key], f"Globals.Function.{key}")
        for key in _FUNCTION_KEYS
        if key in raw_defaults
    }
    own = {
        key: resolver.resolve(raw_own[key], f"{where}.{key}")
        for key in _FUNCTION_KEYS
        if key in raw_own
    }
    environment = {
        **((defaults.get("Environment") or {}).get("Variables") or {}),
        **((own.get("Environment") or {}).get("Variables") or {}),
    }
    merged = {**defaults, **own}
    handler = merged.get("Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise TemplateError(f"{where}: Handler must be 'module.function', got {handler!r}")
    s3_events: list[S3EventSource] = []
    schedule_events: list[ScheduleEventSource] = []
    for event_name, event in (raw_own.get("Events") or {}).items():
        event_where = f"{where}.Events.{event_name}"
        kind = event.get("Type")
        raw_properties = event.get("Properties") or {}
        properties = resolver.resolve(raw_properties, event_where)
        if kind == "S3":
            bucket_ref = raw_properties.get("Bucket")
            bucket_logical_id = bucket_ref.get("Ref") if isinstance(bucket_ref, dict) else None
            if not isinstance(bucket_logical_id, str):
                raise TemplateError(f"{event_where}: Bucket must be a Ref to a bucket")
            s3_events.append(_s3_event(event_name, bucket_logical_id, properties))
        elif kind in ("Schedule", "ScheduleV2"):
            schedule_events.append(_schedule_event(event_name, properties))
    invoke_config = merged.get("EventInvokeConfig") or {}
    on_failure = (invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}
    dead_letter = on_failure.get("Destination") or (merged.get("DeadLetterQueue") or {}).get(
        "TargetArn"
    )
    log_group = (merged.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{logical_id}"
    return FunctionModel(
        logical_id=logical_id,
        handler=handler,
        code_uri=str(merged.get("CodeUri", ".")),
        runtime=str(merged.get("Runtime", "")),
        timeout=int(merged.get("Timeout", 3)),
        memory_size=int(merged.get("MemorySize", 128)),
        environment={name: _scalar_text(value) for name, value in environment.items()},
        s3_events=tuple(s3_events),
        schedule_events=tuple(schedule_events),
        dead_letter_target=str(dead_letter) if dead_letter else None,
        max_retry_attempts=int(invoke_config.get("MaximumRetryAttempts", 2)),
        log_group=str(log_group),
    )


def _s3_event(name: str, bucket_logical_id: str, properties: Mapping[str, Any]) -> S3EventSource:
    events = properties.get("Events") or []
    if isinstance(events, str):
        events = [events]
    rules = ((properties.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return S3EventSource(
        name=name,
        bucket_logical_id=bucket_logical_id,
        bucket_name=str(properties.get("Bucket")),
        events=tuple(str(event) for event in events),
        filter_rules=tuple((str(rule["Name"]).lower(), str(rule["Value"])) for rule in rules),
    )


def _schedule_event(name: str, properties: Mapping[str, Any]) -> ScheduleEventSource:
    expression = properties.get("Schedule") or properties.get("ScheduleExpression")
    enabled = properties.get("Enabled", True)
    state = properties.get("State")
    if state is not None:
        enabled = state == "ENABLED"
    raw_input = properties.get("Input")
    return ScheduleEventSource(
        name=name,
        expression=str(expression),
        enabled=enabled in (True, "true", "True"),
        input=str(raw_input) if raw_input is not None else None,
    )


def _table(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> TableModel:
    properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
    name = resolver.physical_name(logical_id)
    kwargs: dict[str, Any] = {
        key: copy.deepcopy(properties[key]) for key in _CREATE_TABLE_KEYS if key in properties
    }
    kwargs["TableName"] = name
    for index_key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if index_key in kwargs:
            kwargs[index_key] = [
                {key: index[key] for key in _INDEX_KEYS if key in index}
                for index in kwargs[index_key]
            ]
    stream = properties.get("StreamSpecification")
    if stream and "StreamViewType" in stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    sse = kwargs.get("SSESpecification")
    if isinstance(sse, dict) and "SSEEnabled" in sse:
        kwargs["SSESpecification"] = {"Enabled": sse["SSEEnabled"]} | {
            key: value for key, value in sse.items() if key in ("SSEType", "KMSMasterKeyId")
        }
    ttl = properties.get("TimeToLiveSpecification") or {}
    ttl_attribute = ttl.get("AttributeName") if ttl.get("Enabled") in (True, "true") else None
    return TableModel(logical_id, name, kwargs, ttl_attribute)


def _bucket(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, public_read: bool
) -> BucketModel:
    properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
    rules = (properties.get("CorsConfiguration") or {}).get("CorsRules") or []
    return BucketModel(logical_id, resolver.physical_name(logical_id), tuple(rules), public_read)


def _publicly_readable_buckets(resolver: Resolver) -> set[str]:
    """Buckets whose bucket policy lets anyone (``Principal: "*"``) GetObject."""
    names = {
        resolver.physical_name(logical_id): logical_id
        for logical_id, _ in resolver.resources_of("AWS::S3::Bucket")
    }
    public: set[str] = set()
    for logical_id, resource in resolver.resources_of("AWS::S3::BucketPolicy"):
        properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
        bucket = names.get(str(properties.get("Bucket")))
        statements = (properties.get("PolicyDocument") or {}).get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            principal = statement.get("Principal")
            actions = statement.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            anyone = principal == "*" or principal == {"AWS": "*"}
            if (
                bucket
                and statement.get("Effect") == "Allow"
                and anyone
                and ("s3:GetObject" in actions or "s3:*" in actions)
            ):
                public.add(bucket)
    return public


def _api(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> ApiModel:
    properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
    stage = properties.get("StageName")
    if not isinstance(stage, str) or not stage:
        raise TemplateError(f"{logical_id}: StageName is required")
    swagger = properties.get("DefinitionBody")
    if not isinstance(swagger, dict):
        raise TemplateError(f"{logical_id}: DefinitionBody must hold the Swagger (AWS::Include)")
    plan_properties = (properties.get("Auth") or {}).get("UsagePlan") or {}
    if plan_properties.get("CreateUsagePlan", "NONE") == "NONE":
        plan_properties = _explicit_usage_plan(logical_id, resolver)
    stage_throttle = None
    for setting in properties.get("MethodSettings") or []:
        if setting.get("ResourcePath") == "/*" and setting.get("HttpMethod") == "*":
            throttle = {
                "RateLimit": setting.get("ThrottlingRateLimit"),
                "BurstLimit": setting.get("ThrottlingBurstLimit"),
            }
            stage_throttle = _usage_plan(
                {"Throttle": {k: v for k, v in throttle.items() if v is not None}}
            )
    return ApiModel(logical_id, stage, swagger, _usage_plan(plan_properties), stage_throttle)


def _explicit_usage_plan(api_logical_id: str, resolver: Resolver) -> dict[str, Any]:
    api_id = resolver.physical_name(api_logical_id)
    for logical_id, resource in resolver.resources_of("AWS::ApiGateway::UsagePlan"):
        raw_stages = (resource.get("Properties") or {}).get("ApiStages") or []
        stages = resolver.resolve(raw_stages, logical_id)
        if any(stage.get("ApiId") == api_id for stage in stages):
            properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
            return dict(properties)
    return {}


def _usage_plan(properties: Mapping[str, Any]) -> UsagePlanModel | None:
    throttle = properties.get("Throttle") or {}
    quota = properties.get("Quota") or {}
    if not throttle and not quota:
        return None
    return UsagePlanModel(
        rate_limit=float(throttle["RateLimit"]) if "RateLimit" in throttle else None,
        burst_limit=int(throttle["BurstLimit"]) if "BurstLimit" in throttle else None,
        quota_limit=int(quota["Limit"]) if "Limit" in quota else None,
        quota_period=str(quota["Period"]) if "Period" in quota else None,
    )
