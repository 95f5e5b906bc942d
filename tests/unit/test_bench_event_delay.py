"""The S3 event delay figure: reading event steps and their times from the local stack's log."""

from __future__ import annotations

from datetime import datetime

import pytest

from bench.event_delay import LogLine, event_timing, log_time, parse_log_line

TOLERANCE = 1e-6  # seconds: epoch floats hold about a microsecond
NOON = datetime(2026, 3, 1, 12, 0, 0).timestamp()
KEY = "0123456789abcdef0123456789abcdef"


def _lines(*texts: str) -> list[LogLine]:
    return [line for text in texts if (line := parse_log_line(text, NOON)) is not None]


def test_log_clock_is_read_as_local_time_on_the_same_day() -> None:
    assert log_time("12:00:01.250", NOON) == pytest.approx(NOON + 1.25, abs=TOLERANCE)
    assert log_time("11:59:59.999", NOON) == pytest.approx(NOON - 0.001, abs=TOLERANCE)


def test_log_clock_just_past_midnight_belongs_to_the_next_day() -> None:
    late = datetime(2026, 3, 1, 23, 59, 59, 900_000).timestamp()
    assert log_time("00:00:00.100", late) == pytest.approx(late + 0.2, abs=TOLERANCE)


def test_lines_without_a_timestamp_are_ignored() -> None:
    assert parse_log_line("Press Ctrl-C to stop.", NOON) is None
    line = parse_log_line("12:00:00.005 [ObjectCreatedFunction] END RequestId: r1", NOON)
    assert line is not None
    assert line.message == "[ObjectCreatedFunction] END RequestId: r1"
    assert line.at == pytest.approx(NOON + 0.005, abs=TOLERANCE)


def test_event_steps_are_timed_from_the_put_response() -> None:
    lines = _lines(
        "12:00:00.001 POST /dev/file 200 8.1 ms",
        f"12:00:00.010 [ObjectCreatedFunction] S3 ObjectCreated:Put {KEY}",
        "12:00:00.014 [ObjectCreatedFunction] START RequestId: r1 Version: $LATEST",
        '12:00:00.020 [ObjectCreatedFunction] {"level":"INFO","message":"upload recorded"}',
        "12:00:00.030 [ObjectCreatedFunction] END RequestId: r1",
    )
    timing = event_timing(lines, KEY, NOON + 0.012)
    assert timing is not None
    assert timing.dispatched == pytest.approx(-0.002, abs=TOLERANCE)
    assert timing.started == pytest.approx(0.002, abs=TOLERANCE)
    assert timing.ended == pytest.approx(0.018, abs=TOLERANCE)


def test_other_keys_and_other_requests_are_not_taken_for_this_event() -> None:
    other = "f" * 32
    lines = _lines(
        f"12:00:00.001 [ObjectCreatedFunction] S3 ObjectCreated:Put {other}",
        "12:00:00.002 [ObjectCreatedFunction] START RequestId: old Version: $LATEST",
        "12:00:00.003 [ObjectCreatedFunction] END RequestId: old",
        f"12:00:00.100 [ObjectCreatedFunction] S3 ObjectCreated:Put {KEY}",
        "12:00:00.200 [ObjectCreatedFunction] START RequestId: new Version: $LATEST",
        "12:00:00.250 [CreateFileFunction] END RequestId: new",
        "12:00:00.300 [ObjectCreatedFunction] END RequestId: new",
    )
    timing = event_timing(lines, KEY, NOON)
    assert timing is not None
    assert timing.started == pytest.approx(0.2, abs=TOLERANCE)
    assert timing.ended == pytest.approx(0.3, abs=TOLERANCE)


def test_an_event_without_its_end_yet_has_no_timing() -> None:
    lines = _lines(
        f"12:00:00.010 [ObjectCreatedFunction] S3 ObjectCreated:Put {KEY}",
        "12:00:00.014 [ObjectCreatedFunction] START RequestId: r1 Version: $LATEST",
    )
    assert event_timing(lines, KEY, NOON) is None
    assert event_timing([], KEY, NOON) is None
