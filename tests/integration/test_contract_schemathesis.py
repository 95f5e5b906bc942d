"""Property-based contract test: api/swagger.yaml run by Schemathesis against a running stack.

Every operation gets a bounded number of generated requests (valid and invalid); every response
must be free of 5xx errors and match the contract: a documented status code, the documented
content type, headers and body schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local_stack.cloudformation.cfn_yaml import load_cfn_yaml

if TYPE_CHECKING:
    from tests.integration.conftest import TargetVars

SWAGGER = Path(__file__).resolve().parents[2] / "api" / "swagger.yaml"
MAX_EXAMPLES = 25  # generated requests per operation and generation phase
TIME_LIMIT_SECONDS = 300  # the whole contract run (pytest-timeout)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def without_gateway_extensions(node: Any) -> Any:
    """The Swagger document minus ``x-amazon-apigateway-*``: integrations, validators and gateway
    responses hold CloudFormation intrinsics (``Fn::Sub``) that only API Gateway reads."""
    if isinstance(node, dict):
        return {
            key: without_gateway_extensions(value)
            for key, value in node.items()
            if not str(key).startswith("x-amazon-apigateway-")
        }
    if isinstance(node, list):
        return [without_gateway_extensions(item) for item in node]
    return node


def contract_document() -> dict[str, Any]:
    document: dict[str, Any] = without_gateway_extensions(load_cfn_yaml(SWAGGER))
    # The stack under test is reached over plain http on the loopback interface.
    document["schemes"] = ["http", "https"]
    return document


@pytest.fixture(scope="module")
def contract(filestore: TargetVars) -> Any:
    loaded = schemathesis.openapi.from_dict(contract_document())
    loaded.config.update(base_url=filestore["api_url"], headers={"x-api-key": filestore["api_key"]})
    loaded.config.generation.update(max_examples=MAX_EXAMPLES)
    return loaded


schema = schemathesis.pytest.from_fixture("contract")


@pytest.mark.timeout(TIME_LIMIT_SECONDS)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_honours_its_contract(case: Any) -> None:
    case.call_and_validate(checks=CHECKS, timeout=30)
