"""A running local stack at its edges: Ctrl-C, an event no function can use, a bad setting."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest
import requests

from local_stack.config import PROJECT_ROOT
from local_stack.testing.launcher import (
    STOP_TIMEOUT_SECONDS,
    local_stack_command,
    stack_environment,
    start_local_stack,
    worker_pids,
)

pytestmark = pytest.mark.local_only

NOISE = ("Traceback", "KeyboardInterrupt")
TIMESTAMPED = re.compile(r"\d\d:\d\d:\d\d\.\d{3} ")


def test_ctrl_c_prints_nothing_but_the_stacks_own_lines() -> None:
    stack = start_local_stack()
    try:
        # Workers of several functions are running when Ctrl-C comes.
        assert requests.get(f"{stack.api_url}/config", timeout=30).status_code == 200
        expired = stack.invoke("ExpireFilesFunction", {})
        assert (expired.status, expired.function_error) == (200, None), expired.payload
        assert len(worker_pids(stack.process.pid)) >= 3, stack.log_text()
        # A terminal's Ctrl-C reaches the whole foreground process group, workers included.
        os.killpg(stack.process.pid, signal.SIGINT)
        stack.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    finally:
        exit_code = stack.stop()
    lines = stack.log_lines()
    assert exit_code == 0, stack.log_text()
    assert [line for line in lines if any(word in line for word in NOISE)] == [], stack.log_text()
    stopping = next(
        n for n, line in enumerate(lines) if line.endswith("Stopping the local stack ...")
    )
    # From Ctrl-C on, only the stack's own timestamped lines, ending with its last one.
    assert all(TIMESTAMPED.match(line) for line in lines[stopping:]), stack.log_text()
    assert lines[-1].endswith(" Stopped.")
    assert not stack.survivors


def test_an_event_no_function_can_use_is_one_log_line_per_attempt_then_a_dead_letter() -> None:
    stack = start_local_stack()
    try:
        answer = stack.invoke("ObjectCreatedFunction", {"not": "an S3 event"}, "Event")
        assert answer.status == 202
        stack.wait_for_log("[ObjectCreatedFunction] DEAD LETTER after 3 attempt(s)", timeout=60)
        errors = stack.wait_for_log(
            "[ObjectCreatedFunction] UnusableEvent: not an S3 event notification: no 'Records'",
            count=3,
        )
        assert len(errors) == 3
        assert not [line for line in stack.log_lines() if "Traceback" in line], stack.log_text()
        # The schedule's event without its time runs the expiry all the same.
        expired = stack.invoke(
            "ExpireFilesFunction", {"detail-type": "Scheduled Event", "source": "aws.events"}
        )
        assert expired.status == 200
        assert expired.function_error is None, expired.payload
    finally:
        stack.stop()


def test_a_parameter_value_with_an_unquoted_space_is_refused_with_its_quoted_form() -> None:
    finished = subprocess.run(
        local_stack_command(),
        cwd=PROJECT_ROOT,
        env={
            **stack_environment({"FILESTORE_PARAMS": "ExpireSchedule=rate(1 minute)"}),
            "FILESTORE_API_KEY": "k" * 40,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = (finished.stdout + finished.stderr).strip()
    assert finished.returncode == 2, output
    assert len(output.splitlines()) == 1, output
    assert "must be quoted" in output and "'ExpireSchedule=rate(1 minute)'" in output, output
