"""The local stack as a whole (a real ``python -m local_stack`` subprocess): start-up, the invoke
route, S3 events, retries and dead letters, schedules and the console log."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from local_stack.eventbridge.scheduler import scheduled_event
from local_stack.testing.launcher import RunningStack, start_local_stack
from tests.integration.tavern_helpers import EXPIRE_RULE_NAME

pytestmark = pytest.mark.local_only

# rate(1 minute) at 60x: the expiry schedule fires every second (FILESTORE_SCHEDULE_SPEEDUP is
# a documented local-only knob; a deployed rule fires at the template's real rate).
SCHEDULE_PARAMS = {"ExpireSchedule": "rate(1 minute)"}
SCHEDULE_ENV = {"FILESTORE_SCHEDULE_SPEEDUP": "60"}


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    running = start_local_stack(SCHEDULE_PARAMS, env=SCHEDULE_ENV)
    yield running
    running.stop()


def _describe(stack: RunningStack, file_id: str) -> dict[str, object]:
    answer = requests.post(
        f"{stack.api_url}/files?nonstored=true",
        json=[file_id],
        headers={"x-api-key": stack.api_key},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    (record,) = answer.json()
    assert isinstance(record, dict)
    return record


def test_start_up_prints_every_url_and_the_api_key(stack: RunningStack) -> None:
    log = stack.log_text()
    assert f"API        {stack.api_url}" in log
    assert f"S3         {stack.s3_url}" in log
    assert f"web page   {stack.web_url}" in log
    assert f"API key    {stack.api_key}" in log
    assert f"Lambda     {stack.lambda_url}   (AWS_ENDPOINT_URL_LAMBDA" in log
    assert "/_local/" not in log


def test_config_answers_200_through_the_gateway(stack: RunningStack) -> None:
    answer = requests.get(f"{stack.api_url}/config", timeout=30)
    assert answer.status_code == 200
    assert answer.json()["store_on_upload"] is False


def test_api_calls_are_logged_with_method_path_status_and_milliseconds(
    stack: RunningStack,
) -> None:
    requests.get(f"{stack.api_url}/config", timeout=30)
    requests.get(f"{stack.api_url}/no-such-route", timeout=30)
    lines = stack.wait_for_log("GET /dev/no-such-route 403")
    assert re.search(r"GET /dev/no-such-route 403 \d+\.\dms$", lines[-1])
    assert [line for line in stack.log_lines() if re.search(r"GET /dev/config 200 \d", line)]


def test_function_logs_are_prefixed_with_the_function_name(stack: RunningStack) -> None:
    requests.get(f"{stack.api_url}/config", timeout=30)
    assert stack.wait_for_log("[GetConfigFunction] START RequestId: ")
    assert stack.wait_for_log("[GetConfigFunction] REPORT RequestId: ")


def test_invoke_runs_a_function_once_and_returns_its_result(stack: RunningStack) -> None:
    event = scheduled_event(EXPIRE_RULE_NAME, datetime.now(UTC))
    answer = stack.lambda_client().invoke(
        FunctionName="ExpireFilesFunction", Payload=json.dumps(event).encode()
    )
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert answer["ExecutedVersion"] == "$LATEST"
    assert set(json.loads(answer["Payload"].read())) >= {"expired"}


def test_invoke_reports_a_function_error_like_lambda(stack: RunningStack) -> None:
    # A record without its "s3" part makes the handler raise.
    answer = stack.invoke("ObjectCreatedFunction", {"Records": [{}]})
    assert (answer.status, answer.function_error) == (200, "Unhandled")
    assert {"errorMessage", "errorType", "stackTrace"} <= set(answer.payload)


def test_an_upload_reaches_object_created_and_the_record_shows_it_uploaded(
    stack: RunningStack,
) -> None:
    created = requests.post(
        f"{stack.api_url}/file",
        json={"name": "notes day 1.txt", "type": "text/plain", "size": 11},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    upload = created.json()
    put = requests.put(upload["url"], data=b"hello world", headers=upload["headers"], timeout=30)
    assert put.status_code == 200, put.text
    stack.wait_for_log(f"[ObjectCreatedFunction] S3 ObjectCreated:Put {upload['id']}")
    deadline = time.monotonic() + 10
    record = _describe(stack, upload["id"])
    while record["status"] != "uploaded" and time.monotonic() < deadline:
        time.sleep(0.05)
        record = _describe(stack, upload["id"])
    assert record["status"] == "uploaded", stack.log_text()
    assert (record["size"], record["type"]) == (11, "text/plain")


def test_a_failing_async_invocation_is_retried_twice_then_dead_lettered(
    stack: RunningStack,
) -> None:
    # The same asynchronous path as S3 events (Lambda's InvocationType=Event), with a record
    # the handler cannot read: every attempt fails.
    answer = stack.invoke(
        "ObjectCreatedFunction",
        {"Records": [{"eventName": "ObjectCreated:Put"}]},
        invocation_type="Event",
    )
    assert answer.status == 202
    stack.wait_for_log("[ObjectCreatedFunction] DEAD LETTER after 3 attempt(s)", timeout=30)
    assert stack.wait_for_log("[ObjectCreatedFunction] async attempt 2/3 failed")
    letters = stack.dead_letters()
    mine = [
        letter
        for letter in letters
        if letter["record"]["requestPayload"] == {"Records": [{"eventName": "ObjectCreated:Put"}]}
    ]
    assert len(mine) == 1
    context = mine[0]["record"]["requestContext"]
    assert (context["condition"], context["approximateInvokeCount"]) == ("RetriesExhausted", 3)


def test_the_schedule_fires_at_its_rate(stack: RunningStack) -> None:
    fired = stack.wait_for_log(
        f"schedule {EXPIRE_RULE_NAME} (rate(1 minute)) fired", count=3, timeout=30
    )
    assert all(line.startswith(tuple("0123456789")) for line in fired)
    assert stack.wait_for_log("[ExpireFilesFunction] REPORT RequestId: ", count=2, timeout=30)
    assert not [line for line in stack.log_lines() if "[ExpireFilesFunction] DEAD LETTER" in line]
