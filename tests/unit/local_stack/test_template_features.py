"""The rule for template features: emulated, accepted as inert (documented), or refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.cloudformation.exceptions import TemplateError, UnsupportedFeatureError
from local_stack.cloudformation.features import inert_features
from local_stack.cloudformation.loader import build_stack

ROOT = Path(__file__).resolve().parents[3]
LOCAL_MD = ROOT / "docs" / "LOCAL.md"

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    },
}


def _with(resource: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {**resource, "Properties": {**resource["Properties"], **properties}}


def _refusal(template: dict[str, Any]) -> str:
    with pytest.raises(UnsupportedFeatureError) as caught:
        build_stack(template, {}, ROOT)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_real_template_uses_only_features_the_local_stack_serves() -> None:
    template = load_cfn_yaml(ROOT / "template.yaml")

    model = build_stack(template, {}, ROOT)

    assert model.api is not None


@pytest.mark.parametrize(
    ("properties", "named"),
    [
        ({"LocalSecondaryIndexes": []}, "LocalSecondaryIndexes"),
        ({"StreamSpecification": {"StreamViewType": "NEW_IMAGE"}}, "StreamSpecification"),
        ({"TableClass": "STANDARD_INFREQUENT_ACCESS"}, "TableClass"),
        ({"TimeToLiveSpecification": {"Enabled": True}}, "TimeToLiveSpecification"),
    ],
)
def test_table_features_the_local_table_does_not_reproduce_are_refused_by_name(
    properties: dict[str, Any], named: str
) -> None:
    message = _refusal({"Resources": {"Files": _with(TABLE, **properties)}})

    assert message.startswith("Files (AWS::DynamoDB::Table)")
    assert named in message


def test_a_schedule_v2_event_is_refused_naming_the_function_and_event() -> None:
    function = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": "app.handler",
            "Events": {"Nightly": {"Type": "ScheduleV2", "Properties": {}}},
        },
    }

    message = _refusal({"Resources": {"Fn": function}})

    assert "Fn (AWS::Serverless::Function)" in message
    assert "Nightly" in message
    assert "ScheduleV2" in message


def test_an_unknown_event_property_is_refused() -> None:
    event = {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)", "RetryPolicy": {}}}
    function = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Handler": "app.handler", "Events": {"Hourly": event}},
    }

    assert "RetryPolicy" in _refusal({"Resources": {"Fn": function}})


def test_mappings_and_find_in_map_are_not_implemented() -> None:
    assert "Mappings" in _refusal({"Mappings": {"M": {"a": {"b": "c"}}}, "Resources": {}})
    environment = {"Variables": {"NAME": {"Fn::FindInMap": ["M", "a", "b"]}}}
    function = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Handler": "app.handler", "Environment": environment},
    }
    with pytest.raises(TemplateError, match="does not support Fn::FindInMap"):
        build_stack({"Resources": {"Fn": function}}, {}, ROOT)


def test_an_unknown_resource_type_is_refused_by_name() -> None:
    message = _refusal({"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}})

    assert (
        message == "Topic (AWS::SNS::Topic): this resource type is not supported by the local stack"
    )


def test_an_unknown_globals_section_or_key_is_refused() -> None:
    assert "Globals.Api" in _refusal({"Globals": {"Api": {}}, "Resources": {}})
    assert "SnapStart" in _refusal({"Globals": {"Function": {"SnapStart": {}}}, "Resources": {}})


def test_a_disabled_api_key_is_refused_because_the_local_key_always_works() -> None:
    key = {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": False}}

    assert "Enabled false" in _refusal({"Resources": {"Key": key}})


def test_properties_with_no_local_effect_are_accepted() -> None:
    table = _with(TABLE, SSESpecification={"SSEEnabled": True})
    group = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7, "KmsKeyId": "k"}}

    model = build_stack({"Resources": {"Files": table, "Logs": group}}, {}, ROOT)

    assert [table.logical_id for table in model.tables] == ["Files"]


def test_docs_local_md_lists_every_feature_accepted_without_local_effect() -> None:
    text = LOCAL_MD.read_text(encoding="utf-8")
    rows = {
        (match.group(1), match.group(2))
        for match in re.finditer(r"^\| `([^`]+)` \| `([^`]+)` \|", text, flags=re.MULTILINE)
    }

    missing = [(kind, name) for kind, name, _ in inert_features() if (kind, name) not in rows]

    assert missing == []
