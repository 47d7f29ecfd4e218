"""The alert: subject, e-mail body, attributes, trimming to SNS's limit."""

from __future__ import annotations

import json

from tests.unit.builders import NOW
from thumbprint_remediator.alerts import MESSAGE_LIMIT, SUBJECT_LIMIT, render_alert, severity, should_notify
from thumbprint_remediator.report import Finding, build_report
from thumbprint_remediator.rules import Problem

OLD, NEW = "a" * 40, "b" * 40


def _finding(index: int, status: str = "ok", action: str = "none", **extra: object) -> Finding:
    return Finding(
        arn=f"arn:aws:iam::123456789012:oidc-provider/issuer-{index}.example",
        url=f"issuer-{index}.example",
        status=status,
        action=action,
        thumbprints_before=(OLD,),
        thumbprints_after=(NEW, OLD) if action in ("updated", "would_update") else (OLD,),
        **extra,  # type: ignore[arg-type]
    )


def _report(findings: list[Finding], dry_run: bool = False) -> dict:
    return build_report(
        account="123456789012", dry_run=dry_run, started_at=NOW, duration_ms=12, findings=findings, sweep_id="s1"
    )


def test_subject_counts_what_needs_attention_and_names_the_account() -> None:
    report = _report([_finding(1, "stale", "updated"), _finding(2, "expiring"), _finding(3)])
    alert = render_alert(report)
    assert alert.subject == "OIDC thumbprints: 1 updated, 1 expiring (123456789012)"
    assert alert.attributes["severity"] == ("String", "warning")
    assert alert.attributes["updated"] == ("Number", "1")


def test_body_has_a_block_per_problem_provider_then_healthy_then_json() -> None:
    problem = Problem("thumbprint_missing", "stale", "issuer-1.example: live thumbprint not pinned", "pin it")
    report = _report([_finding(1, "stale", "updated", problems=(problem,)), _finding(2), _finding(3)])
    body = render_alert(report).body
    block_at = body.index("[STALE -> UPDATED] issuer-1.example")
    healthy_at = body.index("Healthy: 2 ok: issuer-2.example, issuer-3.example.")
    json_at = body.index("Full report (JSON):")
    assert block_at < healthy_at < json_at
    assert f"Thumbprints: {OLD} -> {NEW}, {OLD}" in body
    assert "What to do: pin it" in body
    assert json.loads(body[json_at + len("Full report (JSON):") :]) == report


def test_blocked_or_unreachable_is_critical_and_all_ok_is_info() -> None:
    assert severity(_report([_finding(1, "untrusted", "blocked")])) == "critical"
    assert severity(_report([_finding(1, "unreachable")])) == "critical"
    assert severity(_report([_finding(1), _finding(2, "skipped")])) == "info"


def test_notify_policy() -> None:
    healthy, stale = _report([_finding(1)]), _report([_finding(1, "stale", "would_update")], dry_run=True)
    assert not should_notify(healthy, "problems")
    assert should_notify(healthy, "always")
    assert should_notify(stale, "problems")
    assert not should_notify(stale, "never")


def test_subject_stays_within_sns_limits_for_long_account_and_many_labels() -> None:
    statuses = ["error", "unreachable", "expired", "untrusted", "invalid_discovery", "expiring"]
    findings = [_finding(i, status) for i, status in enumerate(statuses)]
    findings += [_finding(10, "stale", "update_failed"), _finding(11, "stale", "blocked")]
    report = _report(findings, dry_run=True)
    report["account"] = "123456789012 ünïcode"
    subject = render_alert(report).subject
    assert len(subject) <= SUBJECT_LIMIT
    assert "\n" not in subject
    assert subject.isascii()


def test_huge_report_is_trimmed_below_the_sns_limit_with_a_note() -> None:
    hosts = ({"host": "x", "certificates": [{"subject": "CN=" + "x" * 2000}] * 10},)
    findings = [_finding(i, "ok", hosts=hosts) for i in range(200)] + [_finding(999, "stale", "updated")]
    alert = render_alert(_report(findings))
    size = len(alert.body.encode()) + len(alert.subject) + sum(len(k) + len(v[1]) for k, v in alert.attributes.items())
    assert size < MESSAGE_LIMIT
    assert "Report trimmed to fit SNS's 256 KB limit" in alert.body
    assert "issuer-999.example" in alert.body
