"""Who can use each provider, through the real handler on the emulated account: one ListRoles pass per sweep, each
provider's `trusted_by` in the report, the posture problems in the alert's text, news told once, and
POSTURE=false calling nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.aws_calls import CallRecorder
from sandbox.environment import Provider, Sandbox
from tests.cli_runner import Cli
from thumbprint_remediator.aws.finding_events import build_entries
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_FINDING_EVENTS,
    ENV_HISTORY_TABLE,
    ENV_NOTIFY_ON,
    ENV_POSTURE,
    ENV_SECURITY_HUB,
    SERVICE_NAME,
)

GITHUB = "token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Trusting:
    """A healthy sandbox issuer and a GitHub provider, with the roles that trust them."""

    issuer: Provider
    github_arn: str
    roles: dict[str, str]  # name -> ARN


def _web_identity(provider_arn: str, condition: dict[str, Any] | None, sid: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.fixture
def trusting(sandbox: Sandbox) -> Iterator[Trusting]:
    """Roles under a path of their own (they outlive sandbox.clear(), so they are deleted afterwards): on the GitHub
    provider one open to any repository (an audience and no subject: Datadog Security Labs, "No keys attached",
    2023) and one pinned to a branch of one repository (GitHub's docs); on the sandbox issuer one whose subject is
    a bare wildcard."""
    issuer = sandbox.add_provider("healthy")
    github_arn = sandbox.register_url(f"https://{GITHUB}", pinned=["6938fd4d98bab03faadb97b34396831e3780aea1"])
    tag = uuid.uuid4().hex[:8]
    policies = {
        f"deploy-any-repo-{tag}": _web_identity(
            github_arn, {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}, sid="GitHubDeploy"
        ),
        f"deploy-one-repo-{tag}": _web_identity(
            github_arn,
            {
                "StringEquals": {
                    f"{GITHUB}:aud": "sts.amazonaws.com",
                    f"{GITHUB}:sub": "repo:octo/app:ref:refs/heads/main",
                }
            },
        ),
        f"anyone-of-issuer-{tag}": _web_identity(issuer.arn, {"StringLike": {f"{issuer.url}:sub": "*"}}),
    }
    iam = sandbox.account.iam
    roles = {
        name: str(
            iam.create_role(RoleName=name, Path=f"/posture-{tag}/", AssumeRolePolicyDocument=json.dumps(policy))[
                "Role"
            ]["Arn"]
        )
        for name, policy in policies.items()
    }
    try:
        yield Trusting(issuer, github_arn, roles)
    finally:
        for name in roles:
            iam.delete_role(RoleName=name)


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(finding for finding in report["findings"] if finding["arn"] == arn)


def _role(trusting: Trusting, prefix: str) -> str:
    return next(arn for name, arn in trusting.roles.items() if name.startswith(prefix))


def test_every_provider_gets_its_trusted_by_from_one_listroles_pass(
    sandbox: Sandbox, trusting: Trusting, aws_calls: CallRecorder
) -> None:
    # Given two providers and roles that trust them

    # When the schedule sweeps
    report = sandbox.invoke(None)

    # Then the roles were listed once for the whole sweep, not per provider
    assert [call.action for call in aws_calls.calls].count("iam:ListRoles") == 1
    assert report["posture"]["complete"] is True
    assert report["posture"]["calls"] == 1
    assert report["posture"]["roles"] >= 3
    # And the GitHub provider names the open role critical, with the exact fields, and the pinned one ok
    github = _finding(report, trusting.github_arn)
    any_repo, one_repo = _role(trusting, "deploy-any-repo"), _role(trusting, "deploy-one-repo")
    assert github["trusted_by"] == [
        {
            "role_arn": any_repo,
            "verdict": "critical",
            "statement": "GitHubDeploy",
            "reason": f"GitHub Actions: no condition binds {GITHUB}:sub, so any GitHub repository can assume",
            "suggestion": f'"StringEquals": {{"{GITHUB}:sub": "repo:<org>/<repo>:ref:refs/heads/main"}}',
        },
        {
            "role_arn": one_repo,
            "verdict": "ok",
            "statement": "#0",
            "reason": f'GitHub Actions: StringEquals {GITHUB}:sub = "repo:octo/app:ref:refs/heads/main": one '
            "repository, octo/app",
            "suggestion": "",
        },
    ]
    # And the critical verdict is a problem of its own code, about that role and statement
    (critical,) = [p for p in github["problems"] if p["code"] == "trust_critical"]
    assert critical["instance"] == f"{any_repo} GitHubDeploy"
    assert critical["severity"] == "critical"
    assert critical["status"] == "ok"  # no thumbprint status follows from it
    assert "repo:<org>/<repo>:ref:refs/heads/main" in critical["remedy"]
    # And the healthy issuer keeps its thumbprint status: a self-hosted issuer's bare wildcard subject admits any
    # identity that issuer signs for (one tenant), a warning that puts it among what needs action soon
    issuer = _finding(report, trusting.issuer.arn)
    assert issuer["status"] == "ok"
    assert [(v["role_arn"], v["verdict"]) for v in issuer["trusted_by"]] == [
        (_role(trusting, "anyone-of-issuer"), "warning")
    ]
    (alert,) = sandbox.alerts()
    text = alert.body
    print(text)
    assert alert.subject == "OIDC thumbprints: 1 unreachable, 1 broad trust (123456789012)"
    any_repo_name, issuer_role = any_repo.rsplit("/", 1)[1], _role(trusting, "anyone-of-issuer").rsplit("/", 1)[1]
    # the GitHub provider's block (critical for its unreachable host) says who can use it, critical first
    assert "  Who can use it (1 critical):" in text
    assert (
        f"  - CRITICAL role {any_repo_name}, statement GitHubDeploy: GitHub Actions: no condition binds {GITHUB}:sub, "
        "so any GitHub repository can assume" in text
    )
    assert f"    Role: {any_repo}" in text
    assert f'    Write instead: "StringEquals": {{"{GITHUB}:sub": "repo:<org>/<repo>:ref:refs/heads/main"}}' in text
    # the healthy issuer is told for its role alone, its thumbprint status unchanged
    assert f"[OK] {trusting.issuer.url}" in text
    assert (
        f'  Warning: self-hosted issuer: StringLike {trusting.issuer.url}:sub = "*" pins nothing the issuer does '
        f"not: any identity the issuer signs for can assume role {issuer_role}, statement #0." in text
    )
    assert f"  - WARNING role {issuer_role}, statement #0:" in text


def test_a_new_critical_verdict_is_news_once(sandbox: Sandbox, trusting: Trusting, history_table: str) -> None:
    # Given history, notifications on changes only, and a first sweep that told everything
    environment = {ENV_HISTORY_TABLE: history_table, ENV_NOTIFY_ON: "changes"}
    assert sandbox.invoke(None, environment)["alert"]["sent"] is True
    assert sandbox.invoke(None, environment)["alert"]["sent"] is False  # nothing new
    sandbox.alerts()

    # When someone adds a role any GitHub repository can assume, and the schedule sweeps twice
    name = f"late-any-repo-{uuid.uuid4().hex[:8]}"
    policy = _web_identity(trusting.github_arn, None)
    late = sandbox.account.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]
    try:
        third = sandbox.invoke(None, environment)
        third_alerts = sandbox.alerts()
        fourth = sandbox.invoke(None, environment)
    finally:
        sandbox.account.iam.delete_role(RoleName=name)

    # Then the third sweep told the new verdict, naming its role, and the fourth told nobody
    assert third["alert"]["sent"] is True
    assert _finding(third, trusting.github_arn)["history"]["news"] == f"new problem: trust_critical@{late} #0"
    (alert,) = third_alerts
    assert f"  - CRITICAL role {name}, statement #0:" in alert.body
    assert fourth["alert"]["sent"] is False
    assert sandbox.alerts() == []
    # And the verdict is still in the report
    assert [v["verdict"] for v in _finding(fourth, trusting.github_arn)["trusted_by"]].count("critical") == 2


def test_posture_false_lists_no_role_and_reports_no_trusted_by(
    sandbox: Sandbox, trusting: Trusting, aws_calls: CallRecorder
) -> None:
    # When the schedule sweeps with posture off
    report = sandbox.invoke(None, {ENV_POSTURE: "false"})

    # Then ListRoles was never called, and the report carries no posture
    assert "iam:ListRoles" not in aws_calls.actions()
    assert "posture" not in report
    assert all("trusted_by" not in finding for finding in report["findings"])
    assert not any(p["code"].startswith("trust_") for f in report["findings"] for p in f["problems"])


def test_security_hub_gets_one_finding_per_role_and_problem_with_the_role_as_resource(
    sandbox: Sandbox, trusting: Trusting, security_hub: Any
) -> None:
    # Given Security Hub on, and the roles of the fixture
    any_repo = _role(trusting, "deploy-any-repo")
    hub = {ENV_SECURITY_HUB: "true", ENV_DRY_RUN: "true"}

    # When the schedule sweeps
    report = sandbox.invoke(None, hub)

    # Then the critical role is one finding, the role its first resource and the provider beside it
    found = security_hub.get_findings(MaxResults=100)["Findings"]
    posture = [f for f in found if f["ProductFields"].get(f"{SERVICE_NAME}/problem") == "trust_critical"]
    (critical,) = [f for f in posture if f["Resources"][0]["Id"] == any_repo]
    assert [r["Type"] for r in critical["Resources"]] == ["AwsIamRole", "Other"]
    assert critical["Resources"][1]["Id"] == trusting.github_arn
    assert critical["Severity"]["Label"] == "CRITICAL"
    assert "repo:<org>/<repo>:ref:refs/heads/main" in critical["Remediation"]["Recommendation"]["Text"]
    # And the warning on the sandbox issuer is another, the ok role none
    (warning,) = [f for f in found if f["ProductFields"].get(f"{SERVICE_NAME}/problem") == "trust_warning"]
    assert warning["Resources"][0]["Id"] == _role(trusting, "anyone-of-issuer")
    assert not [f for f in found if f["Resources"][0]["Id"] == _role(trusting, "deploy-one-repo")]
    assert report["channels"]["security_hub"]["imported"] >= 2

    # And when the open role is deleted, the next sweep resolves its finding
    name = any_repo.rsplit("/", 1)[1]
    sandbox.account.iam.delete_role(RoleName=name)
    try:
        sandbox.invoke(None, hub)
    finally:
        trusting.roles.pop(name)
    again = {f["Id"]: f["RecordState"] for f in security_hub.get_findings(MaxResults=100)["Findings"]}
    assert again[critical["Id"]] == "ARCHIVED"
    assert again[warning["Id"]] == "ACTIVE"


def test_finding_events_carry_the_posture_of_a_healthy_provider(
    sandbox: Sandbox, trusting: Trusting, aws_calls: CallRecorder
) -> None:
    # When the schedule sweeps with events on
    report = sandbox.invoke(None, {ENV_FINDING_EVENTS: "true"})

    # Then the events sent include one for the healthy issuer (its role's warning needs a person), carrying the
    # verdicts and the severity the alert gives it
    assert report["channels"]["events"]["sent"] == 3  # the two providers and the summary
    assert "events:PutEvents" in aws_calls.actions()
    entries = {tuple(entry["Resources"]): json.loads(entry["Detail"]) for entry in build_entries(report)}
    issuer = entries[(trusting.issuer.arn,)]
    assert issuer["severity"] == "warning"
    assert issuer["finding"]["status"] == "ok"
    assert issuer["finding"]["trusted_by"][0]["verdict"] == "warning"
    assert entries[(trusting.github_arn,)]["finding"]["trusted_by"][0]["verdict"] == "critical"


def test_the_cli_sweep_shows_who_can_use_each_provider(cli: Cli, sandbox: Sandbox, trusting: Trusting) -> None:
    # When a workstation sweeps (a dry run, text output)
    run = cli("sweep")

    # Then after the problems it lists every judged statement of each provider, critical first, with the fix
    any_repo = _role(trusting, "deploy-any-repo").rsplit("/", 1)[1]
    one_repo = _role(trusting, "deploy-one-repo").rsplit("/", 1)[1]
    lines = run.out.splitlines()
    assert lines[lines.index(GITHUB) + 1 : lines.index(GITHUB) + 4] == [
        f"  critical role {any_repo}, statement GitHubDeploy: GitHub Actions: no condition binds {GITHUB}:sub, so any "
        "GitHub repository can assume",
        f'           write instead: "StringEquals": {{"{GITHUB}:sub": "repo:<org>/<repo>:ref:refs/heads/main"}}',
        f"  ok       role {one_repo}, statement #0: GitHub Actions: StringEquals {GITHUB}:sub = "
        '"repo:octo/app:ref:refs/heads/main": one repository, octo/app',
    ]
    assert any(line.startswith("Who can use each provider (") and "in 1 ListRoles call" in line for line in lines)
