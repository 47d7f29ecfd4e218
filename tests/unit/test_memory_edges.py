"""Edges of a provider's memory (memory.py) that the outbox tests reach but do not pin down: what a sweep
remembers of each sampled backend, the record as stored, the details each change carries, pruning's
boundaries, pin tracking, and when a finding is news.

Found by mutation testing (`make mutation`). Pure: no sandbox. Expected values are written out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.builders import capture, certificate, probe_of, sha1_of
from thumbprint_remediator.domain.memory import (
    MAX_CHAINS,
    CertificateSeen,
    ChainSeen,
    HistoryRecord,
    Observation,
    PinSeen,
    ProblemSeen,
    UntoldChange,
    changes_since,
    drift,
    next_record,
    observed_chains,
    own_changes,
    placeholder_pins,
    private_continuity,
    prune_candidates,
    record_from_dict,
    remembered_tops,
    reminder_due,
    told,
    worded_as_continuity,
)
from thumbprint_remediator.domain.models import (
    CertificateInfo,
    ChainSample,
    Endpoint,
    HostCapture,
    ProbeFailure,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.rules import Problem
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import ServerText

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ARN = "arn:aws:iam::123456789012:oidc-provider/issuer.example"
ENDPOINT = "issuer.example"
# Thumbprints of real-looking certificates (not filler values, which are placeholders).
LEAF, MID, TOP, NEW_TOP, ROOT, BUNDLE_CA = (sha1_of(name) for name in ("leaf", "mid", "top", "new", "root", "bca"))
PIN_A, PIN_B, PIN_C, PIN_D = (sha1_of(name) for name in ("pin-a", "pin-b", "pin-c", "pin-d"))


def seen(*sha1s: str, endpoint: str = ENDPOINT, when: datetime = T0, **fields: Any) -> ChainSeen:
    """A chain as history keeps it: each certificate named after its thumbprint's first characters."""
    certificates = tuple(CertificateSeen(s, f"CN={s[:8]}", "CN=issuer", "2027-01-01T00:00:00+00:00") for s in sha1s)
    chain = ChainSeen(endpoint, "192.0.2.1", certificates, "public", ROOT, True, when, when)
    return replace(chain, **fields)


def observe(*chains: ChainSeen, now: datetime = T0, pins: tuple[str, ...] = (TOP,), **fields: Any) -> Observation:
    observation = Observation(
        now=now,
        pins_before=pins,
        pins_after=pins,
        written=False,
        chains=chains,
        jwks_host="keys.example",
        complete=True,
    )
    return replace(observation, **fields)


def record(**fields: Any) -> HistoryRecord:
    """A record of 50 sweeps over 400 days that left IAM's list as [TOP]."""
    base = HistoryRecord(arn=ARN, first_seen=T0 - 400 * DAY, last_seen=T0 - DAY, sweeps=50, pins_seen=(TOP,))
    return replace(base, **fields)


def as_seen(info: CertificateInfo) -> CertificateSeen:
    return CertificateSeen(info.sha1, str(info.subject), str(info.issuer), info.not_after.isoformat())


# --- what a sweep remembers of each presented chain ------------------------------------------------------------
def _sampled(*samples: ChainSample) -> HostCapture:
    """The endpoint issuer.example:443 sampled across backends; the first sample is its presented chain."""
    first = samples[0].presented_chain
    return replace(capture([]), presented_chain=first, samples=samples)


CHAIN_A = (certificate("leaf-a", is_ca=False), certificate("mid-a"))
CHAIN_B = (certificate("leaf-b", is_ca=False), certificate("mid-b"))
PATH_A = (CHAIN_A[0].sha1, CHAIN_A[1].sha1, ROOT)
PATH_B = (CHAIN_B[0].sha1, CHAIN_B[1].sha1, BUNDLE_CA)


def test_every_sampled_backend_is_remembered_with_its_address_verdict_and_anchor() -> None:
    # Given an endpoint whose three backends presented chain A (public), chain B (bundle CA), and A again
    host = _sampled(
        ChainSample("192.0.2.1", CHAIN_A), ChainSample("192.0.2.2", CHAIN_B), ChainSample("192.0.2.3", CHAIN_A)
    )
    verdict_a = TrustResult(Trust.PUBLIC, verified_path=PATH_A)
    verdict_b = TrustResult(Trust.PRIVATE, verified_path=PATH_B)

    # When the sweep's observation is built
    chains, complete = observed_chains(
        probe_of(host), {host.endpoint: verdict_a}, {host.endpoint: (None, verdict_b, verdict_a)}, T0
    )

    # Then each distinct chain is kept once, with the address that first presented it, its own verdict, the CA it
    # verified through, and today as first and last seen; every chain verified, so the observation is complete
    assert chains == (
        ChainSeen("issuer.example", "192.0.2.1", tuple(map(as_seen, CHAIN_A)), "public", ROOT, True, T0, T0),
        ChainSeen("issuer.example", "192.0.2.2", tuple(map(as_seen, CHAIN_B)), "private", BUNDLE_CA, True, T0, T0),
    )
    assert complete is True


@pytest.mark.parametrize(
    "verdicts",
    [{}, {Endpoint("issuer.example"): (None,)}],
    ids=["no-sample-verdicts", "fewer-verdicts-than-samples"],
)
def test_a_backend_without_a_verdict_is_remembered_unverified_and_the_observation_is_incomplete(
    verdicts: dict[Endpoint, tuple[TrustResult | None, ...]],
) -> None:
    # Given two backends, of which only the first (the endpoint's presented chain) has a verdict
    host = _sampled(ChainSample("192.0.2.1", CHAIN_A), ChainSample("192.0.2.2", CHAIN_B))
    chains, complete = observed_chains(
        probe_of(host), {host.endpoint: TrustResult(Trust.PUBLIC, verified_path=PATH_A)}, verdicts, T0
    )
    # Then the second chain is kept as untrusted, through no CA, unverified: history does not build on it
    assert [(c.address, c.trust, c.anchor, c.verified) for c in chains] == [
        ("192.0.2.1", "public", ROOT, True),
        ("192.0.2.2", "untrusted", None, False),
    ]
    assert complete is False


def test_a_failed_backend_leaves_the_observation_incomplete_and_the_backends_after_it_are_remembered() -> None:
    # Given three backends, the middle one failing its handshake
    failure = ProbeFailure(Status.UNREACHABLE, "connection_reset", ServerText("reset"))
    host = _sampled(
        ChainSample("192.0.2.1", CHAIN_A), ChainSample("192.0.2.2", failure=failure), ChainSample("192.0.2.3", CHAIN_B)
    )
    verdict_b = TrustResult(Trust.PUBLIC, verified_path=PATH_B)
    chains, complete = observed_chains(
        probe_of(host),
        {host.endpoint: TrustResult(Trust.PUBLIC, verified_path=PATH_A)},
        {host.endpoint: (None, None, verdict_b)},
        T0,
    )
    # Then both chains that were presented are remembered as verified, and the observation is not complete
    # (pruning waits for a sweep that saw every backend)
    assert [(c.address, c.verified) for c in chains] == [("192.0.2.1", True), ("192.0.2.3", True)]
    assert complete is False


def test_an_endpoint_that_failed_after_its_handshake_is_not_remembered_and_the_next_endpoint_is() -> None:
    # Given an endpoint that presented a chain and then failed (its document was invalid), listed first, and an
    # endpoint that answered, not sampled
    failure = ProbeFailure(Status.INVALID_DISCOVERY, "jwks_invalid", ServerText("not JSON"))
    failed = replace(capture(["leaf-a", "mid-a"]), endpoint=Endpoint("keys.example"), failure=failure)
    answered = capture(["leaf-b", "mid-b"])
    trusts = {
        failed.endpoint: TrustResult(Trust.PUBLIC, verified_path=PATH_A),
        answered.endpoint: TrustResult(Trust.PUBLIC, verified_path=(sha1_of("leaf-b"), sha1_of("mid-b"), ROOT)),
    }
    chains, complete = observed_chains(probe_of(failed, answered), trusts, {}, T0)
    # Then only the answering endpoint's chain is kept (its address unknown: it was not sampled), and the
    # observation is not complete
    assert [(c.endpoint, c.address, c.top) for c in chains] == [("issuer.example", "", sha1_of("mid-b"))]
    assert complete is False


def test_a_chain_whose_top_the_verifier_did_not_reach_is_not_remembered_as_verified() -> None:
    # Given a chain that verified through its first two certificates, with a third one sent on top that is
    # neither on the verified path nor tied to it (no order defect was recorded)
    host = capture(["leaf", "mid", "stray"])
    path = (sha1_of("leaf"), sha1_of("mid"), ROOT)
    (chain,), complete = observed_chains(probe_of(host), {host.endpoint: TrustResult(Trust.PUBLIC, path)}, {}, T0)
    # Then IAM would pin the stray certificate: not a chain history builds on
    assert (chain.top, chain.verified, complete) == (sha1_of("stray"), False, False)


def test_a_certificate_name_is_kept_to_256_characters_whatever_reached_the_record() -> None:
    long = ServerText("CN=" + "x" * 300)
    info = replace(certificate("leaf"), subject=long, issuer=long)
    host = replace(capture([]), presented_chain=(info,))
    (chain,), _ = observed_chains(probe_of(host), {}, {}, T0)
    assert chain.certificates[0].subject == long[:256]
    assert chain.certificates[0].issuer == long[:256]


# --- the record as stored --------------------------------------------------------------------------------------
FULL = record(
    first_seen=T0,
    last_seen=T0 + 3 * DAY,
    sweeps=4,
    chains=(seen(LEAF, TOP, trust="untrusted", anchor=None, verified=False),),
    pins_seen=(PIN_A, PIN_B),
    pins_written=(PIN_A, PIN_B),
    pins_written_at=T0 + DAY,
    jwks_host=None,
    pins=(PinSeen(PIN_A, T0 + 3 * DAY, 0), PinSeen(PIN_B, None, 4)),
    problems=(ProblemSeen("chain_untrusted", T0 + 2 * DAY, None), ProblemSeen("slow_endpoint", T0, T0 + DAY)),
    expiry_days_left=9,
    expiry_days_told=15,
    skip_tagged=True,
    untold=(UntoldChange("drift", f"changed outside the tool: added {PIN_B}", T0 + 2 * DAY),),
    untold_dropped=3,
)


@pytest.mark.parametrize(
    "stored",
    [
        FULL,
        record(
            chains=(seen(LEAF, TOP),),
            jwks_host="keys.example",
            pins=(PinSeen(PIN_A, T0, 0),),
            expiry_days_left=None,
            expiry_days_told=None,
        ),
    ],
    ids=["written-pins-untold-news-unverified-chain", "nothing-written-nothing-untold"],
)
def test_a_record_read_back_is_the_record_stored_at_the_version_it_was_read(stored: HistoryRecord) -> None:
    # Given a record with (or without) a list the tool wrote, a never-told problem, news waiting and dropped,
    # an unverified chain through no CA and a pin never presented
    raw = json.loads(json.dumps(stored.to_dict()))
    # When it is read back at the version the table holds
    read = record_from_dict(raw, version=7)
    # Then every fact survives, and the version a save is conditional on is the one read
    assert read == stored
    assert read.version == 7


DAMAGES: list[tuple[str, Callable[[dict[str, Any]], object], type[Exception], str]] = [
    ("not-an-object", list, TypeError, "object"),
    ("text-expected", lambda d: {**d, "arn": 12}, TypeError, "int"),
    ("flag-expected", lambda d: {**d, "skip_tagged": "yes"}, TypeError, "str"),
    ("number-expected", lambda d: {**d, "sweeps": "3"}, TypeError, "str"),
    ("naive-time", lambda d: {**d, "last_seen": "2026-06-01T00:00:00"}, ValueError, "2026-06-01T00:00:00"),
]


@pytest.mark.parametrize(("damage", "error", "named"), [d[1:] for d in DAMAGES], ids=[d[0] for d in DAMAGES])
def test_a_damaged_record_is_refused_with_a_reason_naming_what_was_found(
    damage: Callable[[dict[str, Any]], object], error: type[Exception], named: str
) -> None:
    # The reason becomes the finding's "history unavailable" line: it says what the item held instead
    damaged = damage(FULL.to_dict())
    with pytest.raises(error) as refused:
        record_from_dict(damaged)  # type: ignore[arg-type]
    assert named in str(refused.value)


# --- what each change says -------------------------------------------------------------------------------------
def test_a_known_or_unverified_chain_does_not_hide_a_new_chain_after_it() -> None:
    previous = record(chains=(seen(LEAF, TOP),))
    unverified = seen(sha1_of("other"), TOP, verified=False)
    new = seen(sha1_of("renewed"), TOP, endpoint="keys.example", address="192.0.2.9")
    changes = changes_since(previous, observe(seen(LEAF, TOP), unverified, new, jwks_host=None))
    assert [change.kind for change in changes] == ["new_chain"]
    # And its detail names where it was seen: the endpoint and the backend's address
    assert "keys.example" in changes[0].detail
    assert "192.0.2.9" in changes[0].detail


def test_a_rotated_intermediate_names_the_new_top_and_its_subject() -> None:
    previous = record(chains=(seen(LEAF, MID, TOP),))
    (change,) = changes_since(previous, observe(seen(LEAF, MID, NEW_TOP), jwks_host=None))
    assert change.kind == "rotated_intermediate"
    assert NEW_TOP in change.detail
    assert f"CN={NEW_TOP[:8]}" in change.detail
    assert f"CN={MID[:8]}" not in change.detail


def test_a_changed_jwks_host_names_the_old_and_the_new_host() -> None:
    (change,) = changes_since(record(jwks_host="old.example"), observe(jwks_host="new.example"))
    assert change.kind == "jwks_host_changed"
    assert "old.example" in change.detail
    assert "new.example" in change.detail


def test_a_removed_skip_tag_is_told_in_words() -> None:
    (change,) = changes_since(record(skip_tagged=True, jwks_host="keys.example"), observe(skip_tagged=False))
    assert change.kind == "skip_tag_removed"
    assert "skip" in change.detail


def test_the_tools_own_change_lists_every_pin_it_added_and_removed_sorted() -> None:
    gone, new = sha1_of("gone"), sha1_of("new")
    written = observe(pins=(PIN_D, PIN_A, PIN_C, gone), pins_after=(PIN_C, PIN_D, PIN_B, new), written=True)
    changes = {change.kind: change.detail.split(", ") for change in own_changes(written)}
    assert changes == {"pins_added": sorted([PIN_B, new]), "pins_removed": sorted([PIN_A, gone])}


@pytest.mark.parametrize(
    ("now", "told"),
    [
        ((PIN_A, PIN_B, PIN_C, PIN_D), "added " + ", ".join(sorted([PIN_B, PIN_C]))),
        ((), "removed " + ", ".join(sorted([PIN_A, PIN_D]))),
        ((PIN_B,), f"added {PIN_B}; removed " + ", ".join(sorted([PIN_A, PIN_D]))),
    ],
    ids=["added-only", "removed-only", "both"],
)
def test_drift_names_exactly_the_pins_added_and_removed_outside_the_tool(now: tuple[str, ...], told: str) -> None:
    # Given the last sweep left [PIN_D, PIN_A]  When IAM now holds `now`
    found = drift(record(pins_seen=(PIN_D, PIN_A)), now)
    # Then the drift lists what was added, then what was removed, each sorted
    assert found is not None
    assert found.kind == "drift"
    assert found.detail.partition(": ")[2] == told


# --- pruning ---------------------------------------------------------------------------------------------------
def _tracked(*pins: PinSeen, first_seen: datetime = T0 - 400 * DAY) -> HistoryRecord:
    return record(first_seen=first_seen, pins=(PinSeen(TOP, T0 - DAY, 0), *pins))


def _prune(previous: HistoryRecord, *pins: str, live: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Pruning with a 90-day window, IAM holding TOP (presented today) and `pins`."""
    return prune_candidates(previous, observe(seen(LEAF, TOP), pins=(TOP, *pins)), live, prune_after_days=90)


def test_a_live_pin_is_never_pruned_however_long_it_went_unpresented() -> None:
    # Given a pin last presented 200 days ago over 10 sweeps, still live (a top remembered from another backend)
    previous = _tracked(PinSeen(PIN_A, T0 - 200 * DAY, 10))
    assert _prune(previous, PIN_A, live=(PIN_A,)) == ()
    assert _prune(previous, PIN_A) == (PIN_A,)


def test_a_pin_history_does_not_track_yet_is_never_pruned() -> None:
    # Given IAM holds a pin added since the last sweep (someone else's): history has no dates for it
    assert _prune(_tracked(), PIN_A) == ()


def test_a_pin_presented_exactly_the_window_ago_is_kept_and_a_day_more_is_pruned() -> None:
    assert _prune(_tracked(PinSeen(PIN_A, T0 - 90 * DAY, 10)), PIN_A) == ()
    assert _prune(_tracked(PinSeen(PIN_A, T0 - 91 * DAY, 10)), PIN_A) == (PIN_A,)


def test_a_pin_never_presented_waits_for_the_window_to_pass_since_history_began() -> None:
    never = PinSeen(PIN_A, None, 10)
    assert _prune(_tracked(never, first_seen=T0 - 10 * DAY), PIN_A) == ()
    assert _prune(_tracked(never, first_seen=T0 - 90 * DAY), PIN_A) == ()
    assert _prune(_tracked(never, first_seen=T0 - 91 * DAY), PIN_A) == (PIN_A,)


def test_a_pin_kept_for_one_reason_does_not_stop_the_pins_after_it_from_being_pruned() -> None:
    # Given, in IAM's order, a pin presented 10 days ago, a pin seen unpresented by one sweep only, then a stale one
    previous = _tracked(PinSeen(PIN_A, T0 - 10 * DAY, 1), PinSeen(PIN_B, T0 - 200 * DAY, 0), PinSeen(PIN_C, None, 9))
    assert _prune(previous, PIN_A, PIN_B, PIN_C) == (PIN_C,)


def test_when_every_entry_is_stale_all_but_one_are_pruned() -> None:
    # Given IAM holds three pins, none presented for 200 days, and no chain verified today
    stale = [PinSeen(pin, T0 - 200 * DAY, 10) for pin in (PIN_A, PIN_B, PIN_C)]
    previous = record(pins=tuple(stale))
    pruned = prune_candidates(previous, observe(pins=(PIN_A, PIN_B, PIN_C)), (), prune_after_days=90)
    # Then IAM keeps one (it requires a non-empty list)
    assert len(pruned) == 2
    assert set(pruned) < {PIN_A, PIN_B, PIN_C}


# --- what the next record remembers ----------------------------------------------------------------------------
def test_a_chain_seen_again_keeps_the_day_it_was_first_seen() -> None:
    first = next_record(None, ARN, observe(seen(LEAF, TOP)))
    again = next_record(first, ARN, observe(seen(LEAF, TOP, when=T0 + DAY), now=T0 + DAY))
    assert [(c.first_seen, c.last_seen) for c in again.chains] == [(T0, T0 + DAY)]


def test_a_full_record_keeps_the_newest_chains_newest_first() -> None:
    # Given more distinct chains than a record keeps, one a day
    kept = None
    for day in range(MAX_CHAINS + 2):
        chain = seen(LEAF, sha1_of(f"top-{day}"), when=T0 + day * DAY)
        kept = next_record(kept, ARN, observe(chain, now=T0 + day * DAY))
    assert kept is not None
    # Then today's chain is first and the two oldest dropped off
    assert [c.top for c in kept.chains] == [sha1_of(f"top-{day}") for day in range(MAX_CHAINS + 1, 1, -1)]


def test_each_pin_tracks_when_it_was_last_presented_and_the_sweeps_since() -> None:
    # Given IAM holds TOP (presented by the verified chain) and PIN_A (presented by nothing)
    one = next_record(None, ARN, observe(seen(LEAF, TOP), pins=(TOP, PIN_A)))
    assert one.pins == (PinSeen(TOP, T0, 0), PinSeen(PIN_A, None, 1))
    two = next_record(one, ARN, observe(seen(LEAF, TOP), pins=(TOP, PIN_A), now=T0 + DAY))
    assert two.pins == (PinSeen(TOP, T0 + DAY, 0), PinSeen(PIN_A, None, 2))
    # When the endpoint moves to another top, TOP counts its first sweep unpresented from its last date
    three = next_record(two, ARN, observe(seen(LEAF, NEW_TOP), pins=(TOP, PIN_A), now=T0 + 2 * DAY))
    assert three.pins == (PinSeen(TOP, T0 + DAY, 1), PinSeen(PIN_A, None, 3))


def test_the_record_counts_sweeps_and_moves_its_last_seen() -> None:
    kept = None
    for day in range(3):
        kept = next_record(kept, ARN, observe(seen(LEAF, TOP), now=T0 + day * DAY))
    assert kept is not None
    assert (kept.first_seen, kept.last_seen, kept.sweeps) == (T0, T0 + 2 * DAY, 3)


def test_the_list_the_tool_wrote_is_kept_with_its_date_when_someone_else_changes_it_later() -> None:
    # Given a sweep that wrote [NEW_TOP, TOP]
    wrote = replace(observe(seen(LEAF, NEW_TOP)), pins_after=(NEW_TOP, TOP), written=True)
    first = next_record(None, ARN, wrote)
    assert (first.pins_written, first.pins_written_at) == ((NEW_TOP, TOP), T0)
    # When a later sweep finds IAM holding another list, which it does not write
    later = next_record(first, ARN, observe(seen(LEAF, NEW_TOP), pins=(NEW_TOP,), now=T0 + DAY))
    # Then the record still says what the tool wrote, and when; IAM's list as seen is the new one
    assert (later.pins_written, later.pins_written_at, later.pins_seen) == ((NEW_TOP, TOP), T0, (NEW_TOP,))


def test_a_told_problem_that_went_away_and_a_new_one_still_present_are_not_changes() -> None:
    # Given a problem an alert told, and one no alert has told yet
    previous = record(
        problems=(ProblemSeen("slow_endpoint", T0 - 9 * DAY, T0 - 2 * DAY), ProblemSeen("chain_untrusted", T0, None))
    )
    # When the told one is gone and the untold one is still there
    kept = next_record(previous, ARN, observe(problem_codes=("chain_untrusted",)), ())
    # Then nothing waits in the outbox: the first was told, the second is still a problem (new, so news anyway)
    assert kept.untold == ()
    assert kept.problems == (ProblemSeen("chain_untrusted", T0, None),)


# --- when a finding is news ------------------------------------------------------------------------------------
def test_without_history_a_problem_is_news_and_no_problem_is_not() -> None:
    assert reminder_due(None, observe(problem_codes=("chain_untrusted",))) is not None
    assert reminder_due(None, observe()) is None


def test_every_new_problem_is_named_in_order() -> None:
    reason = reminder_due(record(), observe(problem_codes=("thumbprint_missing", "chain_untrusted")))
    assert reason is not None
    assert reason.partition(": ")[2].split(", ") == ["chain_untrusted", "thumbprint_missing"]


def test_changes_waiting_to_be_told_are_named_once_each_in_the_order_seen() -> None:
    waiting = tuple(UntoldChange(kind, "", T0) for kind in ("skip_tag_added", "drift", "skip_tag_added"))
    reason = reminder_due(record(untold=waiting), observe())
    assert reason is not None
    assert "skip_tag_added, drift" in reason
    assert reason.count("skip_tag_added") == 1


def test_a_certificate_nearing_expiry_that_is_not_a_problem_is_no_reminder() -> None:
    # Given a warning threshold below 20 days: 20 days left is no problem yet (none was told at 40)
    previous = record(expiry_days_left=40, expiry_days_told=40)
    assert reminder_due(previous, observe(expiry_days_left=20)) is None


def test_after_a_delivered_weekly_reminder_the_next_is_a_week_later() -> None:
    # Given a problem told a week ago, due its weekly reminder today
    previous = record(problems=(ProblemSeen("slow_endpoint", T0 - 30 * DAY, T0 - 7 * DAY),))
    today = observe(problem_codes=("slow_endpoint",))
    assert reminder_due(previous, today) == "weekly reminder: slow_endpoint"
    # When the reminder is delivered
    reminded = told(next_record(previous, ARN, today), T0, reminded=True)
    # Then tomorrow is quiet, and a week from today is due again
    assert reminder_due(reminded, observe(problem_codes=("slow_endpoint",), now=T0 + DAY)) is None
    assert reminder_due(reminded, observe(problem_codes=("slow_endpoint",), now=T0 + 7 * DAY)) is not None


def test_an_alert_not_due_for_a_reminder_still_marks_a_never_told_problem_told() -> None:
    previous = record(problems=(ProblemSeen("slow_endpoint", T0 - 30 * DAY, T0 - 2 * DAY),))
    observed = next_record(previous, ARN, observe(problem_codes=("slow_endpoint", "chain_untrusted")))
    marked = told(observed, T0, reminded=False)
    assert marked.problems == (
        ProblemSeen("slow_endpoint", T0 - 30 * DAY, T0 - 2 * DAY),
        ProblemSeen("chain_untrusted", T0, T0),
    )


# --- remembered tops, continuity, placeholders ------------------------------------------------------------------
def test_a_top_last_seen_exactly_the_window_ago_is_still_remembered() -> None:
    previous = record(chains=(seen(LEAF, TOP, when=T0 - 30 * DAY), seen(LEAF, MID, when=T0 - 31 * DAY)))
    assert remembered_tops(previous, T0, 30) == (TOP,)


def _verified_through(anchor: str, trust: Trust = Trust.PRIVATE, host: str = "issuer.example") -> dict[Endpoint, Any]:
    return {Endpoint(host): TrustResult(trust, verified_path=(LEAF, NEW_TOP, anchor))}


def test_continuity_needs_history_and_a_chain_verified_through_the_bundle() -> None:
    assert private_continuity(None, (TOP,), _verified_through(BUNDLE_CA)) is False
    previous = record(chains=(seen(LEAF, TOP, trust="private", anchor=BUNDLE_CA),))
    assert private_continuity(previous, (TOP,), _verified_through(ROOT, Trust.PUBLIC)) is False
    assert private_continuity(previous, (TOP,), _verified_through(BUNDLE_CA)) is True


def test_continuity_judges_the_bundle_chains_only_beside_a_public_one() -> None:
    previous = record(chains=(seen(LEAF, TOP, trust="private", anchor=BUNDLE_CA),))
    trusts = {**_verified_through(ROOT, Trust.PUBLIC, "keys.example"), **_verified_through(BUNDLE_CA)}
    assert private_continuity(previous, (TOP,), trusts) is True


def test_continuity_needs_a_bundle_chain_that_held_one_of_the_pins() -> None:
    previous = record(chains=(seen(LEAF, MID, trust="private", anchor=BUNDLE_CA),))
    assert private_continuity(previous, (TOP,), _verified_through(BUNDLE_CA)) is False


def test_the_only_certificate_of_a_one_certificate_chain_is_no_leaf_placeholder() -> None:
    # A server presenting one self-signed certificate: its thumbprint is the top, the right pin
    assert placeholder_pins((TOP,), [seen(TOP)]) == ()
    assert placeholder_pins((LEAF,), [seen(LEAF, TOP)]) == ((LEAF, "thumbprint of a leaf certificate"),)


# --- the continuity note ---------------------------------------------------------------------------------------
FOLLOWED = Problem(
    "private_ca_rotation_followed", Status.OK, "followed: the host is tagged private", "tag it", "h:8443"
)


def test_a_followed_private_rotation_is_reworded_as_justified_by_history_for_its_endpoint() -> None:
    note = worded_as_continuity(FOLLOWED)
    assert (note.code, note.status, note.endpoint) == (FOLLOWED.code, FOLLOWED.status, FOLLOWED.endpoint)
    assert note.message.startswith("h:8443: ")
    assert "history" in note.message
    assert note.remedy is not None
    assert "none" in note.remedy
    # And without an endpoint, the same note with no prefix
    bare = worded_as_continuity(replace(FOLLOWED, endpoint=None))
    assert note.message == "h:8443: " + bare.message
    assert bare.remedy == note.remedy


def test_any_other_problem_is_left_as_it_is() -> None:
    other = Problem("chain_untrusted", Status.UNTRUSTED, "the chain does not verify", "fix the chain", "h:8443")
    assert worded_as_continuity(other) is other
