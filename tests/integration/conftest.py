"""Integration wiring: the stacks the suite runs against, as fixtures for Tavern and Python tests.

By default every target is a local stack started on free ports (one per parameter set, shared by
the whole session through ``tests.helpers.stack_fixtures``, started only when a selected test
needs it). With ``TEST_HOST`` (the API root URL including the stage) and ``TEST_API_KEY`` set,
the ``filestore`` target is that deployed stack instead, and the tests marked ``local_only`` (they
need other template parameters, the local invoke route or the local S3 credentials) are
deselected, so ``pytest tests/integration -k tavern`` runs exactly what applies to a deployment.

Tavern files use a target with ``marks: [{usefixtures: [filestore]}]`` and read its values as
``{filestore.api_url}`` and ``{filestore.api_key}``; local stacks also give ``s3_url``,
``bucket`` and ``expire_url`` (the invoke route of ExpireFilesFunction).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LOCAL_ONLY}: needs a local stack (other template parameters, the invoke route or the "
        "local S3 credentials); deselected when TEST_HOST points the suite at a deployed stack",
    )


def deployed_target() -> TargetVars | None:
    """The deployed stack named by ``TEST_HOST`` and ``TEST_API_KEY``, or None when unset."""
    host = os.environ.get("TEST_HOST", "").strip()
    api_key = os.environ.get("TEST_API_KEY", "").strip()
    if not host and not api_key:
        return None
    if not host or not api_key:
        raise pytest.UsageError("set both TEST_HOST and TEST_API_KEY, or neither")
    return {"api_url": host.rstrip("/"), "api_key": api_key}


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
        "expire_url": stack.invoke_url("ExpireFilesFunction"),
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
    deployed = deployed_target()
    if deployed is None:
        local: StackFactory = request.getfixturevalue("local_stacks")
        return local({})
    answer = requests.get(f"{deployed['api_url']}/config", timeout=30)
    if answer.status_code != 200:
        pytest.fail(
            f"GET {deployed['api_url']}/config answered {answer.status_code}: is TEST_HOST the "
            "API root URL including the stage?",
            pytrace=False,
        )
    if answer.json().get("store_on_upload") is not False:
        pytest.fail(
            "the Tavern suite expects a stack deployed with StoreOnLoad=False "
            "(store-on-upload mode is tested on a local stack)",
            pytrace=False,
        )
    return deployed


@pytest.fixture(scope="session")
def filestore_store_on_upload(local_stacks: StackFactory) -> TargetVars:
    """A local stack in store-on-upload mode (StoreOnLoad=True)."""
    return local_stacks(STORE_ON_UPLOAD_PARAMS)


def shortest_upload_timeout() -> int:
    """The smallest UploadTimeout template.yaml accepts (its MinValue), in seconds."""
    template = load_cfn_yaml(PROJECT_ROOT / "template.yaml")
    return int(template["Parameters"]["UploadTimeout"].get("MinValue", 1))


@pytest.fixture(scope="session")
def filestore_expiry(local_stacks: StackFactory) -> TargetVars:
    """A local stack whose unstored files expire as soon as the template allows.

    The schedule keeps its default rate, so expiry runs when a test invokes ExpireFilesFunction
    through the invoke route. ``expiry_wait`` is how long a test waits for a file it just created
    to expire (``expire_at`` counts whole seconds from ``created_at``, itself truncated).
    """
    timeout = shortest_upload_timeout()
    return {**local_stacks({"UploadTimeout": str(timeout)}), "expiry_wait": str(timeout + 1.5)}


@pytest.fixture(scope="session")
def filestore_short_urls(local_stacks: StackFactory) -> TargetVars:
    """A local stack whose presigned URLs expire after one second."""
    return local_stacks(SHORT_URL_PARAMS)
