"""The emulator's one rule for template features: reproduce it, accept it as inert, or refuse it.

Every resource type, property, function event and Globals key the local stack meets falls in one
of three groups:

- **emulated**: the local stack reproduces its behaviour (``EMULATED``);
- **no local effect**: it only matters in AWS (encryption keys, log retention, access logs, IAM,
  the CDN, ...), so it is accepted and listed in docs/LOCAL.md as not emulated (``INERT``, each
  with the reason; a test keeps docs/LOCAL.md and this table in step);
- anything else changes behaviour the local stack does not reproduce, or is a feature
  template.yaml does not use and so was never built: ``check_template`` refuses it at start-up,
  in one line naming the resource and the property.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from local_stack.cloudformation.exceptions import UnsupportedFeatureError

_FUNCTION = "AWS::Serverless::Function"

# Resource type -> the properties whose behaviour the local stack reproduces.
EMULATED: Mapping[str, frozenset[str]] = {
    _FUNCTION: frozenset(
        {
            "Handler",
            "CodeUri",
            "Runtime",
            "Timeout",
            "MemorySize",
            "Environment",
            "Events",
            "EventInvokeConfig",
            "DeadLetterQueue",
            "LoggingConfig",
        }
    ),
    "AWS::Serverless::Api": frozenset({"StageName", "DefinitionBody", "MethodSettings", "Auth"}),
    "AWS::DynamoDB::Table": frozenset(
        {
            "TableName",
            "AttributeDefinitions",
            "KeySchema",
            "BillingMode",
            "ProvisionedThroughput",
            "GlobalSecondaryIndexes",
        }
    ),
    "AWS::S3::Bucket": frozenset({"BucketName", "CorsConfiguration", "VersioningConfiguration"}),
    "AWS::S3::BucketPolicy": frozenset({"Bucket", "PolicyDocument"}),
    "AWS::SQS::Queue": frozenset({"QueueName"}),
    "AWS::ApiGateway::UsagePlan": frozenset({"ApiStages", "Throttle", "Quota"}),
    "AWS::ApiGateway::ApiKey": frozenset({"Enabled"}),
    "AWS::ApiGateway::UsagePlanKey": frozenset({"KeyId", "KeyType", "UsagePlanId"}),
    # Run at start-up with the local endpoints (local_stack/web.py); see docs/LOCAL.md.
    "Custom::WebPage": frozenset(
        {
            "ServiceToken",
            "WebBucket",
            "ApiUrl",
            "StorageOrigins",
            "MaxFileSize",
            "AllowedTypes",
            "StoreOnUpload",
        }
    ),
}

# Resource type -> property -> why it has no local effect. ``"*"`` stands for the whole resource.
INERT: Mapping[str, Mapping[str, str]] = {
    _FUNCTION: {
        "Description": "a label for people",
        "Policies": "IAM is not enforced locally; the SAM transform tests check each policy",
        "Architectures": "workers run on the host's architecture; the zip is built for arm64",
        "Tracing": "X-Ray is off locally (no daemon)",
        "ReservedConcurrentExecutions": "not enforced: each function runs up to 8 workers "
        "locally and nothing is throttled",
        "KmsKeyArn": "the environment is handed to workers as it is; no KMS locally",
        "AutoPublishAlias": "locally a function always runs its latest code ($LATEST)",
    },
    "AWS::Serverless::Api": {
        "EndpointConfiguration": "one local endpoint, no edge or regional distinction",
        "OpenApiVersion": "only changes how SAM names the stage resources",
        "TracingEnabled": "X-Ray is off locally",
        "AccessLogSetting": "no access log is written; each function's log lines still carry "
        "the request id",
    },
    "AWS::DynamoDB::Table": {
        "SSESpecification": "encryption at rest; the local table lives in memory",
        "PointInTimeRecoverySpecification": "backups; restore is an AWS console operation",
    },
    "AWS::S3::Bucket": {
        "BucketEncryption": "encryption at rest; responses do not change",
        "PublicAccessBlockConfiguration": "every local request needs SigV4 unless a policy "
        "grants public reads",
        "OwnershipControls": "ACLs are not used by Filestore",
        "LifecycleConfiguration": "its rules act after days (the abort-incomplete-upload "
        "backstop, the expiry of noncurrent versions after DeletedFileRetentionDays); "
        "nothing runs them locally, so removed files' versions stay until `make clean-data`",
        "LoggingConfiguration": "no server access logs are written",
    },
    "AWS::SQS::Queue": {
        "MessageRetentionPeriod": "dead letters are kept in the stack's list until it stops",
        "SqsManagedSseEnabled": "encryption at rest",
    },
    "AWS::ApiGateway::UsagePlan": {"Description": "a label for people"},
    "AWS::ApiGateway::ApiKey": {"Description": "a label for people"},
    "AWS::Lambda::Permission": {"*": "resource policies are not checked locally"},
    "AWS::IAM::Role": {"*": "IAM is not enforced locally"},
    "AWS::ApiGateway::Account": {"*": "an account-wide logging setting; no access logs locally"},
    "AWS::CloudFormation::WaitConditionHandle": {"*": "only orders resources in AWS"},
    "AWS::Logs::LogGroup": {"*": "function logs go to the stack's console"},
    "AWS::CloudFront::Distribution": {
        "*": "local_stack/web.py serves the web bucket without a CDN (nothing cached)",
    },
    "Custom::WebPage": {
        "ServiceTimeout": "the local stack waits for the publisher's invocation to end",
        "Release": "the page is published at every start, whatever the function's version",
        "DistributionId": "no CDN locally, so nothing to invalidate: the publisher gets none",
    },
    "AWS::CloudFront::OriginAccessControl": {"*": "no CDN locally"},
    "AWS::CloudFront::ResponseHeadersPolicy": {
        "*": "no CDN locally; tests/unit/infra/test_web_headers.py checks the policy",
    },
}

# Resource attributes besides Type and Properties.
EMULATED_ATTRIBUTES = frozenset({"Condition"})
INERT_ATTRIBUTES: Mapping[str, str] = {
    "DeletionPolicy": "the local stack never deletes its resources",
    "UpdateReplacePolicy": "the local stack never replaces its resources",
    "DependsOn": "resources are created in the stack's own order",
    "Metadata": "information for tools",
}

# Function event type -> the event properties the local stack reproduces (or finds inert).
EVENT_PROPERTIES: Mapping[str, frozenset[str]] = {
    "S3": frozenset({"Bucket", "Events", "Filter"}),
    "Schedule": frozenset({"Schedule", "Enabled", "Input", "Description"}),
}
GLOBALS_SECTIONS = frozenset({"Function"})


def check_template(template: Mapping[str, Any]) -> None:
    """Refuse, naming the resource and the property, the first feature the stack cannot serve."""
    problem = next(_problems(template), None)
    if problem is not None:
        raise UnsupportedFeatureError(problem)


def _problems(template: Mapping[str, Any]) -> Iterator[str]:
    for top in ("Mappings", "Rules"):
        if template.get(top):
            yield f"the template's {top} section is not supported by the local stack"
    globals_ = template.get("Globals") or {}
    for section, values in globals_.items():
        if section not in GLOBALS_SECTIONS:
            yield f"Globals.{section} is not supported by the local stack"
        for key in values or {}:
            yield from _property_problem("Globals.Function", _FUNCTION, key)
    for logical_id, resource in (template.get("Resources") or {}).items():
        yield from _resource_problems(str(logical_id), resource)


def _resource_problems(logical_id: str, resource: Mapping[str, Any]) -> Iterator[str]:
    kind = str(resource.get("Type", ""))
    where = f"{logical_id} ({kind})"
    if kind not in EMULATED and kind not in INERT:
        yield f"{where}: this resource type is not supported by the local stack"
        return
    for attribute in resource:
        if attribute in ("Type", "Properties"):
            continue
        if attribute not in EMULATED_ATTRIBUTES and attribute not in INERT_ATTRIBUTES:
            yield f"{where}: the {attribute} attribute is not supported by the local stack"
    if "*" in INERT.get(kind, {}):
        return
    properties = resource.get("Properties") or {}
    for name in properties:
        yield from _property_problem(where, kind, str(name))
    if kind == _FUNCTION:
        yield from _event_problems(where, properties.get("Events") or {})
    if kind == "AWS::ApiGateway::ApiKey" and properties.get("Enabled") in (False, "false"):
        # The local stack always accepts FILESTORE_API_KEY: a disabled key would still work.
        yield f"{where}: Enabled false is not supported by the local stack"


def _property_problem(where: str, kind: str, name: str) -> Iterator[str]:
    if name not in EMULATED.get(kind, frozenset()) and name not in INERT.get(kind, {}):
        yield f"{where}: property {name} is not supported by the local stack"


def _event_problems(where: str, events: Mapping[str, Any]) -> Iterator[str]:
    for event_name, event in events.items():
        kind = str((event or {}).get("Type", ""))
        if kind not in EVENT_PROPERTIES:
            yield f"{where}: event {event_name} of type {kind} is not supported by the local stack"
            continue
        for name in event.get("Properties") or {}:
            if name not in EVENT_PROPERTIES[kind]:
                yield f"{where}: event {event_name} property {name} is not supported"


def inert_features() -> list[tuple[str, str, str]]:
    """(resource type, property or ``*``, reason) for docs/LOCAL.md's "not emulated" table."""
    rows = [
        (kind, name, reason)
        for kind, properties in INERT.items()
        for name, reason in properties.items()
    ]
    rows += [("any resource", name, reason) for name, reason in INERT_ATTRIBUTES.items()]
    return rows
