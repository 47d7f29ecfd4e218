"""status.py's tables, which mutation testing cannot reach: mutmut mutates functions only, not module-level data,
and skips properties (decorated functions). tests/unit/test_status.py pins each member's traits; these pin the
labels a summary is read by. Expected values are written out.
"""

from __future__ import annotations

from thumbprint_remediator.domain.organization import account_entry
from thumbprint_remediator.domain.status import SUMMARY_ATTENTION


def test_a_summary_needs_attention_for_every_label_but_stale() -> None:
    assert [label.value for label in SUMMARY_ATTENTION] == [
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
        "expiring",
    ]


def test_a_stale_count_alone_leaves_an_account_ok_the_action_it_led_to_does_not() -> None:
    # Given two compact reports whose findings were not carried: one counts only a stale provider, one its update
    def result(summary: dict[str, int]) -> dict[str, object]:
        return {"account_id": "111111111111", "report": {"summary": summary, "findings": []}}

    # Then the stale count is not read (its action is), and the update is
    assert account_entry(result({"providers": 1, "stale": 1}))["state"] == "ok"
    assert account_entry(result({"providers": 1, "stale": 1, "updated": 1}))["state"] == "attention"
