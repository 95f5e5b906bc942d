"""Lambda's Invoke API of a running local stack, through boto3's own lambda client."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from local_stack.account import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY
from local_stack.awslambda.invocation import MAX_SYNC_PAYLOAD_BYTES
from local_stack.cloudformation.loader import load_stack
from local_stack.testing.launcher import TEMPLATE_PATH, RunningStack

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient

pytestmark = pytest.mark.local_only

# Discovered from the template (with its default parameters), never listed here.
FUNCTIONS = sorted(load_stack(TEMPLATE_PATH, {}).functions)


@pytest.fixture
def lambda_client(local_stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> LambdaClient:
    """boto3's lambda client configured as a developer would: AWS_ENDPOINT_URL_LAMBDA."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", local_stack.lambda_url)
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=REGION,
    )
    client: LambdaClient = session.client("lambda")
    return client


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = err.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_the_template_declares_functions() -> None:
    assert len(FUNCTIONS) >= 4, FUNCTIONS


@pytest.mark.parametrize("function_name", FUNCTIONS)
def test_every_function_runs_once_per_signed_invoke_with_its_log_tail(
    lambda_client: LambdaClient, function_name: str
) -> None:
    answer = lambda_client.invoke(FunctionName=function_name, Payload=b"{}", LogType="Tail")
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    payload = json.loads(answer["Payload"].read())
    if "FunctionError" in answer:  # an empty event is not every handler's event: Lambda's shape
        assert answer["FunctionError"] == "Unhandled"
        assert {"errorMessage", "errorType"} <= set(payload)
    log = base64.b64decode(answer["LogResult"]).decode().splitlines()
    assert log[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert f"END RequestId: {request_id}" in log
    assert log[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")


def test_the_arn_names_the_function_too(lambda_client: LambdaClient) -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:ExpireFilesFunction"
    answer = lambda_client.invoke(FunctionName=arn, Qualifier="$LATEST", Payload=b"{}")
    assert (answer["StatusCode"], answer.get("FunctionError")) == (200, None)
    assert set(json.loads(answer["Payload"].read())) >= {"expired"}


def test_a_function_error_is_unhandled_with_lambdas_error_payload(
    lambda_client: LambdaClient,
) -> None:
    answer = lambda_client.invoke(
        FunctionName="ObjectCreatedFunction", Payload=json.dumps({"Records": [{}]}).encode()
    )
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "UnusableEvent"
    assert isinstance(error["errorMessage"], str) and isinstance(error["stackTrace"], list)


def test_event_is_202_and_dry_run_is_204(lambda_client: LambdaClient) -> None:
    event = lambda_client.invoke(
        FunctionName="ExpireFilesFunction", InvocationType="Event", Payload=b"{}"
    )
    assert event["StatusCode"] == 202
    dry = lambda_client.invoke(FunctionName="ExpireFilesFunction", InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def test_an_unknown_function_or_qualifier_is_404_resource_not_found(
    lambda_client: LambdaClient,
) -> None:
    with pytest.raises(ClientError) as err:
        lambda_client.invoke(FunctionName="NoSuchFunction")
    assert _error(err) == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as err:
        lambda_client.invoke(FunctionName="ExpireFilesFunction", Qualifier="1")
    assert _error(err) == (404, "ResourceNotFoundException")


def test_a_payload_over_6_mb_is_413(lambda_client: LambdaClient) -> None:
    with pytest.raises(ClientError) as err:
        lambda_client.invoke(
            FunctionName="ExpireFilesFunction", Payload=b" " * (MAX_SYNC_PAYLOAD_BYTES + 1)
        )
    assert _error(err) == (413, "RequestEntityTooLargeException")


def test_an_unsigned_request_is_403_and_runs_nothing(local_stack: RunningStack) -> None:
    # What a web page could send (a "simple" text/plain POST): refused, so no CSRF side door.
    url = f"{local_stack.lambda_url}/2015-03-31/functions/ExpireFilesFunction/invocations"
    answer = requests.post(url, data="{}", headers={"Content-Type": "text/plain"}, timeout=30)
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    letters = requests.get(f"{local_stack.lambda_url}/_local/dead-letters", timeout=30)
    assert letters.status_code == 403
    # The API port serves no local-only route either: what is not the stage is API Gateway's 403.
    outside = requests.get(f"{local_stack.api_root}/_local/dead-letters", timeout=30)
    assert outside.status_code == 403


def test_a_wrong_key_or_a_bad_signature_is_403(local_stack: RunningStack) -> None:
    with pytest.raises(ClientError) as err:
        local_stack.lambda_client(access_key="AKIANOTAKEY").invoke(
            FunctionName="ExpireFilesFunction"
        )
    assert _error(err) == (403, "UnrecognizedClientException")
    with pytest.raises(ClientError) as err:
        local_stack.lambda_client(secret_key="wrong").invoke(FunctionName="ExpireFilesFunction")
    assert _error(err) == (403, "InvalidSignatureException")


def test_dead_letters_answer_a_signed_get(local_stack: RunningStack) -> None:
    assert isinstance(local_stack.dead_letters(), list)
