"""Fixtures for integration tests: local OIDC issuers over real TLS, and a prober with short limits."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.environment import Sandbox
from sandbox.issuers import IssuerFleet
from sandbox.pki import SandboxPki, default_pki
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber
from thumbprint_remediator.tls.trust import TrustEvaluator


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


@pytest.fixture(scope="session")
def sampling_limits(fast_probe_limits: ProbeLimits) -> ProbeLimits:
    """`fast_probe_limits` with the function's default sampling: 4 addresses, one extra handshake each."""
    return dataclasses.replace(fast_probe_limits, sample_addresses=4, samples_per_address=1)


@pytest.fixture
def resolving_sweep(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """Sweep the sandbox account with the handler's own wiring, but resolving names with `resolver`
    (default: the fleet's, which gives "localhost" several loopback addresses on load-balanced ports)."""
    return sandbox.sweep_resolving


@pytest.fixture
def history_table(sandbox: Sandbox) -> Iterator[str]:
    """A fresh history table (the contract's key schema) in the emulated account; deleted afterwards."""
    import uuid  # noqa: PLC0415 - only this fixture needs it

    name = sandbox.account.create_history_table(f"history-{uuid.uuid4().hex[:8]}")
    yield name
    try:
        sandbox.account.delete_history_table(name)
    except Exception:  # a test may have deleted it already
        logging.getLogger(__name__).debug("history table %s already gone", name)


@pytest.fixture
def security_hub(sandbox: Sandbox) -> Iterator[Any]:
    """Security Hub enabled in the emulated account for the test, disabled after."""
    client = sandbox.account.client("securityhub")
    client.enable_security_hub()
    yield client
    client.disable_security_hub()
