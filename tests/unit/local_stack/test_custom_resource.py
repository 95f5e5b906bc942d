"""Custom resources locally: CloudFormation's request, a one-shot response URL, its answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from local_stack.account import STACK_ID
from local_stack.cloudformation.custom_resource import CustomResourceError, run_custom_resource
from local_stack.config import LocalConfig
from local_stack.stack import LocalStack
from tests.helpers.web_publisher import RESOURCE


def _put(url: str, document: dict[str, Any]) -> int:
    body = json.dumps(document).encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return err.code


class _Answering:
    """A function that answers with ``status`` (and first tries a wrong path, if asked)."""

    def __init__(self, status: str = "SUCCESS", probe_wrong_path: bool = False) -> None:
        self.status = status
        self.probe_wrong_path = probe_wrong_path
        self.events: list[dict[str, Any]] = []
        self.probe: int | None = None

    def invoke(self, function_name: str, event: Any, request_id: str = "") -> None:
        self.events.append(event)
        document = {
            "Status": self.status,
            "Reason": "it broke" if self.status == "FAILED" else "",
            "PhysicalResourceId": "page-1",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": {"Objects": "3"},
        }
        if self.probe_wrong_path:
            self.probe = _put(event["ResponseURL"].rsplit("/", 1)[0] + "/guess", document)
        _put(event["ResponseURL"], document)


def test_the_request_is_cloudformation_s_and_the_answer_is_returned() -> None:
    function = _Answering(probe_wrong_path=True)

    result = run_custom_resource(function, RESOURCE, "Update", {"WebBucket": "b"}, "page-0")

    (event,) = function.events
    assert event["RequestType"] == "Update"
    assert event["StackId"] == STACK_ID
    assert event["LogicalResourceId"] == "WebPage"
    assert event["ResourceType"] == "Custom::WebPage"
    assert event["PhysicalResourceId"] == "page-0"
    assert event["ResourceProperties"] == {"ServiceToken": RESOURCE.service_token, "WebBucket": "b"}
    assert event["ResponseURL"].startswith("http://127.0.0.1:")
    assert function.probe == 403  # only the request's own unguessable path is accepted
    assert (result.status, result.physical_resource_id) == ("SUCCESS", "page-1")
    assert result.data == {"Objects": "3"}


def test_a_failed_answer_raises_with_its_reason() -> None:
    with pytest.raises(CustomResourceError, match=r"WebPage \(Custom::WebPage\) failed: it broke"):
        run_custom_resource(_Answering("FAILED"), RESOURCE, "Create", {})


class _Silent:
    def invoke(self, function_name: str, event: Any, request_id: str = "") -> Any:
        class _Result:
            error = {"errorType": "Runtime.ExitError", "errorMessage": "worker died"}

        return _Result()


def test_no_answer_raises_naming_the_invocation_error() -> None:
    with pytest.raises(CustomResourceError, match=r"sent no response: Runtime\.ExitError: worker"):
        run_custom_resource(_Silent(), RESOURCE, "Create", {})


def test_an_empty_allowed_origin_is_the_local_page_s_origin_and_a_given_one_is_kept() -> None:
    own = LocalStack(LocalConfig(web_port=18123))
    given = LocalStack(LocalConfig(params={"AllowedOrigin": "https://files.example.com"}))

    assert own.model.functions["CreateFileFunction"].environment["ALLOWED_ORIGIN"] == (
        "http://127.0.0.1:18123"
    )
    (rule,) = next(b for b in own.model.buckets if b.logical_id == "StorageBucket").cors_rules
    assert rule["AllowedOrigins"] == ["http://127.0.0.1:18123"]
    assert given.model.functions["CreateFileFunction"].environment["ALLOWED_ORIGIN"] == (
        "https://files.example.com"
    )
