"""Local stack start-up: ``python -m local_stack`` process start to the first 200 of GET /config."""

from __future__ import annotations

import re
import time

from bench.local_api import POLL_SECONDS, spawn_local_stack, wait_for_config
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median

TARGET_SECONDS = 2.0


_IMPORT_LINE = re.compile(r"import time:\s+\d+\s+\|\s+(\d+)\s+\| ( *)(\S+)")


def top_level_imports() -> tuple[float, list[tuple[str, float]]]:
    """One extra start with ``-X importtime``: total and largest top-level imports (ms)."""
    stack = spawn_local_stack(python_flags=("-X", "importtime"))
    try:
        wait_for_config(stack)
        text = stack.log_tail(chars=50_000_000)
    finally:
        stack.stop()
    top = [
        (match.group(3), int(match.group(1)) / 1000)
        for match in map(_IMPORT_LINE.match, text.splitlines())
        if match and not match.group(2)
    ]
    return sum(ms for _, ms in top), sorted(top, key=lambda item: -item[1])[:8]


def measure(session: Session) -> FigureResult:
    """Start the stack N times (dependencies installed) and time each until /config answers.

    The last stack started is kept running for the figures that need one.
    """
    import_total, largest = top_level_imports()  # also warms the page cache
    samples, to_banner = [], []
    runs = session.config.startup_runs
    for run in range(runs):
        started = time.perf_counter()
        stack = spawn_local_stack()
        try:
            up_at = wait_for_config(stack)
            samples.append(time.perf_counter() - started)
            if up_at is not None:
                to_banner.append(up_at - started)
        except BaseException:
            stack.stop()
            raise
        if run == runs - 1:
            session.adopt_local_stack(stack)
        else:
            stack.stop()
    middle = median(samples)
    banner = median(to_banner) if to_banner else None
    result = FigureResult(
        title="Local stack start-up",
        target=f"< {TARGET_SECONDS:g} s",
        measured=f"{middle:.2f} s median",
        how=(
            "From just before `Popen([python, '-m', 'local_stack'])` (free ports, everything "
            "already installed) to the first 200 from `GET /config`, polled every "
            f"{POLL_SECONDS * 1000:.0f} ms; it includes the GetConfigFunction worker's cold "
            f"start. Median of {len(samples)} starts, one after another."
        ),
        details=["Starts (s): " + ", ".join(f"{sample:.2f}" for sample in samples)],
    )
    if banner is not None:
        result.details.append(
            f"Of the median, {banner:.2f} s pass before the stack logs that it is up (Python "
            "start, imports of moto, werkzeug, jsonschema and the stack, template, DynamoDB "
            f"and S3 servers) and {middle - banner:.2f} s from then to the first answer (the "
            "GetConfigFunction worker's cold start: a fresh interpreter importing the handler, "
            "see Cold start)."
        )
    result.details.append(
        f"One more start with `python -X importtime` (not timed above): the stack process (not "
        f"its workers) spent {import_total / 1000:.2f} s importing modules, the largest "
        "top-level imports being "
        + ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in largest)
        + " (cumulative; `-X importtime` itself slows imports a little)."
    )
    result.judge(
        middle < TARGET_SECONDS,
        f"{middle - TARGET_SECONDS:.2f} s over ({middle / TARGET_SECONDS - 1:.0%})"
        + (
            f": {banner:.2f} s until the stack is up, {middle - banner:.2f} s for the first "
            "function's cold start"
            if banner is not None
            else ""
        ),
    )
    return result
