"""The report as the world reads it: the types of every report the function returns, alerts and stores.

The field names and value shapes are a contract (docs/report.md; docs/report.schema.json is generated from
these types by `python -m thumbprint_remediator.report.schema`). Every type is a frozen msgspec Struct: a report is
built once, with all its parts, and nothing adds keys to it afterwards. A field that only some reports carry
defaults to UNSET and is then left out of the JSON, as it always was.

Why msgspec: the organization's hand-offs (a Step Functions state, an S3 result file) are decoded into these
same types, so a malformed payload fails with a precise error ("Expected `int`, got `str` - at
`$.summary.providers`") that becomes the account's finding; the JSON Schema comes from the same types, so it
cannot drift from the code; encoding is fast; and the wheel is a few hundred KB, where pydantic would add
megabytes to the Lambda asset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import msgspec
from msgspec import UNSET, UnsetType

from thumbprint_remediator.domain.rules import Reliance
from thumbprint_remediator.domain.status import AccountState, Action, Status

SCHEMA_VERSION: Final = "1"  # bump when a field changes meaning or goes away; adding an optional one does not


class View(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The common configuration: immutable, and no field the contract does not name (each subclass says
    frozen and kw_only too: msgspec applies them per class)."""


# --- a sweep report ---------------------------------------------------------------------------------------------
# How serious a posture problem is (domain/posture): thumbprint problems carry none.
PostureSeverity = Literal["critical", "warning", "info"]


class ProblemView(View, frozen=True, kw_only=True):
    code: str
    status: Status  # the provider status this problem implies ("ok" for notes)
    message: str
    remedy: str | None
    host: str | None
    # What tells it from other problems of its code on its host: the SHA-1 of the certificate it is about, or the
    # backend's address; None where a code is raised once per host. Defaulted: reports from before it still decode.
    instance: str | None = None
    # Posture problems only (trust_critical, trust_warning, provider_unused, ...): how serious, since their status
    # is "ok" (they imply no thumbprint status). Absent from every other problem.
    severity: PostureSeverity | UnsetType = UNSET


class TrustedByView(View, frozen=True, kw_only=True):
    """One trust-policy statement that lets the provider's tokens assume a role, judged (domain/posture):
    `critical` (any identity of a shared issuer, or any service account of the cluster), `warning` (one tenant, but
    broader than one repository/project/workspace/service account), `ok`, or `unusable` (no token can match).
    `statement` is the Sid, or `#<index>` (0-based) without one; `suggestion` a condition to write instead."""

    role_arn: str
    verdict: Literal["critical", "warning", "ok", "unusable"]
    statement: str
    reason: str
    suggestion: str


class ExpiryView(View, frozen=True, kw_only=True):
    host: str | None
    subject: str
    not_after: str
    days_left: int


class CertificateView(View, frozen=True, kw_only=True):
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    days_left: int
    sha1: str
    is_ca: bool
    in_verified_path: bool
    tied_to_verified_path: bool  # in the verified path or tied to it by signature: the only pinnable ones


class SampleView(View, frozen=True, kw_only=True):
    """One sampled backend of a host: the address that answered, its trust and its chain."""

    address: str
    reachable: bool
    trust: str | None
    live_thumbprint: str | None
    failure: str | None
    certificates: list[CertificateView]


class HostView(View, frozen=True, kw_only=True):
    host: str
    port: int
    role: str | None
    roles: list[str]
    trust: str | None
    verification_error: str | None
    tls_version: str | None
    accepts_tls12: bool | None
    live_thumbprint: str | None
    handshakes: int
    failure: str | None
    certificates: list[CertificateView]
    samples: list[SampleView] | UnsetType = UNSET  # only when more than one backend was sampled


class ChangeEntry(View, frozen=True, kw_only=True):
    """One change since the last sweep (memory.Change)."""

    # new_chain, rotated_intermediate, jwks_host_changed, pins_added, pins_removed, drift, skip_tag_added or
    # skip_tag_removed; text, like a problem's code, so a new kind of change is an added value rather than a
    # schema change.
    kind: str
    detail: str


class UntoldEntry(View, frozen=True, kw_only=True):
    """A change an earlier sweep observed that no delivered alert has carried yet (memory.UntoldChange)."""

    kind: str
    detail: str
    observed_at: str  # ISO 8601: the sweep that observed it


class PlaceholderPin(View, frozen=True, kw_only=True):
    """A pin that can never match a real top certificate (memory.placeholder_pins)."""

    thumbprint: str
    why: str


class FindingHistory(View, frozen=True, kw_only=True):
    """What history says of one provider in this sweep (memory.py).

    Two shapes. History could not be read: `state` "unavailable", `reason` and `placeholder_pins` only. It was
    read: every comparison below, with `would_prune` in a dry run and `pruned` otherwise; `state` is
    "unavailable" with a `reason` when this sweep's record could not be saved.
    """

    state: Literal["on", "unavailable"]
    reason: str | UnsetType = UNSET  # "unavailable" only: why, starting "history unavailable for this provider"
    first_sweep: bool | UnsetType = UNSET
    since_last_sweep: list[ChangeEntry] | UnsetType = UNSET
    drift: bool | UnsetType = UNSET  # since_last_sweep holds a `drift` change
    news: str | UnsetType | None = UNSET  # why this is worth an e-mail under NOTIFY_ON=changes, or None
    # Changes earlier sweeps observed that no delivered alert carried (a dry run, Config, a failed publish...).
    untold: list[UntoldEntry] | UnsetType = UNSET
    untold_dropped: int | UnsetType = UNSET  # older untold changes dropped to bound the record
    placeholder_pins: list[PlaceholderPin]
    would_prune: list[str] | UnsetType = UNSET  # dry run: what a real sweep would prune
    pruned: list[str] | UnsetType = UNSET  # a real sweep: pruned by this sweep's write
    prune_pending: list[str] | UnsetType = UNSET  # due to be pruned, but no write happened (empty in a dry run)


class FindingView(View, frozen=True, kw_only=True):
    arn: str
    url: str
    status: Status
    action: Action
    action_reason: str | None
    problems: list[ProblemView]
    thumbprints_before: list[str] | None  # None: unknown (not read), never an empty list
    thumbprints_after: list[str] | None
    thumbprint_reliance: Reliance
    nearest_expiry: ExpiryView | None
    hosts: list[HostView]
    error: str | None
    history: FindingHistory | UnsetType = UNSET  # only when the sweep has a history table
    # Who can use the provider, critical first: only when posture is on (POSTURE, `-c posture=false` turns it off).
    trusted_by: list[TrustedByView] | UnsetType = UNSET


class Summary(View, frozen=True, kw_only=True):
    """Counts per status and per action, and the smallest days-to-expiry seen."""

    providers: int
    error: int
    unreachable: int
    expired: int
    untrusted: int
    invalid_discovery: int
    stale: int
    expiring: int
    ok: int
    skipped: int
    updated: int
    would_update: int
    blocked: int
    update_failed: int
    update_unknown: int
    min_days_to_expiry: int | None


class HistorySummary(View, frozen=True, kw_only=True):
    enabled: bool
    note: str | UnsetType = UNSET  # history off: why
    unavailable: int | UnsetType = UNSET
    changed: int | UnsetType = UNSET
    drifted: int | UnsetType = UNSET
    # After a delivered alert: providers whose news was marked told, and those whose mark failed (told again).
    told: int | UnsetType = UNSET
    told_failed: int | UnsetType = UNSET


class AlertOutcome(View, frozen=True, kw_only=True):
    sent: bool
    notify_on: str
    message_id: str | UnsetType = UNSET
    subject: str | UnsetType = UNSET
    error: str | UnsetType = UNSET  # SNS refused: the invocation fails, the report is in the log


class AccountError(View, frozen=True, kw_only=True):
    """Why an account (or its member role) could not be swept."""

    code: str
    message: str
    remedy: str | None


class EventsOutcome(View, frozen=True, kw_only=True):
    sent: int | UnsetType = UNSET
    failed: int | UnsetType = UNSET
    errors: list[str] | UnsetType = UNSET
    error: str | UnsetType = UNSET  # EventBridge could not be reached at all


class SecurityHubOutcome(View, frozen=True, kw_only=True):
    enabled: bool | UnsetType = UNSET
    message: str | UnsetType = UNSET
    imported: int | UnsetType = UNSET
    archived: int | UnsetType = UNSET
    failed: list[str] | UnsetType = UNSET
    failed_count: int | UnsetType = UNSET
    error: str | UnsetType = UNSET  # Security Hub could not be reached at all


class ChannelsOutcome(View, frozen=True, kw_only=True):
    """What each enabled channel beyond the e-mail did with the report."""

    events: EventsOutcome | UnsetType = UNSET
    security_hub: SecurityHubOutcome | UnsetType = UNSET


class PrincipalView(View, frozen=True, kw_only=True):
    type: str
    arn: str | None
    issuer_arn: str | None


class ChangeView(View, frozen=True, kw_only=True):
    """The CloudTrail change an immediate check was run for, and whether someone else made it."""

    provider_arn: str
    event_name: str
    event_id: str
    event_time: str
    principal: PrincipalView
    error_code: str | None
    by_tool: bool
    outside_tool: bool


class TrimNote(View, frozen=True, kw_only=True):
    """An alert's JSON form that did not fit SNS's 256 KB: what was left out, and where the rest is."""

    note: str
    findings_omitted: int | UnsetType = UNSET  # an account's report: findings left out
    accounts_omitted: int | UnsetType = UNSET  # the organization's: accounts left out


class PostureSummary(View, frozen=True, kw_only=True):
    """The sweep's one ListRoles pass, shared by every provider's `trusted_by`, and the account-level posture
    problems (provider_quota)."""

    roles: int  # roles read
    complete: bool  # every role of the account was read
    failure: str | None  # why not
    calls: int  # ListRoles calls made
    duration_ms: int
    problems: list[ProblemView]


class Report(View, frozen=True, kw_only=True):
    """One account's sweep."""

    schema_version: str = SCHEMA_VERSION
    account: str | None
    sweep_id: str
    dry_run: bool
    started_at: str
    duration_ms: int
    summary: Summary
    findings: list[FindingView]
    history: HistorySummary
    alert: AlertOutcome | UnsetType = UNSET  # every report the function returns has it
    error: AccountError | UnsetType | None = UNSET  # member-account sweeps: None, or why it was not swept
    role_arn: str | UnsetType | None = UNSET  # member-account sweeps: the role assumed
    channels: ChannelsOutcome | UnsetType = UNSET  # only when a channel is enabled
    change: ChangeView | UnsetType = UNSET  # immediate checks only
    checked: bool | UnsetType = UNSET  # immediate checks only
    trimmed: TrimNote | UnsetType = UNSET  # only in an alert's JSON form that had to be trimmed
    posture: PostureSummary | UnsetType = UNSET  # only when posture is on and the sweep listed the roles


class ChangeNotChecked(View, frozen=True, kw_only=True):
    """An immediate check that needed no sweep (the tool's own change, a refused call)."""

    change: ChangeView
    checked: Literal[False] = False
    reason: str


# --- the organization hand-off ---------------------------------------------------------------------------------
class CompactSummary(View, frozen=True, kw_only=True):
    """A compact report's summary: the counts that are not zero (`providers` always), and the nearest expiry."""

    providers: int
    error: int | UnsetType = UNSET
    unreachable: int | UnsetType = UNSET
    expired: int | UnsetType = UNSET
    untrusted: int | UnsetType = UNSET
    invalid_discovery: int | UnsetType = UNSET
    stale: int | UnsetType = UNSET
    expiring: int | UnsetType = UNSET
    ok: int | UnsetType = UNSET
    skipped: int | UnsetType = UNSET
    updated: int | UnsetType = UNSET
    would_update: int | UnsetType = UNSET
    blocked: int | UnsetType = UNSET
    update_failed: int | UnsetType = UNSET
    update_unknown: int | UnsetType = UNSET
    # Absent when nothing has an expiry; 0 is a value (a certificate expires today), not a zero count.
    min_days_to_expiry: int | UnsetType = UNSET


class ToldMark(View, frozen=True, kw_only=True):
    """What marks a member's finding told once the organization's alert carrying it is delivered: the history
    version its sweep saved, and whether its news was due (memory.told)."""

    version: int
    reminded: bool


class CompactFinding(View, frozen=True, kw_only=True):
    """A finding as the organization's alert shows it: URL, status and action, thumbprints, problem codes."""

    arn: str
    url: str
    status: Status
    action: Action
    thumbprints_before: list[str] | None  # None: unknown (not read), never an empty list
    thumbprints_after: list[str] | None
    problems: list[str]  # the codes of its problems (notes left out)
    days_to_expiry: int | None
    error: str | None
    # Whether IAM relies on the thumbprint: the alert's severity weighs it. Absent from reports before it.
    thumbprint_reliance: Reliance | UnsetType = UNSET
    # What history saw change and no delivered alert told yet ("kind: detail"), with a history table.
    changes: list[str] | UnsetType = UNSET
    told_mark: ToldMark | UnsetType = UNSET  # a member's sweep: to mark told after the organization's alert


class CompactReport(View, frozen=True, kw_only=True):
    """A member account's report as the organization sweep carries it (at most `compact_bytes` of JSON)."""

    schema_version: str = SCHEMA_VERSION
    account: str | None
    sweep_id: str
    dry_run: bool
    started_at: str
    duration_ms: int
    history: HistorySummary
    alert: AlertOutcome | UnsetType = UNSET
    error: AccountError | UnsetType | None = UNSET
    role_arn: str | UnsetType | None = UNSET
    channels: ChannelsOutcome | UnsetType = UNSET
    summary: CompactSummary
    findings: list[CompactFinding]
    findings_omitted: int  # findings not carried (healthy ones, and those that did not fit)
    attention_omitted: int  # of those, the ones that need attention


class AccountEntry(View, frozen=True, kw_only=True):
    """One account's part of the organization report, at most ACCOUNT_ENTRY_BYTES of JSON."""

    account: str
    name: str
    state: AccountState
    # The next three and findings_not_shown are absent from an account that was not swept.
    sweep_id: str | UnsetType | None = UNSET
    dry_run: bool | UnsetType | None = UNSET
    duration_ms: int | float | UnsetType | None = UNSET
    summary: dict[str, int | float | None] | None  # the account's summary counts (CompactSummary's keys)
    error: AccountError | None
    findings: list[CompactFinding]
    findings_not_shown: int | UnsetType = UNSET


class OrganizationSummary(View, frozen=True, kw_only=True):
    accounts: int
    accounts_failed: int
    accounts_attention: int
    accounts_ok: int
    accounts_not_swept: int
    providers: int
    error: int
    unreachable: int
    expired: int
    untrusted: int
    invalid_discovery: int
    stale: int
    expiring: int
    ok: int
    skipped: int
    updated: int
    would_update: int
    blocked: int
    update_failed: int
    update_unknown: int
    min_days_to_expiry: int | None


class OrganizationReport(View, frozen=True, kw_only=True):
    """One organization sweep: every account's entry, most serious state first."""

    schema_version: str = SCHEMA_VERSION
    organization: Literal[True] = True
    execution: str | None
    dry_run: bool
    summary: OrganizationSummary
    accounts: list[AccountEntry]
    alert: AlertOutcome | UnsetType = UNSET  # when the report itself is returned (no store)
    # Only in the alert's JSON form: accounts needing attention it does not list, and where the full report is.
    accounts_not_listed: int | UnsetType = UNSET
    report_location: str | UnsetType | None = UNSET
    trimmed: TrimNote | UnsetType = UNSET  # only in an alert's JSON form that had to be trimmed


class StoredOrganizationResult(View, frozen=True, kw_only=True):
    """What the aggregate step returns when the full report went to S3: the same few fields for any size."""

    summary: OrganizationSummary
    report_key: str
    alert: AlertOutcome


# --- the organization's other steps and the Config rule (their shapes, for the schema) ---------------------------
class PlannedSweep(View, frozen=True, kw_only=True):
    account_id: str
    name: str
    sweep: dict[str, Any]  # the member sweep's payload (request.SweepRequest's fields)


class LeftOut(View, frozen=True, kw_only=True):
    account_id: str
    name: str
    reason: str


class WorkList(View, frozen=True, kw_only=True):
    """ListAccounts without a store: the work list and the accounts left out, inline."""

    accounts: list[PlannedSweep]
    not_swept: list[LeftOut]


class StoredWorkList(View, frozen=True, kw_only=True):
    """ListAccounts with a store: where the work list and the accounts left out are, and how many."""

    work_list_key: str
    not_swept_key: str
    accounts: int
    not_swept: int


class ConfigRuleOutcome(View, frozen=True, kw_only=True):
    """The Config rule's evaluation: what was reported to Config, and the dry-run sweep's summary."""

    config_rule: str
    evaluations: list[dict[str, str]]
    failed_evaluations: int
    summary: Summary | UnsetType = UNSET  # absent when the rule found nothing applicable
    sweep_id: str | UnsetType = UNSET


# Everything the handler returns, one of these (the schema's top level).
HANDLER_OUTPUTS: Final = (
    Report,
    CompactReport,
    ChangeNotChecked,
    OrganizationReport,
    StoredOrganizationResult,
    WorkList,
    StoredWorkList,
    ConfigRuleOutcome,
)


# --- decoding what a member sweep handed back --------------------------------------------------------------------
class HandedFinding(View, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """A finding as a member's report carries it: compact (problem codes, days_to_expiry) or full (problem objects,
    nearest_expiry), from a manual sweep."""

    arn: str
    url: str
    status: Status
    action: Action
    thumbprints_before: list[str] | None = None
    thumbprints_after: list[str] | None = None
    problems: list[str | ProblemView] = []
    days_to_expiry: int | UnsetType | None = UNSET
    nearest_expiry: ExpiryView | None = None
    history: dict[str, Any] | None = None
    error: str | None = None
    changes: list[str] = []
    told_mark: ToldMark | None = None
    thumbprint_reliance: Reliance | None = None


class HandedReport(View, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """A member account's report as the organization reads it back: compact or full, every field it uses
    checked (the others are the member's to add)."""

    sweep_id: str | None = None
    dry_run: bool = False
    duration_ms: int | float | None = None
    summary: dict[str, int | float | None] | None = None
    findings: list[HandedFinding] = []
    attention_omitted: int = 0
    error: AccountError | None = None


def to_builtins(value: msgspec.Struct) -> dict[str, Any]:
    """A view as plain JSON values (dicts, lists, strings, numbers), UNSET fields left out."""
    tree = msgspec.to_builtins(value)
    assert isinstance(tree, dict)
    return tree


# What the renderers and channels read: a report (any of the types above) or the same as JSON values.
ReportLike = msgspec.Struct | Mapping[str, Any]


def as_tree(report: ReportLike) -> Mapping[str, Any]:
    """The report as JSON values: the alert, the channels and the CLI read those, the contract's own shape."""
    return to_builtins(report) if isinstance(report, msgspec.Struct) else report
