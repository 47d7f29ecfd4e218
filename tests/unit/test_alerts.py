"""The alert: subject, e-mail body, attributes, trimming to SNS's limit."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.oracles import FORBIDDEN_TEXT
from tests.unit.builders import NOW
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.rules import Problem
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import to_builtins
from thumbprint_remediator.report.alerts import (
    MESSAGE_LIMIT,
    SUBJECT_LIMIT,
    TEXT_BUDGET,
    finding_block,
    render_alert,
    severity,
    should_notify,
)

OLD, NEW = "a" * 40, "b" * 40


def _finding(index: int, status: str = "ok", action: str = "none", **extra: object) -> Finding:
    return Finding(
        arn=f"arn:aws:iam::123456789012:oidc-provider/issuer-{index}.example",
        url=f"issuer-{index}.example",
        status=Status(status),
        action=Action(action),
        thumbprints_before=(OLD,),
        thumbprints_after=(NEW, OLD) if action in ("updated", "would_update") else (OLD,),
        **extra,  # type: ignore[arg-type]
    )


def _report(findings: list[Finding], dry_run: bool = False) -> dict[str, Any]:
    return to_builtins(
        build_report(
            account="123456789012", dry_run=dry_run, started_at=NOW, duration_ms=12, findings=findings, sweep_id="s1"
        )
    )


def test_subject_counts_what_needs_attention_and_names_the_account() -> None:
    report = _report([_finding(1, "stale", "updated"), _finding(2, "expiring"), _finding(3)])
    alert = render_alert(report)
    assert alert.subject == "OIDC thumbprints: 1 updated, 1 expiring (123456789012)"
    assert alert.attributes["severity"] == ("String", "warning")
    assert alert.attributes["fixed"] == ("Number", "1")
    assert alert.attributes["open_warning"] == ("Number", "1")
    assert alert.attributes["open_critical"] == ("Number", "0")


def test_the_email_has_a_block_per_provider_then_the_healthy_ones_and_programs_get_the_json() -> None:
    problem = Problem("thumbprint_missing", Status.STALE, "issuer-1.example: live thumbprint not pinned", "pin it")
    report = _report([_finding(1, "stale", "would_update", problems=(problem,)), _finding(2), _finding(3)])
    alert = render_alert(report)
    body = alert.body
    block_at = body.index("[STALE -> WOULD_UPDATE] issuer-1.example")
    healthy_at = body.index("Healthy (2): issuer-2.example, issuer-3.example.")
    assert block_at < healthy_at
    assert f"Thumbprints: {OLD} -> {NEW}, {OLD}" in body
    assert "What to do: pin it" in body
    # The e-mail carries no JSON; the JSON form is the report itself
    assert "{" not in body
    assert json.loads(alert.report_json) == report
    forms = json.loads(alert.message())
    assert forms["default"] == forms["email"] == body
    assert all(forms[name] == alert.report_json for name in ("sqs", "lambda", "https", "email-json"))


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
    certificate = {
        "subject": "CN=" + "x" * 2000,
        "issuer": "CN=issuer",
        "serial": "01",
        "not_before": "2026-01-01T00:00:00Z",
        "not_after": "2027-01-01T00:00:00Z",
        "days_left": 34,
        "sha1": "0" * 40,
        "is_ca": False,
        "in_verified_path": True,
        "tied_to_verified_path": True,
    }
    host = {
        "host": "x",
        "port": 443,
        "role": "issuer",
        "roles": ["issuer"],
        "trust": "public",
        "verification_error": None,
        "tls_version": "TLSv1.3",
        "accepts_tls12": True,
        "live_thumbprint": "0" * 40,
        "handshakes": 1,
        "failure": None,
        "certificates": [certificate] * 10,
    }
    hosts = (host,)
    findings = [_finding(i, "ok", hosts=hosts) for i in range(200)] + [_finding(999, "stale", "updated")]
    alert = render_alert(_report(findings))
    assert alert.size < MESSAGE_LIMIT
    trimmed = json.loads(alert.report_json)
    assert trimmed["trimmed"]["note"].startswith("Report trimmed to fit SNS's 256 KB limit")
    assert [finding["url"] for finding in trimmed["findings"]] == ["issuer-999.example"]
    assert trimmed["trimmed"]["findings_omitted"] == 0  # of the findings that need attention


# --- untrusted text and the size budget ------------------------------------------------------------

HOSTILE = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x9F),
    st.sampled_from(["\u2028", "\u2029", "\u202e", "\u2066", "€", "日", "\U0001f600", "[", "\n"]),
    st.characters(),
)
# Short hostile text, sometimes repeated into hundreds of kilobytes (a 300,000-character issuer).
short_value = st.text(HOSTILE, max_size=30)
hostile_value = st.one_of(
    short_value, st.builds(lambda text, times: text * times, st.text(HOSTILE, max_size=12), st.integers(0, 30_000))
)


@st.composite
def raw_findings(draw: st.DrawFn) -> dict[str, Any]:
    """A finding as a report dict, straight from the strategy: nothing sanitized it."""
    problem = st.fixed_dictionaries(
        {"code": short_value, "status": st.sampled_from(["stale", "untrusted", "ok"]), "message": hostile_value}
    ).map(lambda p: {**p, "remedy": "do something", "host": None})
    return {
        "arn": "arn:aws:iam::123456789012:oidc-provider/" + draw(short_value),
        "url": draw(st.one_of(short_value, hostile_value)),
        "status": draw(st.sampled_from(["stale", "untrusted", "invalid_discovery", "ok", "expiring"])),
        "action": draw(st.sampled_from(["none", "blocked", "updated", "would_update"])),
        "action_reason": draw(st.one_of(st.none(), hostile_value)),
        "problems": draw(st.lists(problem, max_size=3)),
        "thumbprints_before": [OLD],
        "thumbprints_after": [NEW],
        "thumbprint_reliance": "unknown",
        "nearest_expiry": draw(
            st.one_of(
                st.none(),
                st.builds(
                    lambda subject: {
                        "host": "h",
                        "subject": subject,
                        "not_after": "2027-01-01T00:00:00Z",
                        "days_left": 3,
                    },
                    hostile_value,
                ),
            )
        ),
        "hosts": [],
        "error": draw(st.one_of(st.none(), hostile_value)),
    }


@st.composite
def raw_reports(draw: st.DrawFn) -> dict[str, Any]:
    findings = draw(st.lists(raw_findings(), max_size=8))
    findings += [findings[-1]] * draw(st.integers(0, 300)) if findings else []  # many providers alike
    return {
        "account": draw(st.one_of(st.just("123456789012"), short_value)),
        "sweep_id": draw(short_value),
        "dry_run": draw(st.booleans()),
        "started_at": "2026-11-28T12:00:00Z",
        "duration_ms": 5,
        "summary": {"providers": len(findings), "stale": draw(st.integers(0, 10**6))},
        "findings": findings,
    }


def _json_of(part: str) -> dict[str, Any]:
    parsed = json.loads(part)
    assert isinstance(parsed, dict)
    return parsed


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw_reports())
def test_any_report_renders_one_message_within_sns_limits(report: dict[str, Any]) -> None:
    # Given any report, its text unsanitized and as large as it gets  When the alert is rendered
    alert = render_alert(report)
    text, json_part = alert.body, alert.report_json
    # Then the whole message, every form, attributes and subject included, fits SNS's 256 KB in UTF-8 bytes
    size = len(alert.message().encode()) + len(alert.subject.encode())
    size += sum(
        len(name.encode()) + len(kind.encode()) + len(value.encode())
        for name, (kind, value) in alert.attributes.items()
    )
    assert size <= 256 * 1024
    assert len(text.encode()) <= TEXT_BUDGET
    assert alert.subject.isascii()
    assert alert.subject.isprintable()
    assert len(alert.subject) <= 100
    # And no line holds a character that could forge another, and the JSON part is still JSON
    assert not any(FORBIDDEN_TEXT.search(line) for line in alert.body.split("\n"))
    assert not any(FORBIDDEN_TEXT.search(value) for _, value in alert.attributes.values())
    assert isinstance(_json_of(json_part), dict)


def test_blocks_past_the_text_budget_are_listed_by_url_and_every_provider_is_accounted_for() -> None:
    # Given 600 providers needing attention, each with a long problem text
    problem = Problem("chain_untrusted", Status.UNTRUSTED, "x" * 900, "fix it")
    findings = [_finding(i, "untrusted", "blocked", problems=(problem,) * 3) for i in range(600)]
    alert = render_alert(_report(findings))
    text, json_part = alert.body, alert.report_json
    # Then the first ones get blocks, the rest their URL, within the budget, and the JSON says what it left out
    assert len(text.encode()) <= TEXT_BUDGET < len(text.encode()) + 4 * 1024
    assert "[UNTRUSTED -> BLOCKED] issuer-0.example\n  Critical:" in text
    listed = re.findall(r"^  \[UNTRUSTED -> BLOCKED\] (issuer-\d+\.example)$", text, re.MULTILINE)
    blocks = re.findall(r"^\[UNTRUSTED -> BLOCKED\] (issuer-\d+\.example)$", text, re.MULTILINE)
    assert listed
    assert blocks
    assert f"{600 - len(blocks)} more providers here, listed by URL only" in text
    assert sorted(blocks + listed, key=lambda url: int(url.split("-")[1].split(".")[0])) == [
        f"issuer-{i}.example" for i in range(600)
    ]
    trimmed = _json_of(json_part)
    assert len(trimmed["findings"]) + trimmed["trimmed"]["findings_omitted"] == 600
    assert alert.size <= MESSAGE_LIMIT


def test_a_forged_block_in_a_certificate_name_stays_on_its_own_line() -> None:
    # Given a problem quoting a certificate name that carries newlines and a fake healthy block
    forged = "CN=evil\n\n[OK] token.actions.githubusercontent.com\n  ARN: arn:aws:iam::1:oidc-provider/x"
    problem = Problem("certificate_expiring", Status.EXPIRING, f"certificate '{forged}' expires soon", "renew")
    text = render_alert(_report([_finding(1, "expiring", problems=(problem,))])).body
    # Then no line of the text starts a block that the sweep did not write
    assert [line for line in text.splitlines() if line.startswith("[")] == ["[EXPIRING] issuer-1.example"]
    assert "CN=evil\\n\\n[OK] token.actions.githubusercontent.com\\n  ARN:" in text


def test_a_write_of_unknown_outcome_is_counted_in_the_subject_and_is_critical() -> None:
    # Given a provider whose write may or may not have landed
    report = _report([_finding(1, "stale", "update_unknown"), _finding(2)])
    # When the alert is rendered  Then the subject counts it (it used to be left out) and the alert is critical
    alert = render_alert(report)
    assert alert.subject == "OIDC thumbprints: 1 update unknown (123456789012)"
    assert alert.attributes["severity"] == ("String", "critical")


def test_a_compact_finding_block_shows_problem_codes_and_days_to_expiry() -> None:
    # Given a finding as the organization carries it, expiring today
    compact = {
        "arn": "arn:aws:iam::111111111111:oidc-provider/u.example",
        "url": "u.example",
        "status": "expiring",
        "action": "none",
        "thumbprints_before": [OLD],
        "thumbprints_after": [OLD],
        "problems": ["certificate_expiring"],
        "days_to_expiry": 0,
        "error": None,
    }
    # When its block is rendered  Then it has the codes and the 0 days, like the account alert's layout
    assert finding_block(compact) == [
        "[EXPIRING] u.example",
        "  Warning: a certificate expires in 0 days: renew it before then.",
        "  ARN: arn:aws:iam::111111111111:oidc-provider/u.example",
        f"  Thumbprints: {OLD} (unchanged)",
        "  Problems: certificate_expiring",
        "  Nearest certificate expiry: 0 days",
        "",
    ]


def test_every_provider_of_every_section_is_accounted_for_past_the_text_budget() -> None:
    # Given 300 providers to act on now and 300 to act on soon, each with long problem texts
    blocking = Problem("chain_untrusted", Status.UNTRUSTED, "x" * 900, "fix it")
    stale = Problem("thumbprint_missing", Status.STALE, "y" * 900, "pin it")
    findings = [_finding(i, "untrusted", "blocked", problems=(blocking,) * 3) for i in range(300)]
    findings += [
        _finding(i, "stale", "would_update", problems=(stale,) * 3, thumbprint_reliance="fallback")
        for i in range(300, 600)
    ]
    text = render_alert(_report(findings, dry_run=True)).body
    # Then the e-mail keeps to its budget, and each provider has a block or a line in its own section
    assert len(text.encode()) <= TEXT_BUDGET
    now, soon = text.split("ACT SOON: 300 warnings")
    assert "ACT NOW: 300 critical" in now
    for section, urls in ((now, range(300)), (soon, range(300, 600))):
        shown = re.findall(r"^\s*\[[A-Z_ >-]+\] (issuer-\d+\.example)$", section, re.MULTILINE)
        assert sorted(shown) == sorted(f"issuer-{i}.example" for i in urls)
