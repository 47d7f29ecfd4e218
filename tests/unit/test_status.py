"""The one definition of statuses and actions, checked against expectations written out here, not read from it."""

from __future__ import annotations

import json

import pytest

from thumbprint_remediator.domain.status import (
    ATTENTION_ORDER,
    COUNTED_ACTIONS,
    AccountState,
    Action,
    Status,
    most_serious,
)

# status: (blocks_write, critical, healthy, unverified_after_change, failed, hub_severity, judged)
EXPECTED_TRAITS = {
    "error": (True, True, False, True, True, "HIGH", False),
    "unreachable": (True, True, False, True, True, "HIGH", False),
    "expired": (True, True, False, True, True, "CRITICAL", True),
    "untrusted": (True, True, False, True, True, "HIGH", True),
    "invalid_discovery": (True, True, False, True, True, "HIGH", False),
    "stale": (False, False, False, True, False, "MEDIUM", True),
    "expiring": (False, False, False, False, False, "LOW", True),
    "ok": (False, False, True, False, False, None, True),
    "skipped": (False, False, True, False, False, None, True),
}


def test_statuses_rank_most_serious_first() -> None:
    assert [status.value for status in sorted(Status, key=lambda s: s.rank)] == [
        "error",
        "unreachable",
        "expired",
        "untrusted",
        "invalid_discovery",
        "stale",
        "expiring",
        "ok",
        "skipped",
    ]


@pytest.mark.parametrize("value", sorted(EXPECTED_TRAITS))
def test_each_status_carries_its_traits(value: str) -> None:
    status = Status(value)
    traits = (
        status.blocks_write,
        status.critical,
        status.healthy,
        status.unverified_after_change,
        status.failed,
        status.hub_severity,
        status.judged,
    )
    assert traits == EXPECTED_TRAITS[value]


def test_actions_carry_their_traits() -> None:
    assert {action.value for action in Action if action.critical} == {
        "blocked",
        "update_failed",
        "update_unknown",
        "would_update",
    }
    assert {action.value for action in Action if action.failed} == {"update_failed", "update_unknown"}
    assert {action.value for action in Action if action.attempted_write} == {
        "updated",
        "update_failed",
        "update_unknown",
    }
    assert [action.value for action in COUNTED_ACTIONS] == [
        "updated",
        "would_update",
        "blocked",
        "update_failed",
        "update_unknown",
    ]


def test_members_are_their_json_values() -> None:
    # Given a report that holds members, When it is encoded, Then the JSON holds the plain strings.
    assert json.dumps({"status": Status.STALE, "action": Action.WOULD_UPDATE}) == (
        '{"status": "stale", "action": "would_update"}'
    )
    assert Status("invalid_discovery") is Status.INVALID_DISCOVERY
    assert str(Status.INVALID_DISCOVERY) == "invalid_discovery"
    assert f"{Action.UPDATE_FAILED}" == "update_failed"


def test_a_failed_provider_always_makes_a_critical_alert() -> None:
    # ProvidersFailed and the alert's severity share one meaning: what fails is critical.
    assert all(status.critical for status in Status if status.failed)
    assert all(action.critical for action in Action if action.failed)


def test_attention_order_of_the_alert_counts() -> None:
    assert [label.value for label in ATTENTION_ORDER] == [
        "update_failed",
        "update_unknown",
        "blocked",
        "error",
        "unreachable",
        "expired",
        "untrusted",
        "invalid_discovery",
        "would_update",
        "updated",
        "stale",
        "expiring",
    ]


def test_most_serious_of_problem_statuses() -> None:
    assert most_serious(["ok", "expiring", "stale"]) is Status.STALE
    assert most_serious(["expired", "untrusted"]) is Status.EXPIRED
    assert most_serious([]) is Status.OK
    with pytest.raises(ValueError, match="nonsense"):
        most_serious(["nonsense"])


def test_account_states_in_report_order() -> None:
    assert [state.value for state in AccountState] == ["failed", "attention", "ok", "not_swept"]
