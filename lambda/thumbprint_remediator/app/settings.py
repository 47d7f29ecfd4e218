"""Typed settings, read once from the environment. Nothing else reads os.environ."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from thumbprint_remediator.contract.deadlines import DEFAULT_HOST_BUDGET_SECONDS, minimum_timeout_seconds
from thumbprint_remediator.contract.names import (
    ENV_CONNECT_TIMEOUT,
    ENV_DASHBOARD_NAME,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_FINDING_EVENTS,
    ENV_FUNCTION_ROLE_ARN,
    ENV_HISTORY_TABLE,
    ENV_HOST_BUDGET,
    ENV_LOG_GROUP_NAME,
    ENV_MAX_WORKERS,
    ENV_NOTIFY_ON,
    ENV_PRUNE_AFTER_DAYS,
    ENV_READ_TIMEOUT,
    ENV_REMEMBER_CHAINS_DAYS,
    ENV_SAMPLE_ADDRESSES,
    ENV_SAMPLES_PER_ADDRESS,
    ENV_SECURITY_HUB,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
    NOTIFY_CHOICES,
)
from thumbprint_remediator.contract.validators import BOOLEAN_FALSE, BOOLEAN_TRUE, parse_boolean
from thumbprint_remediator.domain.errors import SettingsError

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# CloudFormation's stack names, CloudWatch's dashboard names and CloudWatch Logs' log group names.
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_LOG_GROUP_NAME = re.compile(r"[A-Za-z0-9_./#-]{1,512}")


@dataclass(frozen=True)
class Settings:
    """How a sweep behaves. Built by `from_env` in the Lambda and the workstation CLI, directly by tests."""

    topic_arn: str | None = None
    dry_run: bool = False
    expiry_warning_days: int = 30
    extra_ca_bundle: str | None = None
    notify_on: str = "changes"  # without a history table the same as "problems" (docs/alerts.md "Notifications")
    connect_timeout: float = 5.0
    read_timeout: float = 5.0
    host_budget: float = DEFAULT_HOST_BUDGET_SECONDS
    # Providers probed at once. Past 64 a sweep is CPU-bound (docs/benchmark); 64 is also the IAM client's pool.
    max_workers: int = 64
    # Channels: events on the default bus (the stack sets FINDING_EVENTS=true by default), Security Hub findings.
    finding_events: bool = False
    security_hub: bool = False
    function_role_arn: str | None = None  # the tool's own role: its CloudTrail changes start no check

    @property
    def minimum_timeout_seconds(self) -> int:
        """The shortest function timeout in which these settings still probe a provider (contract/deadlines.py)."""
        return minimum_timeout_seconds(self.host_budget, history=self.history_table is not None)

    # Per endpoint and sweep: up to this many of its addresses are captured, each with this many
    # extra handshakes on fresh connections (load balancers behind one address). See docs/how-it-decides.md.
    sample_addresses: int = 4
    samples_per_address: int = 1
    # History (issue 14): the DynamoDB table's name (None: stateless), the pruning and remembering windows.
    history_table: str | None = None
    prune_after_days: int = 90
    remember_chains_days: int = 30
    # Where the alert sends its reader (None: not deployed by the stack, e.g. a workstation run).
    stack_name: str | None = None
    dashboard_name: str | None = None
    log_group_name: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, topic_required: bool = True) -> Settings:
        """Read and validate every setting; raise SettingsError naming the offending variable.

        The function always has a topic; the workstation CLI (topic_required=False) publishes only when given one.
        """
        env = os.environ if environ is None else environ
        topic_arn = env.get(ENV_TOPIC_ARN, "").strip()
        if (topic_arn or topic_required) and (not topic_arn.startswith("arn:") or ":sns:" not in topic_arn):
            raise SettingsError(f"{ENV_TOPIC_ARN} must be the ARN of the alerts SNS topic, got {topic_arn!r}")
        defaults = cls()
        settings = cls(
            topic_arn=topic_arn or None,
            dry_run=_boolean(env, ENV_DRY_RUN, defaults.dry_run),
            expiry_warning_days=int(_number(env, ENV_EXPIRY_WARNING_DAYS, defaults.expiry_warning_days, 0, 3650, True)),
            extra_ca_bundle=env.get(ENV_EXTRA_CA_BUNDLE, "").strip() or None,
            notify_on=_choice(env, ENV_NOTIFY_ON, defaults.notify_on, NOTIFY_CHOICES),
            connect_timeout=_number(env, ENV_CONNECT_TIMEOUT, defaults.connect_timeout, 0.1, 60),
            read_timeout=_number(env, ENV_READ_TIMEOUT, defaults.read_timeout, 0.1, 60),
            host_budget=_number(env, ENV_HOST_BUDGET, defaults.host_budget, 0.5, 300),
            max_workers=int(_number(env, ENV_MAX_WORKERS, defaults.max_workers, 1, 256, True)),
            finding_events=_boolean(env, ENV_FINDING_EVENTS, defaults.finding_events),
            security_hub=_boolean(env, ENV_SECURITY_HUB, defaults.security_hub),
            function_role_arn=_role_arn(env, ENV_FUNCTION_ROLE_ARN),
            sample_addresses=int(_number(env, ENV_SAMPLE_ADDRESSES, defaults.sample_addresses, 1, 16, True)),
            samples_per_address=int(_number(env, ENV_SAMPLES_PER_ADDRESS, defaults.samples_per_address, 0, 4, True)),
            history_table=_table_name(env, ENV_HISTORY_TABLE),
            prune_after_days=int(_number(env, ENV_PRUNE_AFTER_DAYS, defaults.prune_after_days, 1, 3650, True)),
            remember_chains_days=int(
                _number(env, ENV_REMEMBER_CHAINS_DAYS, defaults.remember_chains_days, 0, 365, True)
            ),
            stack_name=_name(env, ENV_STACK_NAME, _STACK_NAME, "a CloudFormation stack name"),
            dashboard_name=_name(env, ENV_DASHBOARD_NAME, _DASHBOARD_NAME, "a CloudWatch dashboard name"),
            log_group_name=_name(env, ENV_LOG_GROUP_NAME, _LOG_GROUP_NAME, "a CloudWatch Logs log group name"),
        )
        if settings.extra_ca_bundle is not None and not os.path.isfile(settings.extra_ca_bundle):
            raise SettingsError(f"{ENV_EXTRA_CA_BUNDLE} names {settings.extra_ca_bundle!r}, which is not a file")
        return settings


def _table_name(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not _TABLE_NAME.fullmatch(value):
        raise SettingsError(f"{name} must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), got {value!r}")
    return value


def _name(env: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not pattern.fullmatch(value):
        raise SettingsError(f"{name} must be {what}, got {value!r}")
    return value


def _role_arn(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not value.startswith("arn:") or ":iam::" not in value or ":role/" not in value:
        raise SettingsError(f"{name} must be the ARN of the function's IAM role, got {value!r}")
    return value


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        return parse_boolean(raw)  # one set of spellings, the stack's context reads the same
    except ValueError:
        raise SettingsError(
            f"{name} must be true or false ({'/'.join(BOOLEAN_TRUE)} or {'/'.join(BOOLEAN_FALSE)}), got {raw!r}"
        ) from None


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float, whole: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        # ASCII digits only: int() and float() also take other scripts' digits, underscores and "inf".
        if not _WHOLE.fullmatch(raw) and (whole or not _DECIMAL.fullmatch(raw)):
            raise ValueError(raw)
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise SettingsError(f"{name} must be {kind} between {low:g} and {high:g}, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
