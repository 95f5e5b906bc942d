"""Conditions, intrinsic functions and pseudo parameters, resolved against one stack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_stack.account import ACCOUNT_ID, REGION, REST_API_ID, STACK_ID, STACK_NAME
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.cloudformation.exceptions import TemplateError
from local_stack.cloudformation.models import function_arn
from local_stack.cloudformation.parameters import scalar_text

_NO_VALUE: Any = object()  # what ``Ref: AWS::NoValue`` resolves to; removed from its parent
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates conditions and intrinsic functions against parameters and resources."""

    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, Any], template_dir: Path
    ) -> None:
        self._template = template
        self._parameters = parameters
        self._template_dir = template_dir
        self._all_resources: Mapping[str, Any] = template.get("Resources") or {}
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
                return scalar_text(left) == scalar_text(right)
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
            return str(delimiter).join(scalar_text(item) for item in self._list(items, where))
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
        if suffix == "Stage" and self.resources.get(base, {}).get("Type") == SERVERLESS_API:
            # SAM's ``Ref: <Api>.Stage`` names the stage the Api resource creates.
            properties = self.resources[base].get("Properties") or {}
            return self.resolve(properties.get("StageName"), where)
        function = self.resources.get(base, {})
        if suffix in ("Version", "Alias") and function.get("Type") == "AWS::Serverless::Function":
            if "AutoPublishAlias" not in (function.get("Properties") or {}):
                raise TemplateError(f"{where}: Ref {name} needs {base}'s AutoPublishAlias")
            # SAM's ``Ref: <Function>.Version`` names the version AutoPublishAlias publishes;
            # locally a function always runs its latest code, so that is the version.
            return f"{function_arn(base)}:$LATEST"
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
        elif kind == "AWS::Logs::LogGroup":
            attributes = {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*"}
        elif kind == "AWS::CloudFront::Distribution":
            # What a deployment's value looks like; no CDN runs locally (the local stack serves
            # the page on its web port and makes that the stack's own web origin).
            attributes = {"DomainName": f"{name.lower()}.cloudfront.net", "Id": name}
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
                return scalar_text(values[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return scalar_text(self.get_att(logical_id, attribute, where))
            return scalar_text(self.ref(name, where))

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


SERVERLESS_API = "AWS::Serverless::Api"

_PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": STACK_ID,
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
