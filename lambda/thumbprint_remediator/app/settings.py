"""Typed settings, read once from the environment. Nothing else reads os.environ."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from thumbprint_remediator.contract.deadlines import minimum_timeout_seconds
from thumbprint_remediator.contract.settings import (
    CONNECT_TIMEOUT,
    DASHBOARD_NAME,
    DRY_RUN,
    EXPIRY_WARNING_DAYS,
    EXTRA_CA_BUNDLE,
    FINDING_EVENTS,
    FUNCTION_ROLE_ARN,
    HISTORY_TABLE,
    HOST_BUDGET,
    LOG_GROUP_NAME,
    MAX_WORKERS,
    NOTIFY_ON,
    POSTURE,
    PRUNE_AFTER_DAYS,
    READ_TIMEOUT,
    REMEMBER_CHAINS_DAYS,
    SAMPLE_ADDRESSES,
    SAMPLES_PER_ADDRESS,
    SECURITY_HUB,
    STACK_NAME,
    TOPIC_ARN,
    Setting,
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
    """How a sweep behaves. Built by `from_env` in the Lambda and the workstation CLI, directly by tests. Each field's
    variable, default and bounds are its entry in the table of settings (contract/settings.py)."""

    topic_arn: str | None = TOPIC_ARN.default
    dry_run: bool = DRY_RUN.default
    expiry_warning_days: int = EXPIRY_WARNING_DAYS.default
    notify_on: str = NOTIFY_ON.default
    extra_ca_bundle: str | None = EXTRA_CA_BUNDLE.default
    connect_timeout: float = CONNECT_TIMEOUT.default
    read_timeout: float = READ_TIMEOUT.default
    host_budget: float = HOST_BUDGET.default
    max_workers: int = MAX_WORKERS.default
    # Channels: events on the default bus (the stack sets FINDING_EVENTS=true by default), Security Hub findings.
    finding_events: bool = FINDING_EVENTS.default
    security_hub: bool = SECURITY_HUB.default
    # Who can use each provider (domain/posture): one ListRoles pass per sweep, on unless POSTURE=false.
    posture: bool = POSTURE.default
    # The tool's own role: its CloudTrail changes start no check.
    function_role_arn: str | None = FUNCTION_ROLE_ARN.default

    @property
    def minimum_timeout_seconds(self) -> int:
        """The shortest function timeout in which these settings still probe a provider (contract/deadlines.py)."""
        return minimum_timeout_seconds(self.host_budget, history=self.history_table is not None)

    # Per endpoint and sweep: up to this many of its addresses are captured, each with this many
    # extra handshakes on fresh connections (load balancers behind one address). See docs/how-it-decides.md.
    sample_addresses: int = SAMPLE_ADDRESSES.default
    samples_per_address: int = SAMPLES_PER_ADDRESS.default
    # History (issue 14): the DynamoDB table's name (None: stateless), the pruning and remembering windows.
    history_table: str | None = HISTORY_TABLE.default
    prune_after_days: int = PRUNE_AFTER_DAYS.default
    remember_chains_days: int = REMEMBER_CHAINS_DAYS.default
    # Where the alert sends its reader (None: not deployed by the stack, e.g. a workstation run).
    stack_name: str | None = STACK_NAME.default
    dashboard_name: str | None = DASHBOARD_NAME.default
    log_group_name: str | None = LOG_GROUP_NAME.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, topic_required: bool = True) -> Settings:
        """Read and validate every setting; raise SettingsError naming the offending variable.

        The function always has a topic; the workstation CLI (topic_required=False) publishes only when given one.
        """
        env = os.environ if environ is None else environ
        topic_name = TOPIC_ARN.variable
        topic_arn = env.get(topic_name, "").strip()
        if (topic_arn or topic_required) and (not topic_arn.startswith("arn:") or ":sns:" not in topic_arn):
            raise SettingsError(f"{topic_name} must be the ARN of the alerts SNS topic, got {topic_arn!r}")
        settings = cls(
            topic_arn=topic_arn or None,
            dry_run=_boolean(env, DRY_RUN),
            expiry_warning_days=_whole(env, EXPIRY_WARNING_DAYS),
            extra_ca_bundle=env.get(EXTRA_CA_BUNDLE.variable, "").strip() or None,
            notify_on=_choice(env, NOTIFY_ON),
            connect_timeout=_number(env, CONNECT_TIMEOUT),
            read_timeout=_number(env, READ_TIMEOUT),
            host_budget=_number(env, HOST_BUDGET),
            max_workers=_whole(env, MAX_WORKERS),
            finding_events=_boolean(env, FINDING_EVENTS),
            security_hub=_boolean(env, SECURITY_HUB),
            posture=_boolean(env, POSTURE),
            function_role_arn=_role_arn(env, FUNCTION_ROLE_ARN.variable),
            sample_addresses=_whole(env, SAMPLE_ADDRESSES),
            samples_per_address=_whole(env, SAMPLES_PER_ADDRESS),
            history_table=_table_name(env, HISTORY_TABLE.variable),
            prune_after_days=_whole(env, PRUNE_AFTER_DAYS),
            remember_chains_days=_whole(env, REMEMBER_CHAINS_DAYS),
            stack_name=_name(env, STACK_NAME.variable, _STACK_NAME, "a CloudFormation stack name"),
            dashboard_name=_name(env, DASHBOARD_NAME.variable, _DASHBOARD_NAME, "a CloudWatch dashboard name"),
            log_group_name=_name(env, LOG_GROUP_NAME.variable, _LOG_GROUP_NAME, "a CloudWatch Logs log group name"),
        )
        if settings.extra_ca_bundle is not None and not os.path.isfile(settings.extra_ca_bundle):
            raise SettingsError(f"{EXTRA_CA_BUNDLE.variable} names {settings.extra_ca_bundle!r}, which is not a file")
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


def _boolean(env: Mapping[str, str], setting: Setting[bool]) -> bool:
    name = setting.variable
    raw = env.get(name)
    if raw is None:
        return setting.default
    try:
        return parse_boolean(raw)  # one set of spellings, the stack's context reads the same
    except ValueError:
        raise SettingsError(
            f"{name} must be true or false ({'/'.join(BOOLEAN_TRUE)} or {'/'.join(BOOLEAN_FALSE)}), got {raw!r}"
        ) from None


def _whole(env: Mapping[str, str], setting: Setting[int]) -> int:
    return int(_read_number(env, setting.variable, setting.default, *setting.bounds, whole=True))


def _number(env: Mapping[str, str], setting: Setting[float]) -> float:
    return _read_number(env, setting.variable, setting.default, *setting.bounds, whole=False)


def _read_number(env: Mapping[str, str], name: str, default: float, low: float, high: float, *, whole: bool) -> float:
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


def _choice(env: Mapping[str, str], setting: Setting[str]) -> str:
    name = setting.variable
    value = env.get(name, "").strip().lower() or setting.default
    if value not in setting.choices:
        raise SettingsError(f"{name} must be one of {', '.join(setting.choices)}, got {value!r}")
    return value
