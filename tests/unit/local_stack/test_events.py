"""S3 event dispatch and asynchronous invocations: matching, retries, dead letters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.awslambda.async_invoke import AsyncInvoker, S3EventDispatcher, matching_functions
from local_stack.awslambda.invocation import InvocationResult
from local_stack.cloudformation.models import FunctionModel, S3EventSource, function_arn
from tests.helpers.functions import function_model


def _function(
    name: str, *sources: S3EventSource, retries: int = 2, dead_letter: str | None = None
) -> FunctionModel:
    return function_model(
        name, s3_events=sources, max_retry_attempts=retries, dead_letter_target=dead_letter
    )


def _source(
    bucket: str = "files", events: tuple[str, ...] = ("s3:ObjectCreated:*",), **rules: str
) -> S3EventSource:
    return S3EventSource("Upload", "Bucket", bucket, events, tuple(rules.items()))


def _record(
    key: str = "abc", bucket: str = "files", event: str = "ObjectCreated:Put"
) -> dict[str, Any]:
    # Built by hand, not by the event builders: ``key`` goes in exactly as given (already
    # encoded where a test says so), so the dispatcher's decoding is checked on its own.
    return {
        "eventSource": "aws:s3",
        "eventName": event,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 5}},
    }


class RecordingInvoker:
    """Answers with queued results (default: success) and remembers every call."""

    def __init__(self, *results: InvocationResult) -> None:
        self.results = list(results)
        self.calls: list[tuple[str, Any]] = []
        self.request_ids: list[str] = []
        self.lock = threading.Lock()

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
        with self.lock:
            self.calls.append((function_name, event))
            self.request_ids.append(request_id)
            return self.results.pop(0) if self.results else InvocationResult(payload="ok")


FAILURE = InvocationResult(error={"errorType": "KeyError", "errorMessage": "'s3'"})


@pytest.fixture
def functions() -> dict[str, FunctionModel]:
    return {
        "ObjectCreatedFunction": _function(
            "ObjectCreatedFunction", _source(), dead_letter="arn:aws:sqs:us-east-1:1:dlq"
        ),
        "PutsOnlyFunction": _function(
            "PutsOnlyFunction", _source(events=("s3:ObjectCreated:Put",), prefix="in/")
        ),
        "OtherBucketFunction": _function("OtherBucketFunction", _source(bucket="other")),
        "NoEventsFunction": _function("NoEventsFunction"),
    }


@pytest.fixture
def make_invoker() -> Iterator[Any]:
    created: list[AsyncInvoker] = []

    def make(functions: dict[str, FunctionModel], invoke: RecordingInvoker) -> AsyncInvoker:
        invoker = AsyncInvoker(functions, invoke, retry_delays=(0.01, 0.01))
        created.append(invoker)
        return invoker

    yield make
    for invoker in created:
        invoker.close()


def test_a_record_reaches_functions_of_its_bucket_whose_pattern_matches(
    functions: dict[str, FunctionModel],
) -> None:
    assert matching_functions(functions, _record("abc")) == ["ObjectCreatedFunction"]
    assert matching_functions(functions, _record("in/abc")) == [
        "ObjectCreatedFunction",
        "PutsOnlyFunction",
    ]


def test_key_filters_see_the_decoded_key(functions: dict[str, FunctionModel]) -> None:
    assert "PutsOnlyFunction" in matching_functions(functions, _record("in%2Fa+b"))


def test_an_event_name_outside_the_pattern_does_not_match(
    functions: dict[str, FunctionModel],
) -> None:
    record = _record("in/abc", event="ObjectCreated:Copy")
    assert matching_functions(functions, record) == ["ObjectCreatedFunction"]
    assert matching_functions(functions, _record(event="ObjectRemoved:Delete")) == []


def test_a_record_of_another_bucket_reaches_only_that_buckets_functions(
    functions: dict[str, FunctionModel],
) -> None:
    assert matching_functions(functions, _record(bucket="other")) == ["OtherBucketFunction"]
    assert matching_functions(functions, _record(bucket="unknown")) == []


def test_the_dispatcher_invokes_with_one_record_in_records(
    functions: dict[str, FunctionModel], make_invoker: Any
) -> None:
    invoke = RecordingInvoker()
    dispatcher = S3EventDispatcher(functions, make_invoker(functions, invoke))
    record = _record("in/abc")
    futures = dispatcher.dispatch(record)
    assert [future.result(timeout=5).payload for future in futures] == ["ok", "ok"]
    assert sorted(invoke.calls, key=lambda call: call[0]) == [
        ("ObjectCreatedFunction", {"Records": [record]}),
        ("PutsOnlyFunction", {"Records": [record]}),
    ]


def test_a_successful_invocation_is_not_retried(
    functions: dict[str, FunctionModel], make_invoker: Any
) -> None:
    invoke = RecordingInvoker()
    invoker = make_invoker(functions, invoke)
    assert invoker.submit("ObjectCreatedFunction", {"a": 1}).result(timeout=5).payload == "ok"
    assert len(invoke.calls) == 1
    assert invoker.dead_letters == []


def test_a_failure_is_retried_and_a_later_success_ends_it(
    functions: dict[str, FunctionModel], make_invoker: Any
) -> None:
    invoke = RecordingInvoker(FAILURE)
    invoker = make_invoker(functions, invoke)
    assert not invoker.submit("ObjectCreatedFunction", {"a": 1}).result(timeout=5).failed
    assert len(invoke.calls) == 2
    assert invoker.dead_letters == []


def test_three_failed_attempts_end_in_the_dead_letter_list_as_lambda_records_them(
    functions: dict[str, FunctionModel], make_invoker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    invoke = RecordingInvoker(FAILURE, FAILURE, FAILURE)
    invoker = make_invoker(functions, invoke)
    event = {"Records": [{"bad": True}]}
    assert invoker.submit("ObjectCreatedFunction", event).result(timeout=5).failed
    assert invoke.calls == [("ObjectCreatedFunction", event)] * 3
    assert len(set(invoke.request_ids)) == 1  # one request id across the retries, as in Lambda
    (letter,) = invoker.dead_letters
    assert letter.function_name == "ObjectCreatedFunction"
    context = letter.record["requestContext"]
    assert context["requestId"] == invoke.request_ids[0]
    assert context["condition"] == "RetriesExhausted"
    assert context["approximateInvokeCount"] == 3
    assert context["functionArn"] == function_arn("ObjectCreatedFunction") + ":$LATEST"
    assert letter.record["requestPayload"] == event
    assert letter.record["responsePayload"] == FAILURE.error
    assert any(
        "DEAD LETTER" in record.getMessage()
        and "arn:aws:sqs:us-east-1:1:dlq" in record.getMessage()
        for record in caplog.records
    )


def test_maximum_retry_attempts_from_the_template_is_honoured(make_invoker: Any) -> None:
    functions = {"NoRetryFunction": _function("NoRetryFunction", retries=0)}
    invoke = RecordingInvoker(FAILURE)
    invoker = make_invoker(functions, invoke)
    invoker.submit("NoRetryFunction", {}).result(timeout=5)
    assert len(invoke.calls) == 1
    assert invoker.dead_letters[0].record["requestContext"]["approximateInvokeCount"] == 1


def test_no_retry_runs_once_the_stack_is_stopping(
    functions: dict[str, FunctionModel], make_invoker: Any
) -> None:
    invoke = RecordingInvoker(FAILURE, FAILURE, FAILURE)
    invoker = make_invoker(functions, invoke)
    invoker.stop_retrying()
    invoker.submit("ObjectCreatedFunction", {}).result(timeout=5)
    assert len(invoke.calls) == 1
    assert invoker.dead_letters == []
