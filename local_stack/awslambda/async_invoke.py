"""Asynchronous invocations: S3 event dispatch, Lambda's retries and a dead-letter list.

Lambda invokes S3 and EventBridge targets asynchronously: a failed attempt is retried
``MaximumRetryAttempts`` times (two by default, about a minute then two minutes apart), then
the event goes to the function's on-failure destination. Locally the retries follow each other
after a short backoff, and the destination is a list this module keeps and logs.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import threading
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote_plus

from local_stack.awslambda.invocation import InvocationResult
from local_stack.awslambda.invocation_queue import DeadLetter, InvocationQueue
from local_stack.cloudformation.models import FunctionModel

LOCAL_RETRY_DELAYS = (0.5, 1.0)  # seconds before the 1st and 2nd retry (AWS: ~1 and ~2 minutes)

log = logging.getLogger("local_stack.awslambda.async_invoke")


class RequestInvoker(Protocol):
    """Runs a function synchronously under a given request id (``FunctionRuntime.invoke``)."""

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> InvocationResult: ...


def matching_functions(
    functions: Mapping[str, FunctionModel], record: Mapping[str, Any]
) -> list[str]:
    """Functions whose S3 events (bucket, event pattern, key filter) match one S3 record."""
    bucket = str(record.get("s3", {}).get("bucket", {}).get("name", ""))
    event_name = "s3:" + str(record.get("eventName", ""))
    key = unquote_plus(str(record.get("s3", {}).get("object", {}).get("key", "")))
    names = []
    for function in functions.values():
        for source in function.s3_events:
            if source.bucket_name != bucket:
                continue
            if not any(fnmatch.fnmatchcase(event_name, pattern) for pattern in source.events):
                continue
            if all(_key_matches(key, rule, value) for rule, value in source.filter_rules):
                names.append(function.logical_id)
                break
    return names


def _key_matches(key: str, rule: str, value: str) -> bool:
    if rule == "prefix":
        return key.startswith(value)
    if rule == "suffix":
        return key.endswith(value)
    return False


def failure_record(
    function: FunctionModel, event: Any, request_id: str, attempts: int, result: InvocationResult
) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination after the retries ran out."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": result.error,
    }


class AsyncInvoker:
    """Runs ``Event`` invocations on a background pool with Lambda's retry and dead-letter rules."""

    def __init__(
        self,
        functions: Mapping[str, FunctionModel],
        runtime: RequestInvoker,
        retry_delays: Sequence[float] = LOCAL_RETRY_DELAYS,
        max_threads: int = 16,
        queue: InvocationQueue | None = None,
    ) -> None:
        self._functions = dict(functions)
        self._queue = queue or InvocationQueue()
        # What the last run left unfinished, read before anything new can be accepted, so that
        # resume() never runs an event that this run's own submit() already handed to the pool.
        self._left_over = self._queue.pending()
        self._runtime = runtime
        self._retry_delays = tuple(retry_delays)
        self._pool = ThreadPoolExecutor(max_threads, thread_name_prefix="async-invoke")
        self._stopping = threading.Event()

    @property
    def dead_letters(self) -> list[DeadLetter]:
        return self._queue.dead_letters()

    def submit(self, function_name: str, event: Any) -> Future[InvocationResult]:
        """Accept one asynchronous invocation (``InvocationType=Event``); returns at once.

        The event is in the invocation queue when this returns (on disk when the stack keeps
        its data), so it runs even if the stack stops first: ``resume`` runs it after a restart.
        """
        function = self._functions[function_name]
        request_id = str(uuid.uuid4())
        invocation_id = self._queue.accept(function_name, request_id, event)
        return self._pool.submit(self._run, function, event, request_id, invocation_id)

    def resume(self) -> int:
        """Run what the queue accepted before the last stop and never finished; count them."""
        pending, self._left_over = self._left_over, []
        for invocation in pending:
            function = self._functions.get(invocation.function_name)
            if function is None:
                log.warning(
                    "[%s] dropped a queued event: the template has no such function now",
                    invocation.function_name,
                )
                self._queue.finish(invocation.id)
                continue
            self._pool.submit(
                self._run, function, invocation.event, invocation.request_id, invocation.id
            )
        return len(pending)

    def _run(
        self, function: FunctionModel, event: Any, request_id: str, invocation_id: int
    ) -> InvocationResult:
        attempts = 1 + min(function.max_retry_attempts, len(self._retry_delays))
        result = InvocationResult(error={"errorMessage": "not run"})
        for attempt in range(1, attempts + 1):
            try:
                # Lambda keeps the request id of an asynchronous event across its retries.
                result = self._runtime.invoke(function.logical_id, event, request_id)
            except Exception as err:  # the runtime itself failed: count it as a failed attempt
                log.exception("[%s] async invocation raised", function.logical_id)
                result = InvocationResult(error={"errorMessage": str(err), "errorType": "Local"})
            if not result.failed:
                self._queue.finish(invocation_id)
                return result
            if self._stopping.is_set():
                # The stack is stopping (its workers were stopped mid-run): not a real failure.
                # The event stays queued and runs at the next start.
                return result
            if attempt < attempts:
                delay = self._retry_delays[attempt - 1]
                log.warning(
                    "[%s] async attempt %d/%d failed (%s); retrying in %.1f s",
                    function.logical_id,
                    attempt,
                    attempts,
                    _describe(result),
                    delay,
                )
                if self._stopping.wait(delay):
                    log.warning(
                        "[%s] retry postponed: the stack is stopping (the event stays queued)",
                        function.logical_id,
                    )
                    return result
        attempts_made = attempt
        record = failure_record(function, event, request_id, attempts_made, result)
        self._queue.finish(invocation_id, DeadLetter(function.logical_id, record))
        log.error(
            "[%s] DEAD LETTER after %d attempt(s) (%s) -> %s: %s",
            function.logical_id,
            attempts_made,
            _describe(result),
            function.dead_letter_target or "local dead-letter list",
            json.dumps(event)[:500],
        )
        return result

    def stop_retrying(self) -> None:
        """From now on a failed attempt is final (the stack is stopping)."""
        self._stopping.set()

    def close(self) -> None:
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _describe(result: InvocationResult) -> str:
    error = result.error or {}
    return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"


class S3EventDispatcher:
    """Receives S3 event records from the S3 endpoint and invokes the matching functions."""

    def __init__(self, functions: Mapping[str, FunctionModel], invoker: AsyncInvoker) -> None:
        self._functions = dict(functions)
        self._invoker = invoker

    def __call__(self, record: dict[str, Any]) -> None:
        self.dispatch(record)

    def dispatch(self, record: Mapping[str, Any]) -> list[Future[InvocationResult]]:
        """Invoke every matching function with ``{"Records": [record]}``, as S3 does."""
        names = matching_functions(self._functions, record)
        key = record.get("s3", {}).get("object", {}).get("key", "")
        for name in names:
            log.info("[%s] S3 %s %s", name, record.get("eventName"), key)
        return [self._invoker.submit(name, {"Records": [dict(record)]}) for name in names]
