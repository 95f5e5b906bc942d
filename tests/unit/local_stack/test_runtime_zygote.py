"""The runtime's zygote: templates forked with boto3 imported, each with only its own setting."""

from __future__ import annotations

import logging
import os
import signal
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.awslambda.environment import LocalEndpoints, function_environment
from local_stack.awslambda.runtime import FunctionRuntime
from local_stack.awslambda.worker import process_name
from local_stack.awslambda.worker_processes import process_exists
from local_stack.cloudformation.models import FunctionModel
from local_stack.testing.launcher import child_pids, worker_pids
from tests.helpers.functions import function_model

PROBE = """
import os
import sys

SDK_BEFORE_IMPORT = "boto3" in sys.modules  # the zygote imported it before this module
with open(os.path.join(os.path.dirname(__file__), "templates.log"), "a") as log:
    log.write(f"{os.getpid()}\\n")

def handler(event, context):
    import boto3
    return {
        "sdk_before_import": SDK_BEFORE_IMPORT,
        "boto3": boto3.__file__,
        "template": os.getppid(),
        "environment": dict(os.environ),
        "path0": sys.path[0],
        "cwd": os.getcwd(),
    }
"""

OWN_SDK = "VENDORED = True\n__file__ = __file__\n"
OWN_SDK_PROBE = """
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "ext"))
import boto3  # the package's own, as on Lambda (/var/task first)

def handler(event, context):
    return {"vendored": getattr(boto3, "VENDORED", False), "template": os.getppid()}
"""


def _function(name: str, code_uri: str, environment: dict[str, str]) -> FunctionModel:
    return function_model(
        name, "handlers.probe.handler", code_uri=code_uri, environment=environment
    )


@pytest.fixture
def endpoints() -> LocalEndpoints:
    return LocalEndpoints(s3_url="http://127.0.0.1:4566", dynamodb_url="http://127.0.0.1:1")


@pytest.fixture
def runtime(tmp_path: Path, endpoints: LocalEndpoints) -> Iterator[FunctionRuntime]:
    for package, probe in (("shared", PROBE), ("vendored", OWN_SDK_PROBE)):
        handlers = tmp_path / package / "handlers"
        handlers.mkdir(parents=True)
        (handlers / "__init__.py").write_text("")
        (handlers / "probe.py").write_text(textwrap.dedent(probe))
    sdk = tmp_path / "vendored" / "ext" / "boto3"
    sdk.mkdir(parents=True)
    (sdk / "__init__.py").write_text(OWN_SDK)
    functions = {
        "AFunction": _function("AFunction", "shared", {"ONLY_A": "a"}),
        "BFunction": _function("BFunction", "shared", {"ONLY_B": "b"}),
        "OwnSdkFunction": _function("OwnSdkFunction", "vendored", {}),
    }
    runtime = FunctionRuntime(functions, endpoints, tmp_path)
    yield runtime
    runtime.close()


def _payload(runtime: FunctionRuntime, name: str) -> dict[str, object]:
    result = runtime.invoke(name, {})
    assert result.error is None, result.error
    assert isinstance(result.payload, dict)
    return result.payload


def _parent(pid: object) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_functions_on_one_interpreter_get_templates_forked_by_one_zygote_with_boto3_imported(
    runtime: FunctionRuntime,
) -> None:
    a, b = _payload(runtime, "AFunction"), _payload(runtime, "BFunction")
    assert a["sdk_before_import"] is True and b["sdk_before_import"] is True
    zygote = _parent(a["template"])
    assert zygote == _parent(b["template"]) != os.getpid()
    assert a["template"] != b["template"]  # one template per function


def test_forked_processes_name_themselves_as_they_share_the_zygotes_command_line(
    runtime: FunctionRuntime,
) -> None:
    template = _payload(runtime, "AFunction")["template"]
    names = {
        pid: Path(f"/proc/{pid}/comm").read_text().strip()
        for pid in (_parent(template), template, *worker_pids(os.getpid()))
    }
    assert names[_parent(template)] == "zygote"
    assert names[template] == process_name("T", "handlers.probe.handler") == "T:probe"
    assert "W:probe" in names.values()
    assert sorted(worker_pids(os.getpid(), "handlers.probe.handler")) == sorted(
        pid for pid, name in names.items() if name == "W:probe"
    )


def test_a_forked_template_has_its_functions_environment_path_and_folder_only(
    runtime: FunctionRuntime, tmp_path: Path, endpoints: LocalEndpoints
) -> None:
    a, b = _payload(runtime, "AFunction"), _payload(runtime, "BFunction")
    code_dir = tmp_path / "shared"
    expected = function_environment(runtime.functions["BFunction"], endpoints, code_dir, os.environ)
    assert b["environment"] == expected  # nothing of A's, nothing of the zygote's own
    assert "ONLY_A" not in b["environment"] and a["environment"]["ONLY_A"] == "a"  # type: ignore[index]
    assert b["path0"] == str(code_dir)  # PYTHONPATH first, as the interpreter puts it
    assert b["cwd"] == str(code_dir)


def test_a_package_that_ships_its_own_boto3_imports_that_one_in_a_template_of_its_own(
    runtime: FunctionRuntime,
) -> None:
    payload = _payload(runtime, "OwnSdkFunction")
    assert payload["vendored"] is True
    assert _parent(payload["template"]) == os.getpid()  # started by the stack, not the zygote


def test_init_duration_counts_the_zygotes_sdk_import(
    runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="local_stack.awslambda.runtime")
    _payload(runtime, "AFunction")  # its own import is a few lines; boto3's is not
    report = next(m for m in caplog.messages if m.startswith("[AFunction] REPORT"))
    assert float(report.split("Init Duration: ")[1].split(" ms")[0]) >= 50


def test_with_its_zygote_gone_a_new_template_starts_on_its_own(runtime: FunctionRuntime) -> None:
    zygote = _parent(_payload(runtime, "AFunction")["template"])
    os.kill(zygote, signal.SIGKILL)
    while process_exists(zygote) and _state(zygote) != "Z":  # dead, not reaped yet
        time.sleep(0.01)
    payload = _payload(runtime, "BFunction")
    assert payload["sdk_before_import"] is False
    assert _parent(payload["template"]) == os.getpid()


def test_stopping_ends_a_prewarmed_worker_that_never_ran(
    runtime: FunctionRuntime, tmp_path: Path
) -> None:
    runtime.prewarm("AFunction")
    log = tmp_path / "shared" / "handlers" / "templates.log"
    deadline = time.monotonic() + 10
    while not (log.exists() and child_pids(int(log.read_text().split()[0]))):
        assert time.monotonic() < deadline, "the prewarmed worker was never forked"
        time.sleep(0.02)
    template = int(log.read_text().split()[0])
    workers = child_pids(template)
    runtime.close()
    assert not [pid for pid in (template, *workers) if process_exists(pid)]
