"""The organization's alert (alerts.py): who sent it and how bad it is, each account's block, the healthy ones,
what is left out of a large organization and where the rest is, and the JSON part trimmed to SNS's limit.

Found by mutation testing (`make mutation`). Pure: organization reports built by `aggregate`, no sandbox.
"""

from __future__ import annotations

import json
from typing import Any

from tests.unit.builders import NOW
from thumbprint_remediator.domain.organization import aggregate
from thumbprint_remediator.domain.report import Finding, build_report, compact_report
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import to_builtins
from thumbprint_remediator.report.alerts import (
    ALERT_ACCOUNTS,
    TEXT_BUDGET,
    alert_view,
    render_organization_alert,
    should_notify_organization,
)

OLD, NEW = "a" * 40, "b" * 40
LOCATION = "s3://org-reports/sweeps/2026-11-28/" + "k" * 300 + ".json"


def _provider(account: str, url: str, status: str, action: str = "none", **extra: Any) -> Finding:
    after = (NEW, OLD) if action in ("updated", "would_update") else (OLD,)
    return Finding(
        arn=f"arn:aws:iam::{account}:oidc-provider/{url}",
        url=url,
        status=Status(status),
        action=Action(action),
        thumbprints_before=(OLD,),
        thumbprints_after=after,
        **extra,
    )


def _swept(account: str, name: str, *findings: Finding, dry_run: bool = False, max_bytes: int | None = None) -> Any:
    """A member account's result as the state machine hands it: its compact report."""
    report = build_report(
        account=account, dry_run=dry_run, started_at=NOW, duration_ms=5, findings=findings, sweep_id=f"sweep-{account}"
    )
    return {"account_id": account, "name": name, "report": to_builtins(compact_report(report, max_bytes))}


def _failed(account: str, name: str = "", message: str = "cannot assume the member role") -> Any:
    """A member account whose sweep failed: the error Step Functions caught."""
    cause = json.dumps({"errorType": "AccessDenied", "errorMessage": message})
    return {"account_id": account, "name": name, "error": {"Error": "States.TaskFailed", "Cause": cause}}


def _healthy(account: str, name: str = "") -> Any:
    return _swept(account, name, _provider(account, "ok.example", "ok"))


def _org(*results: Any, not_swept: tuple[Any, ...] = (), execution: str | None = None) -> dict[str, Any]:
    return to_builtins(aggregate(results, not_swept, execution=execution))


def _text(body: str) -> str:
    """The text part a person reads: everything before the JSON part."""
    for heading in ("\n\nFull report (JSON):\n", "\n\nReport (JSON, trimmed):\n"):
        if heading in body:
            return body.split(heading, 1)[0]
    raise AssertionError("no JSON part")


def _line(text: str, start: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(start)]
    return line


MIXED = _org(
    _failed("333333333333", "legacy"),
    _swept("111111111111", "prod", _provider("111111111111", "gitlab.example", "stale", "updated")),
    _healthy("222222222222", "dev"),
    not_swept=({"account_id": "444444444444", "name": "old", "reason": "account is suspended"},),
)


# --- who sent it, how many, how bad ----------------------------------------------------------------------------
def test_the_alert_says_it_is_the_organizations_and_counts_accounts_with_failed_and_not_swept_together() -> None:
    alert = render_organization_alert(MIXED)

    # Then a subscriber filtering on attributes sees the organization, its 4 accounts, 2 of them failed (one
    # failed, one not swept), and the subject says the same in words
    assert alert.attributes["account"] == ("String", "organization")
    assert alert.attributes["accounts"] == ("Number", "4")
    assert alert.attributes["accounts_failed"] == ("Number", "2")
    assert alert.subject.startswith("OIDC thumbprints: 2 accounts failed, ")


def _expiring(account: str) -> Any:
    return _swept(account, "", _provider(account, "soon.example", "expiring"))


def test_never_means_no_alert_even_when_accounts_failed() -> None:
    failing = _org(_failed("333333333333"))
    assert should_notify_organization(failing, "never") is False
    assert should_notify_organization(failing, "problems") is True
    assert should_notify_organization(failing, "always") is True


# --- each account's block --------------------------------------------------------------------------------------


# --- the healthy accounts --------------------------------------------------------------------------------------


# --- a large organization: the alert's view, what is left out, and where the rest is -----------------------------
def _large() -> dict[str, Any]:
    """ALERT_ACCOUNTS + 3 failed accounts and 22 healthy ones."""
    failed = [_failed(f"{n:012d}") for n in range(1, ALERT_ACCOUNTS + 4)]
    return _org(*failed, *(_healthy(f"{n:012d}") for n in range(500, 522)))


def test_the_alerts_view_keeps_the_first_accounts_needing_attention_a_few_healthy_ones_and_counts_the_rest() -> None:
    report = _large()
    needing, healthy = report["accounts"][: ALERT_ACCOUNTS + 3], report["accounts"][ALERT_ACCOUNTS + 3 :]
    view = alert_view(report, LOCATION)
    assert view["accounts"] == needing[:ALERT_ACCOUNTS] + healthy[:20]
    assert view["accounts_not_listed"] == 3
    assert view["report_location"] == LOCATION
    # And the organization's facts are the report's
    assert (view["summary"], view["execution"], view["dry_run"]) == (
        report["summary"],
        report["execution"],
        report["dry_run"],
    )


def _overflowing(count: int) -> tuple[list[str], str]:
    """`count` failed accounts with long errors, more than the text has blocks for; no stored report."""
    accounts = [f"{n:012d}" for n in range(1, count + 1)]
    alert = render_organization_alert(_org(*(_failed(account, message="denied " + "x" * 990) for account in accounts)))
    text = _text(alert.body)
    assert len(text.encode()) <= TEXT_BUDGET
    return accounts, text


# --- the JSON part ---------------------------------------------------------------------------------------------
