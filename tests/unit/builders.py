"""Builders for the pure-rule tests: plain data (or sandbox certificates), no network."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from sandbox.pki import SandboxPki
from thumbprint_remediator.domain.models import (
    CertificateInfo,
    Endpoint,
    HostCapture,
    ProbeFailure,
    ProbeResult,
    ProviderConfig,
    Role,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.report import Finding, build_report, describe_host
from thumbprint_remediator.domain.rules import assess
from thumbprint_remediator.domain.status import Action
from thumbprint_remediator.domain.untrusted import server_text
from thumbprint_remediator.domain.views import Report, to_builtins
from thumbprint_remediator.tls.certificates import certificate_info

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sha1_of(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def certificate(
    name: str, days_left: float = 365, *, is_ca: bool = True, not_before_days: float = -30
) -> CertificateInfo:
    return CertificateInfo(
        subject=server_text(f"CN={name}"),
        issuer=server_text(f"CN={name} issuer"),
        serial="01",
        not_before=NOW + timedelta(days=not_before_days),
        not_after=NOW + timedelta(days=days_left),
        sha1=sha1_of(name),
        is_ca=is_ca,
        der=b"",
    )


def capture(
    names: Sequence[str],
    *,
    port: int = 443,
    roles: tuple[Role, ...] = (Role.DISCOVERY, Role.JWKS),
    accepts_tls12: bool = True,
    failure: ProbeFailure | None = None,
    days_left: dict[str, float] | None = None,
) -> HostCapture:
    days = days_left or {}
    chain = tuple(certificate(name, days.get(name, 365), is_ca=i > 0) for i, name in enumerate(names))
    return HostCapture(
        endpoint=Endpoint("issuer.example", port),
        roles=roles,
        presented_chain=chain,
        tls_version="TLSv1.2" if chain else None,
        accepts_tls12=accepts_tls12 if chain else None,
        handshakes=1,
        failure=failure,
    )


def probe_of(*hosts: HostCapture, failure: ProbeFailure | None = None, jwks_known: bool = True) -> ProbeResult:
    return ProbeResult(
        provider_url="issuer.example",
        hosts=hosts,
        issuer=server_text("https://issuer.example"),
        jwks_uri=server_text("https://issuer.example/keys") if jwks_known else None,
        jwks_key_count=1 if jwks_known else None,
        failure=failure,
    )


def trusted(*hosts: HostCapture, trust: Trust = Trust.PUBLIC) -> dict[Endpoint, TrustResult]:
    return {
        host.endpoint: TrustResult(trust=trust, verified_path=tuple(c.sha1 for c in host.presented_chain))
        for host in hosts
    }


def provider(*thumbprints: str, tags: tuple[tuple[str, str], ...] = ()) -> ProviderConfig:
    return ProviderConfig(
        arn="arn:aws:iam::123456789012:oidc-provider/issuer.example",
        url="issuer.example",
        thumbprints=thumbprints,
        tags=tags,
    )


def captured(pki: SandboxPki, chain_name: str, host: str = "localhost") -> HostCapture:
    """What the probe would have captured from a server presenting the sandbox chain `chain_name`."""
    chain = pki.chain(chain_name)
    presented = tuple(certificate_info(cert.public_bytes(Encoding.DER)) for cert in chain.certificates)
    return HostCapture(Endpoint(host, 8443), (Role.DISCOVERY, Role.JWKS), presented, "TLSv1.2", True, 1)


def assessed_report(*cases: tuple[str, ProviderConfig, ProbeResult], dry_run: bool = False) -> dict[str, Any]:
    """`assessed` as JSON values, what the handler returns."""
    return to_builtins(assessed(*cases, dry_run=dry_run))


def assessed(*cases: tuple[str, ProviderConfig, ProbeResult], dry_run: bool = False) -> Report:
    """A sweep report built by the real rules: each case is (url, provider, probe), trusted as public, with the
    hosts the probe captured."""
    findings = []
    for url, config, probe in cases:
        arn = f"arn:aws:iam::123456789012:oidc-provider/{url}"
        trusts = trusted(*probe.hosts)
        assessment = assess(replace(config, arn=arn, url=url), probe, trusts, 30, NOW)
        action = Action.NONE if assessment.proposed_thumbprints is None else Action.WOULD_UPDATE
        findings.append(
            Finding(
                arn=arn,
                url=url,
                status=assessment.status,
                action=action,
                problems=assessment.problems,
                thumbprints_before=config.thumbprints,
                thumbprints_after=assessment.proposed_thumbprints or config.thumbprints,
                thumbprint_reliance=assessment.thumbprint_reliance,
                nearest_expiry=assessment.nearest_expiry,
                hosts=tuple(describe_host(host, trusts.get(host.endpoint), NOW) for host in probe.hosts),
            )
        )
    return build_report(
        account="123456789012", dry_run=dry_run, started_at=NOW, duration_ms=1, findings=findings, sweep_id="unit"
    )


class FixedProber:
    """A prober that always captures `host`: the write-path tests' one endpoint."""

    def __init__(self, host: HostCapture) -> None:
        self.host = host

    def probe(self, provider_url: str) -> ProbeResult:
        return probe_of(self.host)


class PublicTrust:
    """Every presented chain verifies through the public store, along the chain as presented."""

    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult:
        return TrustResult(Trust.PUBLIC, verified_path=tuple(c.sha1 for c in capture.presented_chain))
