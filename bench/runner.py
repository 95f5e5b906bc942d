"""Runs the figures a run asks for, each once and in order, passing each the results it needs."""

from __future__ import annotations

import logging
import os
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
    multipart_upload,
    package_size,
    startup,
    stored_startup,
    throughput,
    upload_path,
)
from bench.batch_info import BatchInfo
from bench.handler_durations import HandlerDurations
from bench.session import Session

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
    Figure("Local stack start-up", startup.StartupFigure, lambda s, _: startup.measure(s)),
    Figure(
        "Start-up with stored data",
        stored_startup.StoredStartup,
        lambda s, _: stored_startup.measure(s),
    ),
    Figure(
        "Gateway overhead",
        gateway_overhead.GatewayOverhead,
        lambda s, _: gateway_overhead.measure(s),
    ),
    Figure("API throughput", throughput.ThroughputFigure, lambda s, _: throughput.measure(s)),
    Figure("Upload path", upload_path.UploadPath, lambda s, _: upload_path.measure(s)),
    Figure(
        "Multipart upload",
        multipart_upload.MultipartUpload,
        lambda s, _: multipart_upload.measure(s),
    ),
    Figure("S3 event delay", event_delay.EventDelay, lambda s, _: event_delay.measure(s)),
    Figure("Cold start", cold_start.ColdStart, lambda s, _: cold_start.measure(s)),
    Figure(
        "Handler durations (in-process)",
        HandlerDurations,
        lambda s, _: handler_durations.measure(s),
    ),
    Figure(
        "Batch info",
        BatchInfo,
        lambda s, needs: batch_info.measure(s, needs[HandlerDurations]),
        needs=(HandlerDurations,),
    ),
    Figure("Expiry cost", expiry_cost.ExpiryCost, lambda s, _: expiry_cost.measure(s)),
    Figure("Package size", package_size.PackageSize, lambda _, __: package_size.measure()),
    Figure(
        "Cost on paper",
        cost_on_paper.CostOnPaper,
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


def _measure(
    figure: Figure, session: Session, results: Mapping[type, object], titles: Mapping[type, str]
) -> Measured:
    log.info("measuring %s", figure.title)
    load, started = load_average()[0], time.perf_counter()
    result: object | None = None
    failure = None
    missing = [kind for kind in figure.needs if kind not in results]
    if missing:
        names = ", ".join(titles.get(kind, kind.__name__) for kind in missing)
        failure = Failure(f"needs {names}", f"needs {names}, which could not be measured")
    else:
        try:
            needs = Needs(figure.title, {kind: results[kind] for kind in figure.needs})
            result = figure.measure(session, needs)
        except Exception as err:  # reported as this figure's failure; the run goes on
            log.debug("%s failed", figure.title, exc_info=True)
            failure = _failure(err)
    return Measured(figure.title, result, failure, time.perf_counter() - started, load)


def run(session: Session, figures: Sequence[Figure]) -> list[Measured]:
    """Measure ``figures`` in order, each given the results it declared it needs; a figure that
    fails (or whose needs failed) gets a Failure, and the run goes on."""
    results: dict[type, object] = {}
    titles = {figure.result: figure.title for figure in (*FIGURES, *figures)}
    measured = []
    for figure in figures:
        measured.append(_measure(figure, session, results, titles))
        if measured[-1].result is not None:
            results[figure.result] = measured[-1].result
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
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
