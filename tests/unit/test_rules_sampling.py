"""The rules over sampled backends: the live set is the union of the verified samples' tops."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from tests.unit.builders import NOW, capture, probe_of, provider, sha1_of, trusted
from thumbprint_remediator.domain.models import ChainSample, Endpoint, HostCapture, ProbeFailure, Trust, TrustResult
from thumbprint_remediator.domain.rules import MAX_THUMBPRINTS, assess
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import server_text


def _sampled(primary: HostCapture, *others: tuple[str, tuple[str, ...]]) -> HostCapture:
    """`primary` with samples: its own chain at 127.0.0.1, then (address, chain names) for each other."""
    samples = [ChainSample("127.0.0.1", primary.presented_chain)]
    for address, names in others:
        samples.append(ChainSample(address, capture(list(names)).presented_chain))
    return dataclasses.replace(primary, samples=tuple(samples))


def _verdicts(
    host: HostCapture, untrusted_addresses: Collection[str] = frozenset()
) -> dict[Endpoint, tuple[TrustResult, ...]]:
    return {
        host.endpoint: tuple(
            TrustResult(Trust.UNTRUSTED, error="no path")
            if sample.address in untrusted_addresses
            else TrustResult(Trust.PUBLIC, verified_path=tuple(c.sha1 for c in sample.presented_chain))
            for sample in host.samples
        )
    }


def test_every_verified_backend_top_is_pinned() -> None:
    # Given a host whose second address presents another intermediate, pinned with the first only
    host = _sampled(capture(["leaf", "ca-a"]), ("127.0.0.2", ("leaf-b", "ca-b")))
    # When it is assessed
    result = assess(provider(sha1_of("ca-a")), probe_of(host), trusted(host), 30, NOW, sample_trusts=_verdicts(host))
    # Then both tops are live and the proposed list holds both
    assert result.status == "stale"
    assert set(result.live_thumbprints) == {sha1_of("ca-a"), sha1_of("ca-b")}
    assert result.proposed_thumbprints is not None
    assert set(result.proposed_thumbprints) == {sha1_of("ca-a"), sha1_of("ca-b")}
    codes = [problem.code for problem in result.problems]
    assert "backends_differ" in codes
    assert "thumbprint_missing" in codes


def test_an_untrusted_backend_blocks_and_is_never_pinned() -> None:
    # Given a host whose second address presents a chain that does not verify
    host = _sampled(capture(["leaf", "ca-a"]), ("127.0.0.2", ("leaf-x", "ca-x")))
    # When it is assessed with the provider's list empty (so an update is due)
    result = assess(provider(), probe_of(host), trusted(host), 30, NOW, sample_trusts=_verdicts(host, {"127.0.0.2"}))
    # Then it is untrusted and blocked, the problem names the address, and its top is not live
    assert result.status == "untrusted"
    assert result.proposed_thumbprints is None
    [problem] = [p for p in result.problems if p.code == "backend_untrusted"]
    assert "1 of 2 addresses presents an untrusted chain: 127.0.0.2" in problem.message
    assert sha1_of("ca-x") not in result.live_thumbprints


def test_an_address_that_cannot_be_reached_is_a_note_only() -> None:
    # Given a healthy host plus an address the function cannot connect to
    host = capture(["leaf", "ca-a"])
    refused = ProbeFailure(Status.UNREACHABLE, "connection_refused", server_text("issuer.example: connection refused"))
    host = dataclasses.replace(
        host,
        samples=(
            ChainSample("192.0.2.1", host.presented_chain),
            ChainSample("2001:db8::1", failure=refused, reachable=False),
        ),
    )
    # When it is assessed
    result = assess(provider(sha1_of("ca-a")), probe_of(host), trusted(host), 30, NOW, sample_trusts=_verdicts(host))
    # Then the provider is ok, with a note naming the address
    assert result.status == "ok"
    [note] = [p for p in result.problems if p.code == "address_unreachable"]
    assert "2001:db8::1" in note.message


def test_a_backend_that_fails_its_handshake_is_unreachable() -> None:
    # Given a host whose second address accepts but fails the TLS handshake
    host = capture(["leaf", "ca-a"])
    failed = ProbeFailure(
        Status.UNREACHABLE, "tls_handshake_failed", server_text("issuer.example: TLS handshake failed")
    )
    host = dataclasses.replace(
        host, samples=(ChainSample("127.0.0.1", host.presented_chain), ChainSample("127.0.0.2", failure=failed))
    )
    result = assess(provider(), probe_of(host), trusted(host), 30, NOW, sample_trusts=_verdicts(host))
    # Then that blocks the write: the backend is the issuer's
    assert result.status == "unreachable"
    assert result.proposed_thumbprints is None
    assert any(p.code == "backend_failed" and "127.0.0.2" in p.message for p in result.problems)


def test_more_verified_tops_than_the_limit_block_with_their_own_problem() -> None:
    # Given six backends presenting six different verified intermediates
    others = [(f"127.0.0.{index}", (f"leaf-{index}", f"ca-{index}")) for index in range(2, 2 + MAX_THUMBPRINTS)]
    host = _sampled(capture(["leaf", "ca-1"]), *others)
    # When it is assessed
    result = assess(provider(), probe_of(host), trusted(host), 30, NOW, sample_trusts=_verdicts(host))
    # Then nothing is proposed (merge would exceed IAM's limit) and the problem says why
    assert len(result.live_thumbprints) == MAX_THUMBPRINTS + 1
    assert result.proposed_thumbprints is None
    assert any(p.code == "too_many_live_thumbprints" for p in result.problems)
    assert result.block_reason is not None
    assert "limit of 5" in result.block_reason


def test_without_samples_the_assessment_is_unchanged() -> None:
    # Given a capture with no samples, assessed with and without an (empty) sample map
    host = capture(["leaf", "ca-a"])
    plain = assess(provider(), probe_of(host), trusted(host), 30, NOW)
    sampled = assess(provider(), probe_of(host), trusted(host), 30, NOW, sample_trusts={})
    # Then the two verdicts are the same
    assert plain == sampled
    assert plain.proposed_thumbprints == (sha1_of("ca-a"),)
