"""Approval tests of what people read: each alert, rendered from deterministic reports, held as committed text
(tests/unit/__snapshots__/) that a person reviews when it changes. `pytest --snapshot-update` rewrites them;
the diff is the review. The facts in them are asserted one by one in test_alert_facts.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import msgspec
import pytest
from syrupy.assertion import SnapshotAssertion

from tests.unit import alert_scenes as scene
from tests.unit.builders import NOW
from thumbprint_remediator.domain.impact import OUTSIDE_CHANGE_CODE
from thumbprint_remediator.domain.models import Trust
from thumbprint_remediator.domain.organization import aggregate
from thumbprint_remediator.domain.report import Finding, compact_report, finished
from thumbprint_remediator.domain.rules import Problem
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.views import Report, to_builtins
from thumbprint_remediator.report.alerts import Alert, render_alert, render_organization_alert


def as_read(alert: Alert) -> str:
    """The alert as its readers meet it: subject and attributes (what a filter sees), then the e-mail."""
    attributes = ", ".join(f"{name}={value}" for name, (_, value) in sorted(alert.attributes.items()))
    return f"Subject: {alert.subject}\nAttributes: {attributes}\n\n{alert.body}\n"


# One alert per status and action, each provider beside a healthy one (so the e-mail has every section it can).
CASES: dict[str, Callable[[], tuple[list[Finding], bool]]] = {
    "stale_updated_public": lambda: ([scene.rotated(), scene.healthy()], False),
    "stale_updated_private": lambda: ([scene.private_rotated(), scene.healthy()], False),
    "stale_would_update_fallback_dry_run": lambda: ([scene.rotated(dry_run=True), scene.healthy()], True),
    "stale_would_update_private_dry_run": lambda: ([scene.private_empty(dry_run=True), scene.healthy()], True),
    "stale_skip_tagged": lambda: ([scene.rotated("legacy.example", hold=True), scene.healthy()], False),
    "stale_update_failed": lambda: ([scene.rotated(write=scene.refused), scene.healthy()], False),
    "stale_update_unknown": lambda: ([scene.rotated(write=scene.unanswered), scene.healthy()], False),
    "untrusted_blocked": lambda: ([scene.intercepted(), scene.healthy()], False),
    "expiring": lambda: ([scene.expiring(), scene.healthy()], False),
    "expired": lambda: ([scene.expired(), scene.healthy()], False),
    "unreachable": lambda: ([scene.unreachable(), scene.healthy()], False),
    "invalid_discovery": lambda: ([scene.invalid_discovery(), scene.healthy()], False),
    "ok_trust_widened_outside_the_tool": lambda: ([scene.drifted_private(), scene.healthy()], False),
    "all_healthy_one_skipped": lambda: ([scene.healthy(), scene.skipped()], False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_status_and_action_reads_as_approved(case: str, approved: SnapshotAssertion) -> None:
    findings, dry_run = CASES[case]()
    alert = render_alert(scene.report(findings, dry_run=dry_run), scene.CONTEXT)
    assert as_read(alert) == approved


def test_the_demo_sweep_reads_in_the_order_of_urgency(approved: SnapshotAssertion) -> None:
    # Given the demo's mix in IAM's list order: three fixed first, the one critical provider near the end
    findings = [
        scene.healthy(),
        scene.rotated(),
        scene.private_empty(),
        scene.rotated("dex.example"),
        scene.expiring(),
        scene.intercepted(),
        scene.rotated("legacy.example", hold=True),
    ]
    alert = render_alert(scene.report(findings), scene.CONTEXT)
    assert as_read(alert) == approved


def test_the_immediate_check_names_who_widened_trust(approved: SnapshotAssertion) -> None:
    # Given someone else's thumbprint update on a private CA's provider, checked at once (no history)
    host = "keycloak.example"
    finding = scene.finding(
        f"{host}/realms/prod",
        pinned=[scene.top(host), scene.OUTSIDER],
        capture=scene.host_capture(host, scene.chain_of(host)),
        trust=Trust.PRIVATE,
    )
    change: dict[str, Any] = {
        "provider_arn": finding.arn,
        "event_name": "UpdateOpenIDConnectProviderThumbprint",
        "event_id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "event_time": "2026-11-28T03:12:09Z",
        "principal": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/Ops/alice",
            "issuer_arn": "arn:aws:iam::123456789012:role/Ops",
        },
        "error_code": None,
        "by_tool": False,
        "outside_tool": True,
    }
    # As check_change adds it: the change named, the provider still verifying
    note = Problem(
        code=OUTSIDE_CHANGE_CODE,
        status=Status.OK,
        message="Changed outside the tool: UpdateOpenIDConnectProviderThumbprint by "
        "arn:aws:sts::123456789012:assumed-role/Ops/alice (AssumedRole) at 2026-11-28T03:12:09Z; the provider "
        "still verifies.",
        remedy="Ask the principal named here why the provider was changed",
    )
    tree = to_builtins(_report_struct([replace(finding, problems=(*finding.problems, note))]))
    report = finished(msgspec.convert(tree, Report), change=change, checked=True)
    alert = render_alert(to_builtins(report), scene.CONTEXT)
    assert as_read(alert) == approved


def test_the_organization_alert_reads_as_approved(approved: SnapshotAssertion) -> None:
    # Given three member accounts: one fixed, one with a dry-run fallback update and an expiring chain, one whose
    # role could not be assumed
    def member(account: str, findings: list[Finding], dry_run: bool = False) -> dict[str, Any]:
        full = _report_struct(findings, dry_run=dry_run, account=account)
        compact = json.loads(
            json.dumps(to_builtins(compact_report(full))).replace(f":{scene.ACCOUNT}:", f":{account}:")
        )
        return {"account_id": account, "name": f"team-{account[-1]}", "report": compact}

    results = [
        member("111111111111", [scene.rotated(), scene.healthy()]),
        member("222222222222", [scene.rotated("dex.example", dry_run=True), scene.expiring()], dry_run=True),
        {
            "account_id": "333333333333",
            "name": "legacy",
            "error": {"Cause": '{"errorType": "AccessDenied", "errorMessage": "not authorized to assume the role"}'},
        },
    ]
    report = to_builtins(aggregate(results, execution="arn:aws:states:eu-west-1:123456789012:execution:sweep:nightly"))
    alert = render_organization_alert(report, scene.CONTEXT)
    assert as_read(alert) == approved


def _report_struct(findings: list[Finding], *, dry_run: bool = False, account: str = scene.ACCOUNT) -> Report:
    from thumbprint_remediator.domain.report import build_report  # noqa: PLC0415 - the struct, not the tree

    return build_report(
        account=account,
        dry_run=dry_run,
        started_at=NOW,
        duration_ms=240,
        findings=findings,
        sweep_id=scene.SWEEP_ID,
    )
