"""The API's methods compiled once from the swagger: integration, function, API key, validator."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_stack.apigateway.routes import RouteTable
from local_stack.apigateway.validation import OperationValidator, build_validator, check_models

INTEGRATION_KEY = "x-amazon-apigateway-integration"
API_KEY_HEADER = "x-api-key"
_FUNCTION_IN_URI = re.compile(r":function:([^:/]+)")


@dataclass(frozen=True)
class Method:
    """One method of the API, compiled from its swagger operation."""

    integration_type: str  # "aws_proxy" or "mock"
    integration: Mapping[str, Any]
    function_name: str | None
    api_key_required: bool
    validator: OperationValidator | None


def _function_name(integration: Mapping[str, Any], where: str) -> str:
    uri = integration.get("uri")
    if not isinstance(uri, str):
        raise ValueError(f"{where}: integration uri must be a resolved string, got {uri!r}")
    match = _FUNCTION_IN_URI.search(uri)
    if match is None:
        raise ValueError(f"{where}: integration uri names no Lambda function: {uri}")
    return match.group(1)


def _api_key_required(swagger: Mapping[str, Any], operation: Mapping[str, Any], where: str) -> bool:
    # Swagger semantics: the operation's `security` replaces the API-wide one ([] = none).
    security = operation.get("security", swagger.get("security")) or []
    definitions = swagger.get("securityDefinitions") or {}
    required = False
    for requirement in security:
        for name in requirement:
            definition = definitions.get(name)
            if definition is None:
                raise ValueError(f"{where}: security {name!r} is not in securityDefinitions")
            is_api_key = (
                definition.get("type") == "apiKey"
                and str(definition.get("name", "")).lower() == API_KEY_HEADER
                and definition.get("in") == "header"
                and "x-amazon-apigateway-authorizer" not in definition
            )
            if not is_api_key:
                # Never fake what cannot be checked: authorizers are not emulated, so refuse.
                raise ValueError(f"{where}: security {name!r} is not supported by the local stack")
            required = True
    return required


def compile_methods(
    swagger: Mapping[str, Any], routes: RouteTable
) -> dict[tuple[str, str], Method]:
    check_models(swagger)
    methods: dict[tuple[str, str], Method] = {}
    for route in routes.routes:
        for method, operation in route.operations.items():
            where = f"{method} {route.resource}"
            integration = operation.get(INTEGRATION_KEY)
            if not isinstance(integration, Mapping):
                raise ValueError(f"{where}: no {INTEGRATION_KEY}")
            kind = str(integration.get("type", "")).lower()
            if kind not in ("aws_proxy", "mock"):
                raise ValueError(f"{where}: integration type {kind!r} is not supported locally")
            methods[(route.resource, method)] = Method(
                integration_type=kind,
                integration=integration,
                function_name=_function_name(integration, where) if kind == "aws_proxy" else None,
                api_key_required=_api_key_required(swagger, operation, where),
                validator=build_validator(swagger, route.path_item, operation),
            )
    return methods
