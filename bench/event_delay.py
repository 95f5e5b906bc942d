"""S3 event delay: a PUT's response to ObjectCreatedFunction's START in the local stack's log."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from bench.local_client import LOG_TAIL_CHARS, checked, create_file, put_presigned
from bench.session import Session
from local_stack.testing.launcher import RunningStack

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


@dataclass(frozen=True)
class EventDelay:
    """The steps of each upload's ObjectCreated event, timed from its PUT's response."""

    timings: list[EventTiming]


def _upload(stack: RunningStack, http: requests.Session, number: int) -> tuple[str, float]:
    """POST /file and the PUT of the bytes; the file id and the epoch time of the PUT's answer."""
    answer = create_file(http, stack, f"event-delay-{number}.txt", len(CONTENT), CONTENT_TYPE)
    return str(answer["id"]), put_presigned(answer["url"], CONTENT, answer["headers"]).answered_at


def _wait_for_event(stack: RunningStack, first_line: int, key: str, put_done: float) -> EventTiming:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        parsed = (parse_log_line(text, put_done) for text in stack.log_lines(first_line))
        timing = event_timing([line for line in parsed if line is not None], key, put_done)
        if timing is not None:
            return timing
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"no {FUNCTION} START/END for {key} within {WAIT_SECONDS:.0f} s of its PUT:\n"
                f"{stack.log_text()[-LOG_TAIL_CHARS:]}"
            )
        time.sleep(POLL_SECONDS)


def _check_recorded(stack: RunningStack, http: requests.Session, ids: Sequence[str]) -> None:
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
        files = {item["id"]: item for item in checked(answer, stack).json()}
        for file_id in batch:
            item = files.get(file_id)
            if (
                item is None
                or item.get("status") != "uploaded"
                or item.get("size") != len(CONTENT)
                or item.get("type") != CONTENT_TYPE
            ):
                raise RuntimeError(f"{file_id} not recorded as uploaded after its event: {item}")


def measure(session: Session) -> EventDelay:
    """Upload one file at a time; read each event's steps from the stack's timestamped log."""
    stack = session.local_stack()
    timings: list[EventTiming] = []
    ids: list[str] = []
    with requests.Session() as http:
        for number in range(session.config.event_uploads):
            first_line = len(stack.log_lines())
            key, put_done = _upload(stack, http, number)
            timings.append(_wait_for_event(stack, first_line, key, put_done))
            ids.append(key)
        _check_recorded(stack, http, ids)
    return EventDelay(timings)
