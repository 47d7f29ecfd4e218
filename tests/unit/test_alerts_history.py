"""What history adds to the account's alert (alerts.py): a line per fact it holds of a provider, the `changed`
count of a healthy provider that changed, and which findings are news under NOTIFY_ON=changes.

Found by mutation testing (`make mutation`). Pure: findings built by `build_report`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.builders import NOW, sha1_of
from thumbprint_remediator.domain.impact import OUTSIDE_CHANGE_CODE
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.rules import Problem
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import ChangeEntry, FindingHistory, UntoldEntry, to_builtins
from thumbprint_remediator.report.alerts import finding_block, render_alert, should_notify

ACCOUNT = "123456789012"
OLD = sha1_of("old")
P1, P2, P3 = sha1_of("p1"), sha1_of("p2"), sha1_of("p3")


def _finding(index: int, status: str = "ok", action: str = "none", **extra: Any) -> Finding:
    return Finding(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer-{index}.example",
        url=f"issuer-{index}.example",
        status=Status(status),
        action=Action(action),
        thumbprints_before=(OLD,),
        thumbprints_after=(OLD,),
        **extra,
    )


def _report(*findings: Finding, dry_run: bool = False) -> dict[str, Any]:
    return to_builtins(
        build_report(
            account=ACCOUNT,
            dry_run=dry_run,
            started_at=NOW,
            duration_ms=1,
            findings=findings,
            sweep_id="s",
            history_enabled=True,
        )
    )


def _history(**fields: Any) -> FindingHistory:
    return FindingHistory(**{"state": "on", "since_last_sweep": [], "news": None, "placeholder_pins": [], **fields})


def _block(finding: Finding) -> list[str]:
    return finding_block(_report(finding)["findings"][0])


def _only(lines: list[str], *facts: str) -> str:
    """The one line holding every fact."""
    (line,) = [line for line in lines if all(fact in line for fact in facts)]
    return line


# --- a line per fact ---------------------------------------------------------------------------------------------


def test_a_dry_run_block_lists_what_a_real_sweep_would_prune() -> None:
    block = _block(
        _finding(1, "stale", "would_update", history=_history(would_prune=[P1], pruned=[], prune_pending=[]))
    )
    assert len([line for line in block if P1 in line]) == 1


def test_a_provider_whose_history_could_not_be_used_says_why() -> None:
    reason = "history unavailable for this provider: the record names another provider"
    unavailable = FindingHistory(state="unavailable", reason=reason, placeholder_pins=[])
    assert _only(_block(_finding(1, "stale", "updated", history=unavailable)), reason)


# --- the `changed` count -----------------------------------------------------------------------------------------
CHANGED = [ChangeEntry(kind="new_chain", detail="issuer.example: new chain from 192.0.2.1")]
UNTOLD = [UntoldEntry(kind="drift", detail=f"changed outside the tool: added {P1}", observed_at=NOW.isoformat())]
OUTSIDE = (Problem(OUTSIDE_CHANGE_CODE, Status.OK, "someone else changed the list", "check who"),)


@pytest.mark.parametrize(
    "finding",
    [
        _finding(1, history=_history(since_last_sweep=CHANGED)),
        _finding(1, history=_history(untold=UNTOLD)),
        _finding(1, problems=OUTSIDE, history=_history()),
    ],
    ids=["a-change-since-the-last-sweep", "a-change-not-yet-told", "a-change-made-outside-the-tool"],
)
def test_a_healthy_provider_that_changed_is_counted_as_changed(finding: Finding) -> None:
    assert render_alert(_report(finding, _finding(2))).subject == f"OIDC thumbprints: 1 changed ({ACCOUNT})"


def test_a_provider_that_changed_is_counted_by_its_action_or_status_when_it_has_one() -> None:
    report = _report(
        _finding(1, "stale", "updated", history=_history(since_last_sweep=CHANGED)),
        _finding(2, "expiring", history=_history(untold=UNTOLD)),
    )
    assert render_alert(report).subject == f"OIDC thumbprints: 1 updated, 1 expiring ({ACCOUNT})"


# --- news under NOTIFY_ON=changes --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("finding", "news"),
    [
        (_finding(1, "untrusted", "blocked", history=_history()), False),
        (_finding(1, "stale", "update_failed", history=_history()), True),
        (_finding(1, history=_history(untold=UNTOLD)), True),
        (_finding(1, problems=OUTSIDE, history=_history()), True),
        (_finding(1, "expiring", history=_history(news="reminder: 7 days left")), True),
    ],
    ids=["a-standing-block", "a-write-that-failed", "a-change-not-yet-told", "an-outside-change", "a-reminder"],
)
def test_a_finding_with_history_is_news_only_when_something_happened_or_is_due(finding: Finding, news: bool) -> None:
    assert should_notify(_report(finding), "changes") is news
