"""Severity from impact: each row of the table in docs/alerts.md "Severity"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.builders import NOW
from thumbprint_remediator.domain.impact import Impact, judge, widened_trust
from thumbprint_remediator.domain.memory import HistoryRecord, drift, drift_added

LIVE, OLD, OUTSIDER = "1" * 40, "2" * 40, "0123456789abcdef0123456789abcdef01234567"


def _finding(status: str, action: str = "none", reliance: str = "fallback", **extra: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "arn": "arn:aws:iam::123456789012:oidc-provider/issuer.example",
        "url": "issuer.example",
        "status": status,
        "action": action,
        "problems": [],
        "thumbprints_before": [OLD],
        "thumbprints_after": [OLD],
        "thumbprint_reliance": reliance,
        "nearest_expiry": None,
        "hosts": [{"host": "issuer.example", "certificates": [{"sha1": "9" * 40}, {"sha1": LIVE}]}],
    }
    return {**finding, **extra}


def _drifted(added: str) -> dict[str, Any]:
    return {
        "state": "on",
        "since_last_sweep": [{"kind": "drift", "detail": f"changed outside the tool: added {added}"}],
    }


@pytest.mark.parametrize("status", ["error", "unreachable", "expired", "untrusted", "invalid_discovery"])
def test_a_critical_status_is_critical_whatever_the_reliance(status: str) -> None:
    assert judge(_finding(status, "blocked" if status == "untrusted" else "none")).level is Impact.CRITICAL


@pytest.mark.parametrize("action", ["update_failed", "update_unknown"])
def test_a_write_that_did_not_verifiably_land_is_critical(action: str) -> None:
    assert judge(_finding("stale", action)).level is Impact.CRITICAL


@pytest.mark.parametrize(
    ("reliance", "expected"),
    [("required", Impact.CRITICAL), ("unknown", Impact.CRITICAL), ("fallback", Impact.WARNING)],
)
@pytest.mark.parametrize("action", ["would_update", "none", "blocked"])
def test_a_pin_left_missing_weighs_what_iam_relies_on(reliance: str, expected: Impact, action: str) -> None:
    # Given a stale provider this sweep did not pin: a dry run, a skip tag, or a write blocked by the time budget
    impact = judge(_finding("stale", action, reliance))
    # Then it is critical only where IAM relies on the thumbprint (or nobody can tell), a warning where it is a
    # fallback: a cautious dry-run rollout does not page for insurance
    assert impact.level is expected
    assert ("fallback" in impact.why) is (reliance == "fallback")


def test_a_provider_the_sweep_fixed_is_done_not_open() -> None:
    impact = judge(_finding("stale", "updated", "required"))
    assert impact.level is Impact.FIXED
    assert not impact.level.open


def test_an_expiring_certificate_is_a_warning_even_after_a_fix() -> None:
    expiring = _finding("expiring", "updated", nearest_expiry={"days_left": 9})
    assert judge(expiring).level is Impact.WARNING
    assert judge(expiring).why == "a certificate expires in 9 days: renew it before then"


def test_a_fix_does_not_hide_a_certificate_that_expires_beside_it() -> None:
    # Given a sweep that pinned a rotated CA whose leaf expires in 2 days: the finding's status stays the stale it
    # fixed (the worst of its problems), the expiring certificate is a problem of its own
    finding = _finding(
        "stale",
        "updated",
        problems=[
            {"code": "thumbprint_missing", "status": "stale", "message": "live thumbprint not pinned"},
            {"code": "certificate_expiring", "status": "expiring", "message": "leaf expires in 2 days"},
        ],
        nearest_expiry={"days_left": 2},
    )
    # Then it is still open: the reader must renew the leaf, the fix does not make it information
    assert judge(finding).level is Impact.WARNING
    assert judge(finding).why == "a certificate expires in 2 days: renew it before then"
    # And a compact finding (the organization's) names the same problem by its code
    compact = {"arn": "a", "status": "stale", "action": "updated", "problems": ["certificate_expiring"]}
    assert judge(compact).level is Impact.WARNING


def test_a_pin_added_outside_the_tool_where_iam_relies_on_the_thumbprint_is_critical() -> None:
    # Given a private-CA provider, healthy, whose history saw someone add a pin no presented certificate matches
    finding = _finding("ok", reliance="required", history=_drifted(OUTSIDER))
    impact = judge(finding)
    # Then it is critical, naming the pin; the scheduled sweep cannot say who
    assert impact.level is Impact.CRITICAL
    assert impact.widened is not None
    assert impact.widened.pins == (OUTSIDER,)
    assert impact.widened.by is None


def test_the_same_pin_on_a_public_provider_is_a_warning() -> None:
    assert judge(_finding("ok", reliance="fallback", history=_drifted(OUTSIDER))).level is Impact.WARNING


def test_a_pin_added_by_hand_that_the_issuer_presents_is_only_a_change() -> None:
    # Given someone pinned the issuer's own live certificate ahead of the tool
    impact = judge(_finding("ok", reliance="required", history=_drifted(LIVE)))
    assert impact.level is Impact.CHANGED
    assert impact.widened is None


def test_the_immediate_check_names_who_set_a_list_that_widens_trust() -> None:
    # Given a CloudTrail change by someone else that left a pin no presented certificate matches (no history)
    finding = _finding("ok", reliance="required", thumbprints_before=[LIVE, OUTSIDER])
    change = {
        "provider_arn": finding["arn"],
        "event_name": "UpdateOpenIDConnectProviderThumbprint",
        "event_time": "2026-12-07T03:12:00Z",
        "principal": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/Ops/alice"},
        "outside_tool": True,
    }
    widened = widened_trust(finding, change)
    assert widened is not None
    assert widened.pins == (OUTSIDER,)
    assert widened.by == (
        "UpdateOpenIDConnectProviderThumbprint by arn:aws:sts::123456789012:assumed-role/Ops/alice (AssumedRole) "
        "at 2026-12-07T03:12:00Z"
    )
    assert judge(finding, change).level is Impact.CRITICAL


def test_a_compact_finding_counts_its_drift_without_chains() -> None:
    compact: dict[str, Any] = {"arn": "a", "status": "ok", "action": "none", "thumbprint_reliance": "required"}
    compact["changes"] = [f"drift: changed outside the tool: added {OUTSIDER}; removed {OLD}"]
    assert judge(compact).level is Impact.CRITICAL


def test_drift_added_reads_back_what_drift_wrote() -> None:
    record = HistoryRecord(arn="arn", first_seen=NOW, last_seen=NOW, pins_seen=(OLD,))
    change = drift(record, [OLD, LIVE, OUTSIDER])
    assert change is not None
    assert drift_added(change.detail) == tuple(sorted((LIVE, OUTSIDER)))
    assert drift_added(f"changed outside the tool: removed {OLD}") == ()
    assert drift_added("new_chain: something else") == ()
