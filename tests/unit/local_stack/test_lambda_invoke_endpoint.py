"""Lambda's Invoke API on its own port, driven by boto3's own lambda client (WSGI, no sockets)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from local_stack.account import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY
from local_stack.awslambda.async_invoke import AsyncInvoker
from local_stack.awslambda.invocation import MAX_SYNC_PAYLOAD_BYTES, InvocationResult
from local_stack.awslambda.invoke_endpoint import MAX_ASYNC_PAYLOAD_BYTES, LambdaInvokeEndpoint
from local_stack.cloudformation.models import FunctionModel
from local_stack.config import DEFAULT_LAMBDA_PORT
from local_stack.testing.clients import local_lambda_client
from local_stack.testing.s3_wsgi import Clock, route_to_wsgi, send
from tests.helpers.functions import function_model

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient

ENDPOINT = f"http://127.0.0.1:{DEFAULT_LAMBDA_PORT}"
NAME = "ExpireFilesFunction"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{NAME}"
runtime_log = logging.getLogger("local_stack.awslambda.runtime")


class FakeRuntime:
    """Stands in for FunctionRuntime: one known function, a fixed answer, logs as it logs."""

    def __init__(self, result: InvocationResult) -> None:
        self.functions: dict[str, FunctionModel] = {NAME: function_model(NAME)}
        self.result = result
        self.events: list[Any] = []
        self.printed: list[str] = []

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
        self.events.append(event)
        runtime_log.info("[%s] START RequestId: %s Version: $LATEST", function_name, request_id)
        for line in self.printed:
            runtime_log.info("[%s] %s", function_name, line)
        runtime_log.info("[%s] END RequestId: %s", function_name, request_id)
        runtime_log.info(
            "[%s] %s", function_name, f"REPORT RequestId: {request_id}\tDuration: 1 ms"
        )
        return self.result

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult:
        return self.invoke(function_name, event)


class Parts:
    def __init__(self) -> None:
        self.runtime = FakeRuntime(InvocationResult(payload={"expired": 2}))
        self.invoker = AsyncInvoker(self.runtime.functions, self.runtime, retry_delays=(0.01, 0.01))
        self.clock = Clock()
        self.endpoint = LambdaInvokeEndpoint(
            self.runtime,
            self.invoker,
            credentials={ACCESS_KEY_ID: SECRET_ACCESS_KEY},
            region=REGION,
            account_id=ACCOUNT_ID,
            clock=self.clock,
        )

    def client(self, **overrides: Any) -> LambdaClient:
        client = local_lambda_client(ENDPOINT, **overrides)
        route_to_wsgi(client, self.endpoint, "lambda")
        return client


@pytest.fixture
def parts() -> Iterator[Parts]:
    made = Parts()
    yield made
    made.invoker.close()
    made.endpoint.close()


def error_of(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = err.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_invoke_runs_the_function_with_the_payload_by_name_or_arn(parts: Parts) -> None:
    for function_name in (NAME, ARN, f"{ACCOUNT_ID}:function:{NAME}", f"{ARN}:$LATEST"):
        answer = parts.client().invoke(FunctionName=function_name, Payload=b'{"a": 1}')
        assert answer["StatusCode"] == 200
        assert json.loads(answer["Payload"].read()) == {"expired": 2}
        assert "FunctionError" not in answer
        assert answer["ExecutedVersion"] == "$LATEST"
    assert parts.runtime.events == [{"a": 1}] * 4


def test_an_empty_payload_is_an_empty_event(parts: Parts) -> None:
    parts.client().invoke(FunctionName=NAME)
    assert parts.runtime.events == [{}]


def test_a_function_error_is_200_with_unhandled_and_lambdas_error_shape(parts: Parts) -> None:
    error = {"errorMessage": "x", "errorType": "ValueError", "stackTrace": ['  File "h.py"']}
    parts.runtime.result = InvocationResult(error=error)
    answer = parts.client().invoke(FunctionName=NAME)
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    assert json.loads(answer["Payload"].read()) == error


def test_a_response_over_6_mb_becomes_lambdas_response_size_error(parts: Parts) -> None:
    parts.runtime.result = InvocationResult(payload="x" * MAX_SYNC_PAYLOAD_BYTES)
    answer = parts.client().invoke(FunctionName=NAME)
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


def test_tail_returns_base64_of_the_invocations_log(parts: Parts) -> None:
    parts.runtime.printed = ["hello from the handler"]
    answer = parts.client().invoke(FunctionName=NAME, LogType="Tail")
    lines = base64.b64decode(answer["LogResult"]).decode().splitlines()
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith(" Version: $LATEST")
    assert lines[1] == "hello from the handler"
    assert lines[2].startswith("END RequestId: ")
    assert lines[3].startswith("REPORT RequestId: ")
    assert "LogResult" not in parts.client().invoke(FunctionName=NAME)


def test_tail_keeps_only_the_last_4_kb(parts: Parts) -> None:
    parts.runtime.printed = [f"line {number:05d} " + "x" * 90 for number in range(200)]
    answer = parts.client().invoke(FunctionName=NAME, LogType="Tail")
    log = base64.b64decode(answer["LogResult"])
    assert len(log) == 4096
    assert log.endswith(b"Duration: 1 ms\n")
    assert b"line 00199" in log and b"line 00000" not in log


def test_an_unknown_function_or_qualifier_is_resource_not_found(parts: Parts) -> None:
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName="NoSuchFunction")
    assert error_of(err) == (
        404,
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:NoSuchFunction",
    )
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName=NAME, Qualifier="prod")
    assert error_of(err) == (404, "ResourceNotFoundException", f"Function not found: {ARN}:prod")
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName=ARN.replace(ACCOUNT_ID, "999999999999"))
    assert error_of(err)[1] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName=f"{ARN}:prod", Qualifier="$LATEST")
    assert error_of(err)[:2] == (400, "InvalidParameterValueException")
    assert parts.runtime.events == []


def test_a_payload_that_is_not_json_is_400_invalid_request_content(parts: Parts) -> None:
    for payload in (b"{no", b"[" * 100_000):
        with pytest.raises(ClientError) as err:
            parts.client().invoke(FunctionName=NAME, Payload=payload)
        status, code, message = error_of(err)
        assert (status, code) == (400, "InvalidRequestContentException")
        assert message.startswith("Could not parse request body into json")
    assert parts.runtime.events == []


def test_a_payload_over_the_limit_is_413_request_entity_too_large(parts: Parts) -> None:
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName=NAME, Payload=b" " * (MAX_SYNC_PAYLOAD_BYTES + 1))
    assert error_of(err) == (
        413,
        "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )
    with pytest.raises(ClientError) as err:
        parts.client().invoke(
            FunctionName=NAME,
            InvocationType="Event",
            Payload=b" " * (MAX_ASYNC_PAYLOAD_BYTES + 1),
        )
    assert error_of(err)[:2] == (413, "RequestEntityTooLargeException")
    assert parts.runtime.events == []


def test_dry_run_is_204_and_runs_nothing(parts: Parts) -> None:
    answer = parts.client().invoke(FunctionName=NAME, InvocationType="DryRun")
    assert answer["StatusCode"] == 204
    assert parts.runtime.events == []


def test_an_unknown_invocation_or_log_type_is_a_validation_error(parts: Parts) -> None:
    for arguments in ({"InvocationType": "Later"}, {"LogType": "All"}):
        with pytest.raises(ClientError) as err:
            parts.client().invoke(FunctionName=NAME, **arguments)  # type: ignore[arg-type]
        assert error_of(err)[:2] == (400, "ValidationException")
    assert parts.runtime.events == []


def test_event_is_202_and_retried_into_the_signed_dead_letter_listing(parts: Parts) -> None:
    parts.runtime.result = InvocationResult(error={"errorType": "KeyError", "errorMessage": "'s3'"})
    answer = parts.client().invoke(FunctionName=NAME, InvocationType="Event", Payload=b"{}")
    assert answer["StatusCode"] == 202
    deadline = time.monotonic() + 10
    while not parts.invoker.dead_letters and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(parts.runtime.events) == 3
    url = f"{ENDPOINT}/_local/dead-letters"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "lambda", REGION).add_auth(request)
    listing = send(parts.endpoint, "GET", url, dict(request.headers.items()))
    assert listing.status_code == 200
    (letter,) = json.loads(listing.data)["deadLetters"]
    assert letter["function"] == NAME
    assert letter["record"]["requestContext"]["approximateInvokeCount"] == 3


@pytest.mark.parametrize(
    "path", ["/2015-03-31/functions/ExpireFilesFunction/invocations", "/_local/dead-letters"]
)
def test_an_unsigned_request_is_403_missing_authentication_token(parts: Parts, path: str) -> None:
    # A web page can send a text/plain POST to any local port: without a signature it is refused.
    method = "GET" if path.startswith("/_local") else "POST"
    answer = send(
        parts.endpoint, method, f"{ENDPOINT}{path}", {"Content-Type": "text/plain"}, b"{}"
    )
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert answer.json == {"message": "Missing Authentication Token"}
    assert parts.runtime.events == []


def test_an_unknown_access_key_is_403_unrecognized_client(parts: Parts) -> None:
    with pytest.raises(ClientError) as err:
        parts.client(access_key="AKIAUNKNOWN").invoke(FunctionName=NAME)
    assert error_of(err) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_a_session_token_is_403_unrecognized_client(parts: Parts) -> None:
    client = parts.client()
    client.meta.events.register(
        "before-sign.lambda.*",
        lambda request, **_: request.headers.__setitem__("X-Amz-Security-Token", "t"),
    )
    with pytest.raises(ClientError) as err:
        client.invoke(FunctionName=NAME)
    assert error_of(err)[:2] == (403, "UnrecognizedClientException")


def test_a_wrong_secret_or_a_changed_payload_is_403_invalid_signature(parts: Parts) -> None:
    with pytest.raises(ClientError) as err:
        parts.client(secret_key="not-the-secret").invoke(FunctionName=NAME)
    assert error_of(err)[:2] == (403, "InvalidSignatureException")
    assert error_of(err)[2].startswith("The request signature we calculated does not match")

    def tamper(request: Any, **_: Any) -> None:
        request.body = b'{"changed": true}'
        request.headers["Content-Length"] = str(len(request.body))

    # After signing, before the WSGI router answers: the body is not the one signed.
    tampered = local_lambda_client(ENDPOINT)
    tampered.meta.events.register("before-send.lambda.*", tamper)
    route_to_wsgi(tampered, parts.endpoint, "lambda")
    with pytest.raises(ClientError) as err:
        tampered.invoke(FunctionName=NAME, Payload=b"{}")
    assert error_of(err)[:2] == (403, "InvalidSignatureException")
    assert parts.runtime.events == []


def test_a_request_signed_for_another_region_or_service_is_403(parts: Parts) -> None:
    with pytest.raises(ClientError) as err:
        parts.client(region="eu-west-1").invoke(FunctionName=NAME)
    assert error_of(err)[:2] == (403, "InvalidSignatureException")
    assert "region" in error_of(err)[2]
    url = f"{ENDPOINT}/2015-03-31/functions/{NAME}/invocations"
    request = AWSRequest(method="POST", url=url, data=b"{}")
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "s3", REGION).add_auth(request)
    answer = send(parts.endpoint, "POST", url, dict(request.headers.items()), b"{}")
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "service: 'lambda'" in json.loads(answer.data)["message"]
    assert parts.runtime.events == []


def test_a_signature_older_than_5_minutes_is_403_signature_expired(parts: Parts) -> None:
    parts.clock.advance(301)
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName=NAME)
    status, code, message = error_of(err)
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("Signature expired: ")
    parts.clock.advance(-602)
    with pytest.raises(ClientError) as err:
        parts.client().invoke(FunctionName=NAME)
    assert error_of(err)[2].startswith("Signature not yet current: ")


def test_other_paths_and_methods_are_unknown_operations(parts: Parts) -> None:
    url = f"{ENDPOINT}/2015-03-31/functions/{NAME}/invocations"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "lambda", REGION).add_auth(request)
    answer = send(parts.endpoint, "GET", url, dict(request.headers.items()))
    assert answer.status_code == 404
    assert answer.headers["x-amzn-ErrorType"] == "UnknownOperationException"
