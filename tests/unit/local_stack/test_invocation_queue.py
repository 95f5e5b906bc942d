"""Lambda's asynchronous invocation queue on disk: accepted events outlive the stack, once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack.awslambda.async_invoke import AsyncInvoker
from local_stack.awslambda.invocation import InvocationResult
from local_stack.awslambda.invocation_queue import DeadLetter, InvocationQueue
from local_stack.cloudformation.models import FunctionModel
from tests.helpers.functions import function_model

FUNCTION = "ObjectCreatedFunction"
EVENT = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "abc"}}}]}
FAILURE = InvocationResult(error={"errorType": "RuntimeError", "errorMessage": "boom"})


class Runtime:
    """Answers with queued results (then success) and remembers every call and its request id."""

    def __init__(self, *results: InvocationResult) -> None:
        self.results = list(results)
        self.calls: list[tuple[str, Any, str]] = []
        self.called = threading.Event()
        self.lock = threading.Lock()

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
        with self.lock:
            self.calls.append((function_name, event, request_id))
            self.called.set()
            return self.results.pop(0) if self.results else InvocationResult(payload="ok")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "lambda-invocations.sqlite3"


@pytest.fixture
def functions() -> dict[str, FunctionModel]:
    return {FUNCTION: function_model(FUNCTION, max_retry_attempts=2)}


@pytest.fixture
def invokers() -> Iterator[list[AsyncInvoker]]:
    """Invokers a test starts; each is closed at the end (as the stack closes its own)."""
    started: list[AsyncInvoker] = []
    yield started
    for invoker in started:
        invoker.close()


def _invoker(
    functions: dict[str, FunctionModel],
    runtime: Runtime,
    path: Path,
    invokers: list[AsyncInvoker],
    retry_delays: tuple[float, ...] = (0.01, 0.01),
) -> AsyncInvoker:
    invoker = AsyncInvoker(functions, runtime, retry_delays, queue=InvocationQueue(path))
    invokers.append(invoker)
    return invoker


def _wait_until_resumed_events_finish(path: Path) -> None:
    queue = InvocationQueue(path)
    deadline = time.monotonic() + 5
    while queue.pending():
        assert time.monotonic() < deadline, f"still pending after 5 s: {queue.pending()}"
        time.sleep(0.01)


def test_accepted_events_outlive_the_queue_until_finished(path: Path) -> None:
    queue = InvocationQueue(path)
    first = queue.accept(FUNCTION, "request-1", EVENT)
    queue.accept("ExpireFilesFunction", "request-2", {"source": "aws.events"})
    queue.finish(first)

    reopened = InvocationQueue(path).pending()

    assert [(p.function_name, p.request_id, p.event) for p in reopened] == [
        ("ExpireFilesFunction", "request-2", {"source": "aws.events"})
    ]


def test_an_in_memory_queue_keeps_nothing_across_instances() -> None:
    InvocationQueue().accept(FUNCTION, "request-1", EVENT)
    assert InvocationQueue().pending() == []


def test_an_event_whose_retry_was_cut_short_by_a_stop_runs_again_after_resume(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    failing = Runtime(FAILURE)
    before_stop = _invoker(functions, failing, path, invokers, retry_delays=(60.0, 60.0))
    future = before_stop.submit(FUNCTION, EVENT)
    assert failing.called.wait(timeout=5)
    before_stop.close()  # the stack stops while the retry waits
    assert future.result(timeout=5).failed
    assert len(failing.calls) == 1

    runtime = Runtime()
    after_restart = _invoker(functions, runtime, path, invokers)
    assert after_restart.resume() == 1
    _wait_until_resumed_events_finish(path)

    # Run again with the same event and request id, as Lambda's retry would; then done.
    assert runtime.calls == [(FUNCTION, EVENT, failing.calls[0][2])]
    assert _invoker(functions, Runtime(), path, invokers).resume() == 0


def test_an_event_accepted_but_never_run_before_a_crash_runs_after_resume(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    InvocationQueue(path).accept(FUNCTION, "request-before-crash", EVENT)

    runtime = Runtime()
    assert _invoker(functions, runtime, path, invokers).resume() == 1
    _wait_until_resumed_events_finish(path)

    assert runtime.calls == [(FUNCTION, EVENT, "request-before-crash")]


def test_a_finished_event_is_not_resumed(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    runtime = Runtime()
    done = _invoker(functions, runtime, path, invokers).submit(FUNCTION, EVENT).result(timeout=5)
    assert not done.failed
    assert len(runtime.calls) == 1

    later = Runtime()
    assert _invoker(functions, later, path, invokers).resume() == 0
    assert later.calls == []


def test_dead_letters_outlive_the_queue(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    runtime = Runtime(FAILURE, FAILURE, FAILURE)
    invoker = _invoker(functions, runtime, path, invokers)
    assert invoker.submit(FUNCTION, EVENT).result(timeout=5).failed
    assert len(runtime.calls) == 3  # the first attempt and two retries

    reopened = InvocationQueue(path)

    assert reopened.pending() == []
    (letter,) = reopened.dead_letters()
    assert isinstance(letter, DeadLetter)
    assert letter.function_name == FUNCTION
    assert letter.record["requestPayload"] == EVENT
    assert letter.record["requestContext"]["condition"] == "RetriesExhausted"
    assert letter.record["requestContext"]["approximateInvokeCount"] == 3
    assert letter.record["requestContext"]["requestId"] == runtime.calls[0][2]
    assert _invoker(functions, Runtime(), path, invokers).dead_letters == [letter]


def test_a_queued_event_of_a_function_the_template_dropped_is_discarded_on_resume(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    InvocationQueue(path).accept("RemovedFunction", "request-1", EVENT)

    runtime = Runtime()
    assert _invoker(functions, runtime, path, invokers).resume() == 1

    assert runtime.calls == []
    assert InvocationQueue(path).pending() == []


def test_an_event_accepted_during_this_start_is_not_resumed_a_second_time(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    # A schedule or an upload may submit before the stack calls resume(): that event is this
    # run's own, not one the last run left over.
    release = threading.Event()

    class Slow(Runtime):
        def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
            answer = super().invoke(function_name, event, request_id)
            release.wait(timeout=5)
            return answer

    runtime = Slow()
    invoker = _invoker(functions, runtime, path, invokers)
    running = invoker.submit(FUNCTION, EVENT)
    assert runtime.called.wait(timeout=5)  # accepted and still running when resume() comes

    assert invoker.resume() == 0
    release.set()
    assert not running.result(timeout=5).failed
    _wait_until_resumed_events_finish(path)
    assert len(runtime.calls) == 1


def test_a_last_attempt_stopped_by_the_stack_stopping_stays_queued_not_dead_lettered(
    functions: dict[str, FunctionModel], path: Path, invokers: list[AsyncInvoker]
) -> None:
    holder: list[AsyncInvoker] = []

    class StoppedMidRun(Runtime):
        def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult:
            holder[0].stop_retrying()  # Ctrl-C: the stack stops its workers during this attempt
            super().invoke(function_name, event, request_id)
            return FAILURE

    invoker = _invoker(functions, StoppedMidRun(), path, invokers)
    holder.append(invoker)

    assert invoker.submit(FUNCTION, EVENT).result(timeout=5).failed

    assert invoker.dead_letters == []
    assert [p.event for p in InvocationQueue(path).pending()] == [EVENT]
