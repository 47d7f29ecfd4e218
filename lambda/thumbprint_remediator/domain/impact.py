"""How urgent a finding is for the person who reads the alert: severity from impact, not from the status alone.

A missing pin matters when IAM relies on the thumbprint (a private CA, TLS 1.3 only) and is insurance when IAM
verifies a public chain itself; a write the sweep made and read back is done, not open; a pin someone else added
widens what IAM trusts exactly where IAM relies on the thumbprint. docs/alerts.md "Severity" is this table.

Pure: reads a finding as JSON values (a full finding of a sweep report, or a compact one of the organization's),
imports nothing that does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from thumbprint_remediator.domain.memory import drift_added
from thumbprint_remediator.domain.posture import TRUST_CRITICAL, severity_of
from thumbprint_remediator.domain.status import Action, Status

# The problem the immediate check adds when someone other than the tool changed a provider.
OUTSIDE_CHANGE_CODE: Final = "changed_outside_tool"
# The problem of a certificate that expires within the warning window (rules.py raises it).
EXPIRING_CODE: Final = "certificate_expiring"
# The calls that set a provider's thumbprint list: after one by someone else, every pin may be theirs.
LIST_SETTING_EVENTS: Final = frozenset({"UpdateOpenIDConnectProviderThumbprint", "CreateOpenIDConnectProvider"})


class Impact(StrEnum):
    """A finding's place in the alert, most urgent first (definition order)."""

    CRITICAL = "critical"  # act now: token exchange fails or may fail, or IAM trusts more than the issuer's chain
    WARNING = "warning"  # act soon: nothing fails yet (a certificate expiring, a fallback pin missing)
    FIXED = "fixed"  # the sweep fixed it (written and read back): told for information
    CHANGED = "changed"  # healthy, but a change was seen (drift, a skip tag, a change someone else made)
    HEALTHY = "healthy"

    @property
    def open(self) -> bool:
        """Still needs a person: counted in the `open_*` message attributes."""
        return self in (Impact.CRITICAL, Impact.WARNING)

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK: Final = {impact: rank for rank, impact in enumerate(Impact)}

# Why a critical status is critical, in the reader's words.
_STATUS_WHY: Final = {
    Status.ERROR: "the provider could not be read or assessed",
    Status.UNREACHABLE: "an endpoint did not answer: IAM may not reach it either, and token exchange fails then",
    Status.EXPIRED: "a certificate expired: IAM rejects tokens until it is renewed",
    Status.UNTRUSTED: "the chain does not verify: the tool will not pin it, and tokens may fail or an interceptor "
    "may be in the path",
    Status.INVALID_DISCOVERY: "the discovery document or JWKS is unusable: token exchange fails",
}
_RELIANCE_WHY: Final = {
    "required": "IAM relies on the thumbprint here: token exchange fails until the live thumbprint is pinned",
    "unknown": "whether IAM relies on the thumbprint is unknown: token exchange may fail until it is pinned",
    "fallback": "IAM verifies this public chain itself: the missing pin is only its fallback",
}


@dataclass(frozen=True)
class Widened:
    """Pins IAM now trusts for a provider that no certificate of the issuer matches, set outside the tool."""

    pins: tuple[str, ...]
    by: str | None  # who, where the immediate check knows (the CloudTrail principal and time); None: unknown


@dataclass(frozen=True)
class FindingImpact:
    """A finding's impact and, in one line, why."""

    level: Impact
    why: str
    widened: Widened | None = None


def judge(finding: Mapping[str, Any], change: Mapping[str, Any] | None = None) -> FindingImpact:
    """The impact of `finding`: its thumbprints' (below), raised by who can use the provider. A critical posture
    problem (any identity of a shared issuer can assume a role) makes the finding critical, a warning one makes a
    healthy or fixed finding a warning; the thumbprint's own why is kept where it is as serious. `change`: the
    report's CloudTrail change (an immediate check), naming who."""
    impact = thumbprint_impact(finding, change)
    posture = posture_impact(finding)
    if posture is not None and posture.level.rank < impact.level.rank:
        return FindingImpact(posture.level, posture.why, impact.widened)
    return impact


def posture_impact(finding: Mapping[str, Any]) -> FindingImpact | None:
    """The impact of the finding's open posture problems alone (None without one): critical or warning, with a
    why naming the first role concerned."""
    problems = open_posture(finding)
    if not problems:
        return None
    critical = [problem for severity, problem in problems if severity == "critical"]
    level = Impact.CRITICAL if critical else Impact.WARNING
    first = (critical or [problems[0][1]])[0]
    verdicts = [v for v in _mappings(finding.get("trusted_by")) if v.get("verdict") == level.value]
    if verdicts and _code(first) in (TRUST_CRITICAL, "trust_warning"):
        verdict = verdicts[0]
        role = str(verdict.get("role_arn", "")).rsplit("/", 1)[-1]
        reason = str(verdict.get("reason", ""))
        named = f" role {role}" if reason.endswith("assume") else f" (role {role})"
        more = f"; {len(verdicts) - 1} more statements like it" if len(verdicts) > 1 else ""
        return FindingImpact(level, f"{reason}{named}, statement {verdict.get('statement')}{more}")
    if isinstance(first, Mapping):
        return FindingImpact(level, str(first.get("message", _code(first))))
    return FindingImpact(level, f"who can use this provider: {_code(first).replace('_', ' ')}")


def open_posture(finding: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The finding's posture problems that need a person (critical, then warning), each with its severity: a full
    finding's problem objects, or a compact finding's codes."""
    found = []
    for problem in finding.get("problems") or ():
        severity = severity_of(_code(problem), problem.get("severity") if isinstance(problem, Mapping) else None)
        if severity in ("critical", "warning"):
            found.append((severity, problem))
    return sorted(found, key=lambda pair: 0 if pair[0] == "critical" else 1)


def thumbprint_impact(  # noqa: PLR0911 - a row each
    finding: Mapping[str, Any], change: Mapping[str, Any] | None = None
) -> FindingImpact:
    """The impact of `finding`'s thumbprints and certificates. `change`: the report's CloudTrail change."""
    status, action = Status(finding["status"]), Action(finding["action"])
    reliance = str(finding.get("thumbprint_reliance") or "unknown")
    if status.critical:
        return FindingImpact(Impact.CRITICAL, _STATUS_WHY[status])
    if action.failed:
        return FindingImpact(Impact.CRITICAL, "the write failed or its outcome is unknown: IAM's list may be stale")
    widened = widened_trust(finding, change)
    if widened is not None and reliance == "required":
        return FindingImpact(
            Impact.CRITICAL,
            "IAM relies on the thumbprint here, and now also trusts a pin that no certificate of the issuer "
            "matches, set outside the tool",
            widened,
        )
    if stale_left_open(finding):
        level = Impact.WARNING if reliance == "fallback" else Impact.CRITICAL
        return FindingImpact(level, _RELIANCE_WHY.get(reliance, _RELIANCE_WHY["unknown"]), widened)
    if widened is not None:
        return FindingImpact(
            Impact.WARNING,
            "a pin that no certificate of the issuer matches was set outside the tool; IAM verifies this public "
            "chain itself, so it matters only as a fallback",
            widened,
        )
    # A fix leaves the finding's status at the stale it fixed: an expiring certificate beside it stays open.
    if status is Status.EXPIRING or _expiring(finding):
        expiry = finding.get("nearest_expiry") or {}
        days = expiry.get("days_left", finding.get("days_to_expiry"))
        when = f" in {days} days" if days is not None else " soon"
        return FindingImpact(Impact.WARNING, f"a certificate expires{when}: renew it before then")
    if action is Action.UPDATED:
        return FindingImpact(Impact.FIXED, "the sweep pinned the live thumbprints and read the list back")
    if _changed(finding):
        return FindingImpact(Impact.CHANGED, "healthy: told for the change shown below")
    return FindingImpact(Impact.HEALTHY, "healthy")


def stale_left_open(finding: Mapping[str, Any]) -> bool:
    """A live thumbprint is missing and this sweep did not pin it: a dry run, a skip tag, or a blocked write."""
    action = Action(finding["action"])
    return Status(finding["status"]) is Status.STALE and action in (Action.NONE, Action.WOULD_UPDATE, Action.BLOCKED)


def widened_trust(finding: Mapping[str, Any], change: Mapping[str, Any] | None = None) -> Widened | None:
    """Pins set outside the tool that no certificate the issuer presented matches, or None.

    With history, the pins a `drift` added; else, after a list-setting call by someone else (the immediate check),
    every pin of the list it left. A compact finding (the organization's) carries no chains: its added pins count."""
    presented = presented_thumbprints(finding)
    pins = _drift_added(finding)
    by = None
    outside = change is not None and change.get("outside_tool") and change.get("provider_arn") == finding.get("arn")
    if outside and change is not None:
        principal = change.get("principal") or {}
        who = principal.get("arn") or principal.get("issuer_arn") or "an unknown principal"
        when = f" at {change['event_time']}" if change.get("event_time") else ""
        by = f"{change.get('event_name')} by {who} ({principal.get('type') or 'unknown'}){when}"
        if not pins and change.get("event_name") in LIST_SETTING_EVENTS:
            pins = tuple(finding.get("thumbprints_before") or ())
    unknown = tuple(pin for pin in dict.fromkeys(pins) if presented is None or pin not in presented)
    return Widened(unknown, by) if unknown else None


def presented_thumbprints(finding: Mapping[str, Any]) -> frozenset[str] | None:
    """The SHA-1 of every certificate the issuer presented (every host, every sampled backend); None for a
    compact finding, which carries no chains."""
    hosts = finding.get("hosts")
    if hosts is None:
        return None
    seen: set[str] = set()
    for host in _mappings(hosts):
        for chain in (host, *_mappings(host.get("samples"))):
            seen.update(str(certificate.get("sha1")) for certificate in _mappings(chain.get("certificates")))
    return frozenset(seen)


def _mappings(values: Any) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (anything else in it, or a value that is no list, ignored)."""
    return [value for value in values if isinstance(value, Mapping)] if isinstance(values, list) else []


def _drift_added(finding: Mapping[str, Any]) -> tuple[str, ...]:
    history = finding.get("history") or {}
    details = [
        str(entry.get("detail", ""))
        for entry in (*(history.get("since_last_sweep") or ()), *(history.get("untold") or ()))
        if entry.get("kind") == "drift"
    ]
    # A compact finding carries its changes as "kind: detail".
    details += [str(text)[len("drift: ") :] for text in finding.get("changes") or () if str(text).startswith("drift: ")]
    return tuple(pin for detail in details for pin in drift_added(detail))


def _changed(finding: Mapping[str, Any]) -> bool:
    history = finding.get("history") or {}
    return (
        bool(history.get("since_last_sweep"))
        or bool(history.get("untold"))
        or bool(finding.get("changes"))
        or any(_code(problem) == OUTSIDE_CHANGE_CODE for problem in finding.get("problems") or ())
    )


def _expiring(finding: Mapping[str, Any]) -> bool:
    """A certificate of the finding's expires soon (a full finding's problem status, or a compact one's code)."""
    return any(
        _code(problem) == EXPIRING_CODE or (isinstance(problem, Mapping) and problem.get("status") == Status.EXPIRING)
        for problem in finding.get("problems") or ()
    )


def _code(problem: Any) -> str:
    return str(problem.get("code")) if isinstance(problem, Mapping) else str(problem)


def worst(impacts: Iterable[Impact]) -> Impact:
    """The most urgent of `impacts`; HEALTHY when there are none."""
    return min(impacts, key=lambda impact: impact.rank, default=Impact.HEALTHY)
