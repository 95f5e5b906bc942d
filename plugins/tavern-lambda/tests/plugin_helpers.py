"""Shared by the plugin's tests: Tavern's configuration, its YAML markers, stubbed boto3 clients."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.response import StreamingBody
from botocore.stub import Stubber
from tavern._core.loader import IncludeLoader
from tavern._core.pytest.config import TavernInternalConfig, TestConfig
from tavern._core.strict_util import StrictLevel

from tavern_lambda.client import LambdaInvocation, LambdaSession

REGION = "us-east-1"


def tavern_config(variables: dict[str, Any] | None = None, strict: str = "json:on") -> TestConfig:
    """A test's configuration as Tavern builds it, with the lambda backend enabled."""
    return TestConfig(
        variables=dict(variables or {}),
        strict=StrictLevel.from_options([strict]),
        follow_redirects=False,
        stages=[],
        tavern_internal=TavernInternalConfig(
            pytest_hook_caller=None, backends={"http": None, "lambda": None}
        ),
    )


def tavern_yaml(text: str, folder: Path | None = None) -> Any:
    """YAML as Tavern reads a test file (markers such as ``!anything`` included).

    With ``folder``, the text is a file there first: Tavern's schema errors quote the file.
    """
    if folder is None:
        stream = io.StringIO(text)
        stream.name = "inline.tavern.yaml"
        return yaml.load(stream, Loader=IncludeLoader)
    path = folder / "test_stage.tavern.yaml"
    path.write_text(text, encoding="utf-8")
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=IncludeLoader)


def offline_session(**options: Any) -> LambdaSession:
    """A session whose boto3 clients never reach the network (keys and region given)."""
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION
    )
    return LambdaSession(boto3_session=session, environ={}, **options)


def invoke_answer(
    payload: Any, status: int = 200, function_error: str | None = None, log: str | None = None
) -> dict[str, Any]:
    """A stubbed Invoke answer, as botocore parses Lambda's."""
    raw = b"" if payload is None else json.dumps(payload).encode()
    answer: dict[str, Any] = {
        "StatusCode": status,
        "Payload": StreamingBody(io.BytesIO(raw), len(raw)),
        "ExecutedVersion": "$LATEST",
    }
    if function_error is not None:
        answer["FunctionError"] = function_error
    if log is not None:
        answer["LogResult"] = base64.b64encode(log.encode()).decode()
    return answer


def stub_lambda(session: LambdaSession) -> Stubber:
    """Stub the session's lambda client (activated); add answers with ``add_response``."""
    stubber = Stubber(session.lambda_client)
    stubber.activate()
    return stubber


def stub_cloudformation(session: LambdaSession) -> Stubber:
    stubber = Stubber(session.cloudformation_client)
    stubber.activate()
    return stubber


def check_request_id(response: LambdaInvocation, expected: str) -> None:
    """A ``verify_response_with`` function: the invocation's request id is ``expected``."""
    if response.request_id != expected:
        raise AssertionError(f"request id {response.request_id!r}, expected {expected!r}")
