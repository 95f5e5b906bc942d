"""Integration wiring: the stacks the suite runs against, as fixtures for Tavern and Python tests.

By default every target is a local stack started on free ports (one per parameter set, shared by
the whole session through ``tests.helpers.stack_fixtures``, started only when a selected test
needs it). With ``TEST_HOST`` (the API root URL including the stage) and ``TEST_API_KEY`` set,
the targets are deployed stacks instead (``DEPLOYED_TARGETS``: the main one, one with a short
UploadTimeout for the expiry, one with StoreOnLoad=True), and the tests marked ``local_only``
(they need the local process, 1-second URLs or the local S3 credentials) are deselected, so
``pytest tests/integration -k tavern`` runs every Tavern file that applies to a deployment. A
target a selected test needs but whose variables are unset fails that test, naming them.

Tavern files use a target with ``marks: [{usefixtures: [filestore]}]`` and read its values as
``{filestore.api_url}``, ``{filestore.api_key}``. For ``lambda_request`` stages (the
tavern-lambda plugin) each target also gives ``lambda_url``, ``lambda_stack``, ``aws_region``,
``aws_access_key_id`` and ``aws_secret_access_key``: set for a local stack (its Invoke API and
local keys), empty for a deployed one (boto3's own configuration, and the stack whose logical
ids the stages name). ``s3_url`` is empty for a deployed stack: helpers then use boto3's S3.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml

if TYPE_CHECKING:
    from local_stack.testing.launcher import RunningStack
    from tests.helpers.stack_fixtures import StackFactory as RunningStackFactory

TargetVars = dict[str, str]
StackFactory = Callable[[Mapping[str, str]], TargetVars]

LOCAL_ONLY = "local_only"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Parameter sets of the dedicated local stacks (template.yaml parameter names).
STORE_ON_UPLOAD_PARAMS = {"StoreOnLoad": "True"}
# Presigned URLs live one second, so a test can wait for one to expire.
SHORT_URL_PARAMS = {"SignedUrlExpiration": "1"}


# The deployed stacks of a full `make test-integration` run: the variables naming each one.
@dataclass(frozen=True)
class DeployedStack:
    """How a deployed target is named: its API root (with the stage), API key and stack name."""

    purpose: str
    host_variable: str
    api_key_variable: str
    stack_variable: str

    def variables(self) -> tuple[str, str, str]:
        return (self.host_variable, self.api_key_variable, self.stack_variable)


MAIN_STACK = DeployedStack(
    "the main stack (StoreOnLoad=False)", "TEST_HOST", "TEST_API_KEY", "TAVERN_LAMBDA_STACK"
)
EXPIRY_STACK = DeployedStack(
    "a stack deployed with a short UploadTimeout (e.g. 1) for the expiry",
    "TEST_EXPIRY_HOST",
    "TEST_EXPIRY_API_KEY",
    "TEST_EXPIRY_STACK",
)
STORE_ON_UPLOAD_STACK = DeployedStack(
    "a stack deployed with StoreOnLoad=True",
    "TEST_STORE_ON_UPLOAD_HOST",
    "TEST_STORE_ON_UPLOAD_API_KEY",
    "TEST_STORE_ON_UPLOAD_STACK",
)
DEPLOYED_TARGETS = (MAIN_STACK, EXPIRY_STACK, STORE_ON_UPLOAD_STACK)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LOCAL_ONLY}: needs a local stack (its process, 1-second URLs or the local S3 "
        "credentials); deselected when TEST_HOST points the suite at deployed stacks",
    )


def deployed_target() -> TargetVars | None:
    """The deployed main stack named by ``TEST_HOST`` and ``TEST_API_KEY``, or None when unset."""
    host = os.environ.get("TEST_HOST", "").strip()
    api_key = os.environ.get("TEST_API_KEY", "").strip()
    if not host and not api_key:
        return None
    if not host or not api_key:
        raise pytest.UsageError("set both TEST_HOST and TEST_API_KEY, or neither")
    return {"api_url": host.rstrip("/"), "api_key": api_key}


def _deployed_vars(target: DeployedStack) -> TargetVars:
    """A deployed target's values; the test fails (naming them) when its variables are unset."""
    values = [os.environ.get(name, "").strip() for name in target.variables()]
    missing = [name for name, value in zip(target.variables(), values, strict=True) if not value]
    if missing:
        pytest.fail(
            f"this test runs against {target.purpose}: set {', '.join(missing)} (see README, "
            "'Integration tests against AWS')",
            pytrace=False,
        )
    host, api_key, stack = values
    answer = requests.get(f"{host.rstrip('/')}/config", timeout=30)
    if answer.status_code != 200:
        pytest.fail(
            f"GET {host}/config answered {answer.status_code}: is {target.host_variable} the "
            "API root URL including the stage?",
            pytrace=False,
        )
    return {
        "api_url": host.rstrip("/"),
        "api_key": api_key,
        "store_on_upload": str(answer.json().get("store_on_upload")),
        # Lambda through boto3's own configuration; logical ids resolved in this stack.
        "lambda_url": "",
        "lambda_stack": stack,
        "aws_region": "",
        "aws_access_key_id": "",
        "aws_secret_access_key": "",
        "s3_url": "",
        "bucket": _stack_resource(stack, "StorageBucket"),
    }


def _stack_resource(stack: str, logical_id: str) -> str:
    import boto3

    cloudformation = boto3.client("cloudformation")
    answer = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    return str(answer["StackResourceDetail"]["PhysicalResourceId"])


def _stack_parameter(stack: str, name: str) -> str:
    import boto3

    (described,) = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    for parameter in described.get("Parameters", []):
        if parameter["ParameterKey"] == name:
            return str(parameter["ParameterValue"])
    pytest.fail(f"stack {stack} has no parameter {name}", pytrace=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if deployed_target() is None:
        return
    kept = [item for item in items if item.get_closest_marker(LOCAL_ONLY) is None]
    deselected = [item for item in items if item.get_closest_marker(LOCAL_ONLY) is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def stack_vars(stack: RunningStack) -> TargetVars:
    """What tests need to know about a running local stack, as plain strings for Tavern."""
    return {
        "api_url": stack.api_url.rstrip("/"),
        "api_key": stack.api_key,
        "s3_url": stack.s3_url.rstrip("/"),
        "bucket": stack.bucket_name,
        # Lambda's Invoke API of this local stack, signed with the local keys.
        "lambda_url": stack.lambda_url,
        "lambda_stack": "",
        "aws_region": REGION,
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
    }


@pytest.fixture
def stacks() -> Iterator[list[RunningStack]]:
    """Stacks a test starts itself (killed ones too); what is left of each is stopped at the end."""
    started: list[RunningStack] = []
    yield started
    for stack in started:
        stack.stop()


@pytest.fixture(scope="session")
def local_stacks(local_stack_factory: RunningStackFactory) -> StackFactory:
    """``local_stacks(params)``: the session's local stack for these template parameters."""

    def get(params: Mapping[str, str]) -> TargetVars:
        if deployed_target() is not None:
            pytest.fail(
                f"a test needing a local stack with {dict(params)} ran against TEST_HOST; "
                f"mark it '{LOCAL_ONLY}'",
                pytrace=False,
            )
        return stack_vars(local_stack_factory(params))

    return get


@pytest.fixture(scope="session")
def filestore(request: pytest.FixtureRequest) -> TargetVars:
    """The main target: the deployed stack (TEST_HOST) or a local stack with default parameters."""
    if deployed_target() is None:
        local: StackFactory = request.getfixturevalue("local_stacks")
        return local({})
    deployed = _deployed_vars(MAIN_STACK)
    if deployed["store_on_upload"] != "False":
        pytest.fail(
            f"{MAIN_STACK.host_variable} must be a stack deployed with StoreOnLoad=False "
            f"(store-on-upload mode runs against {STORE_ON_UPLOAD_STACK.host_variable})",
            pytrace=False,
        )
    return deployed


@pytest.fixture(scope="session")
def filestore_store_on_upload(request: pytest.FixtureRequest) -> TargetVars:
    """A stack in store-on-upload mode (StoreOnLoad=True): local, or TEST_STORE_ON_UPLOAD_*."""
    if deployed_target() is None:
        local: StackFactory = request.getfixturevalue("local_stacks")
        return local(STORE_ON_UPLOAD_PARAMS)
    deployed = _deployed_vars(STORE_ON_UPLOAD_STACK)
    if deployed["store_on_upload"] != "True":
        pytest.fail(
            f"{STORE_ON_UPLOAD_STACK.host_variable} must be a stack deployed with StoreOnLoad=True",
            pytrace=False,
        )
    return deployed


def shortest_upload_timeout() -> int:
    """The smallest UploadTimeout template.yaml accepts (its MinValue), in seconds."""
    template = load_cfn_yaml(PROJECT_ROOT / "template.yaml")
    return int(template["Parameters"]["UploadTimeout"].get("MinValue", 1))


@pytest.fixture(scope="session")
def filestore_expiry(request: pytest.FixtureRequest) -> TargetVars:
    """A stack whose unstored files expire soon: local (the template's shortest UploadTimeout),
    or the one TEST_EXPIRY_* names.

    The schedule keeps its rate, so expiry runs when a test invokes ExpireFilesFunction through
    Lambda's Invoke API (``lambda_request``). ``expiry_wait`` is how long a test waits for a file
    it just created to expire (``expire_at`` counts whole seconds from ``created_at``, itself
    truncated).
    """
    if deployed_target() is None:
        local: StackFactory = request.getfixturevalue("local_stacks")
        timeout = shortest_upload_timeout()
        return {**local({"UploadTimeout": str(timeout)}), "expiry_wait": str(timeout + 1.5)}
    deployed = _deployed_vars(EXPIRY_STACK)
    timeout = int(_stack_parameter(deployed["lambda_stack"], "UploadTimeout"))
    return {**deployed, "expiry_wait": str(timeout + 1.5)}


@pytest.fixture(scope="session")
def filestore_short_urls(local_stacks: StackFactory) -> TargetVars:
    """A local stack whose presigned URLs expire after one second."""
    return local_stacks(SHORT_URL_PARAMS)
