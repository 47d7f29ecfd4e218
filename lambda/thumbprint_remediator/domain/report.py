"""The sweep report: findings per provider and the summary everyone reads (alerts, demo, dashboard)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Final, TypeVar, cast

import msgspec
from msgspec import UNSET, UnsetType

from thumbprint_remediator.domain.impact import OUTSIDE_CHANGE_CODE, open_posture
from thumbprint_remediator.domain.memory import Receipt
from thumbprint_remediator.domain.models import CertificateInfo, ChainSample, HostCapture, TrustResult
from thumbprint_remediator.domain.posture import TrustVerdict, severity_of
from thumbprint_remediator.domain.rules import Expiry, Problem, Reliance, days_left
from thumbprint_remediator.domain.status import COUNTED_ACTIONS, Action, Status
from thumbprint_remediator.domain.untrusted import TEXT_LIMIT, server_text
from thumbprint_remediator.domain.views import (
    AccountError,
    CertificateView,
    CompactFinding,
    CompactReport,
    CompactSummary,
    ExpiryView,
    FindingHistory,
    FindingView,
    HistorySummary,
    HostView,
    OrganizationReport,
    PostureSeverity,
    ProblemView,
    Report,
    SampleView,
    Summary,
    ToldMark,
    TrustedByView,
)

ReportT = TypeVar("ReportT", Report, OrganizationReport)
_OPEN_SEVERITY = ("critical", "warning")


@dataclass(frozen=True)
class Finding:
    """What one sweep found and did for one provider."""

    arn: str
    url: str
    status: Status
    action: Action = Action.NONE
    problems: tuple[Problem, ...] = ()
    # None where unknown: IAM's list was not read, or a write's outcome could not be read back. Never an empty
    # list, which would say IAM holds nothing.
    thumbprints_before: tuple[str, ...] | None = None
    thumbprints_after: tuple[str, ...] | None = None
    hosts: tuple[HostView, ...] = ()
    error: str | None = None
    action_reason: str | None = None
    thumbprint_reliance: Reliance = "unknown"
    nearest_expiry: Expiry | None = None
    # With a history table: what history says of this sweep (memory.py); None when the sweep is stateless.
    history: FindingHistory | None = None
    # Who can use the provider (domain/posture), critical first; None when posture is off or was not judged.
    trusted_by: tuple[TrustVerdict, ...] | None = None
    # Marks this finding's news told once an alert carrying it is delivered (never part of the report).
    receipt: Receipt | None = field(default=None, compare=False, repr=False)

    def view(self) -> FindingView:
        """The finding as the report carries it (views.FindingView)."""
        expiry = self.nearest_expiry
        return FindingView(
            arn=self.arn,
            url=self.url,
            status=self.status,
            action=self.action,
            action_reason=self.action_reason,
            problems=[problem_view(problem) for problem in self.problems],
            thumbprints_before=None if self.thumbprints_before is None else list(self.thumbprints_before),
            thumbprints_after=None if self.thumbprints_after is None else list(self.thumbprints_after),
            thumbprint_reliance=self.thumbprint_reliance,
            nearest_expiry=None
            if expiry is None
            else ExpiryView(
                host=expiry.endpoint,
                subject=expiry.subject,
                not_after=_iso(expiry.not_after),
                days_left=expiry.days_left,
            ),
            hosts=list(self.hosts),
            error=self.error,
            history=UNSET if self.history is None else self.history,
            trusted_by=UNSET
            if self.trusted_by is None
            else [TrustedByView(**msgspec.structs.asdict(verdict)) for verdict in self.trusted_by],
        )


def problem_view(problem: Problem) -> ProblemView:
    """A problem as the report carries it (its endpoint is the report's `host`)."""
    return ProblemView(
        code=problem.code,
        status=problem.status,
        message=problem.message,
        remedy=problem.remedy,
        host=problem.endpoint,
        instance=problem.instance,
        severity=UNSET if problem.severity is None else cast(PostureSeverity, problem.severity),
    )


def needs_attention(finding: FindingView | CompactFinding) -> bool:
    """A report finding a person should read: not healthy, something was (or would be) changed, history saw a
    change since the last sweep (drift included) or holds changes no delivered alert carried yet, or someone
    else changed the provider."""
    if isinstance(finding, CompactFinding):
        return (
            not finding.status.healthy
            or finding.action is not Action.NONE
            or bool(finding.changes)
            or any(severity_of(code) in _OPEN_SEVERITY for code in finding.problems)
        )
    history = finding.history
    return (
        not finding.status.healthy
        or finding.action is not Action.NONE
        or (not isinstance(history, UnsetType) and bool(history.since_last_sweep or history.untold))
        or any(problem.code == OUTSIDE_CHANGE_CODE for problem in finding.problems)
        or any(problem.severity in _OPEN_SEVERITY for problem in finding.problems)
    )


def tree_needs_attention(finding: Mapping[str, Any]) -> bool:
    """needs_attention for a finding still read as JSON values (the readers not yet on the typed report)."""
    history = finding.get("history") or {}
    return (
        not Status(finding["status"]).healthy
        or finding["action"] != Action.NONE
        or bool(history.get("since_last_sweep"))
        or bool(history.get("untold"))
        or bool(finding.get("changes"))  # a compact finding carries them itself
        or any(problem.get("code") == OUTSIDE_CHANGE_CODE for problem in finding.get("problems", ()))
        or bool(open_posture(finding))
    )


def describe_host(
    capture: HostCapture,
    trust: TrustResult | None,
    now: datetime,
    sample_trusts: Sequence[TrustResult | None] = (),
) -> HostView:
    """A host's entry in the report: endpoint, role(s), trust, TLS version and the presented chain;
    with `samples` when its backends were sampled (each address, its trust and its chain)."""
    in_path = set(trust.verified_path) if trust else set()
    pinnable = trust.pinnable if trust else frozenset()
    return HostView(
        host=capture.endpoint.host,
        port=capture.endpoint.port,
        role=capture.roles[0].value if capture.roles else None,
        roles=[role.value for role in capture.roles],
        trust=trust.trust.value if trust else None,
        verification_error=trust.error if trust else None,
        tls_version=capture.tls_version,
        accepts_tls12=capture.accepts_tls12,
        live_thumbprint=capture.live_thumbprint,
        handshakes=capture.handshakes,
        failure=None if capture.failure is None else capture.failure.message,
        certificates=[
            _describe_certificate(c, c.sha1 in in_path, now, tied=c.sha1 in pinnable) for c in capture.presented_chain
        ],
        samples=[
            _describe_sample(sample, sample_trusts[index] if index < len(sample_trusts) else None, now)
            for index, sample in enumerate(capture.samples)
        ]
        if len(capture.samples) > 1
        else UNSET,
    )


def _describe_sample(sample: ChainSample, trust: TrustResult | None, now: datetime) -> SampleView:
    in_path = set(trust.verified_path) if trust else set()
    pinnable = trust.pinnable if trust else frozenset()
    return SampleView(
        address=sample.address,
        reachable=sample.reachable,
        trust=trust.trust.value if trust else None,
        live_thumbprint=sample.live_thumbprint,
        failure=None if sample.failure is None else sample.failure.message,
        certificates=[
            _describe_certificate(c, c.sha1 in in_path, now, tied=c.sha1 in pinnable) for c in sample.presented_chain
        ],
    )


def build_report(
    *,
    account: str | None,
    dry_run: bool,
    started_at: datetime,
    duration_ms: int,
    findings: Sequence[Finding],
    sweep_id: str,
    history_enabled: bool = False,
    error: AccountError | UnsetType | None = UNSET,
) -> Report:
    """The report of a sweep, from its findings. Field names are a contract (views.Report).

    Every string in it is escaped and capped (untrusted.sanitized_tree): server values are sanitized where
    they are read, and this makes sure nothing composed from them later can carry a raw control character.
    The parts contributed after the findings (the alert's outcome, the channels', the member role) are added
    with `finished`, which sanitizes them the same way.
    """
    report = Report(
        account=account,
        sweep_id=sweep_id,
        dry_run=dry_run,
        started_at=_iso(started_at),
        duration_ms=duration_ms,
        summary=summarize(findings),
        findings=[finding.view() for finding in findings],
        history=history_summary(findings, history_enabled),
        error=error,
    )
    return sanitized(report)


def finished(report: ReportT, **parts: Any) -> ReportT:
    """`report` with the parts contributed once its findings were known (alert=, channels=, role_arn=, error=,
    change=, checked=, findings=, history=), each a value of the field's type: a new frozen report, each part
    sanitized like the rest; nothing is mutated."""
    return msgspec.structs.replace(report, **{name: sanitized(value) for name, value in parts.items()})


ValueT = TypeVar("ValueT")


def sanitized(value: ValueT, limit: int = TEXT_LIMIT) -> ValueT:
    """`value` (a view, or a list, dict or string inside one) with every string passed through `server_text`
    with `limit`, as `untrusted.sanitized_tree` does for JSON values: what the report carries can never hold a
    raw control character. Enum members are the contract's own words and stay what they are."""
    return cast(ValueT, _sanitized(value, limit))


def _sanitized(value: object, limit: int) -> object:
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return server_text(value, limit)
    if isinstance(value, msgspec.Struct):
        fields = {name: _sanitized(getattr(value, name), limit) for name in value.__struct_fields__}
        return msgspec.structs.replace(value, **fields)
    if isinstance(value, dict):
        return {_sanitized(key, limit): _sanitized(item, limit) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitized(item, limit) for item in value]
    return value


def history_summary(findings: Sequence[Finding], enabled: bool) -> HistorySummary:
    """Whether the sweep had a memory, and how many providers it was unavailable for, changed or drifted."""
    if not enabled:
        return HistorySummary(enabled=False, note="history is off (no HISTORY_TABLE): this sweep is stateless")
    entries = [finding.history for finding in findings if finding.history is not None]
    return HistorySummary(
        enabled=True,
        unavailable=sum(1 for entry in entries if entry.state == "unavailable"),
        changed=sum(1 for entry in entries if entry.since_last_sweep),
        drifted=sum(1 for entry in entries if entry.drift is True),
    )


def compact_report(report: Report, max_bytes: int | None = None, receipts: Sequence[Receipt] = ()) -> CompactReport:
    """The report as an organization sweep carries it, every account's in one Step Functions state (256 KB):
    no zero counts (but `providers`; `min_days_to_expiry` is kept when there is one, 0 included), and of the
    findings that need attention, as many as fit in `max_bytes` of JSON, each reduced to what the
    organization's alert shows. The rest is counted in `findings_omitted`; every provider's full line is in
    the function's log under the report's sweep_id."""
    summary = msgspec.structs.asdict(report.summary)
    compact = CompactReport(
        schema_version=report.schema_version,
        account=report.account,
        sweep_id=report.sweep_id,
        dry_run=report.dry_run,
        started_at=report.started_at,
        duration_ms=report.duration_ms,
        history=report.history,
        alert=report.alert,
        error=report.error,
        role_arn=report.role_arn,
        channels=report.channels,
        summary=CompactSummary(
            **{
                key: value
                for key, value in summary.items()
                if value or key == "providers" or (key == "min_days_to_expiry" and value is not None)
            }
        ),
        findings=[],
        findings_omitted=0,
        attention_omitted=0,
    )
    # The size of the report without its findings' entries and the two counts that close it.
    size = len(msgspec.json.encode(compact)) - len(_COUNTS_JSON) + 1
    kept: list[CompactFinding] = []
    attention = [finding for finding in report.findings if needs_attention(finding)]
    # A member's sweep tells nobody: what marks its news told travels with it, for the organization's alert.
    marks = {receipt.arn: receipt for receipt in receipts}
    for finding in attention:
        entry = compact_finding(finding)
        if (receipt := marks.get(finding.arn)) is not None:
            entry = msgspec.structs.replace(
                entry, told_mark=ToldMark(version=receipt.saved_version, reminded=receipt.reminded)
            )
        entry_size = len(msgspec.json.encode(entry)) + 1
        if max_bytes is not None and size + entry_size > max_bytes:
            break
        kept.append(entry)
        size += entry_size
    return msgspec.structs.replace(
        compact,
        findings=kept,
        findings_omitted=len(report.findings) - len(kept),
        attention_omitted=len(attention) - len(kept),
    )


_COUNTS_JSON: Final = msgspec.json.encode({"findings_omitted": 0, "attention_omitted": 0})


def compact_finding(finding: FindingView) -> CompactFinding:
    """A finding as the organization's alert shows it (views.CompactFinding): URL, status and action,
    thumbprints, problem codes (notes left out), days to the nearest expiry, what history saw change."""
    history = finding.history
    changes: list[str] = []
    if not isinstance(history, UnsetType):
        changes.extend(f"{change.kind}: {change.detail}" for change in history.since_last_sweep or [])
        changes.extend(f"{change.kind}: {change.detail}" for change in history.untold or [])
    return CompactFinding(
        arn=finding.arn,
        url=finding.url,
        status=finding.status,
        action=finding.action,
        thumbprints_before=finding.thumbprints_before,
        thumbprints_after=finding.thumbprints_after,
        # Posture problems are "ok" for the thumbprint status: the open ones are carried by their severity.
        problems=[
            problem.code
            for problem in finding.problems
            if problem.status is not Status.OK or problem.severity in _OPEN_SEVERITY
        ],
        days_to_expiry=None if finding.nearest_expiry is None else finding.nearest_expiry.days_left,
        error=finding.error,
        thumbprint_reliance=finding.thumbprint_reliance,
        changes=changes or UNSET,
    )


def tree_compact_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A finding as the organization's alert shows it (views.CompactFinding), from a full or a compact one:
    URL, status and action, thumbprints, problem codes (notes left out), days to the nearest expiry."""
    expiry = finding.get("nearest_expiry")
    days = finding["days_to_expiry"] if "days_to_expiry" in finding else (expiry["days_left"] if expiry else None)
    return {
        "arn": finding["arn"],
        "url": finding["url"],
        "status": finding["status"],
        "action": finding["action"],
        "thumbprints_before": finding.get("thumbprints_before"),
        "thumbprints_after": finding.get("thumbprints_after"),
        "problems": [
            problem if isinstance(problem, str) else problem["code"]
            for problem in finding.get("problems", [])
            # Posture problems are "ok" for the thumbprint status: the open ones are carried by their severity.
            if isinstance(problem, str)
            or problem.get("status") != Status.OK
            or problem.get("severity") in _OPEN_SEVERITY
        ],
        "days_to_expiry": days,
        "error": finding.get("error"),
        **({"thumbprint_reliance": reliance} if (reliance := finding.get("thumbprint_reliance")) else {}),
        **({"changes": changes} if (changes := _changes(finding)) else {}),
    }


def _changes(finding: Mapping[str, Any]) -> list[str]:
    """What history saw change, not yet told: a compact finding's own list, or a full finding's history."""
    if "changes" in finding:
        return list(finding["changes"] or [])
    history = finding.get("history") or {}
    return [
        f"{change['kind']}: {change['detail']}"
        for change in (*history.get("since_last_sweep", []), *history.get("untold", []))
    ]


def summarize(findings: Sequence[Finding]) -> Summary:
    """Counts per status and per action, plus the smallest days-to-expiry seen."""
    statuses = Counter(finding.status for finding in findings)
    actions = Counter(finding.action for finding in findings)
    expiries = [f.nearest_expiry.days_left for f in findings if f.nearest_expiry is not None]
    return Summary(
        providers=len(findings),
        **{status.value: statuses.get(status, 0) for status in Status},
        **{action.value: actions.get(action, 0) for action in COUNTED_ACTIONS},
        min_days_to_expiry=min(expiries) if expiries else None,
    )


def _describe_certificate(
    certificate: CertificateInfo, in_verified_path: bool, now: datetime, *, tied: bool = False
) -> CertificateView:
    return CertificateView(
        subject=certificate.subject,
        issuer=certificate.issuer,
        serial=certificate.serial,
        not_before=_iso(certificate.not_before),
        not_after=_iso(certificate.not_after),
        days_left=days_left(certificate.not_after, now),
        sha1=certificate.sha1,
        is_ca=certificate.is_ca,
        in_verified_path=in_verified_path,
        # In the verified path or tied to it by signature: the only certificates a write may pin.
        tied_to_verified_path=tied,
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
