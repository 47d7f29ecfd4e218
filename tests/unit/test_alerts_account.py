"""The account's alert (alerts.py): whose sweep and when, history's state, each provider's block (reliance,
nearest expiry, problems and notes), the healthy ones, and how the text budget is shared between blocks and
the providers listed by URL only.

Found by mutation testing (`make mutation`). Pure: reports built by `build_report`. Tests pin the facts an
operator reads (accounts, dates, counts, thumbprints, which providers are shown) rather than sentences.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.builders import NOW
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.rules import Expiry, Problem
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import FindingHistory, UntoldEntry, to_builtins
from thumbprint_remediator.report.alerts import finding_block, render_alert

OLD, NEW = "a" * 40, "b" * 40
ACCOUNT = "123456789012"


def _finding(index: int, status: str = "ok", action: str = "none", **extra: Any) -> Finding:
    return Finding(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer-{index}.example",
        url=f"issuer-{index}.example",
        status=Status(status),
        action=Action(action),
        thumbprints_before=(OLD,),
        thumbprints_after=(NEW, OLD) if action in ("updated", "would_update") else (OLD,),
        **extra,
    )


def _report(
    *findings: Finding, account: str | None = ACCOUNT, dry_run: bool = False, history: bool = False
) -> dict[str, Any]:
    return to_builtins(
        build_report(
            account=account,
            dry_run=dry_run,
            started_at=NOW,
            duration_ms=12,
            findings=findings,
            sweep_id="sweep-77",
            history_enabled=history,
        )
    )


def _text(body: str) -> str:
    for heading in ("\n\nFull report (JSON):\n", "\n\nReport (JSON, trimmed):\n"):
        if heading in body:
            return body.split(heading, 1)[0]
    raise AssertionError("no JSON part")


def _lines(report: dict[str, Any]) -> list[str]:
    return _text(render_alert(report).body).splitlines()


def _block(finding: Finding) -> list[str]:
    return finding_block(
        to_builtins(
            build_report(
                account=ACCOUNT, dry_run=False, started_at=NOW, duration_ms=1, findings=(finding,), sweep_id="s"
            )
        )["findings"][0]
    )


STALE = _finding(1, "stale", "updated")


# --- whose sweep, when, how bad ----------------------------------------------------------------------------------


UNAVAILABLE = FindingHistory(
    state="unavailable", reason="history unavailable for this provider: boom", placeholder_pins=[]
)


# --- each provider's block ---------------------------------------------------------------------------------------


def test_a_block_shows_the_nearest_expiry_as_a_utc_date_with_days_left_and_the_certificate() -> None:
    expiry = Expiry("issuer-1.example", "CN=intermediate-r7", datetime(2027, 2, 26, 14, 3, 9, tzinfo=UTC), 12)
    block = _block(_finding(1, "expiring", nearest_expiry=expiry))
    (line,) = [line for line in block if "2027-02-26 14:03 UTC" in line]
    assert "12 days" in line
    assert "CN=intermediate-r7" in line


def _compact(**fields: Any) -> dict[str, Any]:
    finding = {
        "arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/u.example",
        "url": "u.example",
        "status": "untrusted",
        "action": "blocked",
        "thumbprints_before": [OLD],
        "thumbprints_after": [OLD],
        "problems": [],
        "days_to_expiry": None,
        "error": None,
    }
    return {**finding, **fields}


def test_a_compact_block_lists_every_problem_code_in_order_and_no_line_without_one() -> None:
    block = finding_block(_compact(problems=["chain_untrusted", "certificate_expiring"]))
    (line,) = [line for line in block if "chain_untrusted" in line]
    assert line.endswith("chain_untrusted, certificate_expiring")
    assert len(finding_block(_compact())) == len(block) - 1


def test_a_block_shows_why_the_action_was_taken_and_the_error() -> None:
    block = _block(_finding(1, "stale", "update_failed", action_reason="IAM refused: throttled", error="Throttling"))
    assert [line for line in block if "IAM refused: throttled" in line]
    assert [line for line in block if "Throttling" in line]


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [((OLD,), None, [OLD, "unknown"]), (None, None, ["unknown"]), ((OLD,), (OLD,), [OLD])],
    ids=["written-but-not-read-back", "never-read", "unchanged"],
)
def test_a_block_says_which_thumbprints_are_unknown(
    before: tuple[str, ...] | None, after: tuple[str, ...] | None, shown: list[str]
) -> None:
    finding = Finding(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/x.example",
        url="x.example",
        status=Status.STALE,
        action=Action.UPDATE_UNKNOWN if before else Action.NONE,
        thumbprints_before=before,
        thumbprints_after=after,
    )
    (line,) = [line for line in _block(finding) if line.startswith("  Thumbprints: ")]
    assert all(fact in line for fact in shown)
    assert ("->" in line) == (before != after and before is not None)
    assert (OLD in line) == (before is not None)


def test_a_problems_message_is_shown_whole_up_to_a_lines_length() -> None:
    message = "the chain does not verify: " + "m" * 600
    problem = Problem("chain_untrusted", Status.UNTRUSTED, message, "fix the chain")
    assert [line for line in _block(_finding(1, "untrusted", "blocked", problems=(problem,))) if message in line]


# --- dates in history --------------------------------------------------------------------------------------------
@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local zone is Asia/Tokyo (the CLI runs on people's laptops)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _untold(observed_at: str) -> list[str]:
    history = FindingHistory(
        state="on",
        since_last_sweep=[],
        news=None,
        untold=[UntoldEntry(kind="drift", detail="changed outside the tool: added x", observed_at=observed_at)],
        placeholder_pins=[],
    )
    return [line for line in _block(_finding(1, "stale", history=history)) if "drift" in line]


@pytest.mark.usefixtures("tokyo")
def test_a_change_not_yet_told_shows_when_it_was_seen_in_utc_whatever_the_machines_zone() -> None:
    (line,) = _untold((datetime(2027, 2, 26, 15, 3, tzinfo=UTC) + timedelta(hours=1)).astimezone().isoformat())
    assert "2027-02-26 16:03 UTC" in line
    (line,) = _untold("2027-02-26T15:03:00+01:00")
    assert "2027-02-26 14:03 UTC" in line


def test_a_seen_value_that_is_not_a_time_is_shown_as_text_capped_like_any_field() -> None:
    (line,) = _untold("yesterday")
    assert "yesterday" in line
    (line,) = _untold("y" * 300)
    assert "y" * 200 in line
    assert "y" * 300 not in line


# --- the healthy providers ---------------------------------------------------------------------------------------


# --- the text budget ---------------------------------------------------------------------------------------------


def _many(count: int, problems: tuple[Problem, ...] = ()) -> list[Finding]:
    return [_finding(n, "untrusted", "blocked", problems=problems) for n in range(count)]


# --- attributes, and what reached the alert another way ----------------------------------------------------------
