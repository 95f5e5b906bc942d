"""The plugin module Tavern loads (entry point group ``tavern_lambda``), as its grpc plugin is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from tavern._core.dict_util import format_keys
from tavern._core.pytest.config import TestConfig

from tavern_lambda.client import LambdaSession
from tavern_lambda.request import LambdaRequest
from tavern_lambda.response import LambdaResponse

session_type = LambdaSession

request_type = LambdaRequest
request_block_name = "lambda_request"

verifier_type = LambdaResponse
response_block_name = "lambda_response"
has_multiple_responses = False


def get_expected_from_request(
    response_block: dict[str, Any], test_block_config: TestConfig, session: LambdaSession
) -> dict[str, Any]:
    """The stage's ``lambda_response``, formatted; never empty, so Tavern always verifies it.

    ``status_code: None`` stands for the status of the invocation type (200, 202 or 204).
    """
    del session
    expected: dict[str, Any] = format_keys(response_block or {}, test_block_config.variables)
    return {"status_code": None, **expected}


schema: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().with_name("jsonschema.yaml")).read_text(encoding="utf-8")
)
