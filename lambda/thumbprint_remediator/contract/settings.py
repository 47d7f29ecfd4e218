"""The table of settings: each one's field, environment variable, CDK context key, default, bounds and help, once.

The function's `Settings.from_env` (app/settings.py), the stack's configs (infra/config.py, infra/channels.py,
infra/organization/config.py), the function's environment (infra/function.py) and the tables of
docs/configuration.md and docs/organizations.md all read their defaults and bounds here;
tests/infra/test_configuration_doc.py renders the documented tables from this one and holds them equal.
How a value is parsed, and the message that refuses it, stays with each reader: the function reads text from its
environment, the stack JSON values from cdk.json as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from thumbprint_remediator.contract.deadlines import DEFAULT_HOST_BUDGET_SECONDS, minimum_timeout_seconds
from thumbprint_remediator.contract.names import (
    DEFAULT_MEMBER_ROLE_NAME,
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
    ENV_POSTURE,
    ENV_PRUNE_AFTER_DAYS,
    ENV_READ_TIMEOUT,
    ENV_REMEMBER_CHAINS_DAYS,
    ENV_SAMPLE_ADDRESSES,
    ENV_SAMPLES_PER_ADDRESS,
    ENV_SECURITY_HUB,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
    NOTIFY_CHOICES,
    SERVICE_NAME,
)

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Setting(Generic[T]):
    """One setting. `name` is its field in Settings and in the stack's config; `env` the variable the function reads
    it from, `context` the CDK context key people set it with (None: not read that way). `help` may name the bounds
    as {low} and {high}."""

    name: str
    default: T
    help: str
    env: str | None = None
    context: str | None = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    # What the stack deploys when its key is not given, where that differs from the function's default.
    context_default: T | None = None
    # How the docs show the default when it is not a value (computed, required, or from elsewhere).
    shown_default: str = ""
    # The help of the variable, where it differs from the context key's (the stack translates the value).
    env_help: str = ""

    @property
    def stack_default(self) -> T:
        """The default a deployment gets: context_default if set, else the function's default."""
        return self.default if self.context_default is None else self.context_default

    @property
    def variable(self) -> str:
        """The environment variable the function reads this setting from; ValueError for the stack's own."""
        if self.env is None:
            raise ValueError(f"{self.name} is not read from the function's environment")
        return self.env

    @property
    def key(self) -> str:
        """The CDK context key the stack reads this setting from; ValueError for the function's own."""
        if self.context is None:
            raise ValueError(f"{self.name} is not read from the stack's context")
        return self.context

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) of a bounded number; ValueError for a setting without bounds."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name} has no bounds")
        return self.low, self.high

    def describe(self, *, variable: bool = False) -> str:
        """The help (of the context key, or with `variable` of the environment variable), its bounds filled in."""
        low, high = ("" if bound is None else f"{bound:g}" for bound in (self.low, self.high))
        text = self.env_help if variable and self.env_help else self.help
        return text.format(low=low, high=high, range=f"{low}\u2013{high}")

    def environment(self, value: T) -> dict[str, str]:
        """This setting's variable holding `value` as the function reads it (a switch as true or false)."""
        return {self.variable: ("true" if value else "false") if isinstance(value, bool) else str(value)}


# --- The function's settings, most of them set through the stack's context too --------------------------------------
TOPIC_ARN: Final = Setting[str | None](
    name="topic_arn", env=ENV_TOPIC_ARN, default=None, help="The alerts SNS topic's ARN (set by the stack)"
)
ALERT_EMAILS: Final = Setting[tuple[str, ...]](
    name="alert_emails",
    context="alertEmails",
    default=(),
    shown_default="none",
    help="Comma-separated addresses subscribed to the alerts topic by e-mail",
)
SCHEDULE: Final = Setting(
    name="schedule",
    context="schedule",
    default="rate(1 day)",
    help=(
        "EventBridge `rate(...)` or `cron(...)` (UTC). At most 84 h between runs (the dead-man alarm watches two "
        "periods, within CloudWatch's 7-day limit) and no more often than `timeout`"
    ),
)
DRY_RUN: Final = Setting(
    name="dry_run",
    env=ENV_DRY_RUN,
    context="dryRun",
    default=False,
    help="`true`: report what is stale, never update a provider",
)
EXPIRY_WARNING_DAYS: Final = Setting(
    name="expiry_warning_days",
    env=ENV_EXPIRY_WARNING_DAYS,
    context="expiryWarningDays",
    default=30,
    low=0,
    high=3650,
    help="Warn when a certificate of a provider's chain expires within this many days ({range})",
)
NOTIFY_ON: Final = Setting(
    name="notify_on",
    env=ENV_NOTIFY_ON,
    context="notifyOn",
    # Without a history table `changes` is the same as `problems` (docs/alerts.md "Notifications").
    default="changes",
    choices=NOTIFY_CHOICES,
    help=(
        "When the sweep e-mails: `always`, `changes` (what changed, new problems, reminders of standing ones; see "
        "[Notifications](alerts.md#notifications)), `problems` (every sweep with a problem) or `never`"
    ),
)
EXTRA_CA_BUNDLE: Final = Setting[str | None](
    name="extra_ca_bundle",
    env=ENV_EXTRA_CA_BUNDLE,
    context="extraCaBundle",
    default=None,
    help=(
        "Path (from the project directory) to a PEM file with your private CAs, for private-CA issuers. Packaged "
        "as `/var/task/extra-ca-bundle.pem`"
    ),
    env_help="Path to a PEM file with your private CAs (the stack sets `/var/task/extra-ca-bundle.pem`)",
)
ARCHITECTURE: Final = Setting(
    name="architecture",
    context="architecture",
    default="arm64",
    choices=("arm64", "x86_64"),
    help="`arm64` or `x86_64`",
)
MEMORY_SIZE: Final = Setting(
    name="memory_size",
    context="memorySize",
    default=512,
    low=128,
    high=10240,
    help="MB, {range} (more memory is more CPU for the TLS handshakes)",
)
TIMEOUT: Final = Setting(
    name="timeout_seconds",
    context="timeout",
    default=300,
    # Below the floor a sweep could list the providers but probe none (deadlines.minimum_timeout_seconds); with
    # the history table each provider also reads and writes its record, so the floor is higher.
    low=minimum_timeout_seconds(DEFAULT_HOST_BUDGET_SECONDS),
    high=900,
    help=(
        f"Seconds, {minimum_timeout_seconds(DEFAULT_HOST_BUDGET_SECONDS, history=True)}\u2013{{high}} with the history "
        "table ({low} with `-c history=false`): below it a sweep could list the providers but probe none "
        "(see [Deadlines](configuration.md#deadlines))"
    ),
)
FINDING_EVENTS: Final = Setting(
    name="finding_events",
    env=ENV_FINDING_EVENTS,
    context="findingEvents",
    default=False,  # a function run without the variable (a workstation) sends none
    context_default=True,
    help="Events for routing on the default bus (see [Channels](channels.md))",
    env_help="Events for routing on the default bus (the stack sets `true` unless `-c findingEvents=false`)",
)
CHANGE_CHECK: Final = Setting(
    name="change_check",
    context="changeCheck",
    default=False,
    help="The immediate check of a provider on every change (CloudTrail events)",
)
SECURITY_HUB: Final = Setting(
    name="security_hub",
    env=ENV_SECURITY_HUB,
    context="securityHub",
    default=False,
    help="One Security Hub finding per provider and problem",
)
POSTURE: Final = Setting(
    name="posture",
    env=ENV_POSTURE,
    context="posture",
    default=True,
    help=(
        "Who can use each provider: one `iam:ListRoles` pass per sweep judges every role that trusts a provider "
        "(`trusted_by`, the posture problems); `false` neither grants nor calls it"
    ),
)
CONFIG_RULE: Final = Setting(
    name="config_rule",
    context="configRule",
    default=False,
    help="An AWS Config custom rule on `AWS::IAM::OIDCProvider`",
)
HISTORY: Final = Setting(
    name="history",
    context="history",
    default=True,
    help=(
        "The history table (see [The history table](history.md#the-history-table)); `false` deploys none and the "
        "function runs statelessly"
    ),
)
REGION: Final = Setting[str | None](
    name="region",
    context="region",
    default=None,
    shown_default="the CLI's region",
    help=(
        "Where the stack is deployed; with `changeCheck`, a region other than us-east-1 adds the us-east-1 "
        "forwarding stack"
    ),
)
# The function's tuning knobs: environment only.
CONNECT_TIMEOUT: Final = Setting(
    name="connect_timeout",
    env=ENV_CONNECT_TIMEOUT,
    default=5.0,
    low=0.1,
    high=60,
    help="Seconds to open a connection to an issuer, {range}",
)
READ_TIMEOUT: Final = Setting(
    name="read_timeout",
    env=ENV_READ_TIMEOUT,
    default=5.0,
    low=0.1,
    high=60,
    help="Seconds for a whole TLS handshake, or a whole answer from request to last byte, {range}",
)
HOST_BUDGET: Final = Setting(
    name="host_budget",
    env=ENV_HOST_BUDGET,
    default=DEFAULT_HOST_BUDGET_SECONDS,
    low=0.5,
    high=300,
    help=(
        "Seconds, {range}: the most one endpoint may cost a sweep, all its providers together (see "
        "[One budget, one fate](how-it-decides.md))"
    ),
)
MAX_WORKERS: Final = Setting(
    name="max_workers",
    env=ENV_MAX_WORKERS,
    # Past 64 a sweep is CPU-bound (docs/benchmark); 64 is also the IAM client's pool.
    default=64,
    low=1,
    high=256,
    help="Providers probed at once, {range}",
)
SAMPLE_ADDRESSES: Final = Setting(
    name="sample_addresses",
    env=ENV_SAMPLE_ADDRESSES,
    default=4,
    low=1,
    high=16,
    help="Addresses (A and AAAA) captured per endpoint, {range}",
)
SAMPLES_PER_ADDRESS: Final = Setting(
    name="samples_per_address",
    env=ENV_SAMPLES_PER_ADDRESS,
    default=1,
    low=0,
    high=4,
    help=(
        "Extra handshakes per address on fresh connections, {range} (see "
        "[Shared endpoints and sampled backends](how-it-decides.md#shared-endpoints-and-sampled-backends))"
    ),
)
FUNCTION_ROLE_ARN: Final = Setting[str | None](
    name="function_role_arn",
    env=ENV_FUNCTION_ROLE_ARN,
    default=None,
    help="The function's own role, so its own changes start no check (set by the stack with `changeCheck`)",
)
HISTORY_TABLE: Final = Setting[str | None](
    name="history_table",
    env=ENV_HISTORY_TABLE,
    default=None,
    help="The history table's name (set by the stack with `history`; unset: the function runs statelessly)",
)
PRUNE_AFTER_DAYS: Final = Setting(
    name="prune_after_days",
    env=ENV_PRUNE_AFTER_DAYS,
    default=90,
    low=1,
    high=3650,
    help="Days without a verified chain presenting a pin before it is pruned, {range} (see [History](history.md))",
)
REMEMBER_CHAINS_DAYS: Final = Setting(
    name="remember_chains_days",
    env=ENV_REMEMBER_CHAINS_DAYS,
    default=30,
    low=0,
    high=365,
    help="Days an alternate chain's top certificate is remembered, {range} (see [History](history.md))",
)
STACK_NAME: Final = Setting[str | None](
    name="stack_name",
    env=ENV_STACK_NAME,
    default=None,
    help="The stack's name, for the alert's links (set by the stack)",
)
DASHBOARD_NAME: Final = Setting[str | None](
    name="dashboard_name",
    env=ENV_DASHBOARD_NAME,
    default=None,
    help="The stack's dashboard, for the alert's links (set by the stack: the stack's name and the region)",
)
LOG_GROUP_NAME: Final = Setting[str | None](
    name="log_group_name",
    env=ENV_LOG_GROUP_NAME,
    default=None,
    help="The function's log group, for the alert's links (see [Alerts](alerts.md); set by the stack)",
)

# In the order the documentation lists them.
SETTINGS: Final[tuple[Setting[Any], ...]] = (
    TOPIC_ARN,
    ALERT_EMAILS,
    SCHEDULE,
    DRY_RUN,
    EXPIRY_WARNING_DAYS,
    NOTIFY_ON,
    EXTRA_CA_BUNDLE,
    ARCHITECTURE,
    MEMORY_SIZE,
    TIMEOUT,
    FINDING_EVENTS,
    CHANGE_CHECK,
    SECURITY_HUB,
    POSTURE,
    CONFIG_RULE,
    HISTORY,
    REGION,
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    HOST_BUDGET,
    MAX_WORKERS,
    SAMPLE_ADDRESSES,
    SAMPLES_PER_ADDRESS,
    FUNCTION_ROLE_ARN,
    HISTORY_TABLE,
    PRUNE_AFTER_DAYS,
    REMEMBER_CHAINS_DAYS,
    STACK_NAME,
    DASHBOARD_NAME,
    LOG_GROUP_NAME,
)
# Every variable Settings.from_env reads, and the only ones the stack may set besides Powertools'.
SETTINGS_ENV_NAMES: Final = tuple(setting.env for setting in SETTINGS if setting.env is not None)

# --- Organization mode: the stack's context only (infra/organization/config.py) -------------------------------------
ORG_MODE: Final = Setting(
    name="organization",
    context="organization",
    default=False,
    help="`true`: deploy the organization stack instead of the single-account one",
)
ORG_ID: Final = Setting[str | None](
    name="organization_id",
    context="organizationId",
    default=None,
    shown_default="none (required)",
    help="`o-...`: member roles trust only callers from this organization",
)
ORG_TARGET_OUS: Final = Setting[tuple[str, ...]](
    name="target_ous",
    context="targetOus",
    default=(),
    shown_default="none (required)",
    help="Comma-separated OU ids (`ou-...`) or the root id (`r-...`); whole subtrees are covered",
)
ORG_TARGET_ACCOUNTS: Final = Setting[tuple[str, ...] | None](
    name="target_accounts",
    context="targetAccounts",
    default=None,
    shown_default="all",
    help="Comma-separated account ids: only these accounts of the OUs get the role and are swept",
)
ORG_MEMBER_ROLE_NAME: Final = Setting(
    name="member_role_name",
    context="memberRoleName",
    default=DEFAULT_MEMBER_ROLE_NAME,
    help="The role name in every member account",
)
ORG_EXTERNAL_ID: Final = Setting(
    name="external_id",
    context="externalId",
    default="",  # computed from the organization id when not given
    shown_default=f"`{SERVICE_NAME}-<organizationId>`",
    help="The external id the central function presents",
)
ORG_MAX_CONCURRENCY: Final = Setting(
    name="max_concurrency",
    context="maxConcurrency",
    # Each child sweep makes one STS AssumeRole and a few IAM reads per provider: 40 at once stays well inside STS's
    # and IAM's request quotas. Distributed Map takes up to 10,000, but the function reserves this much
    # concurrency, and Lambda keeps 100 of the account's default 1,000 unreserved: more would fail the deploy.
    default=40,
    low=1,
    high=900,
    help=(
        "Accounts swept at once, {range}: the function reserves that much concurrency, and Lambda keeps 100 of "
        'an account\'s default 1,000 unreserved (see "Sizing the organization sweep")'
    ),
)
ORG_CALL_AS: Final = Setting(
    name="call_as",
    context="callAs",
    default="SELF",
    choices=("SELF", "DELEGATED_ADMIN"),
    help="`DELEGATED_ADMIN` when deploying from a StackSets delegated administrator",
)
ORGANIZATION_SETTINGS: Final[tuple[Setting[Any], ...]] = (
    ORG_MODE,
    ORG_ID,
    ORG_TARGET_OUS,
    ORG_TARGET_ACCOUNTS,
    ORG_MEMBER_ROLE_NAME,
    ORG_EXTERNAL_ID,
    ORG_MAX_CONCURRENCY,
    ORG_CALL_AS,
)
