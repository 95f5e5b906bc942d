"""Reads template.yaml (and the Swagger it includes) into a ``StackModel``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_stack.cloudformation import resources
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.cloudformation.exceptions import TemplateError
from local_stack.cloudformation.features import check_template
from local_stack.cloudformation.intrinsics import SERVERLESS_API, Resolver
from local_stack.cloudformation.models import StackModel
from local_stack.cloudformation.parameters import resolve_parameters


def load_stack(template_path: str | Path, overrides: Mapping[str, str] | None = None) -> StackModel:
    """Read ``template_path`` with parameter ``overrides`` into a ``StackModel``."""
    path = Path(template_path)
    try:
        template = load_cfn_yaml(path)
    except (OSError, ValueError) as err:
        raise TemplateError(f"cannot read {path}: {err}") from err
    return build_stack(template, overrides or {}, path.parent)


def build_stack(
    template: Mapping[str, Any], overrides: Mapping[str, str], template_dir: Path
) -> StackModel:
    """Turn an already loaded template into a ``StackModel`` (no file reads but includes)."""
    check_template(template)
    parameters = resolve_parameters(template.get("Parameters") or {}, overrides)
    resolver = Resolver(template, parameters, template_dir)
    functions = {
        logical_id: resources.function(
            logical_id, resource, resolver, template.get("Globals") or {}
        )
        for logical_id, resource in resolver.resources_of("AWS::Serverless::Function")
    }
    tables = tuple(
        resources.table(logical_id, resource, resolver)
        for logical_id, resource in resolver.resources_of("AWS::DynamoDB::Table")
    )
    public = resources.publicly_readable_buckets(resolver)
    buckets = tuple(
        resources.bucket(logical_id, resource, resolver, logical_id in public)
        for logical_id, resource in resolver.resources_of("AWS::S3::Bucket")
    )
    apis = [
        resources.api(logical_id, resource, resolver)
        for logical_id, resource in resolver.resources_of(SERVERLESS_API)
    ]
    arns = {model.arn: logical_id for logical_id, model in functions.items()}
    custom_resources = tuple(
        resources.custom_resource(logical_id, resource, resolver, arns)
        for logical_id, resource in resolver.resources.items()
        if str(resource.get("Type", "")).startswith("Custom::")
    )
    if len(apis) > 1:
        raise TemplateError("the local stack serves one AWS::Serverless::Api, found several")
    return StackModel(
        parameters=parameters,
        conditions=resolver.conditions,
        functions=functions,
        tables=tables,
        buckets=buckets,
        api=apis[0] if apis else None,
        template_dir=template_dir,
        custom_resources=custom_resources,
    )
