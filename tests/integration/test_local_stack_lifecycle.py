"""Template conditions on a running local stack, the web page, and a clean stop on Ctrl-C."""

from __future__ import annotations

import signal
import socket

import pytest
import requests

from tests.helpers.stack import start_local_stack

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


def test_store_on_load_stack_has_no_expiry_function_and_stops_cleanly_on_ctrl_c() -> None:
    stack = start_local_stack({"StoreOnLoad": "True"})
    try:
        missing = requests.post(stack.invoke_url("ExpireFilesFunction"), json={}, timeout=30)
        assert missing.status_code == 404
        assert "Function not found" in missing.json()["message"]
        assert requests.get(f"{stack.api_url}/config", timeout=30).json()["store_on_upload"]
        page = requests.get(stack.web_url, timeout=30)
        assert page.status_code == 200, page.text
        config_js = requests.get(f"{stack.web_url}config.js", timeout=30)
        assert f'"apiUrl": "{stack.api_url}"' in config_js.text
    finally:
        exit_code = stack.stop(signal.SIGINT)
    assert exit_code == 0, stack.log_text()
    assert "Stopped." in stack.log_text()
    for url in (stack.api_url, stack.s3_url, stack.web_url):
        assert _port_is_free(url), f"{url} still in use after Ctrl-C"


def test_sigterm_stops_the_stack_too() -> None:
    stack = start_local_stack()
    assert stack.stop(signal.SIGTERM) == 0, stack.log_text()
    assert "Stopped." in stack.log_text()
