"""Fixtures for integration tests: local OIDC issuers over real TLS, and a prober with short limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.issuers import IssuerFleet
from sandbox.pki import SandboxPki, default_pki
from thumbprint_remediator.probe import OidcProber, ProbeLimits
from thumbprint_remediator.trust import TrustEvaluator


@pytest.fixture(scope="session")
def sandbox_pki() -> SandboxPki:
    """The process-wide sandbox PKI."""
    return default_pki()


@pytest.fixture(scope="session")
def issuer_fleet(sandbox_pki: SandboxPki) -> Iterator[IssuerFleet]:
    """One running fleet for the session; tests add the issuers they need (ports are never reused)."""
    with IssuerFleet(sandbox_pki) as fleet:
        yield fleet


@pytest.fixture(scope="session")
def fast_probe_limits() -> ProbeLimits:
    """Short enough to keep the suite fast, long enough for a loaded machine on loopback."""
    return ProbeLimits(connect_timeout=1.0, read_timeout=0.5, host_budget=1.5)


@pytest.fixture(scope="session")
def fast_prober(fast_probe_limits: ProbeLimits) -> OidcProber:
    """An OidcProber with `fast_probe_limits`."""
    return OidcProber(fast_probe_limits)


@pytest.fixture(scope="session")
def sandbox_trust(sandbox_pki: SandboxPki) -> TrustEvaluator:
    """Trusts the sandbox public root as public and the sandbox private root as EXTRA_CA_BUNDLE."""
    return TrustEvaluator(public_roots=sandbox_pki.public_roots, extra_cas=sandbox_pki.extra_cas)
