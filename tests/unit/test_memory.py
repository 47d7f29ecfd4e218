"""The pure memory rules: changes, drift, reminders, pruning, remembered tops, continuity, with an explicit clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.builders import capture, probe_of, trusted
from thumbprint_remediator.domain.memory import (
    MAX_CHAINS,
    MAX_UNTOLD,
    CertificateSeen,
    ChainSeen,
    HistoryRecord,
    Observation,
    PinSeen,
    ProblemSeen,
    changes_since,
    next_record,
    observed_chains,
    placeholder_pins,
    private_continuity,
    prune_candidates,
    record_from_dict,
    remembered_tops,
    reminder_due,
    told,
)
from thumbprint_remediator.domain.models import ChainDefect, ChainRule, Endpoint, Trust, TrustResult
from thumbprint_remediator.report.alerts import should_notify

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
ARN = "arn:aws:iam::123456789012:oidc-provider/issuer.example"
LEAF, INT_A, INT_B, ROOT = ("0123456789" * 4, "a" * 39 + "1", "b" * 39 + "2", "c" * 39 + "3")
OLD_PIN = "d" * 39 + "4"


def chain(
    *sha1s: str, endpoint: str = "issuer.example", when: datetime = T0, trust: str = "public", anchor: str = ROOT
) -> ChainSeen:
    return ChainSeen(
        endpoint=endpoint,
        address="127.0.0.1",
        certificates=tuple(CertificateSeen(s, f"CN={s[:6]}", "CN=issuer", "2027-01-01T00:00:00+00:00") for s in sha1s),
        trust=trust,
        anchor=anchor,
        verified=True,
        first_seen=when,
        last_seen=when,
    )


def observe(
    *chains: ChainSeen,
    now: datetime = T0,
    pins: tuple[str, ...] = (INT_A,),
    problems: tuple[str, ...] = (),
    days_left: int | None = None,
    complete: bool = True,
    jwks_host: str | None = "issuer.example",
) -> Observation:
    return Observation(
        now=now,
        pins_before=pins,
        pins_after=pins,
        written=False,
        chains=chains,
        jwks_host=jwks_host,
        complete=complete,
        problem_codes=problems,
        expiry_days_left=days_left,
    )


def swept(record: HistoryRecord | None, observation: Observation) -> HistoryRecord:
    """The record a sweep leaves whose alert was delivered: observed, then told."""
    observed = next_record(record, ARN, observation, changes_since(record, observation))
    return told(observed, observation.now, reminded=reminder_due(record, observation) is not None)


def unheard(record: HistoryRecord | None, observation: Observation) -> HistoryRecord:
    """The record a sweep leaves that told nobody (a dry run, Config, a failed publish)."""
    return next_record(record, ARN, observation, changes_since(record, observation))


def test_a_second_identical_sweep_reports_no_change_and_no_news() -> None:
    # Given a record left by one sweep with a standing problem
    first = observe(chain(LEAF, INT_A), problems=("thumbprint_missing",))
    record = swept(None, first)
    # When the next day shows the same
    again = replace(first, now=T0 + timedelta(days=1))
    # Then nothing changed and the standing problem is not news yet
    assert changes_since(record, again) == ()
    assert reminder_due(record, again) is None


def test_a_new_top_certificate_on_a_known_endpoint_is_a_rotated_intermediate() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    changes = changes_since(record, observe(chain(LEAF, INT_B), now=T0 + timedelta(days=1)))
    assert [change.kind for change in changes] == ["rotated_intermediate"]
    assert INT_B in changes[0].detail


def test_a_new_leaf_under_the_same_top_is_a_new_chain() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    changes = changes_since(record, observe(chain("2" * 40, INT_A), now=T0 + timedelta(days=1)))
    assert [change.kind for change in changes] == ["new_chain"]


def test_a_list_changed_behind_the_tools_back_is_drift() -> None:
    # Given the last sweep left [INT_A]
    record = swept(None, observe(chain(LEAF, INT_A)))
    # When IAM now holds [INT_A, OLD_PIN] and the tool wrote nothing
    changes = changes_since(record, observe(chain(LEAF, INT_A), pins=(INT_A, OLD_PIN), now=T0 + timedelta(days=1)))
    kinds = [change.kind for change in changes]
    # Then drift is reported, with the added pin
    assert "drift" in kinds
    assert OLD_PIN in next(change.detail for change in changes if change.kind == "drift")


def test_a_list_the_tool_wrote_is_not_drift_next_time() -> None:
    record = swept(None, observe(chain(LEAF, INT_B)))
    written = replace(observe(chain(LEAF, INT_B)), pins_after=(INT_B, INT_A), written=True)
    record = told(next_record(record, ARN, written), T0, reminded=False)
    assert record.pins_written == (INT_B, INT_A)
    later = observe(chain(LEAF, INT_B), pins=(INT_B, INT_A), now=T0 + timedelta(days=1))
    assert [change.kind for change in changes_since(record, later)] == []


def test_a_changed_jwks_host_is_reported() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    changes = changes_since(record, observe(chain(LEAF, INT_A), jwks_host="keys.example", now=T0 + timedelta(days=1)))
    assert [change.kind for change in changes] == ["jwks_host_changed"]


def test_a_new_problem_is_news_and_a_standing_one_is_reminded_weekly() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    new = observe(chain(LEAF, INT_A), problems=("slow_endpoint",), now=T0 + timedelta(days=1))
    assert reminder_due(record, new) == "new problem: slow_endpoint"
    record = swept(record, new)
    six = replace(new, now=new.now + timedelta(days=6))
    assert reminder_due(record, six) is None
    record = swept(record, six)
    seven = replace(new, now=new.now + timedelta(days=7))
    assert reminder_due(record, seven) == "weekly reminder: slow_endpoint"


@given(start=st.integers(min_value=31, max_value=60))
def test_an_expiry_is_reminded_exactly_at_30_14_7_3_1_and_0_days(start: int) -> None:
    # Given daily sweeps of a certificate counting down from `start` days to expiry
    record = swept(None, observe(chain(LEAF, INT_A)))
    reminded_at = []
    for day, left in enumerate(range(start, -1, -1)):
        code = ("certificate_expiring",) if left <= 30 else ()
        observation = observe(chain(LEAF, INT_A), now=T0 + timedelta(days=day + 1), problems=code, days_left=left)
        if reminder_due(record, observation) is not None:
            reminded_at.append(left)
        record = swept(record, observation)
    # Then the e-mails went out on the threshold days only (the first as a new problem)
    assert reminded_at == [30, 14, 7, 3, 1, 0]


def test_an_expiry_skipping_a_threshold_between_sweeps_is_still_reminded() -> None:
    record = swept(None, observe(chain(LEAF, INT_A), problems=("certificate_expiring",), days_left=16))
    later = observe(chain(LEAF, INT_A), problems=("certificate_expiring",), days_left=12, now=T0 + timedelta(days=4))
    assert reminder_due(record, later) == "reminder: 12 days left"


def _aged_record(days_unpresented: int, sweeps: int) -> HistoryRecord:
    presented = T0 - timedelta(days=days_unpresented)
    return HistoryRecord(
        arn=ARN,
        first_seen=T0 - timedelta(days=400),
        last_seen=T0 - timedelta(days=1),
        sweeps=50,
        pins_seen=(INT_A, OLD_PIN),
        pins=(PinSeen(INT_A, T0 - timedelta(days=1), 0), PinSeen(OLD_PIN, presented, sweeps)),
    )


def test_an_entry_unpresented_for_the_window_across_enough_sweeps_is_pruned() -> None:
    observation = observe(chain(LEAF, INT_A), pins=(INT_A, OLD_PIN))
    assert prune_candidates(_aged_record(91, 2), observation, live=(INT_A,), prune_after_days=90) == (OLD_PIN,)


@pytest.mark.parametrize(
    ("days", "sweeps", "complete"),
    [(89, 10, True), (91, 1, True), (91, 10, False)],
    ids=["seen-in-window", "too-few-sweeps", "incomplete-observation"],
)
def test_an_entry_is_not_pruned_when_any_condition_fails(days: int, sweeps: int, complete: bool) -> None:
    observation = observe(chain(LEAF, INT_A), pins=(INT_A, OLD_PIN), complete=complete)
    assert prune_candidates(_aged_record(days, sweeps), observation, live=(INT_A,), prune_after_days=90) == ()


def test_the_last_entry_is_never_pruned() -> None:
    record = replace(_aged_record(200, 10), pins_seen=(OLD_PIN,), pins=(PinSeen(OLD_PIN, T0 - timedelta(200), 10),))
    observation = observe(chain(LEAF, INT_A), pins=(OLD_PIN,))
    assert prune_candidates(record, observation, live=(), prune_after_days=90) == ()


def test_a_top_seen_within_the_window_is_remembered_and_an_older_one_is_not() -> None:
    record = HistoryRecord(
        arn=ARN,
        first_seen=T0,
        last_seen=T0,
        chains=(chain(LEAF, INT_A, when=T0 - timedelta(days=29)), chain(LEAF, INT_B, when=T0 - timedelta(days=31))),
    )
    assert remembered_tops(record, T0, 30) == (INT_A,)


def _private(anchor: str) -> dict[Endpoint, TrustResult]:
    return {Endpoint("issuer.example"): TrustResult(Trust.PRIVATE, verified_path=(LEAF, INT_B, anchor))}


def test_a_private_rotation_under_the_bundle_ca_that_verified_the_pin_is_continuity() -> None:
    record = HistoryRecord(arn=ARN, first_seen=T0, last_seen=T0, chains=(chain(LEAF, INT_A, trust="private"),))
    assert private_continuity(record, (INT_A,), _private(ROOT)) is True
    assert private_continuity(record, (INT_A,), _private("e" * 40)) is False


def test_a_pin_seen_only_in_public_chains_gives_no_continuity_through_the_bundle() -> None:
    record = HistoryRecord(arn=ARN, first_seen=T0, last_seen=T0, chains=(chain(LEAF, INT_A, trust="public"),))
    assert private_continuity(record, (INT_A,), _private(ROOT)) is False


def test_filler_and_leaf_pins_are_reported_as_placeholders() -> None:
    found = dict(placeholder_pins(("0" * 40, "af" * 20, LEAF, INT_A), [chain(LEAF, INT_A)]))
    assert set(found) == {"0" * 40, "af" * 20, LEAF}
    assert found[LEAF] == "thumbprint of a leaf certificate"


def test_a_record_survives_its_own_serialization_and_stays_bounded() -> None:
    # Given a record fed far more distinct chains than it keeps, with long names
    record = None
    for day in range(MAX_CHAINS * 3):
        top = f"{day:040x}"
        wide = replace(
            chain(LEAF, top, when=T0 + timedelta(days=day)),
            certificates=(
                *(CertificateSeen(LEAF, "CN=" + "x" * 253, "CN=" + "y" * 253, "2027-01-01T00:00:00+00:00"),) * 3,
                CertificateSeen(top, "CN=" + "x" * 253, "CN=" + "y" * 253, "2027-01-01T00:00:00+00:00"),
            ),
        )
        record = swept(record, observe(wide, now=T0 + timedelta(days=day), pins=(top,)))
    assert record is not None
    # Then only the newest chains are kept, far below DynamoDB's 400 KB, and parsing gives the record back
    assert len(record.chains) == MAX_CHAINS
    raw = json.dumps(record.to_dict())
    assert len(raw) < 100_000
    assert record_from_dict(json.loads(raw)) == record


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("chains"),
        lambda d: d.update(sweeps="3"),
        lambda d: d.update(first_seen="yesterday"),
        lambda d: d.update(last_seen="2026-06-01T00:00:00"),
    ],
    ids=["missing-field", "wrong-type", "bad-time", "naive-time"],
)
def test_a_damaged_record_is_refused(damage: object) -> None:
    data = swept(None, observe(chain(LEAF, INT_A))).to_dict()
    damage(data)  # type: ignore[operator]
    with pytest.raises((KeyError, TypeError, ValueError)):
        record_from_dict(data)


def _report(*histories: dict[str, object] | None, status: str = "stale", action: str = "none") -> dict[str, object]:
    findings = []
    for history in histories:
        finding: dict[str, object] = {"status": status, "action": action}
        if history is not None:
            finding["history"] = history
        findings.append(finding)
    return {"findings": findings}


def test_changes_mode_mails_news_only_and_falls_back_to_problems_without_history() -> None:
    quiet: dict[str, object] = {"state": "on", "since_last_sweep": [], "news": None}
    assert should_notify(_report(quiet), "changes") is False
    assert should_notify(_report({**quiet, "news": "new problem: x"}), "changes") is True
    assert should_notify(_report({**quiet, "since_last_sweep": [{"kind": "drift"}]}, status="ok"), "changes") is True
    assert should_notify(_report(quiet, status="ok", action="updated"), "changes") is True
    assert should_notify(_report(None), "changes") is True
    assert should_notify(_report({"state": "unavailable"}), "changes") is True


def test_problems_are_remembered_with_when_they_were_first_seen() -> None:
    record = swept(None, observe(chain(LEAF, INT_A), problems=("slow_endpoint",)))
    record = swept(record, observe(chain(LEAF, INT_A), problems=("slow_endpoint",), now=T0 + timedelta(days=2)))
    assert record.problems == (ProblemSeen("slow_endpoint", T0, T0),)


def test_pins_the_tool_wrote_this_sweep_are_reported_as_added_and_removed_not_as_drift() -> None:
    record = swept(None, observe(chain(LEAF, INT_A), pins=(INT_A, OLD_PIN)))
    written = replace(
        observe(chain(LEAF, INT_B), pins=(INT_A, OLD_PIN), now=T0 + timedelta(days=1)),
        pins_after=(INT_B, INT_A),
        written=True,
    )
    changes = {change.kind: change.detail for change in changes_since(record, written)}
    assert changes.keys() == {"rotated_intermediate", "pins_added", "pins_removed"}
    assert changes["pins_added"] == INT_B
    assert changes["pins_removed"] == OLD_PIN


# --- the outbox: nothing but a delivered alert uses up news ---------------------------------------------------
def test_drift_seen_by_a_sweep_that_told_nobody_is_still_news_for_the_next() -> None:
    # Given a told record, then a sweep that saw drift but told nobody (a dry run, Config)
    record = swept(None, observe(chain(LEAF, INT_A)))
    quiet = observe(chain(LEAF, INT_A), pins=(INT_A, OLD_PIN), now=T0 + timedelta(days=1))
    record = unheard(record, quiet)
    # When the next sweep sees the same list (nothing changed since the quiet one)
    later = replace(quiet, now=T0 + timedelta(days=2))
    assert changes_since(record, later) == ()
    # Then the drift waits in the outbox, and is news
    assert [change.kind for change in record.untold] == ["drift"]
    assert OLD_PIN in record.untold[0].detail
    assert reminder_due(record, later) == "not yet told: drift (seen by a sweep that sent no alert)"
    # And once an alert carrying it is delivered, it is used up
    assert told(record, later.now, reminded=True).untold == ()


def test_a_problem_first_seen_by_a_sweep_that_told_nobody_is_still_new() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    quiet = observe(chain(LEAF, INT_A), problems=("interception_suspected",), now=T0 + timedelta(days=1))
    record = unheard(record, quiet)
    assert record.problems[0].last_reminded is None
    again = replace(quiet, now=T0 + timedelta(days=2))
    assert reminder_due(record, again) == "new problem: interception_suspected"
    # Told once: then it is a standing problem, reminded weekly
    record = told(next_record(record, ARN, again), again.now, reminded=True)
    assert reminder_due(record, replace(again, now=T0 + timedelta(days=3))) is None
    assert reminder_due(record, replace(again, now=T0 + timedelta(days=9))) == "weekly reminder: interception_suspected"


def test_a_problem_that_came_and_went_between_alerts_is_told_as_a_change() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    record = unheard(record, observe(chain(LEAF, INT_A), problems=("interception_suspected",), now=T0 + timedelta(1)))
    record = unheard(record, observe(chain(LEAF, INT_A), now=T0 + timedelta(days=2)))
    assert [change.kind for change in record.untold] == ["problem_came_and_went"]
    assert "interception_suspected" in record.untold[0].detail
    assert reminder_due(record, observe(chain(LEAF, INT_A), now=T0 + timedelta(days=3))) is not None


def test_a_problem_gone_before_any_alert_told_it_is_a_change_of_the_sweep_that_sees_it_gone() -> None:
    # Given a problem only a sweep that told nobody saw
    record = swept(None, observe(chain(LEAF, INT_A)))
    record = unheard(record, observe(chain(LEAF, INT_A), problems=("interception_suspected",), now=T0 + timedelta(1)))
    # When the next sweep finds it gone
    gone = observe(chain(LEAF, INT_A), now=T0 + timedelta(days=2))
    changes = changes_since(record, gone)
    # Then that sweep names it among its changes (so its alert shows it before the told-mark empties the outbox)
    assert [change.kind for change in changes] == ["problem_came_and_went"]
    assert changes[0].detail.startswith("interception_suspected seen from ")
    # And a told problem that goes is no news
    told_record = swept(
        record, observe(chain(LEAF, INT_A), problems=("interception_suspected",), now=T0 + timedelta(3))
    )
    assert changes_since(told_record, replace(gone, now=T0 + timedelta(days=4))) == ()


def test_an_expiry_threshold_crossed_during_a_quiet_sweep_is_reminded_at_the_next() -> None:
    # Given 31 days told, then a quiet sweep at 29 days
    record = swept(None, observe(chain(LEAF, INT_A), problems=("certificate_expiring",), days_left=31))
    record = unheard(record, observe(chain(LEAF, INT_A), problems=("certificate_expiring",), days_left=29))
    assert record.expiry_days_told == 31
    # Then 28 days still crosses 30 since the last count told
    later = observe(chain(LEAF, INT_A), problems=("certificate_expiring",), days_left=28)
    assert reminder_due(record, later) == "reminder: 28 days left"


def test_the_tools_own_write_on_a_first_sweep_waits_to_be_told() -> None:
    written = replace(observe(chain(LEAF, INT_B), pins=(INT_A,)), pins_after=(INT_B, INT_A), written=True)
    record = unheard(None, written)
    assert [(change.kind, change.detail) for change in record.untold] == [("pins_added", INT_B)]


def test_the_skip_tag_appearing_and_going_is_a_change_once() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    tagged = replace(observe(chain(LEAF, INT_A), now=T0 + timedelta(days=1)), skip_tagged=True)
    assert [change.kind for change in changes_since(record, tagged)] == ["skip_tag_added"]
    record = swept(record, tagged)
    assert changes_since(record, replace(tagged, now=T0 + timedelta(days=2))) == ()
    untagged = replace(tagged, now=T0 + timedelta(days=3), skip_tagged=False)
    assert [change.kind for change in changes_since(record, untagged)] == ["skip_tag_removed"]


def test_the_outbox_is_bounded_and_counts_what_it_dropped() -> None:
    record = swept(None, observe(chain(LEAF, INT_A)))
    for day in range(1, MAX_UNTOLD + 6):
        pins = (INT_A, f"{day:040x}")
        record = unheard(record, observe(chain(LEAF, INT_A), pins=pins, now=T0 + timedelta(days=day)))
    assert len(record.untold) == MAX_UNTOLD
    assert record.untold_dropped == 5
    assert record.untold[-1].observed_at == T0 + timedelta(days=MAX_UNTOLD + 5)
    assert told(record, T0, reminded=False).untold_dropped == 0


def test_a_record_survives_storage_with_its_outbox_and_told_state() -> None:
    record = swept(None, observe(chain(LEAF, INT_A), problems=("certificate_expiring",), days_left=20))
    record = unheard(record, replace(observe(chain(LEAF, INT_A), pins=(INT_A, OLD_PIN)), skip_tagged=True))
    assert record_from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_a_record_stored_before_the_outbox_reads_as_told() -> None:
    stored = swept(None, observe(chain(LEAF, INT_A), problems=("thumbprint_missing",), days_left=12)).to_dict()
    for key in ("expiry_days_told", "skip_tagged", "untold", "untold_dropped"):
        del stored[key]
    record = record_from_dict(stored)
    assert (record.expiry_days_told, record.skip_tagged, record.untold, record.untold_dropped) == (12, False, (), 0)
    assert all(problem.last_reminded is not None for problem in record.problems)
    again = observe(chain(LEAF, INT_A), problems=("thumbprint_missing",), days_left=11, now=T0 + timedelta(days=1))
    assert reminder_due(record, again) is None


def test_a_chain_sent_out_of_order_is_not_remembered_as_verified() -> None:
    # Given a chain that verifies, but padded with a duplicate CA (IAM's chain-order rule: STS rejects the JWT)
    host = capture(["leaf", "intermediate", "intermediate-copy"])
    probe = probe_of(host)
    sound = trusted(host)
    defect = ChainDefect(ChainRule.DUPLICATE, 2, host.presented_chain[2].sha1)
    padded = {endpoint: replace(trust, chain_defects=(defect,)) for endpoint, trust in sound.items()}
    # Then history does not build on it (no continuity, no remembered top), nor count the observation complete
    (seen,), complete = observed_chains(probe, padded, {}, T0)
    assert (seen.verified, complete) == (False, False)
    (seen,), complete = observed_chains(probe, sound, {}, T0)
    assert (seen.verified, complete) == (True, True)
