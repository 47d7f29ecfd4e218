"""Posture as the report, the impact and the alert read it: verdicts become problems of their own codes (one per
role and statement), a critical verdict makes an otherwise healthy provider critical without touching its status,
and the alert lists the verdicts critical first within its budget."""

from __future__ import annotations

from typing import Any

import msgspec

from thumbprint_remediator.domain.impact import Impact, judge
from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.posture import RolesSeen, RoleTrust, judge_posture, news_key, quota_problem
from thumbprint_remediator.domain.report import tree_compact_finding as compact_finding
from thumbprint_remediator.domain.report import tree_needs_attention as needs_attention
from thumbprint_remediator.report.alerts import posture_lines

GITHUB = "token.actions.githubusercontent.com"
PROVIDER = ProviderConfig(
    arn=f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}",
    url=GITHUB,
    thumbprints=(),
    client_ids=("sts.amazonaws.com",),
)


def _role(name: str, condition: dict[str, Any] | None, sid: str | None = None) -> RoleTrust:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER.arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        **({"Sid": sid} if sid else {}),
        **({"Condition": condition} if condition else {}),
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    return RoleTrust(arn=f"arn:aws:iam::123456789012:role/{name}", name=name, trust_policy=policy)


# Datadog Security Labs, "No keys attached" (2023): an audience and no subject.
OPEN = _role("deploy", {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}, sid="Deploy")
# GitHub's docs, "Configuring OpenID Connect in Amazon Web Services", narrowed to one branch.
PINNED = _role("pinned", {"StringEquals": {f"{GITHUB}:sub": "repo:octo/app:ref:refs/heads/main"}})
ORG_WIDE = _role("org-wide", {"StringLike": {f"{GITHUB}:sub": "repo:octo/*"}})
WRONG_AUDIENCE = _role(
    "wrong-aud", {"StringEquals": {f"{GITHUB}:aud": "other", f"{GITHUB}:sub": "repo:octo/app:ref:refs/heads/main"}}
)


def _healthy_finding(roles: tuple[RoleTrust, ...], complete: bool = True) -> dict[str, Any]:
    posture = judge_posture(PROVIDER, RolesSeen(roles, complete=complete))
    return {
        "arn": PROVIDER.arn,
        "url": GITHUB,
        "status": "ok",
        "action": "none",
        "thumbprint_reliance": "fallback",
        "problems": [problem.to_dict() for problem in posture.problems],
        "trusted_by": [msgspec.to_builtins(verdict) for verdict in posture.trusted_by],
        "hosts": [],
    }


def test_each_open_verdict_is_a_problem_of_its_own_code_about_its_role_and_statement() -> None:
    posture = judge_posture(PROVIDER, RolesSeen((OPEN, PINNED, ORG_WIDE, WRONG_AUDIENCE), complete=True))

    codes = {(problem.code, problem.instance, problem.severity, problem.status) for problem in posture.problems}
    assert codes == {
        ("trust_critical", f"{OPEN.arn} Deploy", "critical", "ok"),
        ("trust_warning", f"{ORG_WIDE.arn} #0", "warning", "ok"),
        ("audience_unsatisfiable", f"{WRONG_AUDIENCE.arn} #0", "warning", "ok"),
    }
    critical = next(problem for problem in posture.problems if problem.code == "trust_critical")
    assert critical.message.startswith(f"role deploy ({OPEN.arn}) statement Deploy: GitHub Actions: no condition")
    assert critical.remedy == (
        "narrow statement Deploy of role deploy's trust policy with the condition "
        f'"StringEquals": {{"{GITHUB}:sub": "repo:<org>/<repo>:ref:refs/heads/main"}}'
    )
    assert news_key(critical) == f"trust_critical@{OPEN.arn} Deploy"
    assert [verdict.verdict for verdict in posture.trusted_by] == ["critical", "warning", "unusable", "ok"]


def test_an_unused_provider_is_a_note_and_an_incomplete_listing_says_so_instead() -> None:
    unused = judge_posture(PROVIDER, RolesSeen((), complete=True))
    partial = judge_posture(PROVIDER, RolesSeen((), complete=False, failure="AccessDenied: not authorized"))

    assert [(p.code, p.severity) for p in unused.problems] == [("provider_unused", "info")]
    assert [(p.code, p.severity) for p in partial.problems] == [("posture_incomplete", "info")]
    assert "AccessDenied: not authorized" in partial.problems[0].message
    assert "iam:ListRoles" in partial.problems[0].remedy


def test_a_critical_verdict_makes_a_healthy_provider_critical_and_keeps_its_status() -> None:
    finding = _healthy_finding((OPEN, PINNED))

    impact = judge(finding)

    assert impact.level is Impact.CRITICAL
    assert impact.why == (
        f"GitHub Actions: no condition binds {GITHUB}:sub, so any GitHub repository can assume role deploy, "
        "statement Deploy"
    )
    assert finding["status"] == "ok"
    assert needs_attention(finding)


def test_a_warning_verdict_makes_it_a_warning_and_a_pinned_role_leaves_it_healthy() -> None:
    assert judge(_healthy_finding((ORG_WIDE,))).level is Impact.WARNING
    assert judge(_healthy_finding((PINNED,))).level is Impact.HEALTHY
    assert not needs_attention(_healthy_finding((PINNED,)))
    assert judge(_healthy_finding(())).level is Impact.HEALTHY  # unused: a note, not an alert


def test_a_compact_finding_carries_the_open_posture_codes_and_keeps_its_impact() -> None:
    compact = compact_finding(_healthy_finding((OPEN, ORG_WIDE)))

    assert compact["problems"] == ["trust_critical", "trust_warning"]
    assert judge(compact).level is Impact.CRITICAL


def test_the_alert_lists_verdicts_critical_first_each_with_role_reason_and_condition_then_and_n_more() -> None:
    roles = (ORG_WIDE, OPEN, *(_role(f"open-{index}", None) for index in range(5)))
    lines = posture_lines(_healthy_finding(roles))

    assert lines[0] == "  Who can use it (6 critical, 1 warning):"
    assert lines[1] == (
        f"  - CRITICAL role deploy, statement Deploy: GitHub Actions: no condition binds {GITHUB}:sub, so any GitHub "
        "repository can assume"
    )
    assert lines[2] == f"    Role: {OPEN.arn}"
    assert lines[3] == f'    Write instead: "StringEquals": {{"{GITHUB}:sub": "repo:<org>/<repo>:ref:refs/heads/main"}}'
    assert lines[-1] == "  ... and 2 more (the JSON form's trusted_by has every statement)"
    assert not any("WARNING" in line for line in lines)  # the warning is among the 2 more: critical first
    assert posture_lines(_healthy_finding((PINNED,))) == []


def test_the_quota_is_a_problem_near_and_at_it() -> None:
    assert quota_problem(89) is None
    near, full = quota_problem(90), quota_problem(100)
    assert near is not None
    assert full is not None
    assert (near.code, near.severity) == ("provider_quota", "warning")
    assert (full.code, full.severity) == ("provider_quota", "critical")
