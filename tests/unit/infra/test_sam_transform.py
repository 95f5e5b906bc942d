"""The SAM transform of the packaged template: conditional expiry, least privilege, no cycles."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from tests.unit.infra.support import (
    MANAGED_POLICIES,
    active_resources,
    load_template,
    references,
    transform,
)

TABLE = "the table"
INDEX = "the ExpiryIndex"
OBJECTS = "the bucket's objects"
BUCKET = "the bucket"
DEAD_LETTERS = "the dead-letter queue"

# What each function's role may do, and on what: nothing more (docs/ARCHITECTURE.md behaviour).
GRANTS: dict[str, set[tuple[str, str]]] = {
    "GetConfigFunction": set(),
    "CreateFileFunction": {
        ("dynamodb:PutItem", TABLE),
        ("s3:PutObject", OBJECTS),
        ("s3:AbortMultipartUpload", OBJECTS),
    },
    "RevertFileFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:DeleteObject", OBJECTS),
        ("s3:AbortMultipartUpload", OBJECTS),
    },
    "SignPartsFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:PutObject", OBJECTS),
    },
    "ListPartsFunction": {("dynamodb:GetItem", TABLE), ("s3:ListMultipartUploadParts", OBJECTS)},
    "CompleteUploadFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:ListMultipartUploadParts", OBJECTS),
        ("s3:PutObject", OBJECTS),
        ("s3:GetObject", OBJECTS),
        ("s3:DeleteObject", OBJECTS),  # a file the content check refuses
        ("s3:ListBucket", BUCKET),
    },
    "StoreFilesFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:GetObject", OBJECTS),
        ("s3:DeleteObject", OBJECTS),
        ("s3:ListBucket", BUCKET),
    },
    "DescribeFilesFunction": {("dynamodb:BatchGetItem", TABLE), ("s3:GetObject", OBJECTS)},
    "DeleteFilesFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:DeleteObject", OBJECTS),
        ("s3:AbortMultipartUpload", OBJECTS),
    },
    "ObjectCreatedFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:GetObject", OBJECTS),
        ("s3:DeleteObject", OBJECTS),
        ("s3:ListBucket", BUCKET),
        ("sqs:SendMessage", DEAD_LETTERS),
    },
    "ExpireFilesFunction": {
        ("dynamodb:Query", INDEX),
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:DeleteObject", OBJECTS),
        ("s3:AbortMultipartUpload", OBJECTS),
    },
}


@cache
def _transformed(store_on_load: str) -> dict[str, Any]:
    return transform({"StoreOnLoad": store_on_load})


def _active(store_on_load: str) -> dict[str, dict[str, Any]]:
    return active_resources(_transformed(store_on_load), {"StoreOnLoad": store_on_load})


def _kind(resource: Any) -> str:
    """Name what a policy statement's Resource points at, or show it when unexpected."""
    bucket_name = load_template()["Resources"]["StorageBucket"]["Properties"]["BucketName"]
    if resource == {"Fn::GetAtt": ["FilesTable", "Arn"]}:
        return TABLE
    if resource == {"Fn::Sub": "${FilesTable.Arn}/index/ExpiryIndex"}:
        return INDEX
    if resource == {"Fn::GetAtt": ["ObjectCreatedDeadLetterQueue", "Arn"]}:
        return DEAD_LETTERS
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text, variables = resource["Fn::Sub"]
        if variables == {"BucketName": bucket_name}:
            if text == "arn:${AWS::Partition}:s3:::${BucketName}/*":
                return OBJECTS
            if text == "arn:${AWS::Partition}:s3:::${BucketName}":
                return BUCKET
    return repr(resource)


def _grants(role: dict[str, Any]) -> set[tuple[str, str]]:
    granted: set[tuple[str, str]] = set()
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            resources = statement["Resource"]
            for action in [actions] if isinstance(actions, str) else actions:
                for resource in resources if isinstance(resources, list) else [resources]:
                    granted.add((action, _kind(resource)))
    return granted


@pytest.mark.parametrize("store_on_load", ["True", "False"])
def test_sam_transform_succeeds(store_on_load: str) -> None:
    resources = _transformed(store_on_load)["Resources"]
    assert not any(item["Type"].startswith("AWS::Serverless::") for item in resources.values())


def test_temporary_mode_has_the_expiry_function_and_its_schedule() -> None:
    active = _active("False")
    function = active["ExpireFilesFunction"]
    assert function["Type"] == "AWS::Lambda::Function"
    assert function["Properties"]["Handler"] == "handlers.expire_files.handler"
    rules = [item for item in active.values() if item["Type"] == "AWS::Events::Rule"]
    assert len(rules) == 1
    (rule,) = rules
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "ExpireSchedule"}
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ExpireFilesFunction", "Arn"]}


def test_store_on_upload_mode_has_no_expiry_function_and_no_schedule() -> None:
    active = _active("True")
    handlers = {
        item["Properties"]["Handler"]
        for item in active.values()
        if item["Type"] == "AWS::Lambda::Function"
    }
    assert "handlers.expire_files.handler" not in handlers
    assert len(handlers) == 10
    assert not [item for item in active.values() if item["Type"] == "AWS::Events::Rule"]
    assert not [name for name in active if name.startswith("ExpireFiles")]


@pytest.mark.parametrize("function", sorted(GRANTS))
def test_each_role_grants_only_what_its_function_needs(function: str) -> None:
    resources = _transformed("False")["Resources"]
    role_name = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = resources[role_name]
    assert _grants(role) == GRANTS[function]
    assert set(role["Properties"]["ManagedPolicyArns"]) == set(MANAGED_POLICIES.values())


def test_every_function_is_arm64_python313_traced_and_logs_to_its_group() -> None:
    resources = _transformed("False")["Resources"]
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert set(functions) == set(GRANTS)
    for name, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.13", name
        assert properties["Architectures"] == ["arm64"], name
        assert properties["TracingConfig"] == {"Mode": "Active"}, name
        assert "FunctionName" not in properties, name
        assert properties["LoggingConfig"]["LogGroup"]["Ref"] in resources, name


def test_the_api_has_only_its_declared_stage() -> None:
    resources = _transformed("False")["Resources"]
    stages = [item for item in resources.values() if item["Type"] == "AWS::ApiGateway::Stage"]
    assert [stage["Properties"]["StageName"] for stage in stages] == [{"Ref": "Stage"}]
    deployments = [
        item for item in resources.values() if item["Type"] == "AWS::ApiGateway::Deployment"
    ]
    assert len(deployments) == 1
    # A StageName on the deployment would create a second, unthrottled stage.
    assert "StageName" not in deployments[0]["Properties"]


def test_the_deployed_stage_carries_the_throttle_parameters() -> None:
    resources = _transformed("False")["Resources"]
    (stage,) = [item for item in resources.values() if item["Type"] == "AWS::ApiGateway::Stage"]
    (setting,) = stage["Properties"]["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurst"}


def test_s3_notification_reaches_the_object_created_function() -> None:
    resources = _transformed("False")["Resources"]
    bucket = resources["StorageBucket"]["Properties"]
    (configuration,) = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert configuration == {
        "Event": "s3:ObjectCreated:*",
        "Function": {"Fn::GetAtt": ["ObjectCreatedFunction", "Arn"]},
    }


@pytest.mark.parametrize("store_on_load", ["True", "False"])
def test_resources_have_no_circular_dependency(store_on_load: str) -> None:
    resources = _active(store_on_load)
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        targets = set(references(resource.get("Properties", {})))
        targets |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[name] = {target for target in targets if target in resources}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        assert node not in visiting, f"cycle: {' -> '.join([*visiting, node])}"
        visiting.append(node)
        for target in sorted(graph[node]):
            visit(target)
        visiting.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
