"""lambda_request invokes through boto3; lambda_response matches, saves and fails like Tavern's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tavern._core.exceptions import BadSchemaError, TavernException, TestFailError

from plugin_helpers import (
    invoke_answer,
    offline_session,
    stub_cloudformation,
    stub_lambda,
    tavern_config,
    tavern_yaml,
)
from tavern_lambda.client import LambdaInvocation, LambdaSession
from tavern_lambda.request import LambdaRequest
from tavern_lambda.response import LambdaResponse
from tavern_lambda.tavernhook import get_expected_from_request

PAYLOAD = {"expired": 2, "finished": 0, "detail": {"ids": ["a", "b"]}, "note": "done"}


def _invocation(**fields: Any) -> LambdaInvocation:
    values: dict[str, Any] = {
        "function_name": "f",
        "invocation_type": "RequestResponse",
        "status_code": 200,
        "payload": PAYLOAD,
        "function_error": None,
        "executed_version": "$LATEST",
        "log": None,
        "request_id": "r-1",
    }
    return LambdaInvocation(**{**values, **fields})


def _verify(
    block: str, invocation: LambdaInvocation, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response_block = tavern_yaml(block) or {}
    # Tavern's runner applies a response block's `strict` to the stage's configuration.
    config = tavern_config(variables, *response_block.get("strict", ["json:on"]))
    session = offline_session()
    expected = get_expected_from_request(response_block, config, session)
    saved = LambdaResponse(session, "stage", expected, config).verify(invocation)
    return dict(saved)


# ---- matching -------------------------------------------------------------------------------


def test_an_exact_payload_matches() -> None:
    _verify(f"payload: {json.dumps(PAYLOAD)}", _invocation())


@pytest.mark.parametrize(
    "block",
    [
        "payload:\n  expired: !anyint\n  finished: !anyint\n"
        "  detail: !anydict\n  note: !anything\n",
        "payload: !anydict\n",
        "payload: !anything\n",
        "payload:\n  expired: !anyint\n  finished: 0\n"
        "  detail:\n    ids: !anylist\n  note: !anystr\n",
    ],
)
def test_tavern_markers_match_any_value_of_their_kind(block: str) -> None:
    _verify(block, _invocation())


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("payload:\n  expired: 3\n", "expired"),
        ("payload:\n  expired: !anystr\n", "expired"),
        ("payload:\n  expired: 2\n  finished: 0\n  detail: !anyint\n  note: done\n", "detail"),
        ("payload: !anylist\n", "Type of returned data was different"),
    ],
)
def test_a_payload_that_differs_fails_the_stage_naming_the_key(block: str, problem: str) -> None:
    with pytest.raises(TestFailError) as err:
        _verify(block, _invocation())
    assert problem in str(err.value)


def test_strict_json_refuses_extra_keys_and_json_off_allows_them() -> None:
    with pytest.raises(TestFailError):
        _verify("payload:\n  expired: 2\n", _invocation())
    _verify("payload:\n  expired: 2\nstrict:\n  - json:off\n", _invocation())


def test_a_scalar_payload_matches_too() -> None:
    _verify("payload: 42\n", _invocation(payload=42))
    _verify("payload: !anyint\n", _invocation(payload=42))
    with pytest.raises(TestFailError):
        _verify("payload: 41\n", _invocation(payload=42))


def test_expected_values_are_formatted_from_the_variables() -> None:
    _verify("payload:\n  note: '{word}'\nstrict: [json:off]\n", _invocation(), {"word": "done"})
    with pytest.raises(TestFailError):
        _verify("payload:\n  note: '{word}'\nstrict: [json:off]\n", _invocation(), {"word": "no"})


# ---- status and function errors -------------------------------------------------------------


def test_the_default_status_follows_the_invocation_type() -> None:
    _verify("{}", _invocation(invocation_type="Event", status_code=202, payload=None))
    _verify("{}", _invocation(invocation_type="DryRun", status_code=204, payload=None))
    with pytest.raises(TestFailError, match="expected status 200"):
        _verify("{}", _invocation(status_code=202))


def test_an_unexpected_function_error_fails_the_stage_with_its_message() -> None:
    error = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}
    failed = _invocation(payload=error, function_error="Unhandled")
    with pytest.raises(TestFailError) as err:
        _verify("{}", failed)
    assert "ValueError: boom" in str(err.value)
    # Even when the payload would match:
    with pytest.raises(TestFailError):
        _verify("payload: !anything\n", failed)


def test_an_expected_function_error_passes_and_its_payload_is_checked() -> None:
    error = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}
    failed = _invocation(payload=error, function_error="Unhandled")
    _verify(
        "function_error: Unhandled\npayload:\n  errorType: ValueError\n"
        "  errorMessage: !anystr\n  stackTrace: !anylist\n",
        failed,
    )
    _verify("function_error: !anything\nstrict: [json:off]\n", failed)
    with pytest.raises(TestFailError, match="succeeded"):
        _verify("function_error: Unhandled\n", _invocation())


def test_a_refused_invoke_fails_unless_its_status_and_error_are_expected() -> None:
    refused = _invocation(
        status_code=404,
        payload=None,
        refusal={"code": "ResourceNotFoundException", "message": "Function not found: x"},
    )
    with pytest.raises(TestFailError, match="ResourceNotFoundException"):
        _verify("{}", refused)
    _verify(
        "status_code: 404\nerror:\n  code: ResourceNotFoundException\n  message: !anystr\n", refused
    )
    with pytest.raises(TestFailError):
        _verify(
            "status_code: 404\nerror:\n  code: AccessDeniedException\n  message: !anystr\n", refused
        )


# ---- saving ---------------------------------------------------------------------------------


def test_save_payload_keeps_values_by_dotted_key_like_save_json() -> None:
    saved = _verify(
        "payload: !anydict\nsave:\n  payload:\n    count: expired\n    first_id: detail.ids[0]\n",
        _invocation(),
    )
    assert saved == {"count": 2, "first_id": "a"}


def test_saving_a_key_the_payload_lacks_fails_the_stage() -> None:
    with pytest.raises(TestFailError):
        _verify("payload: !anydict\nsave:\n  payload:\n    x: missing\n", _invocation())


def test_save_log_keeps_the_decoded_tail() -> None:
    saved = _verify("save:\n  log: tail\npayload: !anything\n", _invocation(log="START\nEND\n"))
    assert saved == {"tail": "START\nEND\n"}


def test_nothing_is_saved_from_a_failed_stage() -> None:
    with pytest.raises(TestFailError):
        _verify("payload: {expired: 9}\nsave:\n  payload:\n    count: expired\n", _invocation())


def test_an_unknown_response_key_is_a_schema_error() -> None:
    with pytest.raises(BadSchemaError):
        _verify("body: {}\n", _invocation())


# ---- the request ----------------------------------------------------------------------------


def _request(spec: str, session: LambdaSession, variables: dict[str, Any] | None = None) -> Any:
    return LambdaRequest(session, tavern_yaml(spec), tavern_config(variables)).run()


def test_the_request_sends_the_payload_as_json_with_its_options() -> None:
    session = offline_session()
    stubber = stub_lambda(session)
    stubber.add_response(
        "invoke",
        invoke_answer({"ok": True}, log="hello\n"),
        {
            "FunctionName": "my-function",
            "InvocationType": "RequestResponse",
            "Payload": b'{"id": "abc", "n": 1}',
            "Qualifier": "$LATEST",
            "LogType": "Tail",
        },
    )
    answer = _request(
        "function: my-function\npayload: {id: '{file_id}', n: 1}\nqualifier: $LATEST\n"
        "log_type: Tail\n",
        session,
        {"file_id": "abc"},
    )
    stubber.assert_no_pending_responses()
    assert (answer.status_code, answer.payload, answer.log) == (200, {"ok": True}, "hello\n")


def test_a_request_without_payload_sends_none_and_event_invocations_say_so() -> None:
    session = offline_session()
    stubber = stub_lambda(session)
    stubber.add_response(
        "invoke", invoke_answer(None, status=202), {"FunctionName": "f", "InvocationType": "Event"}
    )
    answer = _request("function: f\ninvocation_type: Event\n", session)
    assert (answer.status_code, answer.invocation_type, answer.payload) == (202, "Event", None)


def test_a_payload_can_come_from_an_ext_function() -> None:
    session = offline_session()
    stubber = stub_lambda(session)
    stubber.add_response(
        "invoke",
        invoke_answer(1),
        {"FunctionName": "f", "InvocationType": "RequestResponse", "Payload": b'{"a": 1}'},
    )
    _request(
        "function: f\npayload:\n  $ext:\n    function: builtins:dict\n    extra_kwargs: {a: 1}\n",
        session,
    )
    stubber.assert_no_pending_responses()


def test_a_refusal_is_an_answer_the_response_can_check() -> None:
    session = offline_session()
    stubber = stub_lambda(session)
    stubber.add_client_error(
        "invoke", "ResourceNotFoundException", "Function not found: f", http_status_code=404
    )
    answer = _request("function: f\n", session)
    assert answer.status_code == 404
    assert answer.refusal == {
        "code": "ResourceNotFoundException",
        "message": "Function not found: f",
    }


def test_a_bad_invocation_type_or_key_is_a_schema_error() -> None:
    session = offline_session()
    with pytest.raises(BadSchemaError):
        _request("function: f\ninvocation_type: Later\n", session)
    with pytest.raises(BadSchemaError):
        _request("function: f\nbody: {}\n", session)


# ---- the stack lookup -----------------------------------------------------------------------


def _resource(
    logical_id: str, physical: str, kind: str = "AWS::Lambda::Function"
) -> dict[str, Any]:
    return {
        "StackResourceDetail": {
            "StackName": "filestore-prod",
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": physical,
            "ResourceType": kind,
            "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }
    }


def test_a_logical_id_of_the_stack_is_invoked_by_its_physical_name_looked_up_once() -> None:
    session = offline_session(stack="filestore-prod")
    cloudformation = stub_cloudformation(session)
    cloudformation.add_response(
        "describe_stack_resource",
        _resource("ExpireFilesFunction", "filestore-prod-ExpireFilesFunction-AbC123"),
        {"StackName": "filestore-prod", "LogicalResourceId": "ExpireFilesFunction"},
    )
    lambda_stub = stub_lambda(session)
    for _ in range(2):
        lambda_stub.add_response(
            "invoke",
            invoke_answer({}),
            {
                "FunctionName": "filestore-prod-ExpireFilesFunction-AbC123",
                "InvocationType": "RequestResponse",
                "Payload": b"{}",
            },
        )
        _request("function: ExpireFilesFunction\npayload: {}\n", session)
    cloudformation.assert_no_pending_responses()
    lambda_stub.assert_no_pending_responses()


def test_the_stack_comes_from_tavern_lambda_stack_and_an_arn_is_never_looked_up() -> None:
    session = LambdaSession(environ={"TAVERN_LAMBDA_STACK": "from-env"}, region="us-east-1")
    assert session.stack == "from-env"
    arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
    assert session.function_name(arn) == arn
    assert LambdaSession(environ={}, stack="", region="us-east-1").stack is None


def test_a_logical_id_the_stack_lacks_or_that_is_no_function_fails_clearly() -> None:
    session = offline_session(stack="filestore-prod")
    cloudformation = stub_cloudformation(session)
    cloudformation.add_client_error(
        "describe_stack_resource",
        "ValidationError",
        "Resource NoSuch does not exist for stack filestore-prod",
    )
    with pytest.raises(TavernException, match="has no resource 'NoSuch'"):
        _request("function: NoSuch\n", session)
    cloudformation.add_response(
        "describe_stack_resource", _resource("StorageBucket", "bucket-1", "AWS::S3::Bucket")
    )
    with pytest.raises(TavernException, match="not an AWS::Lambda::Function"):
        _request("function: StorageBucket\n", session)


def test_verify_response_with_gets_the_invocation_and_its_failure_fails_the_stage() -> None:
    _verify(
        "payload: !anything\nverify_response_with:\n"
        "  function: plugin_helpers:check_request_id\n  extra_kwargs: {expected: r-1}\n",
        _invocation(),
    )
    with pytest.raises(TestFailError, match="request id"):
        _verify(
            "payload: !anything\nverify_response_with:\n"
            "  function: plugin_helpers:check_request_id\n  extra_kwargs: {expected: other}\n",
            _invocation(),
        )
