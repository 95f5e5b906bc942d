"""``python -m bench [--smoke] [--output PATH]``: measure every figure, write the report."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    batch_info,
    cold_start,
    cost_on_paper,
    event_delay,
    expiry_cost,
    gateway_overhead,
    package_size,
    startup,
    throughput,
    upload_flow,
    upload_path,
)
from bench.report import describe_machine, load_average, render_markdown, render_summary
from bench.results import FULL, REPO_ROOT, SMOKE, FigureResult, Outcome
from bench.session import Session

DEFAULT_OUTPUT = REPO_ROOT / "docs" / "BENCHMARKS.md"

Measure = Callable[[Session], FigureResult]

# Order matters: the in-process flow feeds batch info and the cost on paper; expiry resets moto.
FIGURES: tuple[tuple[str, Measure], ...] = (
    ("Local stack start-up", startup.measure),
    ("Gateway overhead", gateway_overhead.measure),
    ("API throughput", throughput.measure),
    ("Upload path", upload_path.measure),
    ("S3 event delay", event_delay.measure),
    ("Cold start", cold_start.measure),
    ("Handler durations (in-process)", upload_flow.measure),
    ("Batch info", batch_info.measure),
    ("Expiry cost", expiry_cost.measure),
    ("Package size", package_size.measure),
    ("Cost on paper", cost_on_paper.measure),
)


def run_figure(title: str, measure: Measure, session: Session) -> FigureResult:
    """Measure one figure; an exception becomes an ERROR result, never a crash of the run."""
    logging.getLogger("bench").info("measuring %s", title)
    load = load_average()[0]
    started = time.perf_counter()
    try:
        result = measure(session)
    except Exception as err:  # a figure that cannot be measured is reported, the run goes on
        logging.getLogger("bench").debug("%s failed", title, exc_info=True)
        last = traceback.extract_tb(err.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        result = FigureResult(
            title=title,
            target="-",
            measured=f"not measured: {type(err).__name__}",
            outcome=Outcome.ERROR,
            miss_note=f"{type(err).__name__} at {where}: {str(err)[:1500]}",
        )
    result.seconds = time.perf_counter() - started
    result.load_at_start = load
    return result


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny iteration counts, report to a temporary file; fails only on errors",
    )
    parser.add_argument(
        "--output", type=Path, help=f"where to write the report (default: {DEFAULT_OUTPUT})"
    )
    parser.add_argument("--only", action="append", help="measure only figures whose title has it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="bench: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("botocore", "boto3", "urllib3", "moto", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = SMOKE if args.smoke else FULL
    output: Path = args.output or (
        Path(tempfile.gettempdir()) / "filestore-bench-smoke.md" if args.smoke else DEFAULT_OUTPUT
    )
    started_at, started = datetime.now(UTC), time.perf_counter()
    session = Session(config)
    selected = [
        (title, measure)
        for title, measure in FIGURES
        if not args.only or any(word.lower() in title.lower() for word in args.only)
    ]
    try:
        results = [run_figure(title, measure, session) for title, measure in selected]
    finally:
        session.close()
    info = describe_machine(started_at, config.cores, config.smoke, time.perf_counter() - started)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_markdown(results, info), encoding="utf-8")
    print(render_summary(results))
    print(f"\n{info.cores} cores; report written to {output}")
    errors = [result for result in results if result.outcome is Outcome.ERROR]
    for result in errors:
        print(f"could not measure {result.title}: {result.miss_note}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
