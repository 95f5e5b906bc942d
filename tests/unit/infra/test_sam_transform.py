"""The SAM transform of the packaged template: conditional expiry, least privilege, no cycles."""

from __future__ import annotations

import copy
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
EXPIRY_DEAD_LETTERS = "the expiry's dead-letter queue"
WEB_OBJECTS = "the web bucket's objects"
WEB_BUCKET = "the web bucket"
DISTRIBUTION = "the web distribution"
OWN_ORIGIN = ""  # AllowedOrigin's default: the stack's own page
GIVEN_ORIGIN = "https://files.example.com"
PSEUDO = {"AWS::Region", "AWS::URLSuffix"}

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
        ("sqs:SendMessage", EXPIRY_DEAD_LETTERS),
    },
    # Writes and removes the page's objects (and their versions) in the web bucket only.
    "PublishWebFunction": {
        ("s3:PutObject", WEB_OBJECTS),
        ("s3:DeleteObject", WEB_OBJECTS),
        ("s3:DeleteObjectVersion", WEB_OBJECTS),
        ("s3:ListBucket", WEB_BUCKET),
        ("s3:ListBucketVersions", WEB_BUCKET),
        ("cloudfront:CreateInvalidation", DISTRIBUTION),
    },
}


@cache
def _transformed(store_on_load: str, allowed_origin: str = OWN_ORIGIN) -> dict[str, Any]:
    return transform({"StoreOnLoad": store_on_load, "AllowedOrigin": allowed_origin})


def _active(store_on_load: str, allowed_origin: str = OWN_ORIGIN) -> dict[str, dict[str, Any]]:
    parameters = {"StoreOnLoad": store_on_load, "AllowedOrigin": allowed_origin}
    return active_resources(_transformed(store_on_load, allowed_origin), parameters)


def _kind(resource: Any) -> str:
    """Name what a policy statement's Resource points at, or show it when unexpected."""
    bucket_name = load_template()["Resources"]["StorageBucket"]["Properties"]["BucketName"]
    if resource == {"Fn::GetAtt": ["FilesTable", "Arn"]}:
        return TABLE
    if resource == {"Fn::Sub": "${FilesTable.Arn}/index/ExpiryIndex"}:
        return INDEX
    if resource == {"Fn::GetAtt": ["ObjectCreatedDeadLetterQueue", "Arn"]}:
        return DEAD_LETTERS
    if resource == {"Fn::GetAtt": ["ExpireFilesDeadLetterQueue", "Arn"]}:
        return EXPIRY_DEAD_LETTERS
    if resource == {"Fn::Sub": "${WebBucket.Arn}/*"}:
        return WEB_OBJECTS
    if resource == {"Fn::GetAtt": ["WebBucket", "Arn"]}:
        return WEB_BUCKET
    distribution = "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
    if resource == {"Fn::Sub": distribution + "${WebDistribution}"}:
        return DISTRIBUTION
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
    assert len(handlers) == 11  # ten API and event functions, and the page's publisher
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


# Every optional resource and reference of the security parameters (issue 15) switched on.
ALL_SECURITY_ON = {
    "CreateApiGatewayCloudWatchRole": "True",
    "BucketAccessLogs": "True",
    "FunctionReservedConcurrency": "5",
    "KmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "WebAclArn": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/filestore/a1b2c3",
    "WebDomainName": "files.example.com",
    "WebCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/1234abcd-12ab",
}


def _cycle(resources: dict[str, dict[str, Any]]) -> list[str] | None:
    """A dependency cycle CloudFormation would refuse (Ref, GetAtt, Sub, DependsOn), if any."""
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        targets = set(references(resource.get("Properties", {})))
        targets |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[name] = {target for target in targets if target in resources}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in done:
            return None
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        visiting.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node)
        if found:
            return found
    return None


@pytest.mark.parametrize("security", [{}, ALL_SECURITY_ON], ids=["defaults", "all-security-on"])
@pytest.mark.parametrize("allowed_origin", [OWN_ORIGIN, GIVEN_ORIGIN])
@pytest.mark.parametrize("store_on_load", ["True", "False"])
def test_resources_have_no_circular_dependency(
    store_on_load: str, allowed_origin: str, security: dict[str, str]
) -> None:
    parameters = {"StoreOnLoad": store_on_load, "AllowedOrigin": allowed_origin, **security}
    assert _cycle(active_resources(transform(parameters), parameters)) is None


def test_naming_the_api_in_the_headers_policy_would_close_the_cycle() -> None:
    """Why the header CSP's connect-src names no resource: the check above does find cycles."""
    resources = copy.deepcopy(_active("False"))
    policy = resources["WebResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    csp["ContentSecurityPolicy"] = {"Fn::Sub": "connect-src https://${FilestoreApi}.example"}

    cycle = _cycle(resources)

    assert cycle is not None
    assert {"FilestoreApi", "WebDistribution", "WebResponseHeadersPolicy"} <= set(cycle)


@pytest.mark.parametrize("allowed_origin", [OWN_ORIGIN, GIVEN_ORIGIN])
def test_one_deploy_points_every_cors_origin_at_the_page(allowed_origin: str) -> None:
    """Functions, bucket CORS and the API's CORS headers all take the same origin in one deploy."""
    resources = _transformed("False", allowed_origin)["Resources"]
    origin = {
        "Fn::If": [
            "UseStackWebOrigin",
            {"Fn::Sub": "https://${WebDistribution.DomainName}"},
            {"Ref": "AllowedOrigin"},
        ]
    }
    for name in GRANTS:
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["ALLOWED_ORIGIN"] == origin, name
    (rule,) = resources["StorageBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [origin]
    body = resources["FilestoreApi"]["Properties"]["Body"]
    options = body["paths"]["/file"]["options"]["x-amazon-apigateway-integration"]
    header = options["responses"]["default"]["responseParameters"]
    assert header["method.response.header.Access-Control-Allow-Origin"] == {
        "Fn::If": [
            "UseStackWebOrigin",
            {"Fn::Sub": "'https://${WebDistribution.DomainName}'"},
            {"Fn::Sub": "'${AllowedOrigin}'"},
        ]
    }


def test_the_web_page_resource_is_published_by_its_function_after_everything_it_names() -> None:
    resources = _transformed("False")["Resources"]
    page = resources["WebPage"]
    assert page["Type"] == "Custom::WebPage"
    properties = page["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["PublishWebFunction", "Arn"]}
    # Each new package is a new version, so a page change alone re-publishes the page.
    (version,) = [
        name for name, item in resources.items() if item["Type"] == "AWS::Lambda::Version"
    ]
    assert resources[version]["Properties"]["FunctionName"] == {"Ref": "PublishWebFunction"}
    assert properties["Release"] == {"Ref": version}
    assert properties["WebBucket"] == {"Ref": "WebBucket"}
    assert properties["DistributionId"] == {"Ref": "WebDistribution"}
    assert set(references(properties["ApiUrl"])) == {"FilestoreApi", "Stage", *PSEUDO}
    assert all(
        set(references(item)) <= {"StorageBucket", *PSEUDO} for item in properties["StorageOrigins"]
    )
    assert {
        name: properties[name] for name in ("MaxFileSize", "AllowedTypes", "StoreOnUpload")
    } == {
        "MaxFileSize": {"Ref": "MaxFileSize"},
        "AllowedTypes": {"Ref": "AllowedTypes"},
        "StoreOnUpload": {"Ref": "StoreOnLoad"},
    }
    assert properties["ServiceTimeout"] > resources["PublishWebFunction"]["Properties"]["Timeout"]
    function = resources["PublishWebFunction"]["Properties"]
    assert function["Code"] == {"S3Bucket": "filestore-artifacts", "S3Key": "web-publisher.zip"}
