"""template.yaml: cfn-lint is silent, and the properties the contract demands are declared."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from cfnlint.api import lint_file

from tests.helpers.contract import ARCHITECTURE_HANDLERS, GLOBAL_ENVIRONMENT
from tests.unit.infra.support import (
    TEMPLATE_PATH,
    load_template,
    packaged_template,
    references,
)


def _resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def _describe(matches: list[Any]) -> list[str]:
    return [f"{match.rule.id} line {match.linenumber}: {match.message}" for match in matches]


def test_cfn_lint_reports_nothing_on_the_template() -> None:
    assert _describe(lint_file(TEMPLATE_PATH)) == []


def test_cfn_lint_reports_nothing_with_the_swagger_included() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.yaml"
        path.write_text(yaml.safe_dump(packaged_template(), sort_keys=False), encoding="utf-8")
        assert _describe(lint_file(path)) == []


def test_parameters_have_the_documented_defaults_and_limits() -> None:
    parameters = load_template()["Parameters"]
    assert parameters["Stage"]["AllowedValues"] == ["dev", "prod"]
    assert parameters["StorageBucketName"]["Default"] == ""
    assert parameters["SignedUrlExpiration"]["Default"] == 900
    assert parameters["SignedUrlExpiration"]["MaxValue"] == 604800
    assert parameters["StoreOnLoad"]["AllowedValues"] == ["True", "False"]
    assert parameters["StoreOnLoad"]["Default"] == "False"
    assert parameters["MaxFileSize"]["Default"] == 104857600
    assert parameters["MaxFileSize"]["MaxValue"] == 5497558138880  # 5 TiB, S3's largest object
    for name, default in (("MultipartThreshold", 33554432), ("PartSize", 16777216)):
        assert parameters[name]["Default"] == default, name
        assert parameters[name]["MinValue"] == 5 * 1024**2, name  # S3's smallest part
        assert parameters[name]["MaxValue"] == 5 * 1024**3, name  # S3's largest part
    assert parameters["AllowedTypes"]["Default"] == "*"
    assert parameters["AllowedOrigin"]["Default"] == "*"
    assert parameters["UploadTimeout"]["Default"] == 3600
    assert parameters["IncompleteUploadDays"]["Default"] == 7
    assert parameters["ExpireSchedule"]["Default"] == "rate(30 minutes)"
    throttles = ("ApiThrottleRate", "ApiThrottleBurst", "AdminThrottleRate", "AdminThrottleBurst")
    assert {name: parameters[name]["Default"] for name in throttles} == {
        "ApiThrottleRate": 500,
        "ApiThrottleBurst": 1000,
        "AdminThrottleRate": 50,
        "AdminThrottleBurst": 100,
    }
    for name in throttles:
        assert parameters[name]["Type"] == "Number", name
        assert parameters[name]["MinValue"] == 1, name
        assert parameters[name]["Description"], name


def test_functions_use_the_documented_handlers_and_runtime() -> None:
    template = load_template()
    functions = _resources(template, "AWS::Serverless::Function")
    handlers = {name: fn["Properties"]["Handler"] for name, fn in functions.items()}
    assert handlers == ARCHITECTURE_HANDLERS
    globals_ = template["Globals"]["Function"]
    assert globals_["CodeUri"] == "source/"
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["Tracing"] == "Active"
    assert set(globals_["Environment"]["Variables"]) == GLOBAL_ENVIRONMENT


def test_every_function_logs_to_its_own_group_with_retention() -> None:
    template = load_template()
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        log_group = template["Resources"][group]
        assert log_group["Type"] == "AWS::Logs::LogGroup", name
        assert "RetentionInDays" in log_group["Properties"], name
        assert log_group.get("Condition") == function.get("Condition"), name


def test_no_physical_names_are_hard_coded() -> None:
    template = load_template()
    named = {
        "AWS::Serverless::Function": "FunctionName",
        "AWS::DynamoDB::Table": "TableName",
        "AWS::IAM::Role": "RoleName",
        "AWS::SQS::Queue": "QueueName",
        "AWS::Serverless::Api": "Name",
        "AWS::S3::Bucket": "BucketName",
    }
    for name, resource in template["Resources"].items():
        key = named.get(resource["Type"])
        value = (resource.get("Properties") or {}).get(key or "")
        # Only the storage bucket may be named, by parameter or from the stack id.
        assert value is None or name == "StorageBucket", f"{name} hard-codes {key}"


def test_bucket_name_in_environment_is_the_storage_buckets_name_not_a_reference() -> None:
    template = load_template()
    bucket_name = template["Resources"]["StorageBucket"]["Properties"]["BucketName"]
    environment = template["Globals"]["Function"]["Environment"]["Variables"]
    assert environment["BUCKET_NAME"] == bucket_name
    assert "StorageBucket" not in set(references(bucket_name))
    # Generated when empty: "filestore-" + the stack id's UUID, a valid lowercase bucket name.
    generated = bucket_name["Fn::If"][1]
    assert generated["Fn::Join"][1][0] == "filestore-"


def test_files_table_is_on_demand_with_recovery_encryption_and_sparse_expiry_index() -> None:
    table = load_template()["Resources"]["FilesTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    types = {item["AttributeName"]: item["AttributeType"] for item in table["AttributeDefinitions"]}
    assert types == {"id": "S", "expiry_shard": "N", "expire_at": "N"}
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ExpiryIndex"
    assert index["KeySchema"] == [
        {"AttributeName": "expiry_shard", "KeyType": "HASH"},
        {"AttributeName": "expire_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["deleted_at"]}


def test_storage_bucket_is_private_encrypted_and_lets_the_signed_upload_in() -> None:
    template = load_template()
    bucket = template["Resources"]["StorageBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [{"Ref": "AllowedOrigin"}]
    assert {"PUT", "GET", "HEAD"} <= set(rule["AllowedMethods"])
    # Every header the presigned PUT signs and the browser may announce in its preflight.
    assert {"content-type", "if-none-match"} <= {h.lower() for h in rule["AllowedHeaders"]}
    assert "ETag" in rule["ExposedHeaders"]
    assert "x-amz-checksum-sha256" in rule["AllowedHeaders"]  # signed into every part URL
    lifecycle = bucket["LifecycleConfiguration"]["Rules"]
    assert any("AbortIncompleteMultipartUpload" in item for item in lifecycle)


def test_the_abort_backstop_outlasts_the_longest_inactivity_the_template_allows() -> None:
    template = load_template()
    parameters = template["Parameters"]
    (rule,) = template["Resources"]["StorageBucket"]["Properties"]["LifecycleConfiguration"][
        "Rules"
    ]
    days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
    assert days == {"Ref": "IncompleteUploadDays"}
    # Every IncompleteUploadDays the template accepts exceeds every UploadTimeout it accepts, so
    # S3 never aborts an upload the expiry still counts as active.
    assert (
        parameters["IncompleteUploadDays"]["MinValue"] * 86400
        > (parameters["UploadTimeout"]["MaxValue"])
    )


def test_storage_bucket_refuses_plain_http() -> None:
    policy = load_template()["Resources"]["StorageBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "StorageBucket"}
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_object_created_failures_are_retried_twice_then_kept_in_an_encrypted_queue() -> None:
    template = load_template()
    function = template["Resources"]["ObjectCreatedFunction"]["Properties"]
    invoke = function["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["ObjectCreatedDeadLetterQueue", "Arn"]
    }
    queue = template["Resources"]["ObjectCreatedDeadLetterQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    (event,) = function["Events"].values()
    assert event == {
        "Type": "S3",
        "Properties": {"Bucket": {"Ref": "StorageBucket"}, "Events": "s3:ObjectCreated:*"},
    }


def test_web_bucket_is_private_and_only_its_distribution_reads_it() -> None:
    resources = load_template()["Resources"]
    bucket = resources["WebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    distribution = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    statements = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allow = [item for item in statements if item["Effect"] == "Allow"]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    assert "WebDistribution" in str(allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_usage_plan_with_throttle_quota_and_key_belongs_to_the_api_stage() -> None:
    resources = load_template()["Resources"]
    plan = resources["FilestoreUsagePlan"]["Properties"]
    assert plan["ApiStages"] == [
        {"ApiId": {"Ref": "FilestoreApi"}, "Stage": {"Ref": "FilestoreApi.Stage"}}
    ]
    assert plan["Throttle"] == {
        "RateLimit": {"Ref": "AdminThrottleRate"},
        "BurstLimit": {"Ref": "AdminThrottleBurst"},
    }
    assert plan["Quota"]["Limit"] > 0
    assert resources["FilestoreApiKey"]["Properties"]["Enabled"] is True
    plan_key = resources["FilestoreUsagePlanKey"]["Properties"]
    assert plan_key == {
        "KeyId": {"Ref": "FilestoreApiKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "FilestoreUsagePlan"},
    }


def test_stage_throttles_every_route_with_the_deployment_s_limits() -> None:
    api = load_template()["Resources"]["FilestoreApi"]["Properties"]
    (setting,) = api["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurst"}


def test_api_includes_the_swagger_file_from_its_local_path() -> None:
    api = load_template()["Resources"]["FilestoreApi"]["Properties"]
    assert api["DefinitionBody"] == {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "api/swagger.yaml"}}
    }
    assert api["StageName"] == {"Ref": "Stage"}


def test_outputs_name_everything_a_client_or_operator_needs() -> None:
    outputs = load_template()["Outputs"]
    expected = {"ApiRootUrl", "ApiKeyId", "UsagePlanId", "BucketName", "TableName"}
    expected |= {"WebUrl", "WebOrigin", "WebBucketName", "WebDistributionId"}
    assert expected <= set(outputs)
    assert outputs["ApiRootUrl"]["Value"] == {
        "Fn::Sub": "https://${FilestoreApi}.execute-api.${AWS::Region}.amazonaws.com/${Stage}"
    }
    assert "get-api-key" in outputs["ApiKeyId"]["Description"]
    assert "--include-value" in outputs["ApiKeyId"]["Description"]
