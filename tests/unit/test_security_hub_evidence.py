"""Which previous Security Hub findings a sweep may resolve: only those whose problem it shows gone, having judged
the place the problem was (security_hub.Evidence). Report findings are written out as the report carries them."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.unit.builders import NOW, sha1_of
from thumbprint_remediator.aws.security_hub import (
    HOST_FIELD,
    INSTANCE_FIELD,
    evidence_of,
    finding_id,
    plan_imports,
)
from thumbprint_remediator.domain.views import FindingView

ARN = "arn:aws:iam::123456789012:oidc-provider/issuer.example"
OTHER = "arn:aws:iam::123456789012:oidc-provider/other.example"
DISCOVERY = "issuer.example"  # port 443, as str(Endpoint) names it
JWKS = "issuer.example:8443"


_CERTIFICATE: dict[str, Any] = {
    "subject": "CN=c",
    "issuer": "CN=i",
    "serial": "01",
    "not_before": "2026-01-01T00:00:00Z",
    "not_after": "2027-01-01T00:00:00Z",
    "days_left": 30,
    "sha1": "c",
    "is_ca": False,
    "in_verified_path": True,
    "tied_to_verified_path": True,
}


def _host(name: str, *, chain: bool = True, samples: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    host, _, port = name.partition(":")
    entry: dict[str, Any] = {
        "host": host,
        "port": int(port or 443),
        "role": None,
        "roles": [],
        "trust": None,
        "verification_error": None,
        "tls_version": None,
        "accepts_tls12": None,
        "live_thumbprint": None,
        "handshakes": 1,
        "failure": None,
        "certificates": [_CERTIFICATE] if chain else [],
    }
    if samples is not None:
        entry["samples"] = samples
    return entry


def _sample(address: str, *, answered: bool = True) -> dict[str, Any]:
    return {
        "address": address,
        "reachable": answered,
        "trust": None,
        "live_thumbprint": None,
        "certificates": [_CERTIFICATE] if answered else [],
        "failure": None if answered else "connection refused",
    }


def _problem(code: str, status: str, host: str | None = None, instance: str | None = None) -> dict[str, Any]:
    return {"code": code, "status": status, "message": "m", "remedy": "r", "host": host, "instance": instance}


def _finding(status: str, problems: list[dict[str, Any]], hosts: list[dict[str, Any]], arn: str = ARN) -> FindingView:
    """A report finding as the report carries it (decoded, so every field is the contract's)."""
    entry = {
        "arn": arn,
        "url": arn.split(":oidc-provider/", 1)[-1],
        "status": status,
        "action": "none",
        "action_reason": None,
        "problems": problems,
        "thumbprints_before": None,
        "thumbprints_after": None,
        "thumbprint_reliance": "unknown",
        "nearest_expiry": None,
        "hosts": hosts,
        "error": None,
    }
    return msgspec.convert(entry, FindingView)


def _old(code: str, host: str | None = None, instance: str | None = None, arn: str = ARN) -> dict[str, Any]:
    """A finding of ours a previous sweep left active."""
    return {
        "Id": finding_id(arn, code, host, instance),
        "CreatedAt": "2026-11-01T00:00:00.000Z",
        "Resources": [{"Id": arn}],
        "ProductFields": {HOST_FIELD: host or "", INSTANCE_FIELD: instance or ""},
    }


def _resolved(previous: list[dict[str, Any]], *findings: FindingView, covered: list[str] | None = None) -> list[str]:
    """The Ids of `previous` a sweep reporting `findings` (none of them current) archives."""
    evidence = {finding.arn: evidence_of(finding) for finding in findings}
    imports, archived = plan_imports([], previous, covered, NOW, evidence)
    assert archived == len(imports)
    return sorted(finding["Id"] for finding in imports)


INTERCEPTION = _old("interception_suspected", DISCOVERY)
MISSING = _old("thumbprint_missing", DISCOVERY, sha1_of("private-ca"))
NO_THUMBPRINTS = _old("no_thumbprints")


def test_a_clean_judged_sweep_resolves_every_problem_it_no_longer_finds() -> None:
    clean = _finding("ok", [], [_host(DISCOVERY)])
    assert _resolved([INTERCEPTION, MISSING, NO_THUMBPRINTS], clean) == sorted(
        f["Id"] for f in (INTERCEPTION, MISSING, NO_THUMBPRINTS)
    )


@pytest.mark.parametrize(
    ("status", "problems", "hosts"),
    [
        ("unreachable", [_problem("connection_reset", "unreachable", DISCOVERY)], [_host(DISCOVERY, chain=False)]),
        ("error", [_problem("internal_error", "error")], []),
        ("error", [_problem("time_budget_exhausted", "error")], []),
        ("error", [_problem("iam_AccessDenied", "error")], []),
        ("skipped", [], []),
        ("stale", [], []),  # a write still unanswered at the deadline: no assessment carried
        ("invalid_discovery", [_problem("http_status", "invalid_discovery", DISCOVERY)], [_host(DISCOVERY)]),
        ("unreachable", [_problem("invalid_url", "unreachable")], []),
    ],
)
def test_a_sweep_that_could_not_judge_the_provider_resolves_nothing(
    status: str, problems: list[dict[str, Any]], hosts: list[dict[str, Any]]
) -> None:
    assert _resolved([INTERCEPTION, MISSING, NO_THUMBPRINTS], _finding(status, problems, hosts)) == []


def test_partial_evidence_resolves_the_host_it_judged_and_keeps_the_one_it_could_not_reach() -> None:
    # Given problems on both hosts, and a sweep that judged the discovery host clean but could not reach the JWKS
    jwks_missing = _old("thumbprint_missing", JWKS, sha1_of("jwks-ca"))
    expiring = _old("certificate_expiring", DISCOVERY, sha1_of("leaf"))
    partial = _finding(
        "unreachable",
        [_problem("connect_timeout", "unreachable", JWKS)],
        [_host(DISCOVERY), _host(JWKS, chain=False)],
    )
    # Then only the discovery host's problems are resolved; the provider's own (no host) need the whole provider
    assert _resolved([INTERCEPTION, expiring, jwks_missing, NO_THUMBPRINTS], partial) == sorted(
        [INTERCEPTION["Id"], expiring["Id"]]
    )


def test_a_host_whose_documents_failed_keeps_its_findings_and_an_unlisted_host_is_not_judged() -> None:
    # Given a discovery document that failed on a host that did present its chain: the JWKS host is unknown
    failed = _finding(
        "invalid_discovery", [_problem("http_status", "invalid_discovery", DISCOVERY)], [_host(DISCOVERY)]
    )
    jwks_missing = _old("thumbprint_missing", JWKS, sha1_of("jwks-ca"))
    assert _resolved([INTERCEPTION, jwks_missing], failed) == []


def test_a_host_the_provider_no_longer_uses_is_resolved_once_the_provider_is_judged_whole() -> None:
    # Given a problem on a JWKS host that the discovery document no longer names, and a clean sweep
    moved = _old("thumbprint_missing", "keys.example", sha1_of("old-ca"))
    clean = _finding("ok", [], [_host(DISCOVERY), _host(JWKS)])
    assert _resolved([moved], clean) == [moved["Id"]]


def test_a_backend_that_did_not_answer_keeps_its_findings_and_one_no_longer_sampled_is_resolved() -> None:
    # Given untrusted chains at three backend addresses of the discovery host
    silent, answered, retired = (
        _old("backend_untrusted", DISCOVERY, address) for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    )
    failing = _old("backend_untrusted", DISCOVERY, "127.0.0.5")
    # When the next sweep samples: one that refuses connections (a note), one that answers with a good chain, one
    # that fails its handshake; the fourth no longer among the host's addresses
    sweep = _finding(
        "unreachable",
        [
            _problem("address_unreachable", "ok", DISCOVERY, "127.0.0.2"),
            _problem("backend_failed", "unreachable", DISCOVERY, "127.0.0.5"),
        ],
        [
            _host(
                DISCOVERY,
                samples=[
                    _sample("127.0.0.1"),
                    _sample("127.0.0.2", answered=False),
                    _sample("127.0.0.3"),
                    _sample("127.0.0.5", answered=False),
                ],
            )
        ],
    )
    # Then the address that answered and the one that is gone are resolved; the silent and the failing are kept
    assert _resolved([silent, answered, retired, failing, INTERCEPTION], sweep) == sorted(
        [answered["Id"], retired["Id"], INTERCEPTION["Id"]]
    )


def test_a_full_sweep_resolves_a_deleted_providers_findings_a_partial_one_does_not() -> None:
    # Given findings of a provider that is no longer in IAM, and a sweep's report without it
    gone = [_old("interception_suspected", "other.example", arn=OTHER), _old("no_thumbprints", arn=OTHER)]
    report = _finding("ok", [], [_host(DISCOVERY)])
    # Then a full sweep, which lists every provider, resolves them; a sweep of named providers does not
    assert _resolved(gone, report) == sorted(f["Id"] for f in gone)
    assert _resolved(gone, report, covered=[ARN]) == []


def test_an_uncovered_providers_findings_are_never_resolved() -> None:
    clean = _finding("ok", [], [_host(DISCOVERY)])
    assert _resolved([INTERCEPTION], clean, covered=[OTHER]) == []


def test_an_old_finding_without_host_fields_needs_the_whole_provider() -> None:
    # A finding whose ProductFields were lost cannot say where its problem was: only a whole judgement resolves it
    bare = {**INTERCEPTION, "ProductFields": {}}
    partial = _finding(
        "unreachable", [_problem("connect_timeout", "unreachable", JWKS)], [_host(DISCOVERY), _host(JWKS, chain=False)]
    )
    assert _resolved([bare], partial) == []
    assert _resolved([bare], _finding("ok", [], [_host(DISCOVERY)])) == [bare["Id"]]


def test_finding_ids_name_host_and_instance_apart() -> None:
    assert finding_id(ARN, "c", "h") == f"oidc-thumbprint-remediator/{ARN}/c/h"
    assert finding_id(ARN, "c", "h", "i") == f"oidc-thumbprint-remediator/{ARN}/c/h/i"
    assert finding_id(ARN, "c", None) == f"oidc-thumbprint-remediator/{ARN}/c"
    assert finding_id(ARN, "c", None, "i") != finding_id(ARN, "c", "i")
