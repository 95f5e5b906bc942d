"""Logs, traces and EMF metrics: correlation ids, the documented metrics, no secrets."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools import Tracer

from filestore import observability
from handlers import create_file, delete_files, describe_files, get_config, store_files
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import REPO_ROOT, call_api

if TYPE_CHECKING:
    from tests.unit.core.conftest import FakeClock, Files


def emitted_metrics(output: str) -> dict[str, float]:
    """Sum the EMF metric values printed to stdout."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for definition in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            name = definition["Name"]
            values = blob[name] if isinstance(blob[name], list) else [blob[name]]
            totals[name] = totals.get(name, 0) + sum(values)
    return totals


@pytest.fixture
def traced_responses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every handler response the Tracer would put into X-Ray metadata during the test."""
    recorded: list[Any] = []

    def record(self: Tracer, *, data: Any = None, capture_response: Any = None, **_: Any) -> None:
        if data is not None and capture_response:
            recorded.append(data)

    monkeypatch.setattr(Tracer, "_add_response_as_metadata", record)
    return recorded


def test_log_lines_carry_the_api_request_id_as_correlation_id(
    files: Files, log_output: io.StringIO
) -> None:
    event = api_event("POST", "/file", body={"name": "a.txt", "size": 3}, request_id="req-4711")

    assert call_api(create_file, event).status == 200

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    requested = [line for line in lines if line["message"] == "upload requested"]
    assert len(requested) == 1
    assert requested[0]["correlation_id"] == "req-4711"
    assert requested[0]["service"] == "filestore"


def test_traces_never_hold_revert_tokens_or_signed_urls(
    files: Files, traced_responses: list[Any]
) -> None:
    created = files.stored()
    response = call_api(describe_files, api_event("POST", "/files", body=[created["id"]]))
    assert response.body[0]["url"]

    traced = json.dumps(traced_responses)
    assert traced_responses  # other handlers' responses are still traced
    assert created["revert_token"] not in traced
    assert "X-Amz-Signature" not in traced


def test_upload_request_counts_files_requested(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    files.create("a.bin", 7)

    assert emitted_metrics(capsys.readouterr().out) == {"FilesRequested": 1}


def test_upload_event_emits_upload_metrics(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    created = files.create("a.bin", 7)
    assert files.upload(created) == 200
    capsys.readouterr()

    files.notify(created["id"])

    assert emitted_metrics(capsys.readouterr().out) == {"FilesUploaded": 1, "BytesUploaded": 7}


def test_storing_counts_each_file_once(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = files.uploaded(), files.uploaded()
    capsys.readouterr()

    call_api(store_files, api_event("PUT", "/files", body=[first["id"], second["id"]]))
    call_api(store_files, api_event("PUT", "/files", body=[first["id"]]))

    assert emitted_metrics(capsys.readouterr().out) == {"FilesStored": 2}


def test_deleting_counts_each_file_once(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    stored, reverted = files.stored(), files.uploaded()
    capsys.readouterr()

    call_api(delete_files, api_event("DELETE", "/files", body=[stored["id"]]))
    call_api(delete_files, api_event("DELETE", "/files", body=[stored["id"]]))
    assert files.revert_with_token(reverted) == 200

    assert emitted_metrics(capsys.readouterr().out) == {"FilesDeleted": 2}


def test_expiry_counts_expired_files(
    files: Files, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    files.create()
    files.uploaded()
    clock.advance(3600)
    capsys.readouterr()

    files.expire()

    assert emitted_metrics(capsys.readouterr().out) == {"FilesExpired": 2}


def test_functions_that_publish_no_metrics_neither_warn_nor_print_metrics(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = files.stored()
    capsys.readouterr()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the call
        config = call_api(get_config, api_event("GET", "/config"))
        described = call_api(describe_files, api_event("POST", "/files", body=[stored["id"]]))

    assert (config.status, described.status) == (200, 200)
    assert emitted_metrics(capsys.readouterr().out) == {}


def test_invocations_with_nothing_to_count_do_not_warn(files: Files) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        observability.quiet_empty_metrics_warning()  # as on import, which pytest's filters undo
        refused = call_api(create_file, api_event("POST", "/file", body={"size": 3}))
        tally = files.expire()  # nothing is due

    assert refused.status == 400
    assert tally["expired"] == 0


# A fresh interpreter set up as Lambda runs it with Tracing: Active (tracing is off in this one).
_PATCHED_MODULES = """
import json, sys
import handlers.create_file
from aws_xray_sdk.core import patcher
print(json.dumps(sorted(patcher._PATCHED_MODULES)))
"""


def test_on_lambda_the_tracer_patches_botocore_and_nothing_else() -> None:
    source = REPO_ROOT / "source"
    environ = {key: value for key, value in os.environ.items() if not key.startswith("POWERTOOLS")}
    environ |= {
        "PYTHONPATH": str(source),
        "LAMBDA_TASK_ROOT": str(source),
        "AWS_LAMBDA_FUNCTION_NAME": "CreateFileFunction",
    }

    done = subprocess.run(
        [sys.executable, "-c", _PATCHED_MODULES],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    # Every AWS call stays traced; the other libraries X-Ray could patch (requests, httplib,
    # sqlite3, ...) are neither imported nor patched in the cold start.
    assert json.loads(done.stdout.splitlines()[-1]) == ["botocore"]
