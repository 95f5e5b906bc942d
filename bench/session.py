"""What the figures of one run share: its settings and the stacks it starts on first use."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.settings import BenchConfig

if TYPE_CHECKING:
    from bench.inprocess import InProcessStack
    from local_stack.testing.launcher import RunningStack


@dataclass
class Session:
    """One benchmark run; close() stops whatever it started."""

    config: BenchConfig
    _exits: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _inprocess: InProcessStack | None = None
    _local: RunningStack | None = None

    def inprocess(self) -> InProcessStack:
        """The handlers in this process on moto (started on first use)."""
        if self._inprocess is None:
            from bench.inprocess import InProcessStack

            self._inprocess = self._exits.enter_context(InProcessStack())
        return self._inprocess

    def local_stack(self) -> RunningStack:
        """One ``python -m local_stack`` on free ports (started on first use)."""
        if self._local is None:
            from local_stack.testing.launcher import start_local_stack

            self._local = self._exits.enter_context(start_local_stack())
        return self._local

    def adopt_local_stack(self, stack: RunningStack) -> None:
        """Keep an already started stack as this run's stack (stopped by close())."""
        if self._local is not None:
            stack.stop()
            return
        self._local = self._exits.enter_context(stack)

    def close(self) -> None:
        self._exits.close()
