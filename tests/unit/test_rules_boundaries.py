"""Edges of the rules (rules.py) that the scenario tests cross without pinning down.

Found by mutation testing (`make mutation`): the expiry boundaries, the note on dropped thumbprints, the
reliance of untrusted hosts, the host of a problem, and the limit of five. Each expected value is written
out: dates as days from NOW, thumbprints as the SHA-1 of a name.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.builders import NOW, capture, certificate, probe_of, provider, sha1_of, trusted
from thumbprint_remediator.domain.models import (
    ChainDefect,
    ChainRule,
    Endpoint,
    HostCapture,
    ProbeFailure,
    Role,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.rules import (
    Problem,
    assess,
    days_left,
    dropped_thumbprints,
    failed_assessment,
    has_true_tag,
    is_valid_thumbprint,
    merge_thumbprints,
    normalize_thumbprint,
)
from thumbprint_remediator.domain.status import Status, most_serious
from thumbprint_remediator.domain.untrusted import ServerText

LEAF, TOP = "leaf", "intermediate"


def _codes(problems: tuple[Problem, ...]) -> list[str]:
    return [problem.code for problem in problems]


# --- Expiry ---------------------------------------------------------------------------------------------------


def _expiring_in(days: float, warning_days: int = 30) -> list[str]:
    host = capture([LEAF, TOP], days_left={TOP: days})
    return _codes(assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), warning_days, NOW).problems)


def test_a_certificate_with_exactly_the_warning_days_left_is_not_expiring() -> None:
    assert _expiring_in(30) == []


def test_a_certificate_a_moment_short_of_the_warning_days_is_expiring() -> None:
    assert _expiring_in(29.99) == ["certificate_expiring"]


def test_the_expiring_problem_says_how_many_whole_days_are_left_and_names_the_host() -> None:
    host = capture([LEAF, TOP], port=8443, days_left={TOP: 3.5})
    result = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW)
    [problem] = result.problems
    assert (problem.code, problem.status, problem.endpoint) == (
        "certificate_expiring",
        "expiring",
        "issuer.example:8443",
    )
    assert "(3 days left)" in problem.message
    assert "2026-12-02" in problem.message
    assert result.status == "expiring"


def test_a_certificate_expiring_at_exactly_now_is_expired() -> None:
    host = capture([LEAF, TOP], days_left={TOP: 0})
    result = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW)
    assert _codes(result.problems) == ["certificate_expired"]
    assert result.status == "expired"
    assert result.problems[0].to_dict()["host"] == "issuer.example"


def test_a_certificate_expiring_a_second_after_now_is_only_expiring() -> None:
    host = capture([LEAF, TOP], days_left={TOP: 1 / 86400})
    assert _codes(assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW).problems) == [
        "certificate_expiring"
    ]


def test_a_certificate_valid_from_exactly_now_is_valid_and_one_from_a_second_later_is_not() -> None:
    from_now = HostCapture(
        Endpoint("issuer.example"),
        (Role.DISCOVERY,),
        (certificate(LEAF, is_ca=False), certificate(TOP, not_before_days=0)),
        "TLSv1.2",
        True,
        1,
    )
    assert assess(provider(sha1_of(TOP)), probe_of(from_now), trusted(from_now), 30, NOW).status == "ok"
    later = HostCapture(
        Endpoint("issuer.example"),
        (Role.DISCOVERY,),
        (certificate(LEAF, is_ca=False), certificate(TOP, not_before_days=1 / 86400)),
        "TLSv1.2",
        True,
        1,
    )
    result = assess(provider(sha1_of(TOP)), probe_of(later), trusted(later), 30, NOW)
    assert _codes(result.problems) == ["certificate_not_yet_valid"]
    assert result.status == "untrusted"


def test_days_left_rounds_down_and_goes_negative_once_expired() -> None:
    assert days_left(NOW + timedelta(days=2, hours=23), NOW) == 2
    assert days_left(NOW + timedelta(days=3), NOW) == 3
    assert days_left(NOW - timedelta(hours=1), NOW) == -1


def test_the_nearest_expiry_is_the_first_certificate_to_expire_among_those_that_matter() -> None:
    host = capture([LEAF, TOP], days_left={LEAF: 40, TOP: 90})
    expiry = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW).nearest_expiry
    assert expiry is not None
    assert (expiry.endpoint, expiry.subject, expiry.days_left) == ("issuer.example", "CN=leaf", 40)
    assert expiry.not_after == NOW + timedelta(days=40)


# --- Reliance -------------------------------------------------------------------------------------------------


def test_reliance_is_unknown_when_a_host_is_untrusted_or_unjudged() -> None:
    host = capture([LEAF, TOP])
    untrusted = {host.endpoint: TrustResult(Trust.UNTRUSTED, error="no path")}
    assert assess(provider(sha1_of(TOP)), probe_of(host), untrusted, 30, NOW).thumbprint_reliance == "unknown"
    assert assess(provider(sha1_of(TOP)), probe_of(host), {}, 30, NOW).thumbprint_reliance == "unknown"
    assert assess(provider(sha1_of(TOP)), probe_of(), {}, 30, NOW).thumbprint_reliance == "unknown"


def test_reliance_is_required_for_a_private_chain_or_a_tls13_only_public_host() -> None:
    host = capture([LEAF, TOP])
    private = trusted(host, trust=Trust.PRIVATE)
    assert assess(provider(sha1_of(TOP)), probe_of(host), private, 30, NOW).thumbprint_reliance == "required"
    tls13 = capture([LEAF, TOP], accepts_tls12=False)
    assert assess(provider(sha1_of(TOP)), probe_of(tls13), trusted(tls13), 30, NOW).thumbprint_reliance == "required"


def test_a_failed_assessment_is_an_error_with_its_problem_and_unknown_reliance() -> None:
    result = failed_assessment("inventory_failed", "could not read", "check the role")
    assert result.status == "error"
    assert result.problems == (Problem("inventory_failed", Status.ERROR, "could not read", "check the role", None),)
    assert (result.thumbprint_reliance, result.proposed_thumbprints, result.nearest_expiry) == ("unknown", None, None)


# --- Problems: host, statuses, failures -----------------------------------------------------------------------


def test_a_problem_serialises_its_endpoint_as_host_and_its_instance() -> None:
    problem = Problem("c", Status.STALE, "m", "r", "issuer.example:8443", "192.0.2.7")
    assert problem.to_dict() == {
        "code": "c",
        "status": "stale",
        "message": "m",
        "remedy": "r",
        "host": "issuer.example:8443",
        "instance": "192.0.2.7",
    }
    assert Problem("c", Status.OK, "m", "r").to_dict()["host"] is None
    assert Problem("c", Status.OK, "m", "r").to_dict()["instance"] is None


def test_a_missing_thumbprint_names_its_host() -> None:
    host = capture([LEAF, "intermediate-2"], port=8443)
    result = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW)
    [missing] = [p for p in result.problems if p.code == "thumbprint_missing"]
    assert missing.endpoint == "issuer.example:8443"
    assert missing.to_dict()["host"] == "issuer.example:8443"
    assert sha1_of("intermediate-2") in missing.message
    assert "(discovery, jwks)" in missing.message


def test_the_most_serious_status_wins_and_none_is_ok() -> None:
    assert most_serious(["ok", "expiring", "stale"]) == "stale"
    assert most_serious(["untrusted", "expired"]) == "expired"
    assert most_serious(["skipped", "ok"]) == "ok"
    assert most_serious([]) == "ok"


def test_each_probe_failure_is_reported_once_with_its_kind_and_host() -> None:
    endpoint = Endpoint("issuer.example", 8443)
    failure = ProbeFailure(Status.UNREACHABLE, "connect_timeout", ServerText("timed out"), endpoint)
    host = HostCapture(endpoint, (Role.DISCOVERY,), failure=failure)
    result = assess(provider(sha1_of(TOP)), probe_of(host, failure=failure), {}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "connect_timeout"]
    assert (problem.status, problem.endpoint, problem.message) == ("unreachable", "issuer.example:8443", "timed out")
    assert "reachable from the function" in problem.remedy
    assert result.status == "unreachable"
    discovery = ProbeFailure(Status.INVALID_DISCOVERY, "issuer_mismatch", ServerText("issuer differs"))
    result = assess(provider(sha1_of(TOP)), probe_of(failure=discovery), {}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "issuer_mismatch"]
    assert (problem.status, problem.endpoint) == ("invalid_discovery", None)
    assert "discovery document" in problem.remedy


# --- The merge and the note on dropped thumbprints ------------------------------------------------------------


def test_the_dropped_note_names_the_entry_that_was_left_out_not_those_kept() -> None:
    # Given five pins, one of them the presented leaf, and a new live top
    host = capture([LEAF, "intermediate-2"])
    olds = [sha1_of(f"old-{index}") for index in range(4)]
    result = assess(provider(sha1_of(LEAF), *olds), probe_of(host), trusted(host), 30, NOW)
    # Then the last pin matching nothing presented goes first (the leaf's pin outranks it), and the note
    # names that one and why
    assert result.proposed_thumbprints == (sha1_of("intermediate-2"), sha1_of(LEAF), *olds[:3])
    [note] = [p for p in result.problems if p.code == "thumbprints_dropped"]
    assert note.status == "ok"
    assert f"dropped {olds[3]} (matches no certificate the provider presents) to stay within" in note.message
    assert all(pin not in note.message for pin in [sha1_of(LEAF), *olds[:3]])
    assert "IAM's limit of 5" in note.message
    assert result.status == "stale"


def test_no_note_when_nothing_is_dropped() -> None:
    host = capture([LEAF, "intermediate-2"])
    result = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW)
    assert "thumbprints_dropped" not in _codes(result.problems)


def test_dropped_thumbprints_give_each_reason_by_rank() -> None:
    chain = [sha1_of("leaf"), sha1_of("issuing"), sha1_of("policy"), sha1_of("root")]
    existing = [chain[0], chain[1], sha1_of("gone"), chain[2].upper()]
    assert dropped_thumbprints(existing, [chain[3]], [chain]) == (
        (chain[0], "matches a leaf certificate, which IAM never checks"),
        (chain[1], "matches a certificate 2 below the top of a presented chain"),
        (sha1_of("gone"), "matches no certificate the provider presents"),
        (chain[2], "matches a certificate 1 below the top of a presented chain"),
    )


def test_the_merge_keeps_the_top_and_the_certificate_below_it_last() -> None:
    chain = [sha1_of(name) for name in ("leaf", "issuing", "policy", "root")]
    live = [sha1_of(f"live-{index}") for index in range(2)]
    existing = [sha1_of("gone"), chain[0], chain[1], chain[2], chain[3]]
    assert merge_thumbprints(existing, live, [chain]) == (*live, chain[1], chain[2], chain[3])
    assert merge_thumbprints(existing, live, [chain], limit=3) == (*live, chain[3])


def test_a_one_certificate_chain_ranks_its_only_certificate_as_the_top() -> None:
    alone = sha1_of("self-signed")
    live = [sha1_of(f"live-{index}") for index in range(4)]
    assert merge_thumbprints([sha1_of("gone"), alone], live, [[alone]]) == (*live, alone)


def test_a_merge_takes_up_to_the_limit_of_live_thumbprints_and_refuses_more() -> None:
    live = [sha1_of(f"live-{index}") for index in range(6)]
    assert merge_thumbprints([], live[:5], []) == tuple(live[:5])
    with pytest.raises(ValueError, match="6 live thumbprints exceed IAM's limit of 5"):
        merge_thumbprints([], live, [])
    with pytest.raises(ValueError, match="at least one live thumbprint"):
        merge_thumbprints([sha1_of("old")], [], [])


def test_a_merge_normalises_and_deduplicates() -> None:
    live = sha1_of("live")
    old = sha1_of("old")
    assert merge_thumbprints([old.upper(), live, old], [live.upper(), live], []) == (live, old)


# --- Thumbprint text and tags ---------------------------------------------------------------------------------


def test_a_thumbprint_is_normalised_from_the_openssl_form() -> None:
    assert normalize_thumbprint(" AB:CD EF ") == "abcdef"


@pytest.mark.parametrize(
    ("value", "valid"),
    [("a" * 40, True), ("a" * 39, False), ("a" * 41, False), ("A" * 40, False), ("a" * 40 + "\n", False)],
)
def test_a_valid_thumbprint_is_exactly_40_lowercase_hex_digits(value: str, valid: bool) -> None:
    assert is_valid_thumbprint(value) is valid


@pytest.mark.parametrize(("value", "expected"), [(" TRUE ", True), ("true", True), ("yes", False), ("", False)])
def test_a_true_tag_is_true_in_any_case(value: str, expected: bool) -> None:
    assert has_true_tag(provider(tags=(("k", value),)), "k") is expected
    assert has_true_tag(provider(), "k") is False


# --- Every problem names its host, says what is wrong and what to do -------------------------------------------

HOST = "issuer.example:8443"


def _well_formed(problem: Problem, host: str | None = HOST) -> None:
    assert problem.status in (
        "error",
        "unreachable",
        "expired",
        "untrusted",
        "invalid_discovery",
        "stale",
        "expiring",
        "ok",
    )
    assert isinstance(problem.message, str), problem
    assert len(problem.message) > 10, problem
    assert isinstance(problem.remedy, str), problem
    assert len(problem.remedy) > 10, problem
    assert problem.endpoint == host, problem


def test_expired_and_not_yet_valid_certificates_name_their_host_and_dates() -> None:
    expired = capture([LEAF, TOP], port=8443, days_left={TOP: -2})
    [problem] = assess(provider(sha1_of(TOP)), probe_of(expired), trusted(expired), 30, NOW).problems
    _well_formed(problem)
    assert problem.message == f"{HOST}: certificate 'CN={TOP}' expired on 2026-11-26"
    early = HostCapture(
        Endpoint("issuer.example", 8443),
        (Role.DISCOVERY,),
        (certificate(LEAF, is_ca=False), certificate(TOP, not_before_days=1.5)),
        "TLSv1.2",
        True,
        1,
    )
    [problem] = assess(provider(sha1_of(TOP)), probe_of(early), trusted(early), 30, NOW).problems
    _well_formed(problem)
    assert (problem.code, problem.status) == ("certificate_not_yet_valid", "untrusted")
    assert problem.message == f"{HOST}: certificate 'CN={TOP}' is not valid before 2026-11-30 00:00 UTC"


def _intercepted(evidence: str | None, *, declared_private: bool = False) -> Problem:
    host = capture([LEAF, TOP], port=8443)
    verdict = TrustResult(
        Trust.PRIVATE,
        verified_path=(sha1_of(LEAF), sha1_of(TOP)),
        interception_suspected=True,
        interception_evidence=evidence,
    )
    result = assess(
        provider(sha1_of("pinned")),
        probe_of(host),
        {host.endpoint: verdict},
        30,
        NOW,
        declared_private=declared_private,
    )
    [problem] = [p for p in result.problems if p.code in ("interception_suspected", "private_ca_rotation_followed")]
    return problem


def test_each_kind_of_interception_evidence_is_its_own_problem_naming_the_host() -> None:
    public = _intercepted("public_pin")
    _well_formed(public)
    assert (public.code, public.status) == ("interception_suspected", "untrusted")
    assert "pins a certificate of the public PKI" in public.message
    assert public == _intercepted("public_pin", declared_private=True)
    followed = _intercepted("unattributed_pins", declared_private=True)
    _well_formed(followed)
    assert (followed.code, followed.status) == ("private_ca_rotation_followed", "ok")
    off_path = _intercepted("bundle_pin_off_path")
    _well_formed(off_path)
    assert (off_path.code, off_path.status) == ("interception_suspected", "untrusted")
    assert "reaches neither the pinned CA of EXTRA_CA_BUNDLE" in off_path.message
    unattributed = _intercepted("unattributed_pins")
    _well_formed(unattributed)
    assert (unattributed.code, unattributed.status) == ("interception_suspected", "untrusted")
    assert "none of which is in EXTRA_CA_BUNDLE" in unattributed.message


def test_an_untrusted_chain_names_its_host_and_the_verifiers_reason() -> None:
    host = capture([LEAF, TOP], port=8443)
    verdict = {host.endpoint: TrustResult(Trust.UNTRUSTED, error="certificate has expired")}
    result = assess(provider(sha1_of(TOP)), probe_of(host), verdict, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "chain_untrusted"]
    _well_formed(problem)
    assert problem.message == f"{HOST}: the presented chain does not verify (certificate has expired)"
    assert result.nearest_expiry is not None
    assert result.nearest_expiry.subject == "CN=leaf"


def test_an_untrusted_chain_counts_every_presented_certificate_for_expiry() -> None:
    host = capture([LEAF, TOP], days_left={LEAF: 90, TOP: 10})
    verdict = {host.endpoint: TrustResult(Trust.UNTRUSTED, verified_path=(sha1_of(LEAF),), error="x")}
    result = assess(provider(sha1_of(TOP)), probe_of(host), verdict, 30, NOW)
    assert "certificate_expiring" in _codes(result.problems)


def test_a_tls13_only_host_is_noted_with_its_host() -> None:
    host = capture([LEAF, TOP], port=8443, accepts_tls12=False)
    [problem] = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW).problems
    _well_formed(problem)
    assert (problem.code, problem.status) == ("tls13_only", "ok")


def test_a_stale_provider_whose_jwks_endpoint_is_unknown_is_not_updated() -> None:
    host = capture([LEAF, TOP])
    result = assess(provider(sha1_of("old")), probe_of(host, jwks_known=False), trusted(host), 30, NOW)
    assert result.status == "stale"
    assert result.proposed_thumbprints is None
    assert result.block_reason == "not updated: the JWKS endpoint is unknown"


def test_a_blocked_provider_gives_the_first_blocker_as_its_reason() -> None:
    host = capture([LEAF, TOP], days_left={TOP: -1})
    result = assess(provider(sha1_of("old")), probe_of(host, jwks_known=False), trusted(host), 30, NOW)
    assert result.block_reason == "not updated: issuer.example: certificate 'CN=intermediate' expired on 2026-11-27"


def test_a_live_certificate_not_tied_to_the_verified_path_blocks_and_names_its_host() -> None:
    host = capture([LEAF, TOP, "unrelated"], port=8443)
    verdict = {host.endpoint: TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), sha1_of(TOP)))}
    result = assess(provider(sha1_of("old")), probe_of(host), verdict, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "live_certificate_untied"]
    _well_formed(problem)
    assert problem.message == f"{HOST}: the last presented certificate is not tied to the verified path"
    assert result.status == "untrusted"
    assert result.block_reason == f"not updated: {problem.message}"
    assert result.live_thumbprints == ()


# --- Ranks of the merge: which entry is kept when only one more fits ------------------------------------------

FOUR_LIVE = [sha1_of(f"live-{index}") for index in range(4)]


def _kept(existing: list[str], chains: list[list[str]]) -> tuple[str, ...]:
    """The one existing entry kept beside four live thumbprints."""
    return merge_thumbprints(existing, FOUR_LIVE, chains)[4:]


def test_the_only_certificate_of_a_chain_is_its_top_not_a_leaf() -> None:
    alone, middle = sha1_of("self-signed"), sha1_of("middle")
    chains = [[alone], [sha1_of("leaf"), middle, sha1_of("root")]]
    assert _kept([middle, alone], chains) == (alone,)


def test_the_leaf_of_a_two_certificate_chain_ranks_after_every_ca() -> None:
    leaf, issuing = sha1_of("leaf"), sha1_of("issuing")
    chains = [[leaf, sha1_of("top")], [sha1_of("leaf-2"), issuing, sha1_of("policy"), sha1_of("root")]]
    assert _kept([leaf, issuing], chains) == (issuing,)


def test_a_certificate_in_two_chains_takes_its_best_rank() -> None:
    shared, other = sha1_of("shared"), sha1_of("other")
    chains = [[sha1_of("leaf-a"), shared], [sha1_of("leaf-b"), shared, sha1_of("root-b")], [sha1_of("l"), other, "r"]]
    assert _kept([other, shared], chains) == (shared,)


# --- Chain order, failures --------------------------------------------------------------------------------------


def test_chain_order_defects_name_each_certificate_by_position_then_count_the_rest() -> None:
    names = [LEAF, "a", "b", "c", "d", "e"]
    host = capture(names, port=8443)
    defects = tuple(ChainDefect(ChainRule.DUPLICATE, position, sha1_of(str(position))) for position in (1, 2, 3, 4, 9))
    verdict = TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), sha1_of("e")), chain_defects=defects)
    result = assess(provider(sha1_of("e")), probe_of(host), {host.endpoint: verdict}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "chain_duplicate_certificate"]
    _well_formed(problem)
    assert problem.message.startswith(
        f"{HOST}: the presented chain repeats a certificate: certificate 2 of 6 ('CN=a'), certificate 3 of 6 "
        "('CN=b'), certificate 4 of 6 ('CN=c') and 2 more was already sent; IAM requires the leaf first"
    )
    assert result.status == "untrusted"


def test_chain_order_defects_within_the_named_three_are_not_counted_as_more() -> None:
    names = [LEAF, "a", "b"]
    host = capture(names)
    defects = (ChainDefect(ChainRule.MISORDERED, 1, sha1_of("a")), ChainDefect(ChainRule.MISORDERED, 3, "f" * 40))
    verdict = TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), sha1_of("b")), chain_defects=defects)
    result = assess(provider(sha1_of("b")), probe_of(host), {host.endpoint: verdict}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "chain_misordered"]
    assert "certificate 2 of 3 ('CN=a') and 1 more does not issue" in problem.message
    one = (ChainDefect(ChainRule.UNRELATED, 2, sha1_of("b")),)
    verdict = TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), sha1_of("a")), chain_defects=one)
    result = assess(provider(sha1_of("b")), probe_of(host), {host.endpoint: verdict}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "chain_unrelated_certificate"]
    assert "its verified path: certificate 3 of 3 ('CN=b'); IAM requires" in problem.message


def test_an_untrusted_chain_without_a_reason_says_so() -> None:
    host = capture([LEAF, TOP])
    result = assess(provider(sha1_of(TOP)), probe_of(host), {host.endpoint: TrustResult(Trust.UNTRUSTED)}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "chain_untrusted"]
    assert problem.message == "issuer.example: the presented chain does not verify (unknown reason)"


def test_a_repeated_failure_is_reported_once_and_the_next_one_still_is() -> None:
    endpoint = Endpoint("issuer.example", 8443)
    timeout = ProbeFailure(Status.UNREACHABLE, "connect_timeout", ServerText("timed out"), endpoint)
    refused = ProbeFailure(Status.UNREACHABLE, "connect_timeout", ServerText("timed out"), Endpoint("jwks.example"))
    hosts = (
        HostCapture(endpoint, (Role.DISCOVERY,), failure=timeout),
        HostCapture(Endpoint("jwks.example"), (Role.JWKS,), failure=refused),
    )
    result = assess(provider(sha1_of(TOP)), probe_of(*hosts, failure=timeout), {}, 30, NOW)
    assert [(p.code, p.endpoint) for p in result.problems if p.code == "connect_timeout"] == [
        ("connect_timeout", "issuer.example:8443"),
        ("connect_timeout", "jwks.example"),
    ]


def test_the_dropped_note_lists_each_entry_left_out_in_order() -> None:
    host = capture([LEAF, "intermediate-2"])
    olds = [sha1_of(f"old-{index}") for index in range(5)]
    live = [sha1_of("intermediate-2")]
    remembered = [sha1_of("remembered")]
    result = assess(provider(*olds), probe_of(host), trusted(host), 30, NOW, remembered_live=remembered)
    assert result.proposed_thumbprints == (*live, *remembered, *olds[:3])
    [note] = [p for p in result.problems if p.code == "thumbprints_dropped"]
    why = "matches no certificate the provider presents"
    assert note.message == f"dropped {olds[3]} ({why}); {olds[4]} ({why}) to stay within IAM's limit of 5"


# --- What a missing thumbprint means, by how IAM checks the host --------------------------------------------------


def _missing(host: HostCapture, trust: Trust) -> str:
    result = assess(provider(sha1_of("old")), probe_of(host), trusted(host, trust=trust), 30, NOW)
    [problem] = [p for p in result.problems if p.code == "thumbprint_missing"]
    return problem.message


def test_a_missing_thumbprint_of_a_public_host_is_only_a_fallback() -> None:
    message = _missing(capture([LEAF, TOP]), Trust.PUBLIC)
    assert message.endswith(
        "is not pinned; IAM verifies this public chain itself, so the thumbprint is only its fallback"
    )


def test_a_missing_thumbprint_is_relied_on_for_a_private_or_tls13_only_host() -> None:
    relied = "is not pinned; IAM relies on the thumbprint here, so token exchange fails until it is pinned"
    assert _missing(capture([LEAF, TOP]), Trust.PRIVATE).endswith(relied)
    assert _missing(capture([LEAF, TOP], accepts_tls12=False), Trust.PUBLIC).endswith(relied)


def test_reliance_on_a_missing_thumbprint_is_unknown_where_the_chain_does_not_verify() -> None:
    # Given a chain that did not verify here (or was not judged): IAM may see another chain from AWS's network
    unknown = "is not pinned; whether IAM relies on the thumbprint is unknown, since this chain does not verify"
    assert _missing(capture([LEAF, TOP]), Trust.UNTRUSTED).endswith(unknown)
    host = capture([LEAF, TOP])
    result = assess(provider(sha1_of("old")), probe_of(host), {}, 30, NOW)
    [problem] = [p for p in result.problems if p.code == "thumbprint_missing"]
    # Then the message claims no reliance either way
    assert problem.message.endswith(unknown)


def test_a_provider_without_thumbprints_says_so_and_what_to_pin() -> None:
    host = capture([LEAF, TOP])
    [problem] = [p for p in assess(provider(), probe_of(host), trusted(host), 30, NOW).problems]
    assert (problem.code, problem.status, problem.message) == (
        "no_thumbprints",
        "stale",
        "the provider has no thumbprints",
    )
    _well_formed(problem, None)


def test_notes_on_expiry_and_dropped_entries_carry_a_remedy() -> None:
    host = capture([LEAF, TOP], port=8443, days_left={TOP: 3})
    [expiring] = assess(provider(sha1_of(TOP)), probe_of(host), trusted(host), 30, NOW).problems
    _well_formed(expiring)
    host = capture([LEAF, "intermediate-2"])
    olds = [sha1_of(f"old-{index}") for index in range(5)]
    result = assess(provider(*olds), probe_of(host), trusted(host), 30, NOW)
    [note] = [p for p in result.problems if p.code == "thumbprints_dropped"]
    _well_formed(note, None)


def test_a_failed_assessment_has_no_live_thumbprints() -> None:
    assert failed_assessment("c", "could not read it", "check the role").live_thumbprints == ()


def test_a_repeated_failure_does_not_hide_a_later_one() -> None:
    issuer, jwks = Endpoint("issuer.example", 8443), Endpoint("jwks.example")
    timeout = ProbeFailure(Status.UNREACHABLE, "connect_timeout", ServerText("timed out"), issuer)
    hosts = (
        HostCapture(issuer, (Role.DISCOVERY,), failure=timeout),
        HostCapture(issuer, (Role.JWKS,), failure=timeout),
        HostCapture(jwks, (Role.JWKS,), failure=replace(timeout, endpoint=jwks)),
    )
    result = assess(provider(sha1_of(TOP)), probe_of(*hosts), {}, 30, NOW)
    assert [p.endpoint for p in result.problems if p.code == "connect_timeout"] == [
        "issuer.example:8443",
        "jwks.example",
    ]
