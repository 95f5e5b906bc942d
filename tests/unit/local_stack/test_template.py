"""The template reader: the real template.yaml and api/swagger.yaml, and each intrinsic function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_stack.account import ACCOUNT_ID, REGION
from local_stack.cloudformation.exceptions import TemplateError
from local_stack.cloudformation.loader import build_stack, load_stack
from local_stack.cloudformation.models import StackModel, function_arn
from tests.helpers.contract import ARCHITECTURE_HANDLERS, WEB_PAGE_HANDLERS

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"


def _stack(resources: dict[str, Any], **extra: Any) -> StackModel:
    return build_stack({"Resources": resources, **extra}, {}, ROOT)


def _function(handler: str = "app.handler", **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {"Handler": handler, **properties}}


def _env(model: StackModel, name: str = "Fn") -> dict[str, str]:
    return dict(model.functions[name].environment)


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *_all_strings(item)]]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    return [value] if isinstance(value, str) else []


# ---- the real template -----------------------------------------------------------------------


def test_real_template_has_the_architecture_functions_and_handlers() -> None:
    model = load_stack(TEMPLATE)
    handlers = {name: function.handler for name, function in model.functions.items()}
    assert handlers == {**ARCHITECTURE_HANDLERS, **WEB_PAGE_HANDLERS}


def test_store_on_load_leaves_the_expiry_function_out() -> None:
    model = load_stack(TEMPLATE, {"StoreOnLoad": "True"})
    assert "ExpireFilesFunction" not in model.functions
    assert model.conditions["ExpireUnstoredFiles"] is False
    assert model.functions["GetConfigFunction"].environment["STORE_ON_UPLOAD"] == "True"


def test_function_environment_is_globals_with_every_reference_resolved() -> None:
    model = load_stack(TEMPLATE, {"UploadTimeout": "120", "AllowedTypes": "image/*"})
    storage = next(bucket for bucket in model.buckets if bucket.logical_id == "StorageBucket")
    for function in model.functions.values():
        env = function.environment
        assert env["TABLE_NAME"] == model.table.name
        assert env["BUCKET_NAME"] == storage.name
        assert env["UPLOAD_TIMEOUT"] == "120"
        assert env["ALLOWED_TYPES"] == "image/*"
        assert env["POWERTOOLS_SERVICE_NAME"] == "filestore"
        assert all("Fn::" not in value and "Ref" not in value for value in env.values())


def test_function_timeouts_come_from_globals_or_the_function() -> None:
    model = load_stack(TEMPLATE)
    assert model.functions["GetConfigFunction"].timeout == 10
    assert model.functions["ObjectCreatedFunction"].timeout == 30
    assert model.functions["ExpireFilesFunction"].memory_size == 256


def test_object_created_function_listens_to_the_storage_bucket_with_two_retries() -> None:
    model = load_stack(TEMPLATE)
    function = model.functions["ObjectCreatedFunction"]
    (source,) = function.s3_events
    assert source.bucket_logical_id == "StorageBucket"
    assert source.bucket_name == function.environment["BUCKET_NAME"]
    assert source.events == ("s3:ObjectCreated:*",)
    assert function.max_retry_attempts == 2
    assert function.dead_letter_target is not None
    assert function.dead_letter_target.startswith(f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:")


def test_expire_schedule_parameter_reaches_the_schedule_event() -> None:
    model = load_stack(TEMPLATE, {"ExpireSchedule": "rate(1 minute)"})
    (schedule,) = model.functions["ExpireFilesFunction"].schedule_events
    assert schedule.expression == "rate(1 minute)"
    assert schedule.enabled


def test_table_properties_create_the_table_in_moto() -> None:
    model = load_stack(TEMPLATE)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**model.table.create_table_kwargs)
        table = client.describe_table(TableName=model.table.name)["Table"]
    assert [key["AttributeName"] for key in table["KeySchema"]] == ["id"]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ExpiryIndex"
    assert index["Projection"]["NonKeyAttributes"] == ["deleted_at"]


def test_storage_bucket_cors_rules_follow_the_allowed_origin_parameter() -> None:
    model = load_stack(TEMPLATE, {"AllowedOrigin": "http://127.0.0.1:8080"})
    storage = next(bucket for bucket in model.buckets if bucket.logical_id == "StorageBucket")
    (rule,) = storage.cors_rules
    assert rule["AllowedOrigins"] == ["http://127.0.0.1:8080"]
    assert "PUT" in rule["AllowedMethods"]
    (api_rule,) = storage.put_bucket_cors_rules()
    assert "ExposeHeaders" in api_rule and "MaxAgeSeconds" in api_rule
    assert storage.public_read is False


def test_swagger_is_included_with_function_arns_resolved() -> None:
    model = load_stack(TEMPLATE)
    assert model.api is not None
    assert model.api.stage == "dev"
    strings = _all_strings(model.api.swagger)
    assert not [s for s in strings if s.startswith("Fn::") or s == "Ref"]
    uris = [s for s in strings if "/invocations" in s]
    assert any(function_arn("CreateFileFunction") in uri for uri in uris)
    assert any(function_arn("StoreFilesFunction") in uri for uri in uris)


def test_usage_plan_throttle_and_quota_come_from_the_template() -> None:
    model = load_stack(TEMPLATE)
    assert model.api is not None
    plan = model.api.usage_plan
    assert plan is not None
    assert (plan.rate_limit, plan.burst_limit) == (50.0, 100)
    assert (plan.quota_limit, plan.quota_period) == (100000, "DAY")


def test_stage_throttle_comes_from_the_template_method_settings_and_its_parameters() -> None:
    default = load_stack(TEMPLATE).api
    overridden = load_stack(TEMPLATE, {"ApiThrottleRate": "7", "ApiThrottleBurst": "9"}).api
    assert default is not None and default.stage_throttle is not None
    assert (default.stage_throttle.rate_limit, default.stage_throttle.burst_limit) == (500.0, 1000)
    assert overridden is not None and overridden.stage_throttle is not None
    assert (overridden.stage_throttle.rate_limit, overridden.stage_throttle.burst_limit) == (7.0, 9)


# ---- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Nope": "1"}, "unknown template parameter"),
        ({"StoreOnLoad": "maybe"}, "is not one of"),
        ({"SignedUrlExpiration": "0"}, "below its MinValue"),
        ({"SignedUrlExpiration": "604801"}, "above its MaxValue"),
        ({"MaxFileSize": "lots"}, "must be a number"),
        ({"StorageBucketName": "Not_A_Bucket"}, "StorageBucketName"),
    ],
)
def test_bad_parameter_values_are_refused_with_the_reason(
    overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        load_stack(TEMPLATE, overrides)


def test_parameter_without_default_must_be_set() -> None:
    template = {"Parameters": {"Needed": {"Type": "String"}}, "Resources": {}}
    with pytest.raises(TemplateError, match="has no Default"):
        build_stack(template, {}, ROOT)


def test_length_limits_are_checked() -> None:
    template = {"Parameters": {"P": {"Type": "String", "Default": "ab", "MaxLength": 1}}}
    with pytest.raises(TemplateError, match="MaxLength"):
        build_stack(template, {}, ROOT)


# ---- intrinsic functions ---------------------------------------------------------------------


def test_sub_string_form_resolves_parameters_pseudo_parameters_attributes_and_literals() -> None:
    text = "${AWS::Region}/${AWS::AccountId}/${Name}/${Fn.Arn}/${!Literal}"
    model = _stack(
        {"Fn": _function(Environment={"Variables": {"V": {"Fn::Sub": text}}})},
        Parameters={"Name": {"Type": "String", "Default": "x"}},
    )
    expected = f"{REGION}/{ACCOUNT_ID}/x/{function_arn('Fn')}/${{Literal}}"
    assert _env(model)["V"] == expected


def test_sub_list_form_uses_its_own_variables() -> None:
    value = {"Fn::Sub": ["a-${Own}-${AWS::Partition}", {"Own": {"Fn::Join": ["+", ["b", "c"]]}}]}
    model = _stack({"Fn": _function(Environment={"Variables": {"V": value}})})
    assert _env(model)["V"] == "a-b+c-aws"


def test_select_split_join_and_getatt_of_bucket_table_and_queue() -> None:
    variables = {
        "SELECTED": {"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]},
        "BUCKET_ARN": {"Fn::GetAtt": ["Bucket", "Arn"]},
        "TABLE_ARN": {"Fn::GetAtt": "Table.Arn"},
        "QUEUE_NAME": {"Fn::GetAtt": ["Queue", "QueueName"]},
        "BUCKET": {"Ref": "Bucket"},
    }
    model = _stack(
        {
            "Fn": _function(Environment={"Variables": variables}),
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "my-bucket"}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "t"}},
            "Queue": {"Type": "AWS::SQS::Queue"},
        }
    )
    env = _env(model)
    assert env["SELECTED"] == "b"
    assert env["BUCKET_ARN"] == "arn:aws:s3:::my-bucket"
    assert env["TABLE_ARN"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/t"
    assert env["QUEUE_NAME"].endswith("-Queue")
    assert env["BUCKET"] == "my-bucket"


def test_if_and_or_not_and_no_value() -> None:
    conditions = {
        "Yes": {"Fn::Equals": ["a", "a"]},
        "No": {"Fn::Not": [{"Condition": "Yes"}]},
        "Both": {"Fn::And": [{"Condition": "Yes"}, {"Condition": "No"}]},
        "Either": {"Fn::Or": [{"Condition": "Yes"}, {"Condition": "No"}]},
    }
    variables = {
        "CHOSEN": {"Fn::If": ["Either", "either", "neither"]},
        "DROPPED": {"Fn::If": ["Both", "both", {"Ref": "AWS::NoValue"}]},
    }
    model = _stack({"Fn": _function(Environment={"Variables": variables})}, Conditions=conditions)
    assert _env(model) == {"CHOSEN": "either"}
    assert dict(model.conditions) == {"Yes": True, "No": False, "Both": False, "Either": True}


def test_a_resource_whose_condition_is_false_is_left_out_and_cannot_be_referenced() -> None:
    resources = {
        "Gone": {**_function(), "Condition": "Never"},
        "Fn": _function(Environment={"Variables": {"V": {"Fn::GetAtt": ["Gone", "Arn"]}}}),
    }
    with pytest.raises(TemplateError, match="Gone"):
        _stack(resources, Conditions={"Never": {"Fn::Equals": ["a", "b"]}})


def test_unknown_reference_names_where_it_was_found() -> None:
    with pytest.raises(TemplateError, match=r"Fn\.Environment.*Missing"):
        _stack({"Fn": _function(Environment={"Variables": {"V": {"Ref": "Missing"}}})})


def test_include_inlines_a_local_file_and_resolves_intrinsics_in_it(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "swagger: '2.0'\npaths:\n  /x:\n    get:\n      uri: !Sub '${Fn.Arn}'\n"
    )
    template = {
        "Resources": {
            "Fn": _function(),
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "v1",
                    "DefinitionBody": {
                        "Fn::Transform": {
                            "Name": "AWS::Include",
                            "Parameters": {"Location": "api.yaml"},
                        }
                    },
                    "Auth": {
                        "UsagePlan": {
                            "CreateUsagePlan": "PER_API",
                            "Throttle": {"RateLimit": 5, "BurstLimit": 10},
                        }
                    },
                },
            },
        }
    }
    model = build_stack(template, {}, tmp_path)
    assert model.api is not None
    assert model.api.swagger["paths"]["/x"]["get"]["uri"] == function_arn("Fn")
    assert model.api.stage == "v1"
    assert model.api.usage_plan is not None
    assert (model.api.usage_plan.rate_limit, model.api.usage_plan.burst_limit) == (5.0, 10)


def test_schedule_and_s3_events_with_filters_are_read() -> None:
    events = {
        "Upload": {
            "Type": "S3",
            "Properties": {
                "Bucket": {"Ref": "Bucket"},
                "Events": ["s3:ObjectCreated:Put"],
                "Filter": {"S3Key": {"Rules": [{"Name": "Prefix", "Value": "in/"}]}},
            },
        },
        "Tick": {
            "Type": "Schedule",
            "Properties": {"Schedule": "rate(5 minutes)", "Enabled": False, "Input": '{"a": 1}'},
        },
    }
    model = _stack({"Fn": _function(Events=events), "Bucket": {"Type": "AWS::S3::Bucket"}})
    function = model.functions["Fn"]
    (upload,) = function.s3_events
    assert upload.filter_rules == (("prefix", "in/"),)
    assert upload.bucket_name == model.buckets[0].name
    (tick,) = function.schedule_events
    assert (tick.expression, tick.enabled, json.loads(tick.input or "")) == (
        "rate(5 minutes)",
        False,
        {"a": 1},
    )
