"""The security parameters (issue 15) after the SAM transform, in each of their forms."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.unit.infra.support import active_resources, load_template, resolve_for, transform

KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WEB_ACL = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/filestore/a1b2c3"
CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/1234abcd-12ab"


@cache
def _deployed(overrides: tuple[tuple[str, str], ...]) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation would create, with conditions and parameters resolved."""
    parameters = dict(overrides)
    transformed = transform(parameters)
    active = active_resources(transformed, parameters)
    resolved: dict[str, dict[str, Any]] = resolve_for(active, transformed, parameters)
    return resolved


def _resources(**overrides: str) -> dict[str, dict[str, Any]]:
    return _deployed(tuple(sorted(overrides.items())))


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {name: item for name, item in resources.items() if item["Type"] == kind}


def _stage(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (stage,) = _of_type(resources, "AWS::ApiGateway::Stage").values()
    properties: dict[str, Any] = stage["Properties"]
    return properties


def test_api_access_logs_are_json_lines_with_the_request_id_by_default() -> None:
    resources = _resources()

    setting = _stage(resources)["AccessLogSetting"]

    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"])
    assert line["requestId"] == "$context.requestId"
    assert line["status"] == "$context.status"
    assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == 14


def test_api_access_logs_off_leave_no_setting_and_no_log_group() -> None:
    resources = _resources(ApiAccessLogs="False")

    assert "AccessLogSetting" not in _stage(resources)
    assert "ApiAccessLogGroup" not in resources


def test_the_account_cloudwatch_role_is_created_only_when_asked_and_then_kept() -> None:
    default = _resources()
    asked = _resources(CreateApiGatewayCloudWatchRole="True")

    assert not _of_type(default, "AWS::ApiGateway::Account")
    assert "ApiGatewayCloudWatchRole" not in default
    account = asked["ApiGatewayAccount"]
    assert account["Properties"]["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]
    }
    role = asked["ApiGatewayCloudWatchRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    (managed,) = role["ManagedPolicyArns"]
    assert managed["Fn::Sub"].endswith(":policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
    for name in ("ApiGatewayAccount", "ApiGatewayCloudWatchRole"):
        assert asked[name]["DeletionPolicy"] == "Retain", name


@pytest.mark.parametrize(
    ("create", "waits_for"), [("True", {"Ref": "ApiGatewayAccount"}), ("False", "")]
)
def test_the_stage_waits_for_the_account_setting_only_when_the_stack_makes_it(
    create: str, waits_for: Any
) -> None:
    resources = _resources(CreateApiGatewayCloudWatchRole=create)

    (rest_api,) = _of_type(resources, "AWS::ApiGateway::RestApi").values()
    assert "ApiGatewayAccountReady" in rest_api["DependsOn"]
    assert resources["ApiGatewayAccountReady"]["Metadata"] == {"AccountSetting": waits_for}


@pytest.mark.parametrize(
    ("days", "status", "noncurrent_days"),
    [(None, "Enabled", 7), ("30", "Enabled", 30), ("0", "Suspended", 1)],
)
def test_deleted_file_retention_sets_versioning_and_the_noncurrent_expiry(
    days: str | None, status: str, noncurrent_days: int
) -> None:
    overrides = {} if days is None else {"DeletedFileRetentionDays": days}

    bucket = _resources(**overrides)["StorageBucket"]["Properties"]

    assert bucket["VersioningConfiguration"] == {"Status": status}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    rule = rules["ExpireDeletedFileVersions"]
    assert str(rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) == str(noncurrent_days)
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert "AbortIncompleteMultipartUploads" in rules


@pytest.mark.parametrize(("limit", "reserved"), [(None, None), ("5", "5")])
def test_reserved_concurrency_applies_to_every_function_only_when_set(
    limit: str | None, reserved: str | None
) -> None:
    overrides = {} if limit is None else {"FunctionReservedConcurrency": limit}

    functions = _of_type(_resources(**overrides), "AWS::Lambda::Function")

    assert len(functions) >= 8  # every function, however many the template has
    for name, function in functions.items():
        value = function["Properties"].get("ReservedConcurrentExecutions")
        assert (None if value is None else str(value)) == reserved, name


def test_bucket_access_logs_go_to_a_private_log_bucket_when_on() -> None:
    off = _resources()
    on = _resources(BucketAccessLogs="True")

    assert "AccessLogsBucket" not in off and "AccessLogsBucketPolicy" not in off
    assert "LoggingConfiguration" not in off["StorageBucket"]["Properties"]
    for bucket, prefix in (("StorageBucket", "storage/"), ("WebBucket", "web/")):
        assert on[bucket]["Properties"]["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": "AccessLogsBucket"},
            "LogFilePrefix": prefix,
        }
    log_bucket = on["AccessLogsBucket"]["Properties"]
    assert all(log_bucket["PublicAccessBlockConfiguration"].values())
    statements = on["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"


@pytest.mark.parametrize("key", ["", KMS_KEY])
def test_a_kms_key_encrypts_table_logs_and_environment_only_when_given(key: str) -> None:
    resources = _resources(KmsKeyArn=key)
    expected = key or None

    sse = resources["FilesTable"]["Properties"]["SSESpecification"]
    assert sse.get("KMSMasterKeyId") == expected
    assert sse.get("SSEType") == ("KMS" if key else None)
    log_groups = _of_type(resources, "AWS::Logs::LogGroup")
    functions = _of_type(resources, "AWS::Lambda::Function")
    assert len(log_groups) == len(functions) + 1  # one per function and the API's access log
    for name, group in log_groups.items():
        assert group["Properties"].get("KmsKeyId") == expected, name
    for name, function in functions.items():
        assert function["Properties"].get("KmsKeyArn") == expected, name


def test_the_web_distribution_takes_a_web_acl_and_a_tls12_custom_domain_when_given() -> None:
    default = _resources()["WebDistribution"]["Properties"]["DistributionConfig"]
    custom = _resources(
        WebAclArn=WEB_ACL, WebDomainName="files.example.com", WebCertificateArn=CERTIFICATE
    )["WebDistribution"]["Properties"]["DistributionConfig"]

    for absent in ("WebACLId", "Aliases", "ViewerCertificate"):
        assert absent not in default
    assert custom["WebACLId"] == WEB_ACL
    assert custom["Aliases"] == ["files.example.com"]
    assert custom["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }


def test_a_domain_without_its_certificate_keeps_the_cloudfront_domain() -> None:
    config = _resources(WebDomainName="files.example.com")["WebDistribution"]["Properties"][
        "DistributionConfig"
    ]

    assert "Aliases" not in config and "ViewerCertificate" not in config


def test_failed_expiry_runs_go_to_their_own_dead_letter_queue() -> None:
    resources = _resources()

    function = resources["ExpireFilesFunction"]["Properties"]
    assert function["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["ExpireFilesDeadLetterQueue", "Arn"]}
    }
    assert resources["ExpireFilesDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    assert "ExpireFilesDeadLetterQueue" not in _resources(StoreOnLoad="True")


def test_every_checkov_waiver_names_one_check_and_gives_a_one_line_reason() -> None:
    waivers = {
        name: resource["Metadata"]["checkov"]["skip"]
        for name, resource in load_template()["Resources"].items()
        if "checkov" in (resource.get("Metadata") or {})
    }

    assert waivers  # make lint's checkov relies on them
    for name, skips in waivers.items():
        ids = [skip["id"] for skip in skips]
        assert len(ids) == len(set(ids)), name
        for skip in skips:
            assert re.fullmatch(r"CKV_AWS_\d+", skip["id"]), (name, skip)
            reason = skip.get("comment", "")
            assert 20 <= len(reason) <= 200 and "\n" not in reason, (name, skip)
