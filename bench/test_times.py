"""make test's wall time per suite, as its last run recorded them (``.make/test-times.tsv``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from local_stack.config import PROJECT_ROOT

TEST_TIMES = PROJECT_ROOT / ".make" / "test-times.tsv"


@dataclass(frozen=True)
class TestTimes:
    """Seconds of each suite of the last ``make test``, in its order, and when it ended."""

    __test__ = False  # not a pytest test class

    suites: list[tuple[str, float, float]]  # suite, wall seconds, 1-minute load when it ended
    recorded: datetime | None  # None: no `make test` has run to its end here


def measure() -> TestTimes:
    """Read what the last ``make test`` recorded (nothing where none ran)."""
    if not TEST_TIMES.is_file():
        return TestTimes([], None)
    suites = []
    for line in TEST_TIMES.read_text(encoding="utf-8").splitlines():
        name, seconds, load = line.split("\t")
        suites.append((name, float(seconds), float(load)))
    return TestTimes(suites, datetime.fromtimestamp(TEST_TIMES.stat().st_mtime, UTC))
