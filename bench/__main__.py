"""``python -m bench [--smoke] [--only WORD] [--output PATH]``: measure, then write the report."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import runner
from bench.render import render_markdown, render_summary
from bench.session import Session
from bench.settings import FULL, SMOKE
from local_stack.config import PROJECT_ROOT

DEFAULT_OUTPUT = PROJECT_ROOT / "docs" / "BENCHMARKS.md"
SMOKE_OUTPUT = Path(tempfile.gettempdir()) / "filestore-bench-smoke.md"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny iteration counts, report to {SMOKE_OUTPUT}; fails only on errors",
    )
    parser.add_argument(
        "--output", type=Path, help=f"where to write the report (default: {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="measure only figures whose title has it (and the figures they need)",
    )
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
    output: Path = args.output or (SMOKE_OUTPUT if args.smoke else DEFAULT_OUTPUT)
    started_at, started = datetime.now(UTC), time.perf_counter()
    session = Session(config)
    try:
        measured = runner.run(session, runner.select(args.only))
    finally:
        session.close()
    info = runner.describe_machine(
        started_at, config.cores, config.smoke, time.perf_counter() - started
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_markdown(measured, info), encoding="utf-8")
    print(render_summary(measured))
    print(f"\n{info.cores} cores; report written to {output}")
    failed = [figure for figure in measured if figure.failure is not None]
    for figure in failed:
        assert figure.failure is not None
        print(f"could not measure {figure.title}: {figure.failure.detail}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
