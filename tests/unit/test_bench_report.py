"""The benchmark's report: what docs/BENCHMARKS.md and the terminal summary say."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.report import RunInfo, render_markdown, render_summary
from bench.results import FigureResult, Outcome
from bench.stats import median, percentile

INFO = RunInfo(
    started=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    cores=2,
    cpu_model="Test CPU",
    load_average=(1.5, 1.0, 0.5),
    python="3.11.7",
    smoke=False,
    total_seconds=42.0,
)


def _results() -> list[FigureResult]:
    passed = FigureResult(title="Package size", target="< 3 MB", measured="1.3 MB")
    passed.judge(True, "never shown")
    missed = FigureResult(title="Cold start", target="≤ 1.3x", measured="4.0x")
    missed.judge(False, "the X-Ray SDK creates clients at import")
    broken = FigureResult(
        title="Upload path",
        target="-",
        measured="not measured: RuntimeError",
        outcome=Outcome.ERROR,
        miss_note="moto server did not answer",
    )
    return [passed, missed, broken]


def test_report_states_machine_date_and_every_figure() -> None:
    text = render_markdown(_results(), INFO)
    assert "2 cores" in text
    assert "2026-01-31" in text
    assert "| Package size | < 3 MB | 1.3 MB | pass |" in text
    assert "| Cold start | ≤ 1.3x | 4.0x | **miss** |" in text
    assert "| Upload path | - | not measured: RuntimeError | ERROR |" in text


def test_report_explains_misses_and_errors_but_not_passes() -> None:
    text = render_markdown(_results(), INFO)
    assert "**Missed:** the X-Ray SDK creates clients at import" in text
    assert "**Could not be measured:** moto server did not answer" in text
    assert "never shown" not in text


def test_smoke_report_says_its_figures_mean_nothing() -> None:
    smoke = RunInfo(**{**INFO.__dict__, "smoke": True})
    assert "Smoke run" in render_markdown(_results(), smoke)
    assert "Smoke run" not in render_markdown(_results(), INFO)


def test_summary_is_a_table_without_a_pass_count() -> None:
    lines = render_summary(_results()).splitlines()
    assert lines[0].split() == ["figure", "target", "measured", "result", "took"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert [line.split("  ")[0] for line in lines[2:]] == [
        "Package size",
        "Cold start",
        "Upload path",
    ]
    assert not any("passed" in line for line in lines)


def test_percentile_is_nearest_rank_and_median_is_the_middle() -> None:
    samples = [float(value) for value in range(1, 101)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([3.0], 50) == 3.0
    assert median([5.0, 1.0, 3.0]) == 3.0
