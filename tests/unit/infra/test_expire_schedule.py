"""template.yaml's ExpireSchedule parameter takes exactly the expressions EventBridge takes."""

from __future__ import annotations

import re

import pytest

from local_stack.cloudformation.exceptions import TemplateError
from local_stack.cloudformation.loader import load_stack
from tests.unit.infra.support import TEMPLATE_PATH, load_template

ACCEPTED = [
    "rate(1 minute)",
    "rate(1 hour)",
    "rate(1 day)",
    "rate(2 minutes)",
    "rate(30 minutes)",
    "rate(12 hours)",
    "rate(7 days)",
    "rate(100 minutes)",
    "cron(0 12 * * ? *)",
    "cron(0/15 8-17 ? * MON-FRI *)",
    "cron(0 3 1,15 * ? 2026)",
]
REFUSED = [
    "rate(1 minutes)",
    "rate(1 hours)",
    "rate(1 days)",
    "rate(5 minute)",
    "rate(0 minutes)",
    "rate(02 minutes)",
    "rate(-5 minutes)",
    "rate(5 seconds)",
    "rate(5 weeks)",
    "rate(5  minutes)",
    "rate(5 minutes) ",
    " rate(5 minutes)",
    "rate(minutes)",
    "Rate(5 minutes)",
    "every 5 minutes",
    "",
    "cron(0 12 * * ?)",
    "cron(0 12 * * ? * *)",
    "cron(0 12 * * ? *))",
    "cron()",
    "cron(0 12 * * ? *) rate(1 day)",
]


def _allowed_pattern() -> str:
    return str(load_template()["Parameters"]["ExpireSchedule"]["AllowedPattern"])


@pytest.mark.parametrize("expression", ACCEPTED)
def test_eventbridge_expressions_match_the_allowed_pattern(expression: str) -> None:
    # CloudFormation matches AllowedPattern against the whole value.
    assert re.fullmatch(_allowed_pattern(), expression), expression


@pytest.mark.parametrize("expression", REFUSED)
def test_expressions_eventbridge_refuses_do_not_match(expression: str) -> None:
    assert re.fullmatch(_allowed_pattern(), expression) is None, expression


def test_the_default_matches_and_the_constraint_description_names_the_forms() -> None:
    parameter = load_template()["Parameters"]["ExpireSchedule"]
    assert re.fullmatch(_allowed_pattern(), parameter["Default"])
    description = parameter["ConstraintDescription"]
    assert "rate(1 minute|hour|day)" in description
    assert "rate(N minutes|hours|days)" in description
    assert "cron(" in description


def test_the_local_stack_refuses_a_plural_unit_for_one_with_the_constraint() -> None:
    with pytest.raises(TemplateError, match=r"ExpireSchedule='rate\(1 minutes\)': must be rate"):
        load_stack(TEMPLATE_PATH, {"ExpireSchedule": "rate(1 minutes)"})
    model = load_stack(TEMPLATE_PATH, {"ExpireSchedule": "rate(1 minute)"})
    assert "ExpireFilesFunction" in model.functions
