"""Runs the figures a run asks for, each once and in order, passing each the results it needs."""

from __future__ import annotations

import logging
import platform
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bench import (
    batch_info,
    cold_start,
    cost_on_paper,
    event_delay,
    expiry_cost,
    gateway_overhead,
    handler_durations,
    package_size,
    startup,
    throughput,
    upload_path,
)
from bench.batch_info import BatchInfo
from bench.cold_start import ColdStart
from bench.cost_on_paper import CostOnPaper
from bench.event_delay import EventDelay
from bench.expiry_cost import ExpiryCost
from bench.gateway_overhead import GatewayOverhead
from bench.handler_durations import HandlerDurations
from bench.package_size import PackageSize
from bench.session import Session
from bench.startup import StartupFigure
from bench.throughput import ThroughputFigure
from bench.upload_path import UploadPath

T = TypeVar("T")
log = logging.getLogger("bench")


class Needs:
    """The results a figure declared it needs, looked up by their type."""

    def __init__(self, title: str, results: Mapping[type, object]) -> None:
        self._title = title
        self._results = dict(results)

    def __getitem__(self, kind: type[T]) -> T:
        result = self._results.get(kind)
        if not isinstance(result, kind):
            raise LookupError(f"{self._title} does not declare that it needs {kind.__name__}")
        return result


@dataclass(frozen=True)
class Figure:
    """One figure of the report: the result it measures, how, and the results it needs first."""

    title: str
    result: type
    measure: Callable[[Session, Needs], object]
    needs: tuple[type, ...] = ()


# In report order; a figure's needs come before it (the expiry figure resets moto, so it comes
# after the figures that read the files the upload flow stored).
FIGURES: tuple[Figure, ...] = (
    Figure("Local stack start-up", StartupFigure, lambda session, _: startup.measure(session)),
    Figure("Gateway overhead", GatewayOverhead, lambda s, _: gateway_overhead.measure(s)),
    Figure("API throughput", ThroughputFigure, lambda session, _: throughput.measure(session)),
    Figure("Upload path", UploadPath, lambda session, _: upload_path.measure(session)),
    Figure("S3 event delay", EventDelay, lambda session, _: event_delay.measure(session)),
    Figure("Cold start", ColdStart, lambda session, _: cold_start.measure(session)),
    Figure(
        "Handler durations (in-process)",
        HandlerDurations,
        lambda session, _: handler_durations.measure(session),
    ),
    Figure(
        "Batch info",
        BatchInfo,
        lambda session, needs: batch_info.measure(session, needs[HandlerDurations]),
        needs=(HandlerDurations,),
    ),
    Figure("Expiry cost", ExpiryCost, lambda session, _: expiry_cost.measure(session)),
    Figure("Package size", PackageSize, lambda _, __: package_size.measure()),
    Figure(
        "Cost on paper",
        CostOnPaper,
        lambda _, needs: cost_on_paper.measure(needs[HandlerDurations], needs[BatchInfo]),
        needs=(HandlerDurations, BatchInfo),
    ),
)


@dataclass(frozen=True)
class Failure:
    """Why a figure has no result: a short reason for the summary and the whole story."""

    reason: str
    detail: str


@dataclass(frozen=True)
class Measured:
    """A figure's result (or why there is none), how long measuring took, and the load then."""

    title: str
    result: object | None
    failure: Failure | None
    seconds: float
    load_at_start: float


def select(words: Sequence[str], figures: Sequence[Figure] = FIGURES) -> list[Figure]:
    """The figures whose title has one of ``words`` (every figure for none) and the figures they
    need, in ``figures``' order."""
    wanted = {
        figure.result
        for figure in figures
        if not words or any(word.lower() in figure.title.lower() for word in words)
    }
    for figure in reversed(figures):
        if figure.result in wanted:
            wanted.update(figure.needs)
    return [figure for figure in figures if figure.result in wanted]


def _failure(err: Exception) -> Failure:
    last = traceback.extract_tb(err.__traceback__)[-1]
    where = f"{Path(last.filename).name}:{last.lineno}"
    return Failure(type(err).__name__, f"{type(err).__name__} at {where}: {str(err)[:1500]}")


def run(session: Session, figures: Sequence[Figure]) -> list[Measured]:
    """Measure ``figures`` in order; a figure that fails (or whose needs failed) gets a Failure,
    and the run goes on."""
    results: dict[type, object] = {}
    titles = {figure.result: figure.title for figure in figures}
    measured = []
    for figure in figures:
        log.info("measuring %s", figure.title)
        load, started = load_average()[0], time.perf_counter()
        result: object | None = None
        failure = None
        missing = [titles.get(kind, kind.__name__) for kind in figure.needs if kind not in results]
        if missing:
            failure = Failure(
                f"needs {', '.join(missing)}",
                f"needs {', '.join(missing)}, which could not be measured",
            )
        else:
            try:
                result = figure.measure(session, Needs(figure.title, results))
            except (
                Exception
            ) as err:  # a figure that cannot be measured is reported, the run goes on
                log.debug("%s failed", figure.title, exc_info=True)
                failure = _failure(err)
            else:
                results[figure.result] = result
        measured.append(
            Measured(figure.title, result, failure, time.perf_counter() - started, load)
        )
    return measured


@dataclass(frozen=True)
class RunInfo:
    """Where and when the figures were taken."""

    started: datetime
    cores: int
    cpu_model: str
    machine: str  # platform.machine()
    load_average: tuple[float, float, float]
    python: str
    smoke: bool
    total_seconds: float


def describe_machine(started: datetime, cores: int, smoke: bool, total: float) -> RunInfo:
    """Collect the machine facts the report states next to the figures."""
    return RunInfo(
        started=started,
        cores=cores,
        cpu_model=_cpu_model(),
        machine=platform.machine(),
        load_average=load_average(),
        python=platform.python_version(),
        smoke=smoke,
        total_seconds=total,
    )


def _cpu_model() -> str:
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages (zeros where unknown)."""
    try:
        with Path("/proc/loadavg").open(encoding="utf-8") as loadavg:
            one, five, fifteen = (float(value) for value in loadavg.read().split()[:3])
    except (OSError, ValueError):
        return (0.0, 0.0, 0.0)
    return (one, five, fifteen)
