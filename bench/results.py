"""The result of one benchmark figure and the settings shared by every figure."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from bench.aws_calls import CallLog

REPO_ROOT = Path(__file__).resolve().parent.parent


class Outcome(Enum):
    """How a measured figure compares with its target."""

    PASS = "pass"
    MISS = "miss"
    INFO = "info"  # no target: reported for context only
    ERROR = "error"  # could not be measured


@dataclass
class FigureResult:
    """One figure: what was measured, against which target, and the evidence."""

    title: str
    target: str
    measured: str = ""
    outcome: Outcome = Outcome.INFO
    how: str = ""
    details: list[str] = field(default_factory=list)  # markdown lines (tables, notes)
    miss_note: str = ""  # for a miss: by how much and why
    seconds: float = 0.0  # how long measuring took
    load_at_start: float | None = None  # 1-minute load average when measuring began

    def judge(self, passed: bool, miss_note: str = "") -> None:
        """Set the outcome from a target check; keep the explanation only for a miss."""
        self.outcome = Outcome.PASS if passed else Outcome.MISS
        self.miss_note = "" if passed else miss_note


@dataclass(frozen=True)
class BenchConfig:
    """Iteration counts for one run: the full run, or the tiny smoke run."""

    smoke: bool
    startup_runs: int
    latency_requests: int
    throughput_seconds: float
    throughput_clients: int
    upload_bytes: int
    upload_runs: int
    event_uploads: int
    cold_start_runs: int
    cold_start_modules: int | None  # None: every handler module
    expiry_stored_counts: tuple[int, ...]
    expiring_files: int
    batch_ids: int

    @property
    def cores(self) -> int:
        return os.cpu_count() or 1


FULL = BenchConfig(
    smoke=False,
    startup_runs=7,
    latency_requests=400,
    throughput_seconds=10.0,
    throughput_clients=8,
    upload_bytes=50 * 1024 * 1024,
    upload_runs=5,
    event_uploads=100,
    cold_start_runs=9,
    cold_start_modules=None,
    expiry_stored_counts=(0, 1_000, 10_000),
    expiring_files=10,
    batch_ids=100,
)

SMOKE = BenchConfig(
    smoke=True,
    startup_runs=1,
    latency_requests=20,
    throughput_seconds=1.0,
    throughput_clients=2,
    upload_bytes=1024 * 1024,
    upload_runs=1,
    event_uploads=5,
    cold_start_runs=1,
    cold_start_modules=2,
    expiry_stored_counts=(0, 50),
    expiring_files=10,
    batch_ids=20,
)


@dataclass(frozen=True)
class HandlerProfile:
    """One function measured in-process: median duration and AWS calls per invocation."""

    logical_id: str
    median_ms: float
    invocations: int
    calls: CallLog  # summed over ``invocations``

    def per_invocation(self, total: float) -> float:
        return total / self.invocations if self.invocations else 0.0


@dataclass
class BenchState:
    """Values one figure measures and a later one reuses (the cost on paper)."""

    profiles: dict[str, HandlerProfile] = field(default_factory=dict)  # by logical id
    extra: dict[str, Any] = field(default_factory=dict)
