"""pytest fixtures for a running local stack (load with ``pytest_plugins`` in the root conftest).

``local_stack``: one stack with the template's default parameters, shared by the session.
``local_stack_factory``: ``factory(params)`` returns a session-shared stack per parameter set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from local_stack.testing.launcher import RunningStack, start_local_stack

StackFactory = Callable[[Mapping[str, str]], RunningStack]


@pytest.fixture(scope="session")
def local_stack_factory() -> Iterator[StackFactory]:
    """Start local stacks on demand, one per parameter set; all stop when the session ends."""
    running: dict[frozenset[tuple[str, str]], RunningStack] = {}

    def get(params: Mapping[str, str]) -> RunningStack:
        key = frozenset(params.items())
        if key not in running:
            running[key] = start_local_stack(params)
        return running[key]

    try:
        yield get
    finally:
        for stack in running.values():
            stack.stop()


@pytest.fixture(scope="session")
def local_stack(local_stack_factory: StackFactory) -> RunningStack:
    """A local stack with the template's default parameters (temporary mode, stage dev)."""
    return local_stack_factory({})
