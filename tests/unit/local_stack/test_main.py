"""``python -m local_stack``: a bad setting ends the start with one clear line, before serving."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import pytest

import local_stack.__main__ as entry
from local_stack.config import load_config
from local_stack.stack import LocalStack


@pytest.fixture(autouse=True)
def no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: LocalStack) -> None:
        raise AssertionError("the stack started serving although its settings are wrong")

    monkeypatch.setattr(LocalStack, "start", refuse)
    # main() installs Ctrl-C handlers; keep pytest's own.
    monkeypatch.setattr(signal, "signal", lambda signum, handler: None)
    for name in ("FILESTORE_API_KEY", "FILESTORE_PARAMS", "FILESTORE_SCHEDULE_SPEEDUP"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        # template.yaml's AllowedPattern refuses it, with its ConstraintDescription.
        ("'ExpireSchedule=rate(1 minutes)'", "must be rate(1 minute|hour|day)"),
        # The pattern lets it through; the scheduler refuses it as EventBridge would.
        ("'ExpireSchedule=cron(99 * * * ? *)'", "'99' is outside 0-59"),
        ("'ExpireSchedule=every hour'", "every hour"),
        ("StoreOnLoad=yes", "is not one of: True, False"),
        ("NoSuchParameter=1", "unknown template parameter(s): NoSuchParameter"),
    ],
)
def test_a_bad_template_parameter_is_one_clear_line_and_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, params: str, reason: str
) -> None:
    monkeypatch.setenv("FILESTORE_PARAMS", params)
    caplog.set_level(logging.INFO, logger="local_stack")
    assert entry.main() == 2
    (line,) = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert line.getMessage().startswith("local stack: ")
    assert reason in line.getMessage()
    assert line.exc_info is None


def test_a_schedule_left_out_by_the_conditions_is_not_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With StoreOnLoad=True the expiry function and its schedule do not exist, as in AWS.
    # (A cron minute of 99 passes the template's AllowedPattern; EventBridge would refuse it.)
    monkeypatch.setenv("FILESTORE_PARAMS", "StoreOnLoad=True 'ExpireSchedule=cron(99 * * * ? *)'")
    with pytest.raises(AssertionError, match="started serving"):
        entry.main()


def _stack(data_dir: str) -> LocalStack:
    environ = {"FILESTORE_API_KEY": "k" * 40, "FILESTORE_DATA_DIR": data_dir}
    return LocalStack(load_config(environ))


def test_the_banner_names_the_data_folder_and_what_the_start_found_in_it(tmp_path: Path) -> None:
    stack = _stack(str(tmp_path))
    stack.restored_objects, stack.resumed_events = 10_000, 1

    banner = entry._banner(stack).splitlines()

    assert f"  data       {tmp_path} (10000 objects kept, 1 event resumed)" in banner
    assert banner[-1] == "Press Ctrl-C to stop."


def test_the_banner_says_when_nothing_is_kept() -> None:
    (line,) = [line for line in entry._banner(_stack("")).splitlines() if "data  " in line]
    assert line == (
        "  data       in memory (FILESTORE_DATA_DIR is empty): nothing is kept after it stops"
    )


def test_the_banner_names_the_lambda_endpoint_and_the_local_keys() -> None:
    banner = entry._banner(_stack("")).splitlines()
    assert "  Lambda     http://127.0.0.1:3001   (AWS_ENDPOINT_URL_LAMBDA, local keys below)" in (
        banner
    )
    assert any(line.startswith("  AWS keys   filestore-local / ") for line in banner)
    assert not any("/_local/" in line for line in banner)  # no local-only routes to advertise
