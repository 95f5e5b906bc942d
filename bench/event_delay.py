"""S3 event delay: a PUT's response to ObjectCreatedFunction's START in the local stack's log."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import requests

from bench.local_api import LocalStack
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median, percentile

TARGET_SECONDS = 1.0
FUNCTION = "ObjectCreatedFunction"
CONTENT = b"event delay probe\n"
CONTENT_TYPE = "text/plain"
WAIT_SECONDS = 30.0  # per upload: far beyond the target, so only a lost event ends the figure
POLL_SECONDS = 0.01  # how often the log is read; the timings come from the log's own clock
DESCRIBE_BATCH = 100  # POST /files takes at most 100 ids

# ``python -m local_stack`` logs "%(asctime)s.%(msecs)03d %(message)s" with datefmt %H:%M:%S:
# the local wall clock, to the millisecond (truncated).
_LOG_LINE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) (.*)$")


@dataclass(frozen=True)
class LogLine:
    """One line of the stack's log with its time as epoch seconds."""

    at: float
    message: str


@dataclass(frozen=True)
class EventTiming:
    """Seconds from a PUT's response to the event's steps in the stack (negative: before it)."""

    dispatched: float  # the S3 endpoint handed the record to the event dispatch
    started: float  # ObjectCreatedFunction START
    ended: float  # ObjectCreatedFunction END: the record is written


def log_time(clock: str, near: float) -> float:
    """Epoch seconds of a local ``HH:MM:SS.mmm`` clock reading, on the day nearest ``near``."""
    hours, minutes, seconds, millis = (int(part) for part in re.split(r"[:.]", clock))
    day = datetime.fromtimestamp(near).replace(hour=0, minute=0, second=0, microsecond=0)
    candidates = [
        (day + timedelta(days=shift)).replace(hour=hours, minute=minutes, second=seconds)
        + timedelta(milliseconds=millis)
        for shift in (-1, 0, 1)
    ]
    return min((moment.timestamp() for moment in candidates), key=lambda at: abs(at - near))


def parse_log_line(line: str, near: float) -> LogLine | None:
    """The time and message of a timestamped log line; None for any other line."""
    match = _LOG_LINE.match(line)
    if match is None:
        return None
    hours, minutes, seconds, millis, message = match.groups()
    return LogLine(log_time(f"{hours}:{minutes}:{seconds}.{millis}", near), message)


def event_timing(lines: Sequence[LogLine], key: str, put_done: float) -> EventTiming | None:
    """The dispatch, START and END of the first ObjectCreated event for ``key``, or None while
    any of them is still missing. The START and END are the first ones of the function after the
    dispatch line, with the same request id (uploads are measured one at a time)."""
    dispatch_text = f"[{FUNCTION}] S3 ObjectCreated:Put {key}"
    start_prefix = f"[{FUNCTION}] START RequestId: "
    dispatched = started = None
    request_id = ""
    for line in lines:
        if dispatched is None:
            if line.message == dispatch_text:
                dispatched = line
        elif started is None:
            if line.message.startswith(start_prefix):
                started = line
                request_id = line.message[len(start_prefix) :].split()[0]
        elif line.message == f"[{FUNCTION}] END RequestId: {request_id}":
            return EventTiming(
                dispatched=dispatched.at - put_done,
                started=started.at - put_done,
                ended=line.at - put_done,
            )
    return None


class LogFollower:
    """Reads the lines a running stack appends to its log file, from where it was opened."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = path.stat().st_size
        self._partial = b""

    def new_lines(self) -> list[str]:
        with self._path.open("rb") as log:
            log.seek(self._offset)
            data = log.read()
        self._offset += len(data)
        *complete, self._partial = (self._partial + data).split(b"\n")
        return [line.decode("utf-8", errors="replace") for line in complete]


def _upload(stack: LocalStack, http: requests.Session, number: int) -> tuple[str, float]:
    """POST /file and the PUT of the bytes; the file id and the epoch time of the PUT's answer."""
    created = http.post(
        f"{stack.api_url}/file",
        json={"name": f"event-delay-{number}.txt", "size": len(CONTENT), "type": CONTENT_TYPE},
        timeout=30,
    )
    created.raise_for_status()
    answer = created.json()
    put = requests.put(answer["url"], data=CONTENT, headers=dict(answer["headers"]), timeout=30)
    put_done = time.time()
    if put.status_code != 200:
        raise RuntimeError(f"PUT answered {put.status_code}: {put.text[:500]}")
    return str(answer["id"]), put_done


def _wait_for_event(
    stack: LocalStack, follower: LogFollower, key: str, put_done: float
) -> EventTiming:
    lines: list[LogLine] = []
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        for text in follower.new_lines():
            parsed = parse_log_line(text, put_done)
            if parsed is not None:
                lines.append(parsed)
        timing = event_timing(lines, key, put_done)
        if timing is not None:
            return timing
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"no {FUNCTION} START/END for {key} within {WAIT_SECONDS:.0f} s of its PUT:\n"
                f"{stack.log_tail()}"
            )
        time.sleep(POLL_SECONDS)


def _check_recorded(stack: LocalStack, http: requests.Session, ids: Sequence[str]) -> None:
    """Every uploaded file is on record as uploaded, with the right size and type."""
    for first in range(0, len(ids), DESCRIBE_BATCH):
        batch = list(ids[first : first + DESCRIBE_BATCH])
        answer = http.post(
            f"{stack.api_url}/files",
            params={"nonstored": "yes"},
            json=batch,
            headers={"x-api-key": stack.api_key},
            timeout=30,
        )
        answer.raise_for_status()
        files = {item["id"]: item for item in answer.json()}
        for file_id in batch:
            item = files.get(file_id)
            if (
                item is None
                or item.get("status") != "uploaded"
                or item.get("size") != len(CONTENT)
                or item.get("type") != CONTENT_TYPE
            ):
                raise RuntimeError(f"{file_id} not recorded as uploaded after its event: {item}")


def _row(label: str, samples: Sequence[float]) -> str:
    ms = [sample * 1000 for sample in samples]
    return (
        f"| {label} | {median(ms):.1f} | {percentile(ms, 95):.1f} | {max(ms):.1f} | {min(ms):.1f} |"
    )


def measure(session: Session) -> FigureResult:
    """Upload one file at a time; read each event's steps from the stack's timestamped log."""
    uploads = session.config.event_uploads
    stack = session.local_stack()
    follower = LogFollower(Path(stack.log.name))
    timings: list[EventTiming] = []
    ids: list[str] = []
    with requests.Session() as http:
        for number in range(uploads):
            key, put_done = _upload(stack, http, number)
            timings.append(_wait_for_event(stack, follower, key, put_done))
            ids.append(key)
        _check_recorded(stack, http, ids)
    started = [timing.started for timing in timings]
    p50, p95, worst = median(started), percentile(started, 95), max(started)
    late = sum(1 for delay in started if delay > TARGET_SECONDS)
    result = FigureResult(
        title="S3 event delay",
        target=f"ObjectCreatedFunction starts ≤ {TARGET_SECONDS:g} s after the PUT's response",
        measured=(
            f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {worst * 1000:.1f} ms "
            f"({uploads} uploads)"
        ),
        how=(
            f"{uploads} uploads through the local stack, one at a time: `POST /file`, then the "
            "PUT of the bytes to the presigned URL on the local S3 endpoint. The delay runs from "
            "the moment the PUT's response is back in the benchmark (`time.time()`) to the "
            f"`[{FUNCTION}] START` line of that upload's event in the stack's log, whose "
            "timestamps are the same machine's wall clock to the millisecond (truncated, so a "
            "figure can be up to 1 ms early). The log's `S3 ObjectCreated:Put <key>` line (the S3 "
            "endpoint handing the record to the event dispatch) and the function's `END` line "
            "(the record written) are given too. The next upload starts only after the END, "
            "so these are delays of an idle stack, not of a burst. Afterwards `POST /files` "
            "checks that every file is recorded as uploaded with its size and type. A negative "
            "figure means the step began before the PUT's response reached the client (the S3 "
            "endpoint dispatches the event on its own thread and does not wait for it)."
        ),
        details=[
            "| from the PUT's response to | median ms | p95 ms | max ms | min ms |",
            "|---|---|---|---|---|",
            _row(
                "the event dispatched (`S3 ObjectCreated:Put` line)",
                [t.dispatched for t in timings],
            ),
            _row(f"**{FUNCTION} START**", started),
            _row(f"{FUNCTION} END (record written)", [t.ended for t in timings]),
        ],
    )
    result.judge(
        p95 <= TARGET_SECONDS,
        f"p95 {p95:.2f} s is {p95 - TARGET_SECONDS:.2f} s over the {TARGET_SECONDS:g} s target",
    )
    if late:
        result.details.append(
            f"\n{late} of {uploads} events started more than {TARGET_SECONDS:g} s after the PUT."
        )
    return result
