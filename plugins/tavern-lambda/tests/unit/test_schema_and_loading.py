"""Tavern 3.7 loads the plugin from the ``tavern_lambda`` entry point group and its schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tavern._core.exceptions import BadSchemaError
from tavern._core.plugins import load_plugins
from tavern._core.schema.files import verify_tests

from plugin_helpers import tavern_config, tavern_yaml


@pytest.fixture(autouse=True, scope="module")
def plugins_loaded() -> None:
    # As `--tavern-extra-backends=lambda` does: the http backend and the lambda one.
    load_plugins.plugins = []
    names = [plugin.name for plugin in load_plugins(tavern_config())]
    assert "lambda" in names


def _test(folder: Path, stage: str, extra: str = "") -> Any:
    return tavern_yaml(f"test_name: t\n{extra}stages:\n  - name: s\n{stage}", folder)


def test_the_entry_point_is_the_tavernhook_module() -> None:
    (plugin,) = [plugin for plugin in load_plugins(tavern_config()) if plugin.name == "lambda"]
    hook = plugin.plugin
    assert (hook.request_block_name, hook.response_block_name) == (
        "lambda_request",
        "lambda_response",
    )
    assert hook.has_multiple_responses is False


def test_a_complete_stage_and_test_block_are_valid(tmp_path: Path) -> None:
    verify_tests(
        _test(
            tmp_path,
            "    lambda_request:\n"
            "      function: ExpireFilesFunction\n"
            "      payload: {source: aws.events}\n"
            "      invocation_type: RequestResponse\n"
            "      qualifier: $LATEST\n"
            "      log_type: Tail\n"
            "    lambda_response:\n"
            "      status_code: 200\n"
            "      function_error: Unhandled\n"
            "      payload:\n"
            "        expired: !anyint\n"
            "        detail: !anydict\n"
            "        other: !anything\n"
            "      strict: [json:off]\n"
            "      save: {payload: {count: expired}, log: tail}\n",
            extra="lambda:\n  stack: my-stack\n  region: eu-west-1\n  endpoint_url: ''\n",
        )
    )


@pytest.mark.parametrize(
    "stage",
    [
        # no function
        "    lambda_request: {payload: {}}\n    lambda_response: {}\n",
        # an invocation type Lambda does not know
        "    lambda_request: {function: f, invocation_type: Later}\n    lambda_response: {}\n",
        # a misspelt key
        "    lambda_request: {function: f, paylaod: {}}\n    lambda_response: {}\n",
        "    lambda_request: {function: f}\n    lambda_response: {status: 200}\n",
        # save only from the payload or the log
        "    lambda_request: {function: f}\n    lambda_response: {save: {json: {a: b}}}\n",
        # a request whose answer nobody checks
        "    lambda_request: {function: f}\n",
    ],
)
def test_a_malformed_stage_is_a_schema_error(tmp_path: Path, stage: str) -> None:
    with pytest.raises(BadSchemaError):
        verify_tests(_test(tmp_path, stage))


def test_an_unknown_client_option_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(BadSchemaError):
        verify_tests(
            _test(
                tmp_path,
                "    lambda_request: {function: f}\n    lambda_response: {}\n",
                extra="lambda:\n  endpoint: http://x\n",
            )
        )
