"""Integration wiring: the stacks the suite runs against, as fixtures for Tavern and Python tests.

By default every target is a local stack started on free ports (one per parameter set, shared by
the whole session, started only when a selected test needs it). With ``TEST_HOST`` (the API root
URL including the stage) and ``TEST_API_KEY`` set, the ``filestore`` target is that deployed
stack instead, and tests marked ``local_only`` (they need other template parameters or the local
stack's invoke route) are deselected, so ``pytest tests/integration -k tavern`` runs exactly what
applies to a deployment.

Tavern files use a target with ``marks: [{usefixtures: [filestore]}]`` and read its values as
``{filestore.api_url}``, ``{filestore.api_key}``, ``{filestore.s3_url}``,
``{filestore.expire_url}`` (local stacks only); ``{filestore_expiry.expiry_wait}`` is how long
to wait for a new file to expire.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from local_stack.cfn_yaml import load_cfn_yaml

if TYPE_CHECKING:
    from tests.helpers.stack import RunningStack

TargetVars = dict[str, str]
StackFactory = Callable[[Mapping[str, str]], TargetVars]

LOCAL_ONLY = "local_only"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Parameter sets of the dedicated local stacks (template.yaml parameter names).
STORE_ON_UPLOAD_PARAMS = {"StoreOnLoad": "True"}


# Presigned URLs live one second, so a test can wait for one to expire.
SHORT_URL_PARAMS = {"SignedUrlExpiration": "1"}


def shortest_upload_timeout() -> int:
    """The smallest UploadTimeout template.yaml accepts (its MinValue), in seconds."""
    template = load_cfn_yaml(PROJECT_ROOT / "template.yaml")
    return int(template["Parameters"]["UploadTimeout"].get("MinValue", 1))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LOCAL_ONLY}: needs a local stack (other template parameters or the invoke route); "
        "deselected when TEST_HOST points the suite at a deployed stack",
    )


def deployed_target() -> TargetVars | None:
    """The deployed stack named by ``TEST_HOST`` and ``TEST_API_KEY``, or None when unset."""
    host = os.environ.get("TEST_HOST", "").strip()
    api_key = os.environ.get("TEST_API_KEY", "").strip()
    if not host and not api_key:
        return None
    if not host or not api_key:
        raise pytest.UsageError("set both TEST_HOST and TEST_API_KEY, or neither")
    return {"api_url": host.rstrip("/"), "api_key": api_key, "local": "no"}


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
        "web_url": stack.web_url.rstrip("/"),
        "expire_url": stack.invoke_url("ExpireFilesFunction"),
        "local": "yes",
    }


@pytest.fixture(scope="session")
def local_stacks() -> Iterator[StackFactory]:
    """Start local stacks on demand, one per parameter set, all stopped when the session ends."""
    # Imported here: against a deployed stack (TEST_HOST) nothing local is started.
    from tests.helpers.stack import start_local_stack

    running: dict[frozenset[tuple[str, str]], tuple[RunningStack, TargetVars]] = {}

    def get(params: Mapping[str, str]) -> TargetVars:
        key = frozenset(params.items())
        if key not in running:
            stack = start_local_stack(dict(params))
            running[key] = (stack, stack_vars(stack))
        return running[key][1]

    try:
        yield get
    finally:
        for stack, _ in running.values():
            stack.stop()


def _local_only(local_stacks: StackFactory, params: Mapping[str, str]) -> TargetVars:
    if deployed_target() is not None:
        raise pytest.UsageError(
            f"a test needing a local stack with {dict(params)} ran against TEST_HOST; "
            f"mark it '{LOCAL_ONLY}'"
        )
    return local_stacks(params)


@pytest.fixture(scope="session")
def filestore(local_stacks: StackFactory) -> TargetVars:
    """The main target: the deployed stack (TEST_HOST) or a local stack with default parameters."""
    deployed = deployed_target()
    if deployed is None:
        return local_stacks({})
    config = requests.get(f"{deployed['api_url']}/config", timeout=30)
    if config.status_code != 200:
        raise pytest.UsageError(
            f"GET {deployed['api_url']}/config answered {config.status_code}: is TEST_HOST the "
            "API root URL including the stage?"
        )
    if config.json().get("store_on_upload") is not False:
        raise pytest.UsageError(
            "the Tavern suite runs against a stack deployed with StoreOnLoad=False "
            "(the store-on-upload tests are local_only)"
        )
    return deployed


@pytest.fixture(scope="session")
def filestore_store_on_upload(local_stacks: StackFactory) -> TargetVars:
    """A local stack in store-on-upload mode (StoreOnLoad=True)."""
    return _local_only(local_stacks, STORE_ON_UPLOAD_PARAMS)


@pytest.fixture(scope="session")
def filestore_expiry(local_stacks: StackFactory) -> TargetVars:
    """A local stack whose unstored files expire as soon as the template allows.

    The schedule keeps its default rate, so expiry runs when a test invokes ExpireFilesFunction
    through the invoke route. ``expiry_wait`` is how long a test waits for a file it just created
    to expire (``expire_at`` counts whole seconds from ``created_at``, itself truncated).
    """
    timeout = shortest_upload_timeout()
    stack = _local_only(local_stacks, {"UploadTimeout": str(timeout)})
    return {**stack, "expiry_wait": str(timeout + 1.5)}


@pytest.fixture(scope="session")
def filestore_short_urls(local_stacks: StackFactory) -> TargetVars:
    """A local stack whose presigned URLs expire after one second."""
    return _local_only(local_stacks, SHORT_URL_PARAMS)
