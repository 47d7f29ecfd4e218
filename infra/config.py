"""The stack's settings, read once from CDK context and validated at synth with errors naming the key.

Values come as strings from `-c key=value` and as JSON values from cdk.json; both are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from infra.contract import PROJECT_ROOT
from infra.schedule_expression import DAY, HOUR, MINUTE, ScheduleExpression, ScheduleExpressionError, parse_schedule
from thumbprint_remediator.contract import validators
from thumbprint_remediator.contract.deadlines import DEFAULT_HOST_BUDGET_SECONDS, minimum_timeout_seconds
from thumbprint_remediator.contract.settings import (
    ALERT_EMAILS,
    ARCHITECTURE,
    DRY_RUN,
    EXPIRY_WARNING_DAYS,
    EXTRA_CA_BUNDLE,
    HISTORY,
    MEMORY_SIZE,
    NOTIFY_ON,
    POSTURE,
    SCHEDULE,
    TIMEOUT,
    Setting,
)
from thumbprint_remediator.contract.validators import is_ascii_digits

# The type of the architectures the table of settings allows (tests/infra/test_configuration_doc.py holds them equal).
Architecture = Literal["arm64", "x86_64"]
ARCHITECTURES: Final[tuple[Architecture, ...]] = get_args(Architecture)
DEFAULT_ARCHITECTURE: Final[Architecture] = next(each for each in ARCHITECTURES if each == ARCHITECTURE.default)

# Defaults and bounds are the table of settings' (contract/settings.py); these name the ones infra reuses.
DEFAULT_SCHEDULE: Final = parse_schedule(SCHEDULE.default)
# Below this a sweep could list the providers but probe none: derived from the AWS clients' bounds, the host
# budget and the reserves the function keeps (minimum_timeout_seconds).
MIN_TIMEOUT_SECONDS: Final = int(TIMEOUT.bounds[0])
# With the history table each provider also reads and writes its record, so the floor is higher.
MIN_TIMEOUT_SECONDS_WITH_HISTORY: Final = minimum_timeout_seconds(DEFAULT_HOST_BUDGET_SECONDS, history=True)
MAX_TIMEOUT_SECONDS: Final = int(TIMEOUT.bounds[1])
# The dead-man alarm watches two schedule periods; CloudWatch caps an alarm's range at 7 days.
MAX_SCHEDULE_INTERVAL_SECONDS: Final = 7 * DAY // 2

# ASCII only, used with fullmatch: no trailing newline, no control or non-ASCII character.
_EMAIL_PART = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_EMAIL = re.compile(rf"{_EMAIL_PART}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z0-9-]+")


class ConfigError(ValueError):
    """A context value is missing its expected form; the message names the key and what is allowed."""


@dataclass(frozen=True)
class StackConfig:
    """Everything the stack can be told through `-c key=value` or cdk.json."""

    alert_emails: tuple[str, ...] = ALERT_EMAILS.default
    schedule: ScheduleExpression = DEFAULT_SCHEDULE
    dry_run: bool = DRY_RUN.stack_default
    expiry_warning_days: int = EXPIRY_WARNING_DAYS.stack_default
    # With the history table, `changes` mails what changed and reminders of standing problems, not the same
    # news every day; without it `changes` behaves as `problems`.
    notify_on: str = NOTIFY_ON.stack_default
    extra_ca_bundle: Path | None = None
    architecture: Architecture = DEFAULT_ARCHITECTURE
    memory_size: int = MEMORY_SIZE.stack_default
    timeout_seconds: int = TIMEOUT.stack_default
    # The history table (infra/history.py): on unless `-c history=false`, which leaves the function stateless.
    history: bool = HISTORY.stack_default
    # Who can use each provider (one iam:ListRoles pass per sweep): on unless `-c posture=false`.
    posture: bool = POSTURE.stack_default

    @classmethod
    def from_context(cls, get: Callable[[str], Any], base_dir: Path = PROJECT_ROOT) -> StackConfig:
        """Read every key with `get` (e.g. `app.node.try_get_context`); relative paths start at base_dir."""
        config = cls(
            alert_emails=_emails(get(ALERT_EMAILS.key)),
            schedule=_schedule(get(SCHEDULE.key), DEFAULT_SCHEDULE),
            dry_run=context_boolean(DRY_RUN, get),
            expiry_warning_days=_integer(EXPIRY_WARNING_DAYS, get),
            notify_on=_choice(NOTIFY_ON, get),
            extra_ca_bundle=_pem_bundle(get(EXTRA_CA_BUNDLE.key), base_dir),
            architecture=_architecture(get(ARCHITECTURE.key)),
            memory_size=_integer(MEMORY_SIZE, get),
            timeout_seconds=_integer(TIMEOUT, get),
            history=context_boolean(HISTORY, get),
            posture=context_boolean(POSTURE, get),
        )
        if config.history and config.timeout_seconds < MIN_TIMEOUT_SECONDS_WITH_HISTORY:
            raise ConfigError(
                f"timeout: expected a whole number from {MIN_TIMEOUT_SECONDS_WITH_HISTORY} to {MAX_TIMEOUT_SECONDS} "
                f"with the history table (each provider also reads and writes its record), got "
                f"{config.timeout_seconds}; raise it, or deploy with -c history=false"
            )
        if config.schedule.shortest_interval_seconds < config.timeout_seconds:
            raise ConfigError(
                f"schedule: {config.schedule.expression!r} can start a sweep every "
                f"{config.schedule.shortest_interval_seconds} s, within the timeout of {config.timeout_seconds} s, "
                "so sweeps would overlap; lengthen the schedule or shorten the timeout"
            )
        return config

    @property
    def max_event_age_seconds(self) -> int:
        """How late a sweep may still start: not past the next scheduled one, and within the hour."""
        return max(MINUTE, min(self.schedule.shortest_interval_seconds, HOUR))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip()


def _emails(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    emails = tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    for email in emails:
        if not _EMAIL.fullmatch(email):
            raise ConfigError(f"alertEmails: {email!r} is not an e-mail address (give a comma-separated list)")
    return emails


def _schedule(value: Any, default: ScheduleExpression) -> ScheduleExpression:
    text = _text(value)
    if not text:
        return default
    try:
        schedule = parse_schedule(text)
    except ScheduleExpressionError as error:
        raise ConfigError(f"schedule: {error}") from error
    if schedule.longest_interval_seconds > MAX_SCHEDULE_INTERVAL_SECONDS:
        raise ConfigError(
            f"schedule: {text!r} can leave {schedule.longest_interval_seconds / HOUR:g} hours between sweeps; "
            f"the dead-man alarm needs a sweep at least every {MAX_SCHEDULE_INTERVAL_SECONDS // HOUR} hours"
        )
    return schedule


def parse_boolean(key: str, value: Any, default: bool) -> bool:
    """A context value as true or false (`default` when absent, a JSON boolean as itself, a string by the contract's
    one set of spellings, which the function's environment is read with too); ConfigError naming `key` otherwise."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    try:
        return validators.parse_boolean(str(value))
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None


def context_boolean(setting: Setting[bool], get: Callable[[str], Any]) -> bool:
    """A switch of the table of settings, read from the context by its key (parse_boolean's rules)."""
    return parse_boolean(setting.key, get(setting.key), setting.stack_default)


def _integer(setting: Setting[int], get: Callable[[str], Any]) -> int:
    key, value, default = setting.key, get(setting.key), setting.stack_default
    low, high = (int(bound) for bound in setting.bounds)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool) or not is_ascii_digits(str(value).strip()):
        raise ConfigError(f"{key}: expected a whole number from {low} to {high}, got {value!r}")
    number = int(str(value).strip())
    if not low <= number <= high:
        raise ConfigError(f"{key}: expected a whole number from {low} to {high}, got {number}")
    return number


def _choice(setting: Setting[str], get: Callable[[str], Any]) -> str:
    text = _text(get(setting.key))
    if not text:
        return setting.stack_default
    if text not in setting.choices:
        raise ConfigError(f"{setting.key}: expected one of {', '.join(setting.choices)}, got {text!r}")
    return text


def _architecture(value: Any) -> Architecture:
    text = _text(value) or ARCHITECTURE.stack_default
    for architecture in ARCHITECTURES:
        if text == architecture:
            return architecture
    raise ConfigError(f"{ARCHITECTURE.key}: expected one of {', '.join(ARCHITECTURES)}, got {text!r}")


def _pem_bundle(value: Any, base_dir: Path) -> Path | None:
    text = _text(value)
    if not text:
        return None
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if not path.is_file():
        raise ConfigError(f"extraCaBundle: {text!r} is not a file (resolved to {path})")
    if b"-----BEGIN CERTIFICATE-----" not in path.read_bytes():
        raise ConfigError(f"extraCaBundle: {text!r} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return path.resolve()
