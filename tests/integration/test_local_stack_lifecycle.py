"""Template conditions on a running local stack, the web page, and a clean stop on Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from local_stack.testing.launcher import (
    PROJECT_ROOT,
    descendant_pids,
    free_port,
    local_stack_command,
    stack_environment,
    start_local_stack,
    worker_pids,
)

pytestmark = pytest.mark.local_only


def _port_is_free(url: str) -> bool:
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the next server on this port would: connections in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError:
            return False
    return True


def _is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def test_store_on_load_stack_has_no_expiry_function_and_stops_cleanly_on_ctrl_c() -> None:
    stack = start_local_stack({"StoreOnLoad": "True"})
    workers: set[int] = set()
    try:
        # The template's conditions leave it out: Lambda knows no such function.
        with pytest.raises(ClientError) as missing:
            stack.invoke("ExpireFilesFunction", {})
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert "Function not found" in missing.value.response["Error"]["Message"]
        assert requests.get(f"{stack.api_url}/config", timeout=30).json()["store_on_upload"]
        page = requests.get(stack.web_url, timeout=30)
        assert page.status_code == 200, page.text
        config_js = requests.get(f"{stack.web_url}config.js", timeout=30)
        assert f'"apiUrl": "{stack.api_url}"' in config_js.text
        workers = worker_pids(stack.process.pid)  # GetConfigFunction's and the prewarmed ones
        function_processes = descendant_pids(stack.process.pid)  # with templates and zygote
    finally:
        exit_code = stack.stop(signal.SIGINT)
    assert exit_code == 0, stack.log_text()
    assert "Stopped." in stack.log_text()
    for url in (stack.api_url, stack.s3_url, stack.web_url):
        assert _port_is_free(url), f"{url} still in use after Ctrl-C"
    assert len(workers) >= 2, "expected the function workers among the stack's processes"
    # stop() kills what the stack left running, so ask it what that was before checking.
    assert not stack.survivors, f"processes {stack.survivors} outlived the stack"
    left = [pid for pid in function_processes if _is_running(pid)]
    assert not left, f"processes {left} of the stack outlived it"


def test_a_port_in_use_ends_the_start_at_once_naming_its_variable() -> None:
    api_port, web_port = free_port(), free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        s3_port = taken.getsockname()[1]
        env = {
            "FILESTORE_API_PORT": str(api_port),
            "FILESTORE_S3_PORT": str(s3_port),
            "FILESTORE_WEB_PORT": str(web_port),
        }
        finished = subprocess.run(
            local_stack_command(),
            cwd=PROJECT_ROOT,
            env={**stack_environment(env), "FILESTORE_API_KEY": "k" * 40},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert f"cannot listen on port {s3_port} (FILESTORE_S3_PORT): [Errno" in output, output
    assert "Address already in use" in output and "Traceback" not in output, output


def test_once_config_answers_everything_is_up_and_sigterm_stops_it() -> None:
    stack = start_local_stack()  # returns as soon as GET /config answers 200
    try:
        anonymous = requests.get(f"{stack.s3_url}/{stack.bucket_name}", timeout=30)
        assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content
        assert requests.get(f"{stack.web_url}config.js", timeout=30).status_code == 200
        assert "[ExpireFilesFunction] schedule " in stack.log_text()  # the scheduler runs
        dispatched = stack.invoke("ObjectCreatedFunction", {}, invocation_type="Event")
        assert dispatched.status == 202
    finally:
        exit_code = stack.stop(signal.SIGTERM)
    assert exit_code == 0, stack.log_text()
    assert "Stopped." in stack.log_text()
