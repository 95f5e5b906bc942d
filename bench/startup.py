"""Local stack start-up: ``python -m local_stack`` process start to the first 200 of GET /config."""

from __future__ import annotations

from dataclasses import dataclass

from bench.processes import import_times
from bench.session import Session
from local_stack.testing.launcher import READY_POLL_SECONDS, spawn_local_stack

IMPORT_LINES_SHOWN = 8


@dataclass(frozen=True)
class StartupFigure:
    """Seconds from the process start to the first 200 of GET /config, and where they go."""

    starts_s: list[float]
    banner_s: list[float]  # of the same starts: until the log said it is up, page published
    poll_s: float
    import_total_s: float  # one more start with ``-X importtime``: the stack process's imports
    largest_imports_ms: list[tuple[str, float]]  # its largest top-level imports (cumulative)


def top_level_imports() -> tuple[float, list[tuple[str, float]]]:
    """One start with ``-X importtime``: seconds of top-level imports, and the largest (ms)."""
    stack = spawn_local_stack(python_flags=("-X", "importtime"))
    try:
        stack.wait_until_ready()
        lines = stack.log_lines()
    finally:
        stack.stop()
    top = [(name, ms) for name, ms, depth in import_times(lines) if depth == 0]
    largest = sorted(top, key=lambda item: -item[1])[:IMPORT_LINES_SHOWN]
    return sum(ms for _, ms in top) / 1000, largest


def measure(session: Session) -> StartupFigure:
    """Start the stack N times (dependencies installed) and time each until /config answers.

    The last stack started is kept running for the figures that need one.
    """
    import_total, largest = top_level_imports()  # also warms the page cache
    starts, banners = [], []
    runs = session.config.startup_runs
    for run in range(runs):
        stack = spawn_local_stack()
        try:
            ready_at = stack.wait_until_ready()
            banner_at = stack.wait_for_banner()  # it may come after the API's first answer
        except BaseException:
            stack.stop()
            raise
        starts.append(ready_at - stack.started_at)
        banners.append(banner_at - stack.started_at)
        if run == runs - 1:
            session.adopt_local_stack(stack)
        else:
            stack.stop()
    return StartupFigure(starts, banners, READY_POLL_SECONDS, import_total, largest)
