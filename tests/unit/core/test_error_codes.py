"""Every error has a stable code; the README's "Error codes" table lists each with its status."""

from __future__ import annotations

import json
import re

import pytest

from filestore import errors
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from tests.helpers.aws import REPO_ROOT

GATEWAY_RESPONSES = load_cfn_yaml(REPO_ROOT / "api" / "swagger.yaml")[
    "x-amazon-apigateway-gateway-responses"
]
# AWS's status of the response types the swagger customises without a statusCode.
AWS_DEFAULT_STATUS = {
    "DEFAULT_4XX": "4xx",
    "DEFAULT_5XX": "5xx",
    "REQUEST_TOO_LARGE": "413",
    "INTEGRATION_TIMEOUT": "504",
}
ROW = re.compile(r"^\| `(\w+)` \| (\w+) \| ([\w ]+) \| (.+) \|$")


def error_classes() -> list[type[errors.FilestoreError]]:
    found: list[type[errors.FilestoreError]] = []
    pending = list(errors.FilestoreError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def readme_codes() -> dict[str, tuple[str, str]]:
    """code → (status, from) of every row of the README's "Error codes" table."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Error codes", 1)[1].split("\n#", 1)[0]
    rows = [ROW.match(line) for line in section.splitlines() if line.startswith("| `")]
    assert all(rows), "a row of the Error codes table is malformed"
    return {row[1]: (row[2], row[3]) for row in rows if row}


def gateway_code(response_type: str) -> str:
    template = GATEWAY_RESPONSES[response_type]["responseTemplates"]["application/json"]
    body = template.replace("$context.error.messageString", '"x"').replace(
        "$context.error.validationErrorString", "x"
    )
    code: str = json.loads(body)["code"]
    return code


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_each_error_class_has_a_status_and_a_code(cls: type[errors.FilestoreError]) -> None:
    assert 400 <= cls.status < 500
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", cls.code)


def test_no_two_errors_share_a_code_not_even_with_api_gateway() -> None:
    codes = [cls.code for cls in error_classes()]
    codes += [gateway_code(response_type) for response_type in GATEWAY_RESPONSES]

    assert len(codes) == len(set(codes))


def test_the_readme_lists_exactly_the_codes_there_are() -> None:
    codes = {cls.code for cls in error_classes()}
    codes |= {gateway_code(response_type) for response_type in GATEWAY_RESPONSES}

    assert set(readme_codes()) == codes


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_the_readme_gives_each_function_code_its_status(cls: type[errors.FilestoreError]) -> None:
    assert readme_codes()[cls.code] == (str(int(cls.status)), "function")


@pytest.mark.parametrize("response_type", sorted(GATEWAY_RESPONSES))
def test_the_readme_gives_each_gateway_code_its_status(response_type: str) -> None:
    customised = GATEWAY_RESPONSES[response_type].get("statusCode")
    status = customised or AWS_DEFAULT_STATUS[response_type]

    assert readme_codes()[gateway_code(response_type)] == (status, "API Gateway")
