"""The benchmark's renderer: what docs/BENCHMARKS.md and the terminal summary say."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from bench.cold_start import BOTO3, EMPTY, ColdStart, NativeWheel
from bench.package_size import PackageSize
from bench.render import render_markdown, render_summary
from bench.runner import Failure, Measured, RunInfo
from bench.stats import median, percentile
from bench.test_times import TestTimes

INFO = RunInfo(
    started=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    cores=2,
    cpu_model="Test CPU",
    machine="x86_64",
    load_average=(1.5, 1.0, 0.5),
    python="3.11.7",
    smoke=False,
    total_seconds=42.0,
)
MB = 1024 * 1024


def _package(zipped_bytes: int) -> PackageSize:
    return PackageSize(
        path="dist/filestore-lambda.zip",
        zipped_bytes=zipped_bytes,
        unzipped_bytes=5 * MB,
        files=514,
        largest_parts=[("ext/aws_lambda_powertools", 900_000)],
        runtime_packages=[],
        stale=False,
    )


def _measured(title: str, result: object | None, failure: Failure | None = None) -> Measured:
    return Measured(title, result, failure, seconds=1.5, load_at_start=0.75)


def _cold_start(machine: str, loadable: bool, loaded: tuple[str, ...] = ("boto3",)) -> ColdStart:
    wheel = NativeWheel("wrapt-1.17.3", ["cp313-cp313-manylinux_2_17_aarch64"], loadable)
    return ColdStart(
        runs=1,
        modules=["handlers.get_config"],
        wall_ms={EMPTY: 15.0, BOTO3: 200.0, "handlers.get_config": 300.0},
        without_bytecode_ms={BOTO3: 210.0, "handlers.get_config": 450.0},
        worst="handlers.get_config",
        steps_ms=[("vendor", 4.0), (BOTO3, 150.0), ("handlers.get_config", 1.0)],
        loaded_modules=list(loaded),
        tracer_ms={"Tracer()": 28.0},
        slowest_imports_ms=[("boto3", 140.0)],
        machine=machine,
        interpreter="CPython 3.13.1",
        native_wheels=[wheel],
        package_bytes=2 * MB,
    )


def _report() -> list[Measured]:
    return [
        _measured("Package size", _package(1 * MB)),
        _measured("Package size (too big)", _package(6 * MB)),
        _measured("Upload path", None, Failure("RuntimeError", "moto server did not answer")),
    ]


def test_report_states_machine_date_and_every_figure_against_its_target() -> None:
    text = render_markdown(_report(), INFO)
    assert "2 cores" in text
    assert "x86_64" in text
    assert "2026-01-31" in text
    assert "| Package size | < 5 MB zipped | 1.00 MB (1,048,576 bytes) | pass |" in text
    assert (
        "| Package size (too big) | < 5 MB zipped | 6.00 MB (6,291,456 bytes) | **miss** |" in text
    )
    assert "| Upload path | - | not measured: RuntimeError | ERROR |" in text
    assert "Load average when this figure started: 0.75 on 2 cores." in text


def test_report_explains_misses_and_errors_but_not_passes() -> None:
    text = render_markdown(_report(), INFO)
    assert "**Missed:** 1024 KB over; the largest parts are listed below" in text
    assert "**Could not be measured:** moto server did not answer" in text
    assert text.count("KB over") == 2  # in the misses list and in its own section, not for 1 MB


def test_smoke_report_says_its_figures_mean_nothing() -> None:
    smoke = dataclasses.replace(INFO, smoke=True)
    assert "Smoke run" in render_markdown(_report(), smoke)
    assert "Smoke run" not in render_markdown(_report(), INFO)


def test_cold_start_names_the_interpreter_and_machine_it_ran_on_and_what_wheels_are_built_for() -> (
    None
):
    unusable = render_markdown([_measured("Cold start", _cold_start("x86_64", False))], INFO)
    assert "built for cp313 on aarch64" in unusable
    assert "(CPython 3.13.1 on x86_64) cannot load its compiled modules" in unusable
    usable = render_markdown([_measured("Cold start", _cold_start("aarch64", True))], INFO)
    assert "(CPython 3.13.1 on aarch64) loads its compiled modules" in usable
    assert "cannot load" not in usable
    assert "x86" not in usable.split("## Cold start", 1)[1]


def test_cold_start_says_whether_the_heavy_libraries_came_back_instead_of_asserting_it() -> None:
    loaded = ("boto3", "aws_lambda_powertools.event_handler", "asyncio")
    text = render_markdown([_measured("Cold start", _cold_start("x86_64", False, loaded))], INFO)
    assert "it loads `aws_lambda_powertools.event_handler`, `asyncio`" in text
    clean = render_markdown([_measured("Cold start", _cold_start("x86_64", False))], INFO)
    assert "loads neither Powertools' event handler" in clean


def test_cold_start_reports_the_package_with_and_without_its_bytecode() -> None:
    text = render_markdown([_measured("Cold start", _cold_start("x86_64", False))], INFO)
    assert "worst 1.50x (handlers.get_config: 300 ms vs. 200 ms)" in text
    assert "without the zip's bytecode 2.14x (handlers.get_config)" in text


def test_summary_is_a_table_of_every_figure_without_a_pass_count() -> None:
    lines = render_summary(_report()).splitlines()
    assert lines[0].split() == ["figure", "target", "measured", "result", "took"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert [line.split("  ")[0] for line in lines[2:]] == [
        "Package size",
        "Package size (too big)",
        "Upload path",
    ]
    assert lines[3].split()[-2:] == ["miss", "1.5s"]
    assert not any("passed" in line for line in lines)


def test_percentile_is_nearest_rank_and_median_is_the_middle() -> None:
    samples = [float(value) for value in range(1, 101)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([3.0], 50) == 3.0
    assert median([5.0, 1.0, 3.0]) == 3.0


def test_make_test_times_are_reported_per_suite_against_eight_minutes() -> None:
    recorded = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    times = TestTimes([("unit", 70.0, 1.5), ("integration", 400.0, 2.0)], recorded)
    text = render_markdown([_measured("make test wall time", times)], INFO)
    assert "| make test wall time | < 8 min on" in text
    assert "7 min 50 s | pass |" in text
    assert "| `make integration` | 400 | 2.00 |" in text
    lanes = TestTimes([*times.suites, ("all", 300.0, 2.5)], recorded)
    assert "5 min 0 s | pass |" in render_markdown([_measured("make test wall time", lanes)], INFO)
    missing = render_markdown([_measured("make test wall time", TestTimes([], None))], INFO)
    assert "not measured: no `make test` has run here" in missing
