"""Schedule expressions: EventBridge syntax, and the shortest and longest gap between two runs."""

from __future__ import annotations

import re

import pytest

from infra.schedule_expression import DAY, HOUR, MINUTE, ScheduleExpressionError, parse_schedule


@pytest.mark.parametrize(
    ("expression", "shortest", "longest"),
    [
        ("rate(1 day)", DAY, DAY),
        ("rate(1 minute)", MINUTE, MINUTE),
        ("rate(5 minutes)", 5 * MINUTE, 5 * MINUTE),
        ("rate(12 hours)", 12 * HOUR, 12 * HOUR),
        ("cron(0 6 * * ? *)", DAY, DAY),
        ("cron(0/15 * * * ? *)", 15 * MINUTE, 15 * MINUTE),
        ("cron(0 6,18 * * ? *)", 12 * HOUR, 12 * HOUR),
        ("cron(30 7 ? * MON-FRI *)", DAY, 3 * DAY),  # Friday to Monday
        ("cron(0 0 ? * SUN,WED *)", 3 * DAY, 4 * DAY),
        ("cron(0 9 1,15 * ? *)", 14 * DAY, 17 * DAY),  # the 15th to the 1st: 14 to 17 days
        ("cron(0 12 * JAN-JUN ? *)", DAY, 185 * DAY),
    ],
)
def test_intervals_are_measured(expression: str, shortest: int, longest: int) -> None:
    schedule = parse_schedule(expression)

    assert (schedule.shortest_interval_seconds, schedule.longest_interval_seconds) == (shortest, longest)
    assert schedule.expression == expression


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("daily", "not a schedule expression"),
        ("rate(1 days)", "rate(1 day)"),
        ("rate(2 hour)", "rate(2 hours)"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(1 week)", "not a schedule expression"),
        ("cron(0 6 * * ?)", "6 fields"),
        ("cron(0 6 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 6 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 6 L * ? *)", "L, W and #"),
        ("cron(0 6 ? * MON#1 *)", "L, W and #"),
        ("cron(0 6 * * ? 2030)", "year must be '*'"),
        ("cron(60 6 * * ? *)", "minutes value '60'"),
        ("cron(0 6 ? * FRI-MON *)", "runs backwards"),
        ("cron(0 6 31 2 ? *)", "never fires"),
    ],
)
def test_invalid_expressions_are_rejected_with_the_reason(expression: str, message: str) -> None:
    with pytest.raises(ScheduleExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(\u0663 hours)", "not a schedule expression"),  # Arabic-Indic 3: int() takes it, EventBridge does not
        ("rate(\uff11\uff12 hours)", "not a schedule expression"),  # fullwidth 12
        ("rate(1\u0660 minutes)", "not a schedule expression"),
        ("cron(0 \u0666 * * ? *)", "hours value '\u0666'"),
        ("cron(\u0663\u0660 6 * * ? *)", "minutes value '\u0663\u0660'"),
        ("cron(0/\u0661\u0665 * * * ? *)", "minutes value '\u0661\u0665'"),
        ("cron(0 6 \u00b9 * ? *)", "day-of-month value '\u00b9'"),  # superscript one: isdigit() is true
        ("cron(0 6 ? \u0661-\u0666 MON *)", "month value '\u0661'"),
    ],
)
def test_only_ascii_digits_count(expression: str, message: str) -> None:
    with pytest.raises(ScheduleExpressionError, match=re.escape(message)):
        parse_schedule(expression)


def test_the_same_schedules_in_ascii_digits_are_taken() -> None:
    assert parse_schedule("rate(3 hours)").longest_interval_seconds == 3 * HOUR
    assert parse_schedule("cron(30 6 * * ? *)").shortest_interval_seconds == DAY
