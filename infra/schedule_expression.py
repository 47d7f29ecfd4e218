"""EventBridge schedule expressions: validated at synth, and how far apart their runs can be.

The dead-man alarm needs the longest gap between two runs, so `rate()` and `cron()` are parsed
here rather than handed to EventBridge unchecked. Pure: no CDK, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from thumbprint_remediator.contract.validators import is_ascii_digits

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# ASCII digits only (\d and str.isdigit also take '٣', which EventBridge refuses), matched whole.
_RATE = re.compile(r"rate\((?P<value>[0-9]+) (?P<unit>minutes?|hours?|days?)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)")
_UNIT_SECONDS = {"minute": MINUTE, "hour": HOUR, "day": DAY}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
# Four calendar years, one of them leap: every day-of-month, month and weekday combination recurs.
_SPAN_START = date(2028, 1, 1)
_SPAN_DAYS = (date(2032, 1, 1) - _SPAN_START).days


class ScheduleExpressionError(ValueError):
    """The expression is not one EventBridge accepts, or not one this stack can watch."""


@dataclass(frozen=True)
class ScheduleExpression:
    """A validated schedule and the shortest and longest time between two of its runs."""

    expression: str
    shortest_interval_seconds: int
    longest_interval_seconds: int


def parse_schedule(expression: str) -> ScheduleExpression:
    """Validate `rate(...)` or `cron(...)` (EventBridge syntax) and measure its intervals."""
    text = expression.strip()
    if rate := _RATE.fullmatch(text):
        value, unit = int(rate["value"]), rate["unit"]
        if value < 1:
            raise ScheduleExpressionError(f"{text!r}: the rate must be at least 1")
        singular = unit.rstrip("s")
        if (value == 1) != (unit == singular):
            expected = f"rate(1 {singular})" if value == 1 else f"rate({value} {singular}s)"
            raise ScheduleExpressionError(f"{text!r}: EventBridge wants {expected!r} (singular only for 1)")
        seconds = value * _UNIT_SECONDS[singular]
        return ScheduleExpression(text, seconds, seconds)
    if cron := _CRON.fullmatch(text):
        shortest, longest = _cron_intervals(text, cron["fields"].split())
        return ScheduleExpression(text, shortest, longest)
    raise ScheduleExpressionError(
        f"{text!r} is not a schedule expression: use rate(<n> <minute(s)|hour(s)|day(s)>) "
        "or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"
    )


def _cron_intervals(text: str, fields: list[str]) -> tuple[int, int]:  # noqa: C901 - one rule per cron field, as EventBridge defines them
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{text!r}: a cron expression has 6 fields, got {len(fields)}")
    minutes_field, hours_field, day_of_month, month_field, day_of_week, year_field = fields
    # W only in day-of-month: day-of-week names include WED.
    if any(marker in day_of_month.upper() for marker in "LW#") or any(m in day_of_week.upper() for m in "L#"):
        raise ScheduleExpressionError(
            f"{text!r}: L, W and # run at most weekly; the dead-man alarm needs a sweep every 3.5 days or more often"
        )
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleExpressionError(f"{text!r}: exactly one of day-of-month and day-of-week must be '?'")
    if year_field != "*":
        raise ScheduleExpressionError(f"{text!r}: the year must be '*' (a schedule that ends would trip the alarm)")
    minutes = _field(text, "minutes", minutes_field, 0, 59)
    hours = _field(text, "hours", hours_field, 0, 23)
    months = _field(text, "month", month_field, 1, 12, _MONTHS)
    days_of_month = None if day_of_month == "?" else _field(text, "day-of-month", day_of_month, 1, 31)
    days_of_week = None if day_of_week == "?" else _field(text, "day-of-week", day_of_week, 1, 7, _WEEKDAYS)

    times = sorted(hour * 60 + minute for hour in hours for minute in minutes)  # minutes after midnight
    gaps = [later - earlier for earlier, later in pairwise(times)]
    previous_day: int | None = None
    for offset in range(_SPAN_DAYS):
        day = _SPAN_START + timedelta(days=offset)
        aws_weekday = (day.weekday() + 1) % 7 + 1  # EventBridge counts SUN=1 .. SAT=7
        if day.month not in months:
            continue
        if days_of_month is not None and day.day not in days_of_month:
            continue
        if days_of_week is not None and aws_weekday not in days_of_week:
            continue
        if previous_day is not None:
            gaps.append((offset - previous_day) * 24 * 60 + times[0] - times[-1])
        previous_day = offset
    if previous_day is None:
        raise ScheduleExpressionError(f"{text!r} never fires")
    if not gaps:
        raise ScheduleExpressionError(f"{text!r} fires only once")
    return min(gaps) * MINUTE, max(gaps) * MINUTE


def _field(text: str, name: str, field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number(text, name, step_text, 1, high) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(text, name, first, low, high, names), _value(text, name, last, low, high, names)
            if start > end:
                raise ScheduleExpressionError(f"{text!r}: {name} range {base!r} runs backwards")
        else:
            start = _value(text, name, base, low, high, names)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, name: str, token: str, low: int, high: int, names: dict[str, int] | None) -> int:
    if names and token.upper() in names:
        return names[token.upper()]
    return _number(text, name, token, low, high)


def _number(text: str, name: str, token: str, low: int, high: int) -> int:
    if not is_ascii_digits(token) or not low <= int(token) <= high:
        raise ScheduleExpressionError(f"{text!r}: {name} value {token!r} is not a number from {low} to {high}")
    return int(token)
