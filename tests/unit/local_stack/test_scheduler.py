"""Schedule expressions, the EventBridge scheduled event and the scheduler's firing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local_stack.cloudformation.models import FunctionModel, ScheduleEventSource
from local_stack.eventbridge.scheduler import (
    CronSchedule,
    RateSchedule,
    ScheduleError,
    Scheduler,
    build_rules,
    parse_schedule,
    scheduled_event,
)
from tests.helpers.functions import function_model

START = datetime(2026, 3, 2, 10, 30, 15, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(30 minutes)", 1800),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(7 days)", 604800),
    ],
)
def test_rate_expressions_give_their_interval(expression: str, seconds: int) -> None:
    assert parse_schedule(expression) == RateSchedule(seconds)


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 seconds)", "every 5 min"],
)
def test_expressions_eventbridge_refuses_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


def test_a_rate_first_fires_one_interval_after_creation_and_speedup_divides_it() -> None:
    schedule = parse_schedule("rate(1 minute)")
    assert schedule.next_after(START) == START + timedelta(minutes=1)
    assert schedule.next_after(START, speedup=60) == START + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 12 * * ? *)", datetime(2026, 3, 2, 12, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2026, 3, 2, 10, 45, tzinfo=UTC)),
        ("cron(15 10 ? * MON-FRI *)", datetime(2026, 3, 3, 10, 15, tzinfo=UTC)),
        ("cron(0 8 1 * ? *)", datetime(2026, 4, 1, 8, 0, tzinfo=UTC)),
        ("cron(0 0 ? * 1 *)", datetime(2026, 3, 8, 0, 0, tzinfo=UTC)),  # 1 = Sunday
        ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_cron_expressions_fire_at_their_next_matching_minute(
    expression: str, expected: datetime
) -> None:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, CronSchedule)
    assert schedule.next_after(START) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 12 * * * *)",  # both day fields set
        "cron(0 12 ? * ? *)",  # neither set
        "cron(0 12 * *)",
        "cron(61 12 * * ? *)",
        "cron(0 12 L * ? *)",
        "cron(0 12 ? * 2#1 *)",
    ],
)
def test_bad_or_unsupported_cron_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


def test_the_event_is_an_eventbridge_scheduled_event() -> None:
    event = scheduled_event("filestore-local-ExpireFilesFunctionExpire", START)
    # Literal region, account and ARN on purpose: an independent check of local_stack.account
    # and of the builder the tests' schedule_event reuses.
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-03-02T10:30:15Z"
    assert event["region"] == "us-east-1"
    assert event["detail"] == {}
    assert event["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/filestore-local-ExpireFilesFunctionExpire"
    ]


def _function(*sources: ScheduleEventSource) -> FunctionModel:
    return function_model(
        "ExpireFilesFunction",
        "handlers.expire_files.handler",
        timeout=300,
        memory_size=256,
        schedule_events=sources,
    )


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_the_scheduler_fires_each_rule_at_its_rate_and_not_before() -> None:
    clock = Clock()
    fired: list[tuple[str, Any]] = []
    functions = {"ExpireFilesFunction": _function(ScheduleEventSource("Expire", "rate(1 minute)"))}
    scheduler = Scheduler(
        build_rules(functions, clock.now),
        fire=lambda name, event: fired.append((name, event)),
        clock=clock,
    )
    clock.now = START + timedelta(seconds=59)
    assert scheduler.run_due() == []
    clock.now = START + timedelta(seconds=60)
    assert len(scheduler.run_due()) == 1
    clock.now = START + timedelta(seconds=150)
    scheduler.run_due()
    clock.now = START + timedelta(seconds=180)
    scheduler.run_due()
    assert [name for name, _ in fired] == ["ExpireFilesFunction"] * 3
    assert [event["time"] for _, event in fired] == [
        "2026-03-02T10:31:15Z",
        "2026-03-02T10:32:15Z",
        "2026-03-02T10:33:15Z",
    ]


def test_a_late_scheduler_fires_once_not_a_burst_of_missed_runs() -> None:
    clock = Clock()
    fired: list[str] = []
    functions = {"ExpireFilesFunction": _function(ScheduleEventSource("Expire", "rate(1 minute)"))}
    scheduler = Scheduler(
        build_rules(functions, clock.now), lambda n, e: fired.append(n), clock=clock
    )
    clock.now = START + timedelta(minutes=10)
    scheduler.run_due()
    scheduler.run_due()
    assert len(fired) == 1


def test_speedup_makes_a_minute_rate_fire_every_second() -> None:
    clock = Clock()
    fired: list[str] = []
    functions = {"ExpireFilesFunction": _function(ScheduleEventSource("Expire", "rate(1 minute)"))}
    rules = build_rules(functions, clock.now, speedup=60)
    scheduler = Scheduler(rules, lambda n, e: fired.append(n), speedup=60, clock=clock)
    for second in range(1, 4):
        clock.now = START + timedelta(seconds=second)
        scheduler.run_due()
    assert len(fired) == 3


def test_disabled_rules_never_fire_and_input_replaces_the_event() -> None:
    functions = {
        "ExpireFilesFunction": _function(
            ScheduleEventSource("Off", "rate(1 minute)", enabled=False),
            ScheduleEventSource("WithInput", "rate(1 minute)", input='{"dryRun": true}'),
        )
    }
    (rule,) = build_rules(functions, START)
    assert rule.rule_name.endswith("ExpireFilesFunctionWithInput")
    assert rule.event(START) == {"dryRun": True}


def test_a_bad_expression_in_the_template_stops_the_start() -> None:
    functions = {"ExpireFilesFunction": _function(ScheduleEventSource("Bad", "rate(5 minute)"))}
    with pytest.raises(ScheduleError):
        build_rules(functions, START)
