"""Every problem a provider has is one Security Hub finding: no two current problems of one provider share an Id.

Each rule that can raise its code more than once on one host (per certificate, per backend address, per missing
thumbprint) says which instance a problem is about; the finding's Id carries it. A battery of assessments, by the
real rules and, for real chains, the real trust evaluator, checks that each provider's problems stay apart.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from sandbox.pki import SandboxPki, default_pki
from tests.unit.builders import NOW, capture, captured, certificate, probe_of, provider, sha1_of, trusted
from thumbprint_remediator.aws.security_hub import HubTarget, active_findings
from thumbprint_remediator.domain.models import (
    ChainDefect,
    ChainRule,
    ChainSample,
    Endpoint,
    HostCapture,
    ProbeFailure,
    Role,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.rules import Assessment, assess, failed_assessment
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import ServerText
from thumbprint_remediator.tls.trust import TrustEvaluator

ARN = "arn:aws:iam::123456789012:oidc-provider/issuer.example"
TARGET = HubTarget(account="123456789012", region="eu-west-1")
TIMEOUT = ProbeFailure(Status.UNREACHABLE, "connect_timeout", ServerText("timed out"))
RESET = ProbeFailure(Status.UNREACHABLE, "handshake_failed", ServerText("reset by peer"))


def _public(sample: ChainSample) -> TrustResult:
    return TrustResult(Trust.PUBLIC, verified_path=tuple(c.sha1 for c in sample.presented_chain))


def _sampled(host: HostCapture, *others: ChainSample) -> HostCapture:
    """`host` sampled at 127.0.0.1 (its own chain), then at each of `others`."""
    return dataclasses.replace(host, samples=(ChainSample("127.0.0.1", host.presented_chain), *others))


def _sample(address: str, names: Sequence[str]) -> ChainSample:
    return ChainSample(address, capture(list(names)).presented_chain)


def _assessed(
    hosts: Sequence[HostCapture],
    *pins: str,
    trusts: Mapping[Endpoint, TrustResult] | None = None,
    sample_trusts: Mapping[Endpoint, Sequence[TrustResult | None]] | None = None,
    now: datetime = NOW,
) -> tuple[Assessment, datetime]:
    verdicts = trusted(*hosts) if trusts is None else trusts
    return assess(provider(*pins), probe_of(*hosts), verdicts, 30, now, sample_trusts=sample_trusts), now


def _expiring_leaf_and_issuing_ca() -> HostCapture:
    return capture(["leaf", "ca"], days_left={"leaf": 5, "ca": 10})


def _expired_expiring_and_not_yet_valid() -> HostCapture:
    chain = (
        certificate("leaf", days_left=-1, is_ca=False),
        certificate("ca-1", days_left=12),
        certificate("ca-2", days_left=400, not_before_days=2),
        certificate("ca-3", days_left=20),
    )
    return dataclasses.replace(capture([]), presented_chain=chain, tls_version="TLSv1.2", accepts_tls12=True)


def _sent_twice_and_expiring() -> tuple[HostCapture, TrustResult]:
    host = capture(["leaf", "ca", "ca"], days_left={"ca": 5, "leaf": 6})
    defect = ChainDefect(ChainRule.DUPLICATE, 2, sha1_of("ca"))
    return host, TrustResult(Trust.PUBLIC, verified_path=(sha1_of("leaf"), sha1_of("ca")), chain_defects=(defect,))


def _two_stale_expiring_hosts() -> list[HostCapture]:
    discovery = capture(["leaf", "ca-a"], roles=(Role.DISCOVERY,), days_left={"leaf": 3, "ca-a": 4})
    jwks = capture(["leaf-j", "ca-j"], port=8443, roles=(Role.JWKS,), days_left={"leaf-j": 3, "ca-j": 4})
    return [discovery, jwks]


def _backends() -> tuple[HostCapture, list[TrustResult | None]]:
    """Untrusted chains at two addresses and two at a third; two backends failing, one of them twice; two
    addresses never reached, one of them twice; and two verified backends whose tops are not pinned."""
    host = _sampled(
        capture(["leaf", "ca-a"]),
        _sample("127.0.0.2", ["leaf-x", "ca-x"]),
        _sample("127.0.0.3", ["leaf-y", "ca-y"]),
        _sample("127.0.0.4", ["leaf-z", "ca-z"]),
        _sample("127.0.0.4", ["leaf-w", "ca-w"]),
        ChainSample("127.0.0.5", failure=RESET),
        ChainSample("127.0.0.5", failure=RESET),
        ChainSample("127.0.0.8", failure=RESET),
        ChainSample("2001:db8::1", failure=TIMEOUT, reachable=False),
        ChainSample("2001:db8::1", failure=TIMEOUT, reachable=False),
        ChainSample("2001:db8::2", failure=TIMEOUT, reachable=False),
        _sample("127.0.0.6", ["leaf-b", "ca-b"]),
        _sample("127.0.0.7", ["leaf-c", "ca-c"]),
    )
    untrusted = TrustResult(Trust.UNTRUSTED, error="no path")
    verdicts: list[TrustResult | None] = [_public(host.samples[0]), untrusted, untrusted, untrusted, untrusted]
    verdicts += [None] * 6 + [_public(host.samples[11]), _public(host.samples[12])]
    return host, verdicts


def _assessments(pki: SandboxPki) -> dict[str, tuple[Assessment, datetime]]:
    two_hosts = _two_stale_expiring_hosts()
    duplicated, duplicate_verdict = _sent_twice_and_expiring()
    backends, backend_verdicts = _backends()
    six_tops = _sampled(
        capture(["leaf", "ca-0"]), *(_sample(f"127.0.0.{i}", [f"l-{i}", f"ca-{i}"]) for i in range(2, 7))
    )
    tls13 = capture(["leaf", "ca"], accepts_tls12=False)
    failed_twice = dataclasses.replace(
        capture([], failure=dataclasses.replace(TIMEOUT, endpoint=Endpoint("issuer.example"))),
        endpoint=Endpoint("issuer.example"),
    )
    failed_jwks = dataclasses.replace(
        capture([], port=8443, roles=(Role.JWKS,)),
        failure=dataclasses.replace(TIMEOUT, endpoint=Endpoint("issuer.example", 8443)),
    )
    intercepted = TrustResult(
        Trust.PRIVATE, verified_path=(sha1_of("leaf"), sha1_of("ca")), interception_suspected=True
    )
    defects = TrustResult(
        Trust.PUBLIC,
        verified_path=(sha1_of("leaf"), sha1_of("ca")),
        chain_defects=(
            ChainDefect(ChainRule.MISORDERED, 1, sha1_of("ca")),
            ChainDefect(ChainRule.DUPLICATE, 2, sha1_of("ca")),
            ChainDefect(ChainRule.UNRELATED, 3, sha1_of("other")),
        ),
    )
    with_defects = capture(["leaf", "ca", "ca", "other"], days_left={"leaf": 2, "ca": 3})
    cases = {
        "expiring leaf and issuing CA": _assessed([_expiring_leaf_and_issuing_ca()], sha1_of("ca")),
        "expired, expiring, not yet valid": _assessed([_expired_expiring_and_not_yet_valid()], sha1_of("old")),
        "a certificate sent twice, expiring": _assessed([duplicated], trusts={duplicated.endpoint: duplicate_verdict}),
        "two hosts, both stale and expiring": _assessed(two_hosts, sha1_of("old")),
        "backends": _assessed([backends], sha1_of("old"), sample_trusts={backends.endpoint: backend_verdicts}),
        "six verified tops": _assessed(
            [six_tops], sample_trusts={six_tops.endpoint: [_public(s) for s in six_tops.samples]}
        ),
        "interception, TLS 1.3 only": _assessed([tls13], sha1_of("old"), trusts={tls13.endpoint: intercepted}),
        "every chain-order defect": _assessed([with_defects], sha1_of("ca"), trusts={with_defects.endpoint: defects}),
        "both hosts unreachable": _assessed([failed_twice, failed_jwks], sha1_of("old"), trusts={}),
        "could not be assessed": (failed_assessment("internal_error", "unexpected error", "report it"), NOW),
    }
    # Real chains, judged by the real trust evaluator at the sandbox PKI's time.
    evaluator = TrustEvaluator(public_roots=pki.public_roots, extra_cas=pki.extra_cas)
    for name in (
        "expiring_soon",
        "duplicate_intermediate",
        "out_of_order",
        "extra_unrelated",
        "long_chain",
        "seed_cross_signed",
        "interception",
        "private",
        "unrelated_in_middle",
        "expired",
        "not_yet_valid",
    ):
        host = captured(pki, name)
        verdict = evaluator.evaluate(host, {sha1_of("old")}, pki.now)
        cases[f"sandbox chain {name}"] = _assessed([host], sha1_of("old"), trusts={host.endpoint: verdict}, now=pki.now)
    return cases


def _finding(assessment: Assessment) -> Finding:
    return Finding(arn=ARN, url="issuer.example", status=assessment.status, problems=assessment.problems)


@functools.cache
def _battery() -> dict[str, tuple[Assessment, datetime]]:
    return _assessments(default_pki())


def test_no_two_current_problems_of_a_provider_share_a_finding_id() -> None:
    assessments = _battery()
    for name, (assessment, now) in assessments.items():
        # Given a provider's assessment, as the report carries it
        report = build_report(
            account="123456789012",
            dry_run=True,
            started_at=now,
            duration_ms=1,
            findings=[_finding(assessment)],
            sweep_id="unit",
        )
        # When its findings are built for Security Hub
        findings = active_findings(report, TARGET, now)
        # Then each current problem (notes aside) is one finding with an Id of its own
        current = [p for p in assessment.problems if p.status is not Status.OK]
        assert len(findings) == len(current), name
        ids = [finding["Id"] for finding in findings]
        assert len(set(ids)) == len(ids), (name, sorted(ids))
        # And no two problems, notes included, share code, host and instance
        keys = [(p.code, p.endpoint, p.instance) for p in assessment.problems]
        assert len(set(keys)) == len(keys), (name, keys)


def test_the_battery_raises_each_repeatable_problem_more_than_once() -> None:
    assessments = _battery()
    # The battery is only worth its assertion if it holds the cases that used to collide: several instances of
    # one code on one host.
    codes = {
        code
        for assessment, _ in assessments.values()
        for (code, _), count in Counter((p.code, p.endpoint) for p in assessment.problems).items()
        if count > 1
    }
    assert {
        "certificate_expiring",
        "backend_untrusted",
        "backend_failed",
        "address_unreachable",
        "thumbprint_missing",
    } <= codes


def test_a_problem_says_which_certificate_or_address_it_is_about() -> None:
    assessments = _battery()
    expiring, _ = assessments["expiring leaf and issuing CA"]
    assert {p.instance for p in expiring.problems if p.code == "certificate_expiring"} == {
        sha1_of("leaf"),
        sha1_of("ca"),
    }
    backends, _ = assessments["backends"]
    instances = {(p.code, p.instance) for p in backends.problems if p.instance}
    assert {
        ("backend_untrusted", "127.0.0.2"),
        ("backend_untrusted", "127.0.0.3"),
        ("backend_untrusted", "127.0.0.4"),
        ("backend_failed", "127.0.0.5"),
        ("address_unreachable", "2001:db8::1"),
        ("thumbprint_missing", sha1_of("ca-b")),
        ("thumbprint_missing", sha1_of("ca-c")),
        ("thumbprint_missing", sha1_of("ca-a")),
    } <= instances
    # An address that sent two untrusted chains is one problem naming both
    [twice] = [p for p in backends.problems if p.code == "backend_untrusted" and p.instance == "127.0.0.4"]
    assert sha1_of("ca-z") in twice.message
    assert sha1_of("ca-w") in twice.message
