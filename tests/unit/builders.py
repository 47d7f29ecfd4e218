"""Builders for the pure-rule tests: plain data, no network."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from thumbprint_remediator.models import (
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

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sha1_of(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def certificate(
    name: str, days_left: float = 365, *, is_ca: bool = True, not_before_days: float = -30
) -> CertificateInfo:
    return CertificateInfo(
        subject=f"CN={name}",
        issuer=f"CN={name} issuer",
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
        issuer="https://issuer.example",
        jwks_uri="https://issuer.example/keys" if jwks_known else None,
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
