"""The function runtime: worker processes, Lambda's context, errors, timeouts, warm reuse, logs."""

from __future__ import annotations

import logging
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.awslambda.environment import LocalEndpoints, function_environment
from local_stack.awslambda.interpreters import choose_interpreters
from local_stack.awslambda.invocation import FunctionNotFoundError, InvocationResult
from local_stack.awslambda.runtime import FunctionRuntime
from local_stack.cloudformation.models import FunctionModel, function_arn
from tests.helpers.functions import function_model

HANDLERS = """
import decimal
import os
import sys
import time

print("module imported")

def echo(event, context):
    print("handling", event["n"])
    print("to stderr", file=sys.stderr)
    return {
        "event": event,
        "pid": os.getpid(),
        "remaining": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "log_group": context.log_group_name,
        "log_stream": context.log_stream_name,
        "price": decimal.Decimal("2.5"),
        "env": {key: os.environ.get(key) for key in (
            "TABLE_NAME", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION",
            "AWS_LAMBDA_FUNCTION_NAME", "POWERTOOLS_TRACE_DISABLED")},
    }

def fail(event, context):
    raise ValueError("no such file")

def sleepy(event, context):
    time.sleep(event.get("seconds", 30))
    return {"woke": True, "pid": os.getpid()}

def unserializable(event, context):
    return {"when": object()}

def crash(event, context):
    os._exit(3)
"""

COUNTED_INIT = """
import os
import sys
import time

with open(os.path.join(os.path.dirname(__file__), "imports.log"), "a") as log:
    log.write(f"{os.getpid()}\\n")
time.sleep(0.3)  # an init phase worth sharing

def handler(event, context):
    time.sleep(event.get("seconds", 0))
    return {"pid": os.getpid(), "python": list(sys.version_info[:2])}
"""

SLOW_INIT = """
import time

time.sleep(60)

def handler(event, context):
    return {}
"""


def _function(name: str, handler: str, timeout: int = 5) -> FunctionModel:
    return function_model(
        name,
        handler,
        code_uri="code",
        timeout=timeout,
        memory_size=512,
        environment={"TABLE_NAME": "files"},
        log_group=f"/aws/lambda/{name}",
    )


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[FunctionRuntime]:
    code = tmp_path / "code" / "handlers"
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "sample.py").write_text(textwrap.dedent(HANDLERS))
    (code / "broken.py").write_text("import not_a_module_anywhere\n")
    (code / "slow_init.py").write_text(textwrap.dedent(SLOW_INIT))
    (code / "counted.py").write_text(textwrap.dedent(COUNTED_INIT))
    functions = {
        "EchoFunction": _function("EchoFunction", "handlers.sample.echo"),
        "FailFunction": _function("FailFunction", "handlers.sample.fail"),
        "SleepyFunction": _function("SleepyFunction", "handlers.sample.sleepy", timeout=1),
        "SlowFunction": _function("SlowFunction", "handlers.sample.sleepy", timeout=10),
        "MarshalFunction": _function("MarshalFunction", "handlers.sample.unserializable"),
        "BrokenFunction": _function("BrokenFunction", "handlers.broken.handler"),
        "MissingFunction": _function("MissingFunction", "handlers.sample.nope"),
        "CrashFunction": _function("CrashFunction", "handlers.sample.crash"),
        "SlowInitFunction": _function("SlowInitFunction", "handlers.slow_init.handler", timeout=1),
        "CountedFunction": _function("CountedFunction", "handlers.counted.handler"),
    }
    endpoints = LocalEndpoints(s3_url="http://127.0.0.1:4566", dynamodb_url="http://127.0.0.1:1")
    runtime = FunctionRuntime(functions, endpoints, tmp_path, max_workers=3)
    yield runtime
    runtime.close()


def _payload(result: InvocationResult) -> dict[str, object]:
    assert result.error is None, result.error
    assert isinstance(result.payload, dict)
    return result.payload


def test_handler_gets_the_event_a_lambda_context_and_its_template_environment(
    runtime: FunctionRuntime,
) -> None:
    payload = _payload(runtime.invoke("EchoFunction", {"n": 1}, request_id="req-1"))
    assert payload["event"] == {"n": 1}
    assert payload["function_name"] == "EchoFunction"
    assert payload["memory"] == "512"
    assert payload["arn"] == function_arn("EchoFunction")
    assert payload["request_id"] == "req-1"
    assert payload["log_group"] == "/aws/lambda/EchoFunction"
    assert "[$LATEST]" in str(payload["log_stream"])
    assert payload["price"] == 2.5  # Decimal is marshalled as a float, as Lambda does
    assert payload["env"] == {
        "TABLE_NAME": "files",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4566",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1",
        "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "EchoFunction",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def test_remaining_time_counts_down_from_the_template_timeout(runtime: FunctionRuntime) -> None:
    remaining = _payload(runtime.invoke("EchoFunction", {"n": 1}))["remaining"]
    assert isinstance(remaining, int)
    assert 0 < remaining <= 5000


def test_a_warm_worker_is_reused(runtime: FunctionRuntime) -> None:
    first = _payload(runtime.invoke("EchoFunction", {"n": 1}))["pid"]
    second = _payload(runtime.invoke("EchoFunction", {"n": 2}))["pid"]
    assert first == second


def _invoke_at_once(
    runtime: FunctionRuntime, name: str, event: dict[str, object], calls: int
) -> list[InvocationResult]:
    """``calls`` invocations of ``name`` from as many threads at once."""
    results: list[InvocationResult] = []
    threads = [
        threading.Thread(target=lambda: results.append(runtime.invoke(name, event)))
        for _ in range(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_invocations_get_their_own_workers(runtime: FunctionRuntime) -> None:
    results = _invoke_at_once(runtime, "SlowFunction", {"seconds": 1.5}, 2)
    pids = {_payload(result)["pid"] for result in results}
    assert len(pids) == 2


def test_a_cold_burst_runs_the_init_phase_once_and_every_worker_reports_it(
    runtime: FunctionRuntime,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("local_stack.awslambda.runtime.COLD_WORKER_SECONDS", 0.2)
    caplog.set_level(logging.INFO, logger="local_stack.awslambda.runtime")
    # Long enough that each call keeps its worker busy: the pool grows.
    results = _invoke_at_once(runtime, "CountedFunction", {"seconds": 1.2}, 3)
    pids = {_payload(result)["pid"] for result in results}
    assert len(pids) == 3  # three execution environments ...
    imports = (tmp_path / "code" / "handlers" / "imports.log").read_text().split()
    assert len(imports) == 1  # ... forked from one that imported the handler
    reports = [m for m in caplog.messages if m.startswith("[CountedFunction] REPORT")]
    inits = [float(m.split("Init Duration: ")[1].split(" ms")[0]) for m in reports]
    assert len(inits) == 3 and all(init >= 300 for init in inits)  # the real init, each time


def test_a_burst_of_short_calls_waits_for_the_first_warm_worker_instead_of_starting_many(
    runtime: FunctionRuntime,
) -> None:
    results = _invoke_at_once(runtime, "CountedFunction", {}, 6)
    pids = {_payload(result)["pid"] for result in results}
    assert len(results) == 6 and len(pids) <= 2


def test_functions_run_on_the_interpreter_their_runtime_names(runtime: FunctionRuntime) -> None:
    # make runtime installs python3.13 for the template's Runtime; without it this fails.
    assert runtime.interpreters["python3.13"].endswith(".runtime/python3.13/bin/python")
    assert _payload(runtime.invoke("CountedFunction", {}))["python"] == [3, 13]


def test_each_function_runs_in_its_own_process(runtime: FunctionRuntime) -> None:
    echo = _payload(runtime.invoke("EchoFunction", {"n": 1}))["pid"]
    slow = _payload(runtime.invoke("SlowFunction", {"seconds": 0}))["pid"]
    assert echo != slow


def test_an_unhandled_exception_is_reported_like_lambda(runtime: FunctionRuntime) -> None:
    result = runtime.invoke("FailFunction", {}, request_id="req-2")
    assert result.error is not None
    assert result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "no such file"
    assert result.error["requestId"] == "req-2"
    (frame,) = result.error["stackTrace"]
    assert "sample.py" in frame and "in fail" in frame


def test_a_timeout_kills_the_worker_and_reports_task_timed_out(runtime: FunctionRuntime) -> None:
    result = runtime.invoke("SleepyFunction", {"seconds": 30})
    assert result.error is not None
    assert "Task timed out after 1.00 seconds" in result.error["errorMessage"]
    # The next invocation gets a fresh worker that answers normally.
    assert _payload(runtime.invoke("SleepyFunction", {"seconds": 0}))["woke"] is True


def test_a_worker_that_dies_is_a_runtime_exit_error_and_the_next_call_gets_a_fresh_one(
    runtime: FunctionRuntime,
) -> None:
    for _ in range(2):
        result = runtime.invoke("CrashFunction", {})
        assert result.error is not None
        assert result.error["errorType"] == "Runtime.ExitError"
        assert "Runtime exited with error: exit status 3" in result.error["errorMessage"]
    assert _payload(runtime.invoke("EchoFunction", {"n": 1}))["event"] == {"n": 1}


def test_an_init_phase_past_its_limit_is_a_timeout_and_the_worker_is_killed(
    runtime: FunctionRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lambda allows 10 s of init, then retries the init inside the invocation's own Timeout.
    monkeypatch.setattr("local_stack.awslambda.runtime.INIT_TIMEOUT_SECONDS", 0.5)
    result = runtime.invoke("SlowInitFunction", {})
    assert result.error is not None
    assert result.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.error["errorMessage"]
    workers = runtime._pools["SlowInitFunction"].drain()
    assert workers == [], "a worker stuck in its init phase was kept for the next invocation"


def test_an_unserializable_result_is_a_marshal_error(runtime: FunctionRuntime) -> None:
    result = runtime.invoke("MarshalFunction", {})
    assert result.error is not None
    assert result.error["errorType"] == "Runtime.MarshalError"


@pytest.mark.parametrize(
    ("name", "error_type", "message"),
    [
        ("BrokenFunction", "Runtime.ImportModuleError", "Unable to import module"),
        ("MissingFunction", "Runtime.HandlerNotFound", "Handler 'nope' missing"),
    ],
)
def test_a_handler_that_cannot_load_fails_every_invocation_with_the_init_error(
    runtime: FunctionRuntime, name: str, error_type: str, message: str
) -> None:
    for _ in range(2):
        result = runtime.invoke(name, {})
        assert result.error is not None
        assert result.error["errorType"] == error_type
        assert message in result.error["errorMessage"]


def test_an_unknown_function_is_not_found(runtime: FunctionRuntime) -> None:
    with pytest.raises(FunctionNotFoundError):
        runtime("NoSuchFunction", {})


def test_worker_output_is_logged_with_the_function_name_and_a_report_line(
    runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="local_stack.awslambda.runtime")
    runtime.invoke("EchoFunction", {"n": 7}, request_id="req-3")
    runtime.close()  # waits for the workers, so every line they wrote has been read
    messages = [record.getMessage() for record in caplog.records]
    assert "[EchoFunction] START RequestId: req-3 Version: $LATEST" in messages
    assert "[EchoFunction] module imported" in messages
    assert "[EchoFunction] handling 7" in messages
    assert "[EchoFunction] to stderr" in messages
    report = [m for m in messages if m.startswith("[EchoFunction] REPORT RequestId: req-3")]
    assert report and "Init Duration" in report[0] and "Memory Size: 512 MB" in report[0]


def test_a_closed_runtime_starts_no_worker(runtime: FunctionRuntime) -> None:
    runtime.close()
    result = runtime.invoke("EchoFunction", {"n": 1})
    assert result.error is not None and result.error["errorType"] == "Local.Stopped"


def test_environment_never_carries_the_developers_aws_settings(tmp_path: Path) -> None:
    function = _function("EchoFunction", "handlers.sample.echo")
    endpoints = LocalEndpoints(s3_url="http://s3", dynamodb_url="http://ddb")
    parent = {
        "PATH": "/usr/bin",
        "AWS_PROFILE": "production",
        "AWS_SESSION_TOKEN": "real-token",
        "HOME": "/home/dev",
    }
    env = function_environment(function, endpoints, tmp_path, parent)
    assert env["PATH"] == "/usr/bin"
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
    assert env["AWS_ACCESS_KEY_ID"] == ACCESS_KEY_ID
    assert env["AWS_SECRET_ACCESS_KEY"] == SECRET_ACCESS_KEY
    assert env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["PYTHONPATH"] == str(tmp_path)


def test_without_the_runtime_environment_functions_fall_back_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chosen = choose_interpreters(["python3.13", "python3.13"], root=tmp_path, fallback="dev-python")
    assert chosen == {"python3.13": "dev-python"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "python3.13" in warnings[0] and "make runtime" in warnings[0]
