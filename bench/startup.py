"""Local stack start-up: ``python -m local_stack`` process start to the first 200 of GET /config."""

from __future__ import annotations

import time

from bench.local_api import POLL_SECONDS, spawn_local_stack, wait_for_config
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median

TARGET_SECONDS = 2.0


def measure(session: Session) -> FigureResult:
    """Start the stack N times (dependencies installed) and time each until /config answers.

    The last stack started is kept running for the figures that need one.
    """
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
