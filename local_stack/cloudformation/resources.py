"""Builds each resource model from its template properties (after intrinsics)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from local_stack.cloudformation.exceptions import TemplateError
from local_stack.cloudformation.features import EMULATED
from local_stack.cloudformation.intrinsics import Resolver
from local_stack.cloudformation.models import (
    ApiModel,
    BucketModel,
    CustomResourceModel,
    FunctionModel,
    S3EventSource,
    ScheduleEventSource,
    TableModel,
    UsagePlanModel,
)
from local_stack.cloudformation.parameters import scalar_text

_CREATE_TABLE_KEYS = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")

# The function properties the local runtime uses (its events are read on their own).
_FUNCTION_KEYS = EMULATED["AWS::Serverless::Function"] - {"Events"}


def function(
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
        elif kind == "Schedule":
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
        environment={name: scalar_text(value) for name, value in environment.items()},
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
    expression = properties.get("Schedule")
    enabled = properties.get("Enabled", True)
    raw_input = properties.get("Input")
    return ScheduleEventSource(
        name=name,
        expression=str(expression),
        enabled=enabled in (True, "true", "True"),
        input=str(raw_input) if raw_input is not None else None,
    )


def table(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> TableModel:
    properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
    name = resolver.physical_name(logical_id)
    kwargs: dict[str, Any] = {
        key: copy.deepcopy(properties[key]) for key in _CREATE_TABLE_KEYS if key in properties
    }
    kwargs["TableName"] = name
    if "GlobalSecondaryIndexes" in kwargs:
        kwargs["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in _INDEX_KEYS if key in index}
            for index in kwargs["GlobalSecondaryIndexes"]
        ]
    return TableModel(logical_id, name, kwargs)


def bucket(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, public_read: bool
) -> BucketModel:
    properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
    rules = (properties.get("CorsConfiguration") or {}).get("CorsRules") or []
    status = (properties.get("VersioningConfiguration") or {}).get("Status")
    if status not in (None, "Enabled", "Suspended"):
        raise TemplateError(f"{logical_id}: VersioningConfiguration Status {status!r} is invalid")
    return BucketModel(
        logical_id, resolver.physical_name(logical_id), tuple(rules), public_read, status
    )


def publicly_readable_buckets(resolver: Resolver) -> set[str]:
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


def api(logical_id: str, resource: Mapping[str, Any], resolver: Resolver) -> ApiModel:
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


def custom_resource(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, functions: Mapping[str, str]
) -> CustomResourceModel:
    """A ``Custom::`` resource whose ServiceToken is the ARN of one of the stack's functions."""
    properties = resolver.resolve(resource.get("Properties") or {}, logical_id)
    token = properties.pop("ServiceToken", None)
    function_logical_id = functions.get(str(token))
    if function_logical_id is None:
        # Locally only a function of this stack can answer (no SNS topics, no other accounts).
        raise TemplateError(f"{logical_id}: ServiceToken must be a function of this stack's ARN")
    return CustomResourceModel(
        logical_id=logical_id,
        resource_type=str(resource.get("Type")),
        service_token=str(token),
        function_logical_id=function_logical_id,
        properties=properties,
    )
