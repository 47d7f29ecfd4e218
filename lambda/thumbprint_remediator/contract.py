"""The contract shared by the Lambda code and the CDK app.

Environment variable names, the IAM actions the function needs, metric names and the skip tag are
defined here once. `infra/` imports this module (and only this module) from the Lambda code, so it
must stay free of heavy imports.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

# Environment variables the function reads (see settings.Settings.from_env).
ENV_TOPIC_ARN: Final = "TOPIC_ARN"
ENV_DRY_RUN: Final = "DRY_RUN"
ENV_EXPIRY_WARNING_DAYS: Final = "EXPIRY_WARNING_DAYS"
ENV_EXTRA_CA_BUNDLE: Final = "EXTRA_CA_BUNDLE"
ENV_NOTIFY_ON: Final = "NOTIFY_ON"
ENV_CONNECT_TIMEOUT: Final = "CONNECT_TIMEOUT_SECONDS"
ENV_READ_TIMEOUT: Final = "READ_TIMEOUT_SECONDS"
ENV_HOST_BUDGET: Final = "HOST_BUDGET_SECONDS"
ENV_MAX_WORKERS: Final = "MAX_WORKERS"
# Channels beyond the e-mail: each switched by its own variable.
ENV_FINDING_EVENTS: Final = "FINDING_EVENTS"
ENV_SECURITY_HUB: Final = "SECURITY_HUB"
# The function's own role: CloudTrail events whose session was issued by it are the tool's own changes.
ENV_FUNCTION_ROLE_ARN: Final = "FUNCTION_ROLE_ARN"
# Backend sampling: addresses (A and AAAA) captured per endpoint, and extra handshakes per address.
ENV_SAMPLE_ADDRESSES: Final = "SAMPLE_ADDRESSES"
ENV_SAMPLES_PER_ADDRESS: Final = "SAMPLES_PER_ADDRESS"
# History: the DynamoDB table that remembers what each provider presented (unset: stateless), and its windows.
ENV_HISTORY_TABLE: Final = "HISTORY_TABLE"
ENV_PRUNE_AFTER_DAYS: Final = "PRUNE_AFTER_DAYS"
ENV_REMEMBER_CHAINS_DAYS: Final = "REMEMBER_CHAINS_DAYS"
# Where the alert sends its reader: the stack, its dashboard and the function's log group (all set by the stack).
ENV_STACK_NAME: Final = "STACK_NAME"
ENV_DASHBOARD_NAME: Final = "DASHBOARD_NAME"
ENV_LOG_GROUP_NAME: Final = "LOG_GROUP_NAME"

SETTINGS_ENV_NAMES: Final = (
    ENV_TOPIC_ARN,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_NOTIFY_ON,
    ENV_CONNECT_TIMEOUT,
    ENV_READ_TIMEOUT,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_FINDING_EVENTS,
    ENV_SECURITY_HUB,
    ENV_FUNCTION_ROLE_ARN,
    ENV_SAMPLE_ADDRESSES,
    ENV_SAMPLES_PER_ADDRESS,
    ENV_HISTORY_TABLE,
    ENV_PRUNE_AFTER_DAYS,
    ENV_REMEMBER_CHAINS_DAYS,
    ENV_STACK_NAME,
    ENV_DASHBOARD_NAME,
    ENV_LOG_GROUP_NAME,
)

# Powertools variables the stack sets; read by Powertools itself, not by our settings.
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
SERVICE_NAME: Final = "oidc-thumbprint-remediator"
METRICS_NAMESPACE: Final = "OidcThumbprintRemediator"

# `changes` (with a history table): what changed, new problems, and reminders of standing ones; without a table it
# is `problems`.
NOTIFY_CHOICES: Final = ("always", "changes", "problems", "never")
# What a sweep returns: the whole report, or only what needs attention (an organization sweep's per-account result).
REPORT_CHOICES: Final = ("full", "compact")

# The handler, as the Lambda runtime names it (module.function, relative to the asset root).
HANDLER: Final = "handler.lambda_handler"

# Tag that excludes a provider from sweeps: key with value "true".
SKIP_TAG_KEY: Final = "oidc-thumbprint-remediator:skip"
# Tag (value "true") declaring that a provider's issuer uses a private CA: the sweep then follows a
# rotation to a chain trusted through EXTRA_CA_BUNDLE even when none of the old pins can be tied to it.
PRIVATE_CA_TAG_KEY: Final = "oidc-thumbprint-remediator:private-ca"

# The resource pattern for OIDC_PROVIDER_ACTIONS; format with partition and account.
OIDC_PROVIDER_ARN_PATTERN: Final = "arn:{partition}:iam::{account}:oidc-provider/*"

# Organization mode. The central function assumes the member role (deployed by a StackSet in every member
# account, holding OIDC_PROVIDER_ACTIONS and ACCOUNT_LEVEL_ACTIONS only) and lists the organization's accounts
# (ASSUME_ROLE_ACTIONS and ORGANIZATION_READ_ACTIONS, declared by accounts.py).
MEMBER_ROLE_ARN_PATTERN: Final = "arn:{partition}:iam::{account}:role/{role_name}"
DEFAULT_MEMBER_ROLE_NAME: Final = "OidcThumbprintRemediatorMember"
# The session name the member account's CloudTrail shows for every call of a sweep.
MEMBER_ROLE_SESSION_NAME: Final = "oidc-thumbprint-sweep"

# --- Channels. Each adapter declares its actions beside itself (see Permissions below). ---
# The immediate check: the IAM API calls on OIDC providers whose CloudTrail events start a one-provider sweep.
CHANGE_EVENT_NAMES: Final = (
    "CreateOpenIDConnectProvider",
    "UpdateOpenIDConnectProviderThumbprint",
    "AddClientIDToOpenIDConnectProvider",
    "RemoveClientIDFromOpenIDConnectProvider",
    "TagOpenIDConnectProvider",
    "UntagOpenIDConnectProvider",
)
CLOUDTRAIL_DETAIL_TYPE: Final = "AWS API Call via CloudTrail"
CHANGE_EVENT_SOURCE: Final = "aws.iam"
# IAM is global: its CloudTrail events reach EventBridge in this region only.
IAM_EVENTS_REGION: Final = "us-east-1"
# Events for routing, on the default bus.
FINDING_EVENT_SOURCE: Final = SERVICE_NAME
FINDING_EVENT_DETAIL_TYPE: Final = "OIDC Provider Finding"
SUMMARY_EVENT_DETAIL_TYPE: Final = "OIDC Sweep Summary"
# The product ARN a customer's own findings are imported under; format with partition, region and account.
SECURITY_HUB_PRODUCT_ARN_PATTERN: Final = "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
# The history table's key schema (both strings) and its TTL attribute (epoch seconds): anyone can create a
# compatible table for a workstation run.
HISTORY_PARTITION_KEY: Final = "pk"
HISTORY_SORT_KEY: Final = "sk"
HISTORY_TTL_ATTRIBUTE: Final = "expires_at"
CONFIG_RESOURCE_TYPE: Final = "AWS::IAM::OIDCProvider"

# CloudWatch metrics (EMF, namespace METRICS_NAMESPACE, no dimensions besides `service`).
METRIC_PROVIDERS_CHECKED: Final = "ProvidersChecked"
METRIC_PROVIDERS_STALE: Final = "ProvidersStale"
METRIC_PROVIDERS_UPDATED: Final = "ProvidersUpdated"
METRIC_PROVIDERS_BLOCKED: Final = "ProvidersBlocked"
METRIC_PROVIDERS_UNREACHABLE: Final = "ProvidersUnreachable"
METRIC_PROVIDERS_EXPIRING: Final = "ProvidersExpiring"
METRIC_PROVIDERS_FAILED: Final = "ProvidersFailed"
METRIC_MIN_DAYS_TO_EXPIRY: Final = "MinDaysToExpiry"
METRIC_SWEEP_COMPLETED: Final = "SweepCompleted"
# The problem of a provider the sweep's time budget left out; a sweep with one is not SweepCompleted.
TIME_BUDGET_EXHAUSTED: Final = "time_budget_exhausted"
# A channel (events, Security Hub, Config) that could not take a sweep's results; SecurityHubNotEnabled on its own.
METRIC_CHANNEL_FAILED: Final = "ChannelDeliveryFailed"
METRIC_SECURITY_HUB_NOT_ENABLED: Final = "SecurityHubNotEnabled"
METRIC_CHANGES_OUTSIDE_TOOL: Final = "ChangesOutsideTool"
# History: sweeps (or providers) that ran without it, providers whose chains or pins changed, and drift (a list
# changed by someone other than the tool).
METRIC_HISTORY_UNAVAILABLE: Final = "HistoryUnavailable"
METRIC_PROVIDERS_CHANGED: Final = "ProvidersChanged"
METRIC_PROVIDERS_DRIFTED: Final = "ProvidersDrifted"

DASHBOARD_METRICS: Final = (
    METRIC_PROVIDERS_CHECKED,
    METRIC_PROVIDERS_STALE,
    METRIC_PROVIDERS_UPDATED,
    METRIC_PROVIDERS_BLOCKED,
    METRIC_PROVIDERS_UNREACHABLE,
    METRIC_MIN_DAYS_TO_EXPIRY,
)
# Powertools Metrics adds this dimension (value SERVICE_NAME) to every metric it emits.
METRIC_SERVICE_DIMENSION: Final = "service"

# --- Deadlines ---------------------------------------------------------------------------------------
# Every AWS client (clients.py) is built with these bounds, and every reserve of the sweep is derived from
# them, so the Lambda and infra (the smallest timeout synth accepts) read one arithmetic.
AWS_CONNECT_TIMEOUT_SECONDS: Final = 2.0
AWS_READ_TIMEOUT_SECONDS: Final = 4.0
# Reads back off on throttling through botocore's standard retries.
AWS_READ_MAX_ATTEMPTS: Final = 3
# One attempt per IAM write: the sweep retries writes itself, after re-reading, against its deadline, so a
# retry can never be sent by a worker the invocation has already given up on.
IAM_WRITE_MAX_ATTEMPTS: Final = 1
ALERT_MAX_ATTEMPTS: Final = 2
# botocore's standard mode waits at most min(2**i, 20) s before retry i (0-based), plus up to 5 s more when
# the service asks for it (x-amz-retry-after).
RETRY_BACKOFF_CAP_SECONDS: Final = 20.0
RETRY_AFTER_EXTRA_SECONDS: Final = 5.0
# Building, logging and returning the report once the alert is settled.
REPORT_SLACK_SECONDS: Final = 2.0
# The host budget a deployment gets when HOST_BUDGET_SECONDS is not set (Settings.host_budget's default).
DEFAULT_HOST_BUDGET_SECONDS: Final = 20.0


def aws_attempt_seconds() -> float:
    """The longest one attempt of any AWS call can take: connect, then wait for the answer."""
    return AWS_CONNECT_TIMEOUT_SECONDS + AWS_READ_TIMEOUT_SECONDS


def aws_call_worst_case_seconds(max_attempts: int) -> float:
    """The longest one AWS call can take with `max_attempts` attempts, backoff included."""
    backoff = sum(
        min(2.0**retry, RETRY_BACKOFF_CAP_SECONDS) + RETRY_AFTER_EXTRA_SECONDS for retry in range(max_attempts - 1)
    )
    return max_attempts * aws_attempt_seconds() + backoff


def alert_reserve_seconds() -> float:
    """Kept free at the very end of the Lambda's time: the alert's worst case, then the report's return."""
    return aws_call_worst_case_seconds(ALERT_MAX_ATTEMPTS) + REPORT_SLACK_SECONDS


def write_window_seconds(attempt: float | None = None) -> float:
    """What a write needs before the deadline to be started: one update attempt and one read-back."""
    return 2 * (aws_attempt_seconds() if attempt is None else attempt)


def drain_reserve_seconds(attempt: float | None = None) -> float:
    """Kept after the sweep's deadline: await a write still in flight, then read the provider afresh."""
    return 2 * (aws_attempt_seconds() if attempt is None else attempt)


def provider_seconds(host_budget: float, attempt: float | None = None, history: bool = False) -> float:
    """The most one provider can cost: its read, two host budgets (discovery and JWKS) and a write; with a history
    table also its record's read and conditional write, one attempt each."""
    attempt = aws_attempt_seconds() if attempt is None else attempt
    return attempt + 2 * host_budget + write_window_seconds(attempt) + (2 * attempt if history else 0.0)


def minimum_timeout_seconds(host_budget: float = DEFAULT_HOST_BUDGET_SECONDS, history: bool = False) -> int:
    """The shortest function timeout in which a sweep lists the providers and probes (and fixes) at least one,
    with the drain and the alert still reserved. Below it every provider would be 'time budget exhausted'."""
    listing = aws_attempt_seconds()
    needed = (
        alert_reserve_seconds() + drain_reserve_seconds() + listing + provider_seconds(host_budget, history=history)
    )
    return math.ceil(needed)


# --- Validators: every shape and spelling both the function and the stack check, defined once --------------------
# The stack's context (infra/config.py, infra/organization/config.py) and the function's settings and payloads
# (settings.py, request.py, organization.py) call these, so a value one side accepts the other cannot refuse.
# ASCII classes only, always applied with fullmatch: no trailing newline, no other script's digit or letter
# (Python's \d and str.isdigit take '٣'; IAM, STS and Organizations do not).
ACCOUNT_ID_PATTERN: Final = r"[0-9]{12}"
ORGANIZATION_ID_PATTERN: Final = r"o-[a-z0-9]{10,32}"
# A root (r-...) or an organizational unit (ou-<root part>-<ou part>).
PARENT_ID_PATTERN: Final = r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
# IAM's name and path characters.
IAM_NAME_CHARACTER: Final = r"[A-Za-z0-9_+=,.@-]"
ROLE_NAME_PATTERN: Final = rf"{IAM_NAME_CHARACTER}{{1,64}}"
# STS: 2 to 1224 characters of [\w+=,.@:/-] (ASCII \w).
EXTERNAL_ID_PATTERN: Final = r"[A-Za-z0-9_+=,.@:/-]{2,1224}"
# aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...
PARTITION_PATTERN: Final = r"aws(?:-[a-z]+)*"
# A role in some account: arn:<partition>:iam::<12 digits>:role/[path/]name.
ROLE_ARN_PATTERN: Final = (
    rf"arn:(?P<partition>{PARTITION_PATTERN}):iam::(?P<account>{ACCOUNT_ID_PATTERN}):role/"
    rf"(?:{IAM_NAME_CHARACTER}+/)*{ROLE_NAME_PATTERN}"
)
ACCOUNT_ID: Final = re.compile(ACCOUNT_ID_PATTERN)
ORGANIZATION_ID: Final = re.compile(ORGANIZATION_ID_PATTERN)
PARENT_ID: Final = re.compile(PARENT_ID_PATTERN)
ROLE_NAME: Final = re.compile(ROLE_NAME_PATTERN)
EXTERNAL_ID: Final = re.compile(EXTERNAL_ID_PATTERN)
ROLE_ARN: Final = re.compile(ROLE_ARN_PATTERN)
_ASCII_DIGITS: Final = re.compile(r"[0-9]+")


def is_account_id(value: object) -> bool:
    """A 12-digit AWS account id (ASCII digits, nothing around them)."""
    return isinstance(value, str) and ACCOUNT_ID.fullmatch(value) is not None


def is_organization_id(value: object) -> bool:
    """An organization id, o- and 10 to 32 lowercase letters or digits."""
    return isinstance(value, str) and ORGANIZATION_ID.fullmatch(value) is not None


def is_parent_id(value: object) -> bool:
    """An organization root (r-...) or organizational unit (ou-...-...) id."""
    return isinstance(value, str) and PARENT_ID.fullmatch(value) is not None


def is_role_name(value: object) -> bool:
    """An IAM role name: 1 to 64 of IAM's name characters."""
    return isinstance(value, str) and ROLE_NAME.fullmatch(value) is not None


def is_external_id(value: object) -> bool:
    """An external id STS accepts: 2 to 1224 of letters, digits and +=,.@:/-_."""
    return isinstance(value, str) and EXTERNAL_ID.fullmatch(value) is not None


def is_role_arn(value: object) -> bool:
    """An IAM role ARN (arn:<partition>:iam::<account>:role/[path/]name)."""
    return isinstance(value, str) and ROLE_ARN.fullmatch(value) is not None


def is_ascii_digits(text: str) -> bool:
    """One or more ASCII digits and nothing else: what int() may be handed (it also takes '٣', '1_0' and ' 1')."""
    return _ASCII_DIGITS.fullmatch(text) is not None


# The one set of spellings of a switch, in the stack's context and the function's environment alike.
BOOLEAN_TRUE: Final = ("true", "yes", "on", "1")
BOOLEAN_FALSE: Final = ("false", "no", "off", "0")
_ASCII_WHITESPACE: Final = " \t\n\r\x0b\x0c"


def parse_boolean(text: str) -> bool:
    """`text` as true or false: a word of BOOLEAN_TRUE or BOOLEAN_FALSE in any ASCII case, ASCII spaces around it
    aside. Anything else, blank included, raises ValueError: a mistyped switch must not silently mean either."""
    word = text.strip(_ASCII_WHITESPACE)
    if word.isascii():
        word = word.lower()
        if word in BOOLEAN_TRUE:
            return True
        if word in BOOLEAN_FALSE:
            return False
    raise ValueError(f"expected true or false ({'/'.join(BOOLEAN_TRUE)} or {'/'.join(BOOLEAN_FALSE)}), got {text!r}")


def without_https_scheme(url: str) -> str:
    """A provider URL as IAM stores it: a leading https:// (any case) dropped, the rest exactly as given."""
    return url[len("https://") :] if url[: len("https://")].lower() == "https://" else url


# --- Permissions --------------------------------------------------------------------------------------
# Each adapter declares the IAM actions it calls beside its code: a module-level `PERMISSIONS` tuple of
# `Permissions`, literal values only. The adapters import botocore, which infra must never load, so the contract
# collects their declarations by reading the adapters' source (checked to be literal), not by importing them;
# tests/unit/test_permissions_declared.py holds the read declarations equal to the imported ones.

# The resources infra scopes a grant to (infra maps each to its ARN): "any" is Resource "*", for the actions IAM
# cannot scope (listing OIDC providers, the Organizations lists, Config's PutEvaluations).
Resource = Literal[
    "any",
    "oidc-providers",
    "alerts-topic",
    "history-table",
    "default-event-bus",
    "security-hub",
    "security-hub-product",
    "member-roles",
    "organization-objects",
]
# What part of a deployment an adapter serves: a deployment grants the actions of the features it switches on.
Feature = Literal[
    "sweep", "alerts", "history", "finding_events", "security_hub", "config_rule", "organization", "posture"
]
_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")


@dataclass(frozen=True, kw_only=True)
class Permissions:
    """IAM actions one adapter calls on one kind of resource: exactly what infra grants for it, no wildcard.
    `when` names the path that calls them when not every sweep does; the recorder tests drive that path."""

    actions: tuple[str, ...]
    resource: Resource
    when: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.actions or not all(isinstance(a, str) and _ACTION.fullmatch(a) for a in self.actions):
            raise ValueError(f"Permissions need service:Action names, without wildcards: {self.actions!r}")
        if self.resource not in get_args(Resource):
            raise ValueError(f"unknown resource kind {self.resource!r}; known: {', '.join(get_args(Resource))}")


# The modules that call AWS (each declares PERMISSIONS) and the feature each serves. The dead-letter queue is not
# here: Lambda itself sends a failed asynchronous invocation there with the function's role; none of our code does.
ADAPTER_FEATURES: Final[Mapping[str, Feature]] = {
    "inventory": "sweep",
    "publisher": "alerts",
    "history": "history",
    "finding_events": "finding_events",
    "security_hub": "security_hub",
    "config_rule": "config_rule",
    "accounts": "organization",
    "org_store": "organization",
    "roles": "posture",  # who can use each provider (issue 22): not yet called by the sweep, so granted by no stack
}


@functools.cache
def adapter_permissions(module: str) -> tuple[Permissions, ...]:
    """The PERMISSIONS the adapter `module` declares, read from its source in the aws folder beside this file."""
    return permissions_in(Path(__file__).with_name("aws") / f"{module}.py")


def permissions_in(path: Path) -> tuple[Permissions, ...]:
    """The PERMISSIONS a module's source declares; ValueError if it has none or they are not literal."""
    import ast  # noqa: PLC0415 - only infra and the tests collect permissions; the function never does

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name == "PERMISSIONS":
            return _literal_permissions(value, path.name)
    raise ValueError(f"{path.name} declares no PERMISSIONS")


def _literal_permissions(value: ast.expr, where: str) -> tuple[Permissions, ...]:
    import ast  # noqa: PLC0415 - as above

    if not isinstance(value, ast.Tuple) or not value.elts:
        raise ValueError(f"{where}: PERMISSIONS must be a tuple of Permissions(...)")
    declared = []
    for element in value.elts:
        called = element.func if isinstance(element, ast.Call) else None
        name = called.id if isinstance(called, ast.Name) else called.attr if isinstance(called, ast.Attribute) else ""
        if not isinstance(element, ast.Call) or name != "Permissions" or element.args:
            raise ValueError(f"{where}:{element.lineno}: PERMISSIONS holds Permissions(...) with keywords only")
        fields: dict[str, Any] = {}
        for keyword in element.keywords:
            try:
                fields[str(keyword.arg)] = ast.literal_eval(keyword.value)
            except ValueError as error:
                raise ValueError(f"{where}:{keyword.value.lineno}: {keyword.arg} must be a literal") from error
        declared.append(Permissions(**fields))
    return tuple(declared)


def declared_actions(features: Iterable[Feature]) -> frozenset[str]:
    """Every action the adapters of `features` declare: what a deployment with those features may call."""
    wanted = set(features)
    return frozenset(
        action
        for module, feature in ADAPTER_FEATURES.items()
        if feature in wanted
        for permissions in adapter_permissions(module)
        for action in permissions.actions
    )


def _actions(module: str, resource: Resource) -> tuple[str, ...]:
    """The actions `module` declares on `resource`, in declaration order: one grant statement's actions."""
    return tuple(
        action
        for permissions in adapter_permissions(module)
        if permissions.resource == resource
        for action in permissions.actions
    )


# What infra grants, statement by statement (each on the resource named), collected from the adapters. Each is
# read on first use (module __getattr__ below): the function itself never reads them, so its cold start does not
# parse the adapters' source.
_GRANTS: Final[Mapping[str, tuple[tuple[str, Resource], ...]]] = {
    "OIDC_PROVIDER_ACTIONS": (("inventory", "oidc-providers"),),
    "ACCOUNT_LEVEL_ACTIONS": (("inventory", "any"),),
    "ALERT_ACTIONS": (("publisher", "alerts-topic"),),
    "HISTORY_ACTIONS": (("history", "history-table"),),
    "FINDING_EVENT_ACTIONS": (("finding_events", "default-event-bus"),),
    "SECURITY_HUB_IMPORT_ACTIONS": (("security_hub", "security-hub-product"),),
    "SECURITY_HUB_READ_ACTIONS": (("security_hub", "security-hub"),),
    "SECURITY_HUB_ACTIONS": (("security_hub", "security-hub-product"), ("security_hub", "security-hub")),
    "CONFIG_RULE_ACTIONS": (("config_rule", "any"),),
    "ASSUME_ROLE_ACTIONS": (("accounts", "member-roles"),),
    "ORGANIZATION_READ_ACTIONS": (("accounts", "any"),),
    "ORGANIZATION_STORE_ACTIONS": (("org_store", "organization-objects"),),
}
if TYPE_CHECKING:  # what __getattr__ answers, for the type checker
    import ast

    OIDC_PROVIDER_ACTIONS: tuple[str, ...]
    ACCOUNT_LEVEL_ACTIONS: tuple[str, ...]
    ALERT_ACTIONS: tuple[str, ...]
    HISTORY_ACTIONS: tuple[str, ...]
    FINDING_EVENT_ACTIONS: tuple[str, ...]
    SECURITY_HUB_IMPORT_ACTIONS: tuple[str, ...]
    SECURITY_HUB_READ_ACTIONS: tuple[str, ...]
    SECURITY_HUB_ACTIONS: tuple[str, ...]
    CONFIG_RULE_ACTIONS: tuple[str, ...]
    ASSUME_ROLE_ACTIONS: tuple[str, ...]
    ORGANIZATION_READ_ACTIONS: tuple[str, ...]
    ORGANIZATION_STORE_ACTIONS: tuple[str, ...]


def __getattr__(name: str) -> tuple[str, ...]:
    """A grant constant of _GRANTS, collected from the adapters' declarations the first time it is read."""
    if name not in _GRANTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _grant(name)


@functools.cache
def _grant(name: str) -> tuple[str, ...]:
    return tuple(action for module, resource in _GRANTS[name] for action in _actions(module, resource))


# Called by the Lambda service, not by our code: it sends an asynchronous invocation that failed every attempt to
# the dead-letter queue with the function's role. Granted on that queue only; no recorder can see it.
DEAD_LETTER_ACTIONS: Final = ("sqs:SendMessage",)
