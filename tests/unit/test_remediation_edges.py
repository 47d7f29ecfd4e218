"""Edges of the write decisions (remediation.py) that the sweep tests reach but do not pin down.

Found by mutation testing (`make mutation`): a dry run's `after` list, the error detail of a write whose
outcome is unknown or wrong, and the note of each outcome. Expected values are written out.
"""

from __future__ import annotations

from thumbprint_remediator.domain.remediation import Remediation, Write, WriteOutcome, decide, judge_write
from thumbprint_remediator.domain.rules import Assessment
from thumbprint_remediator.domain.status import Action, Status

OLD = "1" * 40
NEW = "2" * 40


def _assessment(proposed: tuple[str, ...] | None, block_reason: str | None = None) -> Assessment:
    return Assessment(
        status=Status.STALE,
        problems=(),
        live_thumbprints=(NEW,),
        proposed_thumbprints=proposed,
        block_reason=block_reason,
        thumbprint_reliance="required",
        nearest_expiry=None,
    )


def test_a_dry_run_shows_the_proposed_list_as_after_and_says_it_was_not_written() -> None:
    result = decide((OLD,), _assessment((NEW, OLD)), dry_run=True, seconds_left=None, write_window=5.0)
    assert isinstance(result, Remediation)
    assert result.action == "would_update"
    assert result.after == (NEW, OLD)
    assert result.reason is not None
    assert "dry run" in result.reason


def test_a_write_with_exactly_the_write_window_left_is_sent() -> None:
    result = decide((OLD,), _assessment((NEW, OLD)), dry_run=False, seconds_left=5.0, write_window=5.0)
    assert result == Write((NEW, OLD))


def test_a_write_with_less_than_the_write_window_left_is_blocked_and_keeps_the_list() -> None:
    result = decide((OLD,), _assessment((NEW, OLD)), dry_run=False, seconds_left=4.9, write_window=5.0)
    assert isinstance(result, Remediation)
    assert (result.action, result.after) == ("blocked", (OLD,))


def test_a_blocked_assessment_carries_its_reason_and_no_write() -> None:
    result = decide((OLD,), _assessment(None, "not updated: x"), dry_run=False, seconds_left=None, write_window=5.0)
    assert result == Remediation(Action.BLOCKED, (OLD,), "not updated: x")


def test_an_unanswered_write_that_cannot_be_read_names_both_errors() -> None:
    outcome = WriteOutcome(proposed=(NEW, OLD), current=(OLD,), unanswered="timed out", read_error="AccessDenied")
    result = judge_write(outcome)
    # What IAM holds is unknown: not the list read before the write, which the write may have replaced
    assert (result.action, result.after) == ("update_unknown", None)
    assert result.error == "timed out; read: AccessDenied"
    assert result.reason is not None
    assert "unknown" in result.reason


def test_an_unanswered_write_read_back_unchanged_is_unknown_with_the_error_and_the_fresh_list() -> None:
    outcome = WriteOutcome(proposed=(NEW, OLD), current=(OLD,), unanswered="timed out", read_back=(OLD,))
    result = judge_write(outcome)
    assert (result.action, result.after, result.error) == ("update_unknown", (OLD,), "timed out")
    assert result.reason is not None
    assert "fresh read" in result.reason


def test_a_read_back_that_differs_names_what_was_written_and_what_iam_holds() -> None:
    outcome = WriteOutcome(proposed=(NEW, OLD), current=(OLD,), read_back=(OLD,))
    result = judge_write(outcome)
    assert (result.action, result.after) == ("update_failed", (OLD,))
    assert result.error == f"wrote ['{NEW}', '{OLD}'], IAM now holds ['{OLD}']"


def test_a_write_read_back_in_another_order_and_case_is_updated_with_a_note() -> None:
    outcome = WriteOutcome(proposed=(NEW, OLD), current=(OLD,), read_back=(OLD, NEW.upper()))
    result = judge_write(outcome)
    assert (result.action, result.after, result.error) == ("updated", (OLD, NEW.upper()), None)
    assert result.reason is not None
    assert "read it back" in result.reason


def test_a_refused_write_keeps_the_list_iam_held_and_carries_iams_error() -> None:
    result = judge_write(WriteOutcome(proposed=(NEW, OLD), current=(OLD,), refused="LimitExceeded"))
    assert (result.action, result.after, result.error) == ("update_failed", (OLD,), "LimitExceeded")
    assert result.reason is not None
    assert "refused" in result.reason
