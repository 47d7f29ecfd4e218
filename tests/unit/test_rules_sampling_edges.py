"""Edges of the rules over sampled backends (rules.py) and the shape of every problem they raise.

Found by mutation testing (`make mutation`): which host a backend problem names, the order rule's wording
of a sample's defects, the bound of five live tops, and a verdict list shorter than the samples. Expected
values are written out (addresses, SHA-1s of names, whole messages where the format is the point).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from tests.unit.builders import NOW, capture, probe_of, provider, sha1_of, trusted
from thumbprint_remediator.domain.models import (
    ChainDefect,
    ChainRule,
    ChainSample,
    Endpoint,
    HostCapture,
    ProbeFailure,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.rules import Assessment, Problem, assess
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import ServerText

HOST = "issuer.example:8443"
STATUSES = ("error", "unreachable", "expired", "untrusted", "invalid_discovery", "stale", "expiring", "ok")


def _well_formed(problem: Problem, host: str | None = HOST) -> None:
    """Every problem: a snake_case code, a known status, a sentence and a remedy, and the host it is about."""
    assert re.fullmatch(r"[a-z0-9_]+", problem.code), problem
    assert problem.status in STATUSES, problem
    assert isinstance(problem.message, str), problem
    assert len(problem.message) > 10, problem
    assert isinstance(problem.remedy, str), problem
    assert len(problem.remedy) > 10, problem
    assert problem.endpoint == host, problem
    assert problem.to_dict()["host"] == host


def _host(names: Sequence[str], *others: tuple[str, Sequence[str]]) -> HostCapture:
    """A capture of `names` on port 8443, sampled at 127.0.0.1 (its own chain) and at each (address, names)."""
    primary = capture(list(names), port=8443)
    samples = [ChainSample("127.0.0.1", primary.presented_chain)]
    samples += [ChainSample(address, capture(list(chain)).presented_chain) for address, chain in others]
    return dataclasses.replace(primary, samples=tuple(samples))


def _public(sample: ChainSample) -> TrustResult:
    return TrustResult(Trust.PUBLIC, verified_path=tuple(c.sha1 for c in sample.presented_chain))


def _assess(host: HostCapture, verdicts: Sequence[TrustResult | None], *pins: str) -> Assessment:
    return assess(provider(*pins), probe_of(host), trusted(host), 30, NOW, sample_trusts={host.endpoint: verdicts})


def _only(result: Assessment, code: str) -> Problem:
    [problem] = [p for p in result.problems if p.code == code]
    return problem


def test_backends_that_differ_are_listed_address_by_address() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-b", "ca-b"]))
    result = _assess(host, [_public(s) for s in host.samples], sha1_of("ca-a"), sha1_of("ca-b"))
    note = _only(result, "backends_differ")
    _well_formed(note)
    assert note.message == (
        f"{HOST}: its backends present 2 different chains: "
        f"127.0.0.1 presents {sha1_of('leaf')} > {sha1_of('ca-a')}; "
        f"127.0.0.2 presents {sha1_of('leaf-b')} > {sha1_of('ca-b')}"
    )
    assert result.status == "ok"


def test_backends_presenting_one_chain_raise_no_note() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf", "ca-a"]))
    result = _assess(host, [_public(s) for s in host.samples], sha1_of("ca-a"))
    assert [p.code for p in result.problems] == []


def test_a_backend_top_not_pinned_is_missing_and_names_its_address() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-b", "ca-b"]), ("127.0.0.3", ["leaf-b", "ca-b"]))
    result = _assess(host, [_public(s) for s in host.samples], sha1_of("ca-a"))
    missing = _only(result, "thumbprint_missing")
    _well_formed(missing)
    assert f"live thumbprint {sha1_of('ca-b')} (presented by address 127.0.0.2) is not pinned" in missing.message
    assert result.status == "stale"
    assert result.proposed_thumbprints == (sha1_of("ca-a"), sha1_of("ca-b"))


def test_the_primary_top_is_not_reported_again_as_a_missing_backend_top() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf", "ca-a"]))
    result = _assess(host, [_public(s) for s in host.samples], sha1_of("old"))
    assert [p.code for p in result.problems].count("thumbprint_missing") == 1


def test_an_untrusted_backend_names_its_host_and_why() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-x", "ca-x"]))
    result = _assess(host, [_public(host.samples[0]), TrustResult(Trust.UNTRUSTED, error="no path")], sha1_of("ca-a"))
    problem = _only(result, "backend_untrusted")
    _well_formed(problem)
    assert problem.message == (
        f"{HOST}: 1 of 2 addresses presents an untrusted chain: 127.0.0.2 presents "
        f"{sha1_of('leaf-x')} > {sha1_of('ca-x')}, which does not verify (no path)"
    )


def test_two_untrusted_addresses_present_and_an_unjudged_one_has_an_unknown_reason() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-x", "ca-x"]), ("127.0.0.3", ["leaf-y", "ca-y"]))
    result = _assess(host, [_public(host.samples[0]), TrustResult(Trust.UNTRUSTED, error="no path")])
    problems = [p for p in result.problems if p.code == "backend_untrusted"]
    assert len(problems) == 2
    assert all("2 of 3 addresses present an untrusted chain" in p.message for p in problems)
    assert problems[1].message.endswith("which does not verify (unknown reason)")


def _reason(verdict: TrustResult) -> str:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-x", "ca-x"]))
    return _only(_assess(host, [_public(host.samples[0]), verdict], sha1_of("ca-a")), "backend_untrusted").message


def test_a_sample_that_verified_but_may_not_be_pinned_says_why() -> None:
    path = (sha1_of("leaf-x"), sha1_of("ca-x"))
    intercepted = TrustResult(Trust.PRIVATE, verified_path=path, interception_suspected=True)
    assert _reason(intercepted).endswith("(interception suspected)")
    defects = (
        ChainDefect(ChainRule.MISORDERED, 1, sha1_of("ca-x")),
        ChainDefect(ChainRule.DUPLICATE, 1, sha1_of("ca-x")),
        ChainDefect(ChainRule.MISORDERED, 1, sha1_of("ca-x")),
    )
    misordered = TrustResult(Trust.PUBLIC, verified_path=path, chain_defects=defects)
    assert _reason(misordered).endswith("(the chain breaks IAM's order rule (misordered, duplicate))")
    untied = TrustResult(Trust.PUBLIC, verified_path=(sha1_of("leaf-x"),))
    assert _reason(untied).endswith("(its last certificate is not tied to the verified path)")


def test_a_sample_that_may_not_be_pinned_is_not_live() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-x", "ca-x"]))
    path = (sha1_of("leaf-x"), sha1_of("ca-x"))
    for verdict in (
        TrustResult(Trust.PRIVATE, verified_path=path, interception_suspected=True),
        TrustResult(Trust.PUBLIC, verified_path=path, chain_defects=(ChainDefect(ChainRule.UNRELATED, 1, path[1]),)),
        TrustResult(Trust.PUBLIC, verified_path=path[:1]),
        TrustResult(Trust.UNTRUSTED, verified_path=path, error="expired"),
    ):
        result = _assess(host, [_public(host.samples[0]), verdict], sha1_of("ca-a"))
        assert result.live_thumbprints == (sha1_of("ca-a"),), verdict
        assert result.status == "untrusted", verdict


def test_samples_beyond_the_verdicts_are_unjudged_not_an_error() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf", "ca-a"]), ("127.0.0.3", ["leaf-z", "ca-z"]))
    result = _assess(host, [_public(host.samples[0]), _public(host.samples[1])], sha1_of("ca-a"))
    problem = _only(result, "backend_untrusted")
    assert "127.0.0.3 presents" in problem.message
    assert problem.message.endswith("(unknown reason)")


def test_samples_of_an_endpoint_without_verdicts_are_unjudged() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-z", "ca-z"]))
    result = assess(provider(sha1_of("ca-a")), probe_of(host), trusted(host), 30, NOW, sample_trusts={})
    assert "backend_untrusted" in [p.code for p in result.problems]


def test_a_host_without_a_chain_does_not_hide_the_samples_of_the_next() -> None:
    failure = ProbeFailure(Status.UNREACHABLE, "connect_timeout", ServerText("timed out"), Endpoint("down.example"))
    down = HostCapture(Endpoint("down.example"), capture(["x"]).roles, failure=failure)
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf-b", "ca-b"]))
    probe = probe_of(down, host)
    verdicts = {host.endpoint: [_public(s) for s in host.samples]}
    result = assess(provider(sha1_of("ca-a")), probe, trusted(host), 30, NOW, sample_trusts=verdicts)
    assert sha1_of("ca-b") in result.live_thumbprints


def test_an_address_that_cannot_be_reached_or_fails_names_its_host() -> None:
    host = _host(["leaf", "ca-a"])
    refused = ProbeFailure(Status.UNREACHABLE, "connection_refused", ServerText("connection refused"))
    reset = ProbeFailure(Status.UNREACHABLE, "handshake_failed", ServerText("reset by peer"))
    host = dataclasses.replace(
        host,
        samples=(
            *host.samples,
            ChainSample("2001:db8::1", failure=refused, reachable=False),
            ChainSample("127.0.0.9", failure=reset),
        ),
    )
    result = _assess(host, [_public(host.samples[0])], sha1_of("ca-a"))
    unreachable = _only(result, "address_unreachable")
    _well_formed(unreachable)
    assert "could not connect to address 2001:db8::1 (connection refused)" in unreachable.message
    failed = _only(result, "backend_failed")
    _well_formed(failed)
    assert failed.message == "address 127.0.0.9: reset by peer"
    assert failed.status == "unreachable"


def test_five_distinct_live_tops_fit_and_six_are_too_many() -> None:
    five = _host(["leaf", "ca-0"], *((f"127.0.0.{i}", [f"leaf-{i}", f"ca-{i}"]) for i in range(2, 6)))
    result = _assess(five, [_public(s) for s in five.samples])
    assert "too_many_live_thumbprints" not in [p.code for p in result.problems]
    assert len(result.live_thumbprints) == 5
    assert result.proposed_thumbprints is not None
    six = _host(["leaf", "ca-0"], *((f"127.0.0.{i}", [f"leaf-{i}", f"ca-{i}"]) for i in range(2, 7)))
    result = _assess(six, [_public(s) for s in six.samples])
    problem = _only(result, "too_many_live_thumbprints")
    _well_formed(problem, None)
    tops = [sha1_of("ca-0"), *(sha1_of(f"ca-{i}") for i in range(2, 7))]
    assert problem.message.endswith(f"more than IAM's limit of 5: {', '.join(tops)}")
    assert result.proposed_thumbprints is None
    assert result.block_reason is not None
    assert result.block_reason.startswith("not updated: the provider's endpoints present 6 distinct")


def test_remembered_tops_fill_the_list_up_to_five() -> None:
    host = _host(["leaf", "ca-a"])
    remembered = [sha1_of(f"old-{i}") for i in range(6)]
    result = assess(provider(), probe_of(host), trusted(host), 30, NOW, remembered_live=remembered)
    assert result.live_thumbprints == (sha1_of("ca-a"), *remembered[:4])


def test_a_sample_that_answered_does_not_hide_the_failures_after_it() -> None:
    host = _host(["leaf", "ca-a"], ("127.0.0.2", ["leaf", "ca-a"]))
    reset = ProbeFailure(Status.UNREACHABLE, "handshake_failed", ServerText("reset by peer"))
    host = dataclasses.replace(host, samples=(*host.samples, ChainSample("127.0.0.9", failure=reset)))
    result = _assess(host, [_public(s) for s in host.samples[:2]], sha1_of("ca-a"))
    assert _only(result, "backend_failed").message == "address 127.0.0.9: reset by peer"
