"""Whole Tavern runs (``pytest --tavern-extra-backends=lambda``) against a real Lambda API.

The Lambda endpoint is Filestore's local stack (Lambda's REST Invoke API, SigV4-checked), so
these runs go through boto3, the signature and the service's real answers; the plugin itself
knows nothing of Filestore.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.testing.launcher import RunningStack, start_local_stack

BACKEND = "--tavern-extra-backends=lambda"


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    running = start_local_stack()
    yield running
    running.stop()


def _client_block(stack: RunningStack) -> str:
    return (
        "lambda:\n"
        f"  endpoint_url: {stack.lambda_url}\n"
        f"  region: {REGION}\n"
        f"  aws_access_key_id: {ACCESS_KEY_ID}\n"
        f"  aws_secret_access_key: {SECRET_ACCESS_KEY}\n"
    )


def _write(pytester: pytest.Pytester, name: str, stack: RunningStack, body: str) -> None:
    pytester.makefile(".tavern.yaml", **{name: f"test_name: {name}\n{_client_block(stack)}{body}"})


PASSING = """\
stages:
  - name: The scheduled function runs and its counts are saved
    lambda_request:
      function: ExpireFilesFunction
      payload:
        source: aws.events
        detail-type: Scheduled Event
      log_type: Tail
    lambda_response:
      payload:
        expired: !anyint
        finished: !anyint
        skipped: !anyint
      save:
        payload:
          expired_before: expired
        log: tail

  - name: The saved value is usable in the next stage
    lambda_request:
      function: "arn:aws:lambda:us-east-1:123456789012:function:ExpireFilesFunction"
      qualifier: $LATEST
      payload: {}
    lambda_response:
      status_code: 200
      payload:
        expired: !int "{expired_before}"
        finished: !anything
        skipped: !anyint

  - name: An expected function error passes, with Lambda's error payload
    lambda_request:
      function: ObjectCreatedFunction
      payload:
        Records:
          - {}
    lambda_response:
      function_error: Unhandled
      payload:
        errorType: UnusableEvent
        errorMessage: !anystr
        stackTrace: !anylist
        requestId: !anystr

  - name: An API function's answer matched loosely
    lambda_request:
      function: GetConfigFunction
      payload:
        httpMethod: GET
        path: /config
        resource: /config
        headers: {}
        requestContext: {}
    lambda_response:
      strict:
        - json:off
      payload:
        statusCode: 200
        multiValueHeaders: !anydict

  - name: Event and DryRun answer 202 and 204 by default
    lambda_request:
      function: ExpireFilesFunction
      invocation_type: Event
      payload: {}
    lambda_response: {}

  - name: DryRun
    lambda_request:
      function: ExpireFilesFunction
      invocation_type: DryRun
    lambda_response: {}

  - name: A refusal can be expected
    lambda_request:
      function: NoSuchFunction
    lambda_response:
      status_code: 404
      error:
        code: ResourceNotFoundException
        message: !re_search "Function not found"
"""


def test_a_file_of_lambda_stages_passes(pytester: pytest.Pytester, stack: RunningStack) -> None:
    _write(pytester, "test_passing", stack, PASSING)
    result = pytester.runpytest_subprocess(BACKEND, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_unexpected_function_error_fails_the_stage(
    pytester: pytest.Pytester, stack: RunningStack
) -> None:
    _write(
        pytester,
        "test_unexpected_error",
        stack,
        "stages:\n"
        "  - name: An event the function cannot use\n"
        "    lambda_request:\n"
        "      function: ObjectCreatedFunction\n"
        "      payload: {Records: [{}]}\n"
        "    lambda_response:\n"
        "      payload: !anything\n",
    )
    result = pytester.runpytest_subprocess(BACKEND, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*ObjectCreatedFunction failed (X-Amz-Function-Error: Unhandled)*"]
    )


def test_a_payload_that_does_not_match_fails_the_stage(
    pytester: pytest.Pytester, stack: RunningStack
) -> None:
    _write(
        pytester,
        "test_mismatch",
        stack,
        "stages:\n"
        "  - name: Wrong count\n"
        "    lambda_request:\n"
        "      function: ExpireFilesFunction\n"
        "    lambda_response:\n"
        "      payload:\n"
        "        expired: wrong\n"
        "        finished: !anyint\n"
        "        skipped: !anyint\n",
    )
    result = pytester.runpytest_subprocess(BACKEND, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expired*"])


def test_bad_credentials_fail_with_lambdas_refusal(
    pytester: pytest.Pytester, stack: RunningStack
) -> None:
    body = (
        "stages:\n"
        "  - name: Signed with a key the endpoint does not know\n"
        "    lambda_request:\n"
        "      function: ExpireFilesFunction\n"
        "    lambda_response: {}\n"
    )
    block = _client_block(stack).replace(ACCESS_KEY_ID, "AKIAUNKNOWN")
    pytester.makefile(".tavern.yaml", test_refused=f"test_name: refused\n{block}{body}")
    result = pytester.runpytest_subprocess(BACKEND, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected status 200*got 403 (UnrecognizedClientException*"])


def test_without_the_backend_option_tavern_refuses_lambda_stages(
    pytester: pytest.Pytester, stack: RunningStack
) -> None:
    _write(pytester, "test_no_backend", stack, PASSING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*BadSchemaError*"])
