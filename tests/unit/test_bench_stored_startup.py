"""The start-up with stored data figure: the stack's banner counts, and what the report says."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import local_stack.__main__ as entry
from bench.render import STORED_STARTUP_TARGET_S, figure_section
from bench.render import Outcome as ReportOutcome
from bench.runner import select
from bench.stored_startup import (
    BannerCounts,
    RestoreParts,
    Start,
    StoredStartup,
    banner_counts,
    folder_bytes,
)
from local_stack.config import load_config
from local_stack.stack import LocalStack

GIB = 1024**3


def _banner(data_dir: str, objects: int = 0, events: int = 0) -> list[str]:
    stack = LocalStack(load_config({"FILESTORE_API_KEY": "k" * 40, "FILESTORE_DATA_DIR": data_dir}))
    stack.restored_objects, stack.resumed_events = objects, events
    return entry._banner(stack).splitlines()


@pytest.mark.parametrize(("objects", "events"), [(10_000, 0), (1, 1), (0, 3)])
def test_the_counts_are_read_from_the_banner_the_stack_prints(
    tmp_path: Path, objects: int, events: int
) -> None:
    counts = banner_counts(
        ["12:00:00.000 Filestore local stack is up", *_banner(str(tmp_path), objects, events)]
    )
    assert counts == BannerCounts(str(tmp_path), objects, events)


def test_a_banner_without_a_data_folder_has_no_counts() -> None:
    with pytest.raises(RuntimeError, match="no `data` line"):
        banner_counts(_banner(""))


def test_the_folder_size_counts_every_file_below_it(tmp_path: Path) -> None:
    (tmp_path / "s3" / "blobs").mkdir(parents=True)
    (tmp_path / "s3" / "blobs" / "a").write_bytes(b"x" * 1000)
    (tmp_path / "dynamodb.sqlite3").write_bytes(b"y" * 24)
    assert folder_bytes(tmp_path) == 1024


def test_only_stored_data_measures_that_figure_alone() -> None:
    assert [figure.title for figure in select(["stored data"])] == ["Start-up with stored data"]


def _start(ready_s: float, objects: int = 0) -> Start:
    return Start(ready_s, ready_s - 0.5, BannerCounts("/tmp/data", objects, 0))


FIGURE = StoredStartup(
    files=10_000,
    file_bytes=GIB // 10_000 + 1,
    folder_bytes=GIB + 50 * 1024 * 1024,
    fill_s=400.0,
    fill_clients=8,
    journaled_items=10_000,
    empty=[_start(1.5), _start(1.7), _start(1.6)],
    stored=[_start(3.1, 10_000), _start(2.9, 10_000), _start(3.3, 10_000)],
    checked_files=100,
    restore=RestoreParts(s3_s=2.25, dynamodb_s=1.5, queue_s=0.0004),
)


def test_a_start_under_five_seconds_with_the_data_passes_and_says_what_the_data_adds() -> None:
    section = figure_section(FIGURE)
    assert section.outcome is ReportOutcome.PASS
    assert section.target == "< 5 s with 10,000 files, 1.00 GiB stored"
    assert section.measured == "3.10 s median (1.60 s on an empty folder, +1.50 s)"
    assert "| 10,000 files, 1.00 GiB stored | 3.10 | 2.60 | 3.10, 2.90, 3.30 | 10,000 | 0 |" in (
        section.details
    )
    assert "3 times, a start on a fresh empty folder" in section.how
    assert (
        "S3 journal 2.25 s, DynamoDB journal 1.50 s, invocation queue 0.4 ms"
        in (section.details[-1])
    )
    assert section.note == ""


def test_a_slow_start_with_the_data_is_a_miss_that_says_by_how_much_and_where() -> None:
    slow = dataclasses.replace(FIGURE, stored=[_start(6.0, 10_000)], empty=[_start(1.5)])
    section = figure_section(slow)
    assert section.outcome is ReportOutcome.MISS
    assert STORED_STARTUP_TARGET_S == 5.0
    assert section.note.startswith("1.00 s over (20%): the folder adds 4.50 s to the 1.50 s start")
    assert "takes 2.25 s for S3 (every object's bytes read into moto's memory) and 1.50 s for " in (
        section.note
    )
    assert "Then, once, a start" in section.how
    assert section.measured.endswith("+4.50 s)")
