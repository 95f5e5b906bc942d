"""Schedule events: EventBridge ``rate(...)`` and ``cron(...)`` rules that invoke their functions.

Like an EventBridge rule, a rate schedule first fires one interval after it is created. The
local-only ``FILESTORE_SCHEDULE_SPEEDUP`` factor divides rate intervals (never cron times) so a
test can watch ``rate(1 minute)`` fire every second.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local_stack.account import ACCOUNT_ID, REGION, STACK_NAME
from local_stack.cloudformation.models import FunctionModel

log = logging.getLogger("local_stack.eventbridge.scheduler")

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^)]*)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ScheduleError(ValueError):
    """A schedule expression EventBridge (or this local scheduler) does not accept."""


@dataclass(frozen=True)
class RateSchedule:
    """``rate(N unit)``: every ``seconds`` seconds, first one interval after creation."""

    seconds: float

    def next_after(self, moment: datetime, speedup: float = 1.0) -> datetime:
        return moment + timedelta(seconds=self.seconds / speedup)


@dataclass(frozen=True)
class CronSchedule:
    """``cron(minutes hours day-of-month month day-of-week year)``, in UTC, as EventBridge reads."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: '?' (day-of-week decides)
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = Sunday ... 7 = Saturday; None: '?'
    years: frozenset[int] | None  # None: every year

    def next_after(self, moment: datetime, speedup: float = 1.0) -> datetime:
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * 8):
            if self._day_matches(day.year, day.month, day.day):
                first_minute = (
                    start.hour * 60 + start.minute if day == start.date() else 0
                )  # on the first day only times after ``moment`` count
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        if hour * 60 + minute >= first_minute:
                            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            day += timedelta(days=1)
        raise ScheduleError("this cron expression never fires in the next eight years")

    def _day_matches(self, year: int, month: int, day: int) -> bool:
        if self.years is not None and year not in self.years:
            return False
        if month not in self.months:
            return False
        if self.days_of_month is not None and day not in self.days_of_month:
            return False
        weekday = (datetime(year, month, day).weekday() + 1) % 7 + 1  # Monday=0 -> 2
        return self.days_of_week is None or weekday in self.days_of_week


Schedule = RateSchedule | CronSchedule


def parse_schedule(expression: str) -> Schedule:
    """Parse an EventBridge schedule expression; raise ``ScheduleError`` with the reason."""
    text = expression.strip()
    rate = _RATE.fullmatch(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleError(f"{expression}: the rate must be a positive number")
        # EventBridge: the singular unit for 1, the plural for anything else.
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"{expression}: use the unit in the singular for 1, plural above 1")
        return RateSchedule(value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.fullmatch(text)
    if cron:
        return _parse_cron(expression, cron.group(1).split())
    raise ScheduleError(f"{expression}: expected rate(N unit) or cron(6 fields)")


def _parse_cron(expression: str, fields: list[str]) -> CronSchedule:
    if len(fields) != 6:
        raise ScheduleError(f"{expression}: cron needs 6 fields, got {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleError(f"{expression}: exactly one of day-of-month and day-of-week is '?'")
    return CronSchedule(
        minutes=_field(expression, minutes, 0, 59),
        hours=_field(expression, hours, 0, 23),
        days_of_month=None if day_of_month == "?" else _field(expression, day_of_month, 1, 31),
        months=_field(expression, month, 1, 12, _MONTHS),
        days_of_week=None
        if day_of_week == "?"
        else _field(expression, day_of_week, 1, 7, _WEEKDAYS),
        years=None if year == "*" else _field(expression, year, 1970, 2199),
    )


def _field(
    expression: str, text: str, low: int, high: int, names: Mapping[str, int] | None = None
) -> frozenset[int]:
    bare = re.sub("|".join(names), "", text.upper()) if names else text
    if any(marker in bare for marker in ("L", "W", "#")):
        raise ScheduleError(f"{expression}: L, W and # are not supported by the local scheduler")
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = _number(expression, step_text, names=None) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first_text, last_text = span.split("-", 1)
            first, last = (
                _number(expression, first_text, names),
                _number(expression, last_text, names),
            )
        else:
            first = _number(expression, span, names)
            last = high if step_text else first
        if not low <= first <= high or not low <= last <= high or step < 1:
            raise ScheduleError(f"{expression}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(expression: str, text: str, names: Mapping[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError(f"{expression}: {text!r} is not a number")
    return int(text)


def scheduled_event(rule_name: str, moment: datetime) -> dict[str, Any]:
    """The event EventBridge sends for a scheduled rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


@dataclass
class ScheduledRule:
    """One enabled Schedule event of one function, with the time it fires next."""

    rule_name: str
    function_name: str
    expression: str
    schedule: Schedule
    input: str | None
    next_fire: datetime
    fired: int = field(default=0)

    def event(self, moment: datetime) -> Any:
        if self.input is not None:
            return json.loads(self.input)  # a rule's constant Input replaces the event
        return scheduled_event(self.rule_name, moment)


def build_rules(
    functions: Mapping[str, FunctionModel], now: datetime, speedup: float = 1.0
) -> list[ScheduledRule]:
    """The enabled schedule rules of the (condition-selected) functions."""
    rules = []
    for function in functions.values():
        for source in function.schedule_events:
            if not source.enabled:
                continue
            schedule = parse_schedule(source.expression)
            rules.append(
                ScheduledRule(
                    rule_name=f"{STACK_NAME}-{function.logical_id}{source.name}",
                    function_name=function.logical_id,
                    expression=source.expression,
                    schedule=schedule,
                    input=source.input,
                    next_fire=schedule.next_after(now, speedup),
                )
            )
    return rules


class Scheduler:
    """Fires each rule's event at its times through ``fire(function_name, event)``."""

    def __init__(
        self,
        rules: list[ScheduledRule],
        fire: Callable[[str, Any], object],
        speedup: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.rules = rules
        self._fire = fire
        self._speedup = speedup
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> list[ScheduledRule]:
        """Fire every rule whose time has come; returns the rules that fired."""
        now = self._clock()
        fired = []
        for rule in self.rules:
            if rule.next_fire <= now:
                log.info(
                    "[%s] schedule %s (%s) fired",
                    rule.function_name,
                    rule.rule_name,
                    rule.expression,
                )
                self._fire(rule.function_name, rule.event(rule.next_fire))
                rule.fired += 1
                # Keep the rule's cadence; runs missed while the machine slept are skipped.
                upcoming = rule.schedule.next_after(rule.next_fire, self._speedup)
                while upcoming <= now:
                    upcoming = rule.schedule.next_after(upcoming, self._speedup)
                rule.next_fire = upcoming
                fired.append(rule)
        return fired

    def seconds_to_next(self) -> float:
        if not self.rules:
            return 3600.0
        soonest = min(rule.next_fire for rule in self.rules)
        return max(0.0, (soonest - self._clock()).total_seconds())

    def start(self) -> None:
        for rule in self.rules:
            log.info(
                "[%s] schedule %s: %s, next at %s",
                rule.function_name,
                rule.rule_name,
                rule.expression,
                rule.next_fire.isoformat(timespec="seconds"),
            )
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(min(self.seconds_to_next(), 1.0)):
            try:
                self.run_due()
            except Exception:
                log.exception("scheduler: a rule failed to fire")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
