"""The pure rules: status, problems, and the merged thumbprint list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.pki import SandboxPki
from tests.unit.builders import NOW, capture, captured, probe_of, provider, sha1_of, trusted
from thumbprint_remediator.domain.models import (
    INTERCEPTION_BUNDLE_PIN_OFF_PATH,
    INTERCEPTION_PUBLIC_PIN,
    INTERCEPTION_UNATTRIBUTED_PINS,
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
    MAX_THUMBPRINTS,
    Assessment,
    assess,
    days_left,
    is_skipped,
    merge_thumbprints,
    normalize_thumbprint,
)
from thumbprint_remediator.domain.status import Status, most_serious
from thumbprint_remediator.domain.untrusted import server_text
from thumbprint_remediator.tls.trust import TrustEvaluator

LEAF, INTERMEDIATE, ROOT = "leaf", "intermediate", "root"
TOP = sha1_of(INTERMEDIATE)


def test_healthy_provider_is_ok_and_untouched() -> None:
    # Given a provider pinning the intermediate its only host presents last
    host = capture([LEAF, INTERMEDIATE])
    # When it is assessed
    result = assess(provider(TOP), probe_of(host), trusted(host), 30, NOW)
    # Then it is ok, nothing is proposed and IAM only falls back to the thumbprint
    assert result.status == "ok"
    assert result.proposed_thumbprints is None
    assert result.block_reason is None
    assert result.live_thumbprints == (TOP,)
    assert result.thumbprint_reliance == "fallback"


def test_live_thumbprint_is_the_last_presented_certificate_not_the_leaf() -> None:
    host = capture([LEAF, INTERMEDIATE, ROOT])
    result = assess(provider(TOP), probe_of(host), trusted(host), 30, NOW)
    assert result.live_thumbprints == (sha1_of(ROOT),)
    assert result.status == "stale"
    assert result.proposed_thumbprints == (sha1_of(ROOT), TOP)


def test_rotated_intermediate_is_stale_and_merge_keeps_old_entry_after_new() -> None:
    # Given the pinned intermediate was rotated out
    host = capture([LEAF, "intermediate-2"])
    old = sha1_of(INTERMEDIATE)
    # When assessed
    result = assess(provider(old), probe_of(host), trusted(host, trust=Trust.PRIVATE), 30, NOW)
    # Then the new one leads and the old one is kept (it matches nothing, but there is room)
    assert result.status == "stale"
    assert result.proposed_thumbprints == (sha1_of("intermediate-2"), old)
    assert result.thumbprint_reliance == "required"
    assert any(p.code == "thumbprint_missing" for p in result.problems)


def test_uppercase_pin_of_the_live_certificate_is_not_stale() -> None:
    host = capture([LEAF, INTERMEDIATE])
    result = assess(provider(TOP.upper()), probe_of(host), trusted(host), 30, NOW)
    assert result.status == "ok"


def test_empty_list_is_stale() -> None:
    host = capture([LEAF, INTERMEDIATE])
    result = assess(provider(), probe_of(host), trusted(host), 30, NOW)
    assert result.status == "stale"
    assert result.proposed_thumbprints == (TOP,)
    assert [p.code for p in result.problems] == ["no_thumbprints"]


def test_separate_jwks_host_needs_both_thumbprints() -> None:
    discovery = capture([LEAF, INTERMEDIATE], roles=(Role.DISCOVERY,))
    jwks = capture(["jwks-leaf", "jwks-intermediate"], port=8443, roles=(Role.JWKS,))
    result = assess(provider(TOP), probe_of(discovery, jwks), trusted(discovery, jwks), 30, NOW)
    assert result.status == "stale"
    assert result.proposed_thumbprints == (TOP, sha1_of("jwks-intermediate"))


def test_untrusted_chain_blocks_the_update() -> None:
    host = capture([LEAF, "attacker-ca"])
    trusts = {host.endpoint: TrustResult(trust=Trust.UNTRUSTED, error="unable to get local issuer")}
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW)
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None
    assert result.block_reason is not None
    assert "does not verify" in result.block_reason


def test_interception_suspected_blocks_even_when_chain_verifies_privately() -> None:
    host = capture([LEAF, "corporate-proxy-ca"])
    trusts = {host.endpoint: TrustResult(trust=Trust.PRIVATE, verified_path=(), interception_suspected=True)}
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW)
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None
    assert "interception" in (result.block_reason or "")


def _private_chain_replacing_pins(evidence: str) -> tuple[HostCapture, dict[Endpoint, TrustResult]]:
    host = capture([LEAF, "private-issuing-ca-2"])
    verdict = TrustResult(
        Trust.PRIVATE,
        verified_path=(sha1_of(LEAF), sha1_of("private-issuing-ca-2")),
        interception_suspected=True,
        interception_evidence=evidence,
    )
    return host, {host.endpoint: verdict}


@pytest.mark.parametrize("evidence", [INTERCEPTION_PUBLIC_PIN, INTERCEPTION_UNATTRIBUTED_PINS])
def test_private_chain_replacing_pins_it_cannot_be_tied_to_is_blocked_and_says_why(evidence: str) -> None:
    # Given a chain trusted only through EXTRA_CA_BUNDLE that continues none of the pins
    host, trusts = _private_chain_replacing_pins(evidence)
    # When assessed
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW)
    # Then it is suspected interception: untrusted, nothing proposed, the pin kept
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None
    [problem] = [p for p in result.problems if p.code == "interception_suspected"]
    assert "TLS interception suspected" in problem.message
    expected = (
        "certificate of the public PKI"
        if evidence == INTERCEPTION_PUBLIC_PIN
        else "none of which is in EXTRA_CA_BUNDLE"
    )
    assert expected in problem.message
    assert (result.block_reason or "").startswith("not updated: issuer.example: TLS interception suspected")


def test_provider_tagged_private_follows_a_rotation_its_pins_cannot_be_tied_to() -> None:
    # Given the same chain, on a provider the operator declared private
    host, trusts = _private_chain_replacing_pins(INTERCEPTION_UNATTRIBUTED_PINS)
    # When assessed
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW, declared_private=True)
    # Then the rotation is followed and the report says why
    assert result.status == "stale"
    assert result.proposed_thumbprints == (sha1_of("private-issuing-ca-2"), TOP)
    assert "private_ca_rotation_followed" in [p.code for p in result.problems]


def test_tag_does_not_override_a_pinned_public_root() -> None:
    host, trusts = _private_chain_replacing_pins(INTERCEPTION_PUBLIC_PIN)
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW, declared_private=True)
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None


def test_failed_jwks_host_blocks_the_update_of_a_stale_discovery_host() -> None:
    discovery = capture([LEAF, "new-intermediate"], roles=(Role.DISCOVERY,))
    failure = ProbeFailure(
        Status.UNREACHABLE, "connect_timeout", server_text("keys.example: timed out"), Endpoint("keys.example")
    )
    jwks = replace(capture([], roles=(Role.JWKS,)), endpoint=Endpoint("keys.example"), failure=failure)
    result = assess(provider(TOP), probe_of(discovery, jwks, failure=failure), trusted(discovery), 30, NOW)
    assert result.status == "unreachable"
    assert result.proposed_thumbprints is None
    assert result.block_reason == "not updated: keys.example: timed out"
    # The same failure reported by the host and the probe is one problem, not two.
    assert [p.code for p in result.problems].count("connect_timeout") == 1


def test_unknown_jwks_endpoint_blocks_the_update() -> None:
    host = capture([LEAF, "new-intermediate"], roles=(Role.DISCOVERY,))
    failure = ProbeFailure(Status.INVALID_DISCOVERY, "issuer_mismatch", server_text("issuer differs"), host.endpoint)
    result = assess(provider(TOP), probe_of(host, failure=failure, jwks_known=False), trusted(host), 30, NOW)
    assert result.status == "invalid_discovery"
    assert result.proposed_thumbprints is None


def test_expiring_certificate_in_verified_path_warns_without_blocking() -> None:
    host = capture([LEAF, INTERMEDIATE], days_left={LEAF: 10})
    result = assess(provider(TOP), probe_of(host), trusted(host), 30, NOW)
    assert result.status == "expiring"
    assert result.nearest_expiry is not None
    assert result.nearest_expiry.days_left == 10


def test_expiring_certificate_outside_verified_path_is_ignored() -> None:
    host = capture([LEAF, INTERMEDIATE, "unrelated"], days_left={"unrelated": 3})
    trusts = {host.endpoint: TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), TOP))}
    result = assess(provider(sha1_of("unrelated")), probe_of(host), trusts, 30, NOW)
    assert result.status == "ok"


def test_expired_certificate_outranks_untrusted() -> None:
    host = capture([LEAF, INTERMEDIATE], days_left={LEAF: -2})
    trusts = {host.endpoint: TrustResult(Trust.UNTRUSTED, error="certificate has expired")}
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW)
    assert result.status == "expired"
    assert {p.code for p in result.problems} >= {"certificate_expired", "chain_untrusted"}


def test_tls13_only_host_makes_the_thumbprint_required() -> None:
    host = capture([LEAF, INTERMEDIATE], accepts_tls12=False)
    result = assess(provider(TOP), probe_of(host), trusted(host), 30, NOW)
    assert result.status == "ok"
    assert result.thumbprint_reliance == "required"
    assert "tls13_only" in [p.code for p in result.problems]


def test_merge_drops_only_entries_matching_nothing_presented() -> None:
    # Given two chains: x over ROOT over LEAF, and TOP over LEAF; three entries match nothing
    chains = [[sha1_of(LEAF), sha1_of(ROOT), sha1_of("x")], [sha1_of(LEAF), TOP]]
    stale = [sha1_of(f"stale-{i}") for i in range(3)]
    existing = [stale[0], sha1_of(LEAF), stale[1], sha1_of(ROOT), stale[2]]
    # When merged with both live tops
    merged = merge_thumbprints(existing, [TOP, sha1_of("x")], chains)
    # Then only non-matching entries go, and the matches are written first, in their order
    assert merged == (TOP, sha1_of("x"), sha1_of(LEAF), sha1_of(ROOT), stale[0])


def test_merge_rejects_no_live_thumbprint() -> None:
    with pytest.raises(ValueError, match="at least one live"):
        merge_thumbprints(["a" * 40], [], [])


def test_full_list_assessment_reports_what_it_dropped() -> None:
    host = capture([LEAF, "new-intermediate"])
    existing = [sha1_of(f"old-{i}") for i in range(5)]
    result = assess(provider(*existing), probe_of(host), trusted(host), 30, NOW)
    assert result.proposed_thumbprints is not None
    assert len(result.proposed_thumbprints) == MAX_THUMBPRINTS
    assert [p.code for p in result.problems if p.code == "thumbprints_dropped"] == ["thumbprints_dropped"]


def test_skip_tag_is_true_case_insensitively() -> None:
    assert is_skipped(provider(tags=(("k", "TRUE"),)), "k")
    assert not is_skipped(provider(tags=(("k", "no"),)), "k")
    assert not is_skipped(provider(), "k")


def test_status_order_and_days_left() -> None:
    assert most_serious(["ok", "expiring", "stale"]) == "stale"
    assert most_serious(["expired", "untrusted"]) == "expired"
    assert most_serious([]) == "ok"
    assert days_left(NOW.replace(hour=11), NOW) == -1
    assert normalize_thumbprint("9E:99:A4:8A") == "9e99a48a"


# --- properties ------------------------------------------------------------------------------
thumbprints = st.text(alphabet="0123456789abcdefABCDEF", min_size=40, max_size=40)


@given(
    existing=st.lists(thumbprints, max_size=8),
    live=st.lists(thumbprints, min_size=1, max_size=2),
    presented_extra=st.lists(thumbprints, max_size=6),
)
def test_merge_properties(existing: list[str], live: list[str], presented_extra: list[str]) -> None:
    chains = [[*presented_extra, top] for top in live]
    presented = {normalize_thumbprint(v) for chain in chains for v in chain}
    merged = merge_thumbprints(existing, live, chains)
    live_lower = [normalize_thumbprint(v) for v in live]
    # bounded, non-empty, lowercase, duplicate-free, every live entry present and first
    assert 1 <= len(merged) <= MAX_THUMBPRINTS
    assert all(v == v.lower() for v in merged)
    assert len(set(merged)) == len(merged)
    assert set(live_lower) <= set(merged)
    assert list(merged[: len(set(live_lower))]) == list(dict.fromkeys(live_lower))
    # never drops a presented match while keeping a non-match
    existing_lower = {normalize_thumbprint(v) for v in existing}
    dropped = existing_lower - set(merged)
    kept_non_matching = [v for v in merged if v not in presented]
    assert not (dropped & presented and kept_non_matching)
    # idempotent
    assert merge_thumbprints(merged, live, chains) == merged


@given(
    pinned=st.lists(thumbprints, max_size=5),
    trust=st.sampled_from(list(Trust)),
    top=st.sampled_from([INTERMEDIATE, ROOT, "other"]),
)
def test_assessment_never_proposes_from_an_untrusted_chain(pinned: list[str], trust: Trust, top: str) -> None:
    host = capture([LEAF, top])
    trusts = {host.endpoint: TrustResult(trust, verified_path=(sha1_of(LEAF), sha1_of(top)))}
    result = assess(provider(*pinned), probe_of(host), trusts, 30, NOW)
    if trust is Trust.UNTRUSTED:
        assert result.proposed_thumbprints is None
    if result.proposed_thumbprints is not None:
        assert sha1_of(top) in result.proposed_thumbprints
        assert len(result.proposed_thumbprints) <= MAX_THUMBPRINTS


# --- only certificates tied to the verified path are ever pinned (real sandbox certificates) ------


def stale_thumbprint_of(label: str) -> str:
    return sha1_of(f"stale-{label}")


def _assess_chain(
    pki: SandboxPki, evaluator: TrustEvaluator, chain_name: str, pins: Sequence[str], *, declared_private: bool = False
) -> Assessment:
    host = captured(pki, chain_name)
    trusts = {host.endpoint: evaluator.evaluate(host, pins, pki.now)}
    return assess(provider(*pins), probe_of(host), trusts, 30, pki.now, declared_private=declared_private)


@pytest.mark.parametrize("declared_private", [False, True], ids=["untagged", "tagged private-ca"])
@pytest.mark.parametrize(
    ("chain_name", "pin"),
    [
        pytest.param("proxy_with_pinned_public_ca", "public_intermediate", id="pinned public CA forwarded"),
        pytest.param("proxy_with_public_root", "public_root", id="pinned public root forwarded"),
        pytest.param("inspection", "public_root", id="pinned public root not sent"),
    ],
)
def test_proxy_whose_ca_is_in_the_bundle_is_blocked_whatever_it_forwards(
    sandbox_pki: SandboxPki, inspecting_evaluator: TrustEvaluator, chain_name: str, pin: str, declared_private: bool
) -> None:
    # Given a TLS-inspecting proxy (its CA in EXTRA_CA_BUNDLE) and a provider pinning a public certificate
    pins = [getattr(sandbox_pki, pin).sha1]
    # When assessed, tagged private or not
    result = _assess_chain(sandbox_pki, inspecting_evaluator, chain_name, pins, declared_private=declared_private)
    # Then interception is suspected and the proxy's CA is never proposed
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None
    assert "interception_suspected" in [p.code for p in result.problems]
    assert "private_ca_rotation_followed" not in [p.code for p in result.problems]
    assert "TLS interception suspected" in (result.block_reason or "")


@pytest.mark.parametrize(
    ("chain_name", "code", "rule"),
    [
        pytest.param("extra_unrelated", "chain_unrelated_certificate", "unrelated", id="unrelated CA sent last"),
        pytest.param("impostor_root_last", "chain_unrelated_certificate", "unrelated", id="impostor root sent last"),
        pytest.param("unrelated_in_middle", "chain_unrelated_certificate", "unrelated", id="unrelated in the middle"),
        pytest.param("out_of_order", "chain_misordered", "out of order", id="root before the issuing CA"),
        pytest.param("duplicate_intermediate", "chain_duplicate_certificate", "repeats", id="issuing CA twice"),
    ],
)
def test_chain_that_breaks_the_order_rule_is_blocked_with_its_own_code(
    sandbox_pki: SandboxPki, evaluator_public: TrustEvaluator, chain_name: str, code: str, rule: str
) -> None:
    # Given a publicly valid chain sent against IAM's order rule, the issuing CA pinned before a change
    result = _assess_chain(sandbox_pki, evaluator_public, chain_name, [stale_thumbprint_of(chain_name)])
    # Then nothing is written, and the problem names the rule and who must fix it
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None
    [problem] = [p for p in result.problems if p.code == code]
    assert rule in problem.message
    assert "STS rejects the JWT" in problem.message
    assert problem.remedy.startswith("the server's operator must fix it")
    unrelated = {sandbox_pki.unrelated_root.sha1, sandbox_pki.impostor_root.sha1}
    assert not unrelated & set(result.live_thumbprints)


def test_unrelated_certificate_sent_last_is_never_pinned_even_on_an_empty_list(
    sandbox_pki: SandboxPki, evaluator_public: TrustEvaluator
) -> None:
    result = _assess_chain(sandbox_pki, evaluator_public, "extra_unrelated", [])
    assert result.proposed_thumbprints is None
    assert result.live_thumbprints == ()
    assert {p.code for p in result.problems} >= {"no_thumbprints", "chain_unrelated_certificate"}


def test_seed_cross_signed_top_is_the_thumbprint_written(
    sandbox_pki: SandboxPki, evaluator_public: TrustEvaluator
) -> None:
    # Given the seed's chain, the store holding only the self-signed root, and a stale pin
    result = _assess_chain(sandbox_pki, evaluator_public, "seed_cross_signed", [stale_thumbprint_of("seed")])
    # Then the last presented certificate (G2 cross-signed by Class 2) is written first
    assert result.status == "stale"
    assert result.proposed_thumbprints is not None
    assert result.proposed_thumbprints[0] == sandbox_pki.services_root_g2_cross_signed.sha1
    assert sandbox_pki.services_root_g2.sha1 not in result.proposed_thumbprints


def test_live_certificate_off_the_path_is_never_proposed_even_without_a_chain_defect() -> None:
    # Given a verdict that names no defect but whose path does not hold the last certificate
    host = capture([LEAF, INTERMEDIATE, "unrelated"])
    trusts = {host.endpoint: TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), TOP))}
    # When the stale provider is assessed
    result = assess(provider(sha1_of("old")), probe_of(host), trusts, 30, NOW)
    # Then nothing is proposed: only tied certificates may be written
    assert result.proposed_thumbprints is None
    assert result.status == "untrusted"
    assert "live_certificate_untied" in [p.code for p in result.problems]


def test_a_chain_padded_with_many_unrelated_certificates_names_three_and_counts_the_rest() -> None:
    # Given a verdict naming 40 unrelated certificates after the issuing CA
    names = [LEAF, INTERMEDIATE, *(f"padding-{index}" for index in range(40))]
    host = capture(names)
    defects = tuple(
        ChainDefect(ChainRule.UNRELATED, index, sha1_of(name)) for index, name in enumerate(names) if index > 1
    )
    trusts = {host.endpoint: TrustResult(Trust.PUBLIC, verified_path=(sha1_of(LEAF), TOP), chain_defects=defects)}
    # When assessed
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW)
    # Then one problem names the first three and counts the other 37
    [problem] = [p for p in result.problems if p.code == "chain_unrelated_certificate"]
    assert problem.message.count("CN=padding-") == 3
    assert "and 37 more" in problem.message
    assert result.status == "untrusted"


@pytest.mark.parametrize(("declared_private", "status"), [(False, "untrusted"), (True, "stale")])
def test_pinned_bundle_ca_off_the_path_blocks_unless_the_provider_is_tagged(
    declared_private: bool, status: str
) -> None:
    host, trusts = _private_chain_replacing_pins(INTERCEPTION_BUNDLE_PIN_OFF_PATH)
    result = assess(provider(TOP), probe_of(host), trusts, 30, NOW, declared_private=declared_private)
    assert result.status == status
    assert (result.proposed_thumbprints is None) is not declared_private
    if not declared_private:
        [problem] = [p for p in result.problems if p.code == "interception_suspected"]
        assert "reaches neither the pinned CA of EXTRA_CA_BUNDLE" in problem.message
