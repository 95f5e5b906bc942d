"""What the figures of one run share: settings, measured values and lazily started stacks."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.results import BenchConfig, BenchState

if TYPE_CHECKING:
    from bench.inprocess import InProcessStack
    from bench.local_api import LocalStack


@dataclass
class Session:
    """One benchmark run; close() stops whatever it started."""

    config: BenchConfig
    state: BenchState = field(default_factory=BenchState)
    _exits: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _inprocess: InProcessStack | None = None
    _local: LocalStack | None = None

    def inprocess(self) -> InProcessStack:
        """The handlers in this process on moto (started on first use)."""
        if self._inprocess is None:
            from bench.inprocess import InProcessStack

            self._inprocess = self._exits.enter_context(InProcessStack())
        return self._inprocess

    def local_stack(self) -> LocalStack:
        """One ``python -m local_stack`` on free ports (started on first use)."""
        if self._local is None:
            from bench.local_api import start_local_stack

            self._local = self._exits.enter_context(start_local_stack())
        return self._local

    def adopt_local_stack(self, stack: LocalStack) -> None:
        """Keep an already started stack as this run's stack (stopped by close())."""
        if self._local is not None:
            stack.stop()
            return
        self._local = self._exits.enter_context(stack)

    def close(self) -> None:
        self._exits.close()
