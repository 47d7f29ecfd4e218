"""The alert: one SNS message per sweep, readable in an e-mail client, filterable by attributes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thumbprint_remediator.report import needs_attention
from thumbprint_remediator.rules import STATUS_ORDER

SUBJECT_LIMIT = 100  # SNS: at most 100 printable ASCII characters, no newlines
MESSAGE_LIMIT = 256 * 1024  # SNS: the whole message, attributes included
_MESSAGE_BUDGET = MESSAGE_LIMIT - 8 * 1024  # room for subject and attributes

CRITICAL_STATUSES = frozenset({"error", "unreachable", "expired", "untrusted", "invalid_discovery"})
CRITICAL_ACTIONS = frozenset({"blocked", "update_failed", "update_unknown", "would_update"})
# How an attention-worthy finding is counted in the subject, most serious first.
_LABEL_ORDER = ("update_failed", "blocked", *STATUS_ORDER[:5], "would_update", "updated", "stale", "expiring")
_ATTRIBUTE_COUNTS = ("providers", "updated", "would_update", "blocked", "stale", "expiring", "unreachable")


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str
    attributes: Mapping[str, tuple[str, str]]  # name -> (DataType, value)


def should_notify(report: Mapping[str, Any], notify_on: str) -> bool:
    """`always`, `never`, or `problems`: anything not ok, or anything changed."""
    if notify_on == "always":
        return True
    if notify_on == "never":
        return False
    return any(needs_attention(finding) for finding in report["findings"])


def severity(report: Mapping[str, Any]) -> str:
    return findings_severity(report["findings"])


def findings_severity(findings: Sequence[Mapping[str, Any]]) -> str:
    """`critical` (a broken or blocked provider), `warning` (anything else needing attention) or `info`."""
    if any(f["status"] in CRITICAL_STATUSES or f["action"] in CRITICAL_ACTIONS for f in findings):
        return "critical"
    if any(needs_attention(f) for f in findings):
        return "warning"
    return "info"


def render_alert(report: Mapping[str, Any]) -> Alert:
    """Subject, e-mail body and message attributes for a sweep report."""
    summary = report["summary"]
    level = severity(report)
    attributes: dict[str, tuple[str, str]] = {
        "severity": ("String", level),
        "account": ("String", str(report.get("account") or "unknown")),
        "dry_run": ("String", "true" if report.get("dry_run") else "false"),
    }
    for name in _ATTRIBUTE_COUNTS:
        attributes[name] = ("Number", str(summary.get(name, 0)))
    return Alert(subject=render_subject(report), body=render_body(report, level), attributes=attributes)


def attention_counts(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """What needs attention, counted most serious first: ["1 blocked", "3 updated"]."""
    counts = Counter(_label(f) for f in findings if needs_attention(f))
    return [f"{counts[label]} {label.replace('_', ' ')}" for label in _LABEL_ORDER if counts.get(label)]


def render_subject(report: Mapping[str, Any]) -> str:
    parts = attention_counts(report["findings"])
    if not parts:
        parts = [f"all {len(report['findings'])} OK"]
    prefix = "OIDC thumbprints (dry run): " if report.get("dry_run") else "OIDC thumbprints: "
    suffix = f" ({report.get('account') or 'unknown account'})"
    subject = prefix + ", ".join(parts)
    if len(subject) + len(suffix) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - len(suffix) - 3].rstrip(", ") + "..."
    return _ascii(subject + suffix)[:SUBJECT_LIMIT]


def render_body(report: Mapping[str, Any], level: str) -> str:
    findings = report["findings"]
    attention = [f for f in findings if needs_attention(f)]
    healthy = [f for f in findings if not needs_attention(f)]
    mode = " (dry run: nothing was changed)" if report.get("dry_run") else ""
    lines = [
        f"OIDC thumbprint sweep of account {report.get('account') or 'unknown'} at {report.get('started_at')}{mode}.",
        f"Severity: {level}. {len(findings)} providers checked, {len(attention)} need attention.",
        "",
    ]
    for finding in attention:
        lines.extend(_finding_block(finding))
    lines.append(_healthy_line(healthy))
    head = "\n".join(lines)
    return head + "\n\n" + _json_section(report, budget=_MESSAGE_BUDGET - len(head.encode()))


def _finding_block(finding: Mapping[str, Any]) -> list[str]:
    action = finding["action"]
    headline = finding["status"].upper() + ("" if action == "none" else f" -> {action.upper()}")
    block = [f"[{headline}] {finding['url']}", f"  ARN: {finding['arn']}"]
    if finding.get("action_reason"):
        block.append(f"  Action: {finding['action_reason']}")
    before, after = finding["thumbprints_before"], finding["thumbprints_after"]
    if before != after:
        block.append(f"  Thumbprints: {_list(before)} -> {_list(after)}")
    else:
        block.append(f"  Thumbprints: {_list(before)} (unchanged)")
    reliance = finding.get("thumbprint_reliance")
    if reliance == "required":
        block.append("  IAM relies on the thumbprint for this provider (private CA or TLS 1.3 only).")
    elif reliance == "fallback":
        block.append("  Public CA: IAM verifies the chain itself; the thumbprint is its fallback.")
    expiry = finding.get("nearest_expiry")
    if expiry:
        block.append(f"  Nearest expiry: {expiry['not_after'][:10]} ({expiry['days_left']} days) {expiry['subject']}")
    for problem in finding["problems"]:
        if problem["status"] == "ok" and problem["code"] != "tls13_only":
            continue
        block.append(f"  - {problem['message']}")
        if problem.get("remedy"):
            block.append(f"    What to do: {problem['remedy']}")
    if finding.get("error"):
        block.append(f"  Error: {finding['error']}")
    block.append("")
    return block


def _healthy_line(healthy: list[Mapping[str, Any]]) -> str:
    if not healthy:
        return "Healthy: none."
    by_status = Counter(f["status"] for f in healthy)
    names = ", ".join(f["url"] for f in healthy[:10]) + (f" and {len(healthy) - 10} more" if len(healthy) > 10 else "")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    return f"Healthy: {counts}: {names}."


def _json_section(report: Mapping[str, Any], budget: int) -> str:
    full = json.dumps(report, indent=1, default=str)
    if len(full.encode()) <= budget:
        return "Full report (JSON):\n" + full
    # Too big for SNS: keep the findings that need attention, without certificate detail.
    slim = dict(report)
    slim["findings"] = [{k: v for k, v in f.items() if k != "hosts"} for f in report["findings"] if needs_attention(f)]
    note = (
        "Report trimmed to fit SNS's 256 KB limit: healthy providers and certificate details are left out; "
        f"the full report is in the function's log (sweep_id {report.get('sweep_id')}).\n"
    )
    text = json.dumps(slim, separators=(",", ":"), default=str)
    limit = max(budget - len(note.encode()) - 40, 0)
    if len(text.encode()) > limit:
        text = text.encode()[:limit].decode(errors="ignore") + " ...[cut]"
    return "Report (JSON, trimmed):\n" + note + text


def _label(finding: Mapping[str, Any]) -> str:
    action = str(finding["action"])
    return action if action != "none" else str(finding["status"])


def _list(values: list[str]) -> str:
    return ", ".join(values) if values else "(none)"


def ascii_subject(text: str) -> str:
    """SNS accepts printable ASCII only in a subject."""
    return _ascii(text)[:SUBJECT_LIMIT]


def _ascii(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
