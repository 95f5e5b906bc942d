"""Loads template.yaml and api/swagger.yaml and runs the SAM transform the way a deploy would."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from local_stack.cloudformation.cfn_yaml import load_cfn_yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"
SWAGGER_PATH = ROOT / "api" / "swagger.yaml"
PACKAGE_ZIP = ROOT / "dist" / "filestore-lambda.zip"
REGION = "us-east-1"
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": (
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ),
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")

# Route -> function, as docs/ARCHITECTURE.md lists them.
ROUTES = {
    ("get", "/config"): "GetConfigFunction",
    ("post", "/file"): "CreateFileFunction",
    ("get", "/file/{id}"): "RevertFileFunction",
    ("delete", "/file/{id}"): "RevertFileFunction",
    ("post", "/file/{id}/parts"): "SignPartsFunction",
    ("get", "/file/{id}/parts"): "ListPartsFunction",
    ("post", "/file/{id}/complete"): "CompleteUploadFunction",
    ("put", "/files"): "StoreFilesFunction",
    ("post", "/files"): "DescribeFilesFunction",
    ("delete", "/files"): "DeleteFilesFunction",
}
ADMIN_ROUTES = {("put", "/files"), ("post", "/files"), ("delete", "/files")}


@cache
def _load(path: Path) -> dict[str, Any]:
    return load_cfn_yaml(path)


def load_template() -> dict[str, Any]:
    """A fresh copy of template.yaml (read once per test session)."""
    return copy.deepcopy(_load(TEMPLATE_PATH))


def load_swagger() -> dict[str, Any]:
    """A fresh copy of api/swagger.yaml (read once per test session)."""
    return copy.deepcopy(_load(SWAGGER_PATH))


def packaged_template() -> dict[str, Any]:
    """The template as CloudFormation receives it after `sam deploy`: Swagger included, code in S3.

    AWS::Include is simulated by inlining api/swagger.yaml into the API's DefinitionBody, and
    every CodeUri becomes the S3 location `sam deploy` uploads that package to.
    """
    template = load_template()
    api = template["Resources"]["FilestoreApi"]["Properties"]
    include = api["DefinitionBody"]["Fn::Transform"]
    assert include["Name"] == "AWS::Include"
    api["DefinitionBody"] = copy.deepcopy(_load(ROOT / include["Parameters"]["Location"]))
    template["Globals"]["Function"]["CodeUri"] = "s3://filestore-artifacts/filestore-lambda.zip"
    for resource in template["Resources"].values():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in properties:
            # A function with its own package (the WebPage publisher) is uploaded on its own.
            name = Path(properties["CodeUri"]).name
            properties["CodeUri"] = f"s3://filestore-artifacts/{name}.zip"
    return template


def transform(parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of the packaged template."""
    values: dict[str, Any] = dict(parameters or {})
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION))
    transformed: dict[str, Any] = translator.translate(
        packaged_template(),
        parameter_values=values,
        get_managed_policy_map=lambda: MANAGED_POLICIES,
    )
    return transformed


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    values = {
        name: spec.get("Default") for name, spec in (template.get("Parameters") or {}).items()
    }
    values.update(overrides)
    return values


def evaluate_conditions(
    template: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, bool]:
    """Every condition of ``template`` evaluated for the parameter ``overrides``."""
    values = parameter_values(template, overrides)
    definitions = template.get("Conditions") or {}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            return values[node["Ref"]]
        return node

    def truth(node: Any) -> bool:
        (function, argument), *_ = node.items()
        if function == "Fn::Equals":
            return str(value(argument[0])) == str(value(argument[1]))
        if function == "Fn::Not":
            return not truth(argument[0])
        if function == "Fn::And":
            return all(truth(item) for item in argument)
        if function == "Fn::Or":
            return any(truth(item) for item in argument)
        if function == "Condition":
            return truth(definitions[argument])
        raise AssertionError(f"unsupported condition function {function}")

    return {name: truth(spec) for name, spec in definitions.items()}


def active_resources(
    template: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation would create for these parameters."""
    conditions = evaluate_conditions(template, overrides)
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if conditions.get(resource.get("Condition", ""), True)
    }


def references(node: Any) -> Iterator[str]:
    """Logical ids (or parameters) that an intrinsic-laden value refers to."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for key, argument in node.items():
            if key == "Ref" and isinstance(argument, str):
                yield argument.split(".", 1)[0]
            elif key == "Fn::GetAtt":
                target = argument[0] if isinstance(argument, list) else argument.split(".", 1)[0]
                yield target
            elif key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                for name in SUB_VARIABLE.findall(text):
                    if name not in variables:
                        yield name.split(".", 1)[0]
                yield from references(variables)
            else:
                yield from references(argument)


_NO_VALUE = object()


def resolve_for(node: Any, template: Mapping[str, Any], overrides: Mapping[str, str]) -> Any:
    """``node`` with every Fn::If decided, parameter Refs replaced and AWS::NoValue dropped."""
    values = parameter_values(template, overrides)
    conditions = evaluate_conditions(template, overrides)

    def walk(item: Any) -> Any:
        if isinstance(item, list):
            return [kept for kept in (walk(entry) for entry in item) if kept is not _NO_VALUE]
        if not isinstance(item, dict):
            return item
        if set(item) == {"Fn::If"}:
            name, when_true, when_false = item["Fn::If"]
            return walk(when_true if conditions[name] else when_false)
        if set(item) == {"Ref"} and item["Ref"] == "AWS::NoValue":
            return _NO_VALUE
        if set(item) == {"Ref"} and item["Ref"] in values:
            return values[item["Ref"]]
        walked = {key: walk(value) for key, value in item.items()}
        return {key: value for key, value in walked.items() if value is not _NO_VALUE}

    return walk(node)
