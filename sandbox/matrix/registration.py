"""How a scenario's issuer is started and registered, through the sandbox, as an IAM OIDC provider."""

from __future__ import annotations

from pathlib import Path

from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.issuers import Issuer
from sandbox.matrix.model import Pinned, ProviderRun, Scenario
from sandbox.pki import SandboxPki, write_pem_bundle


def public_top(pki: SandboxPki, _: Issuer | None) -> list[str]:
    """The public issuing CA: the pin of a provider whose CA has since rotated."""
    return [pki.chain("public").top_thumbprint]


def _thumbprints(sandbox: Sandbox, pinned: Pinned, issuer: Issuer | None, label: str) -> tuple[str, ...]:
    # Resolved here, not by `Sandbox.register`: a stale pin is named after the scenario, a live one may be empty.
    if callable(pinned):
        return tuple(pinned(sandbox.pki, issuer))
    if pinned == "live":
        assert issuer is not None
        return tuple(issuer.expected_thumbprints.values())
    if pinned == "stale":
        return (stale_thumbprint(label),)
    if pinned == "empty":
        return ()
    if isinstance(pinned, str):
        raise ValueError(f"pinned must be 'live', 'stale', 'empty', a list or a callable, got {pinned!r}")
    return tuple(pinned)


def register(sandbox: Sandbox, scenario: Scenario) -> ProviderRun:
    """Start the scenario's issuer (if any) and register it with the sandbox as an IAM OIDC provider."""
    issuer: Issuer | None = None
    if scenario.behaviour is not None:
        issuer = sandbox.fleet.add(
            scenario.behaviour,
            host=scenario.host,
            path=f"/{scenario.name}" if scenario.name else "",
            trickle_interval=scenario.trickle_interval,
        )
        url = issuer.url
    elif scenario.url is not None:
        url = scenario.url()
    else:
        raise ValueError(f"scenario {scenario.name} has neither a behaviour nor a URL")
    pinned = _thumbprints(sandbox, scenario.pinned, issuer, scenario.name)
    if issuer is not None:
        arn = sandbox.register(issuer, pinned=pinned, tags=scenario.tags).arn
    else:
        arn = sandbox.register_url(url, pinned=pinned, tags=scenario.tags)
    return ProviderRun(scenario.name, arn, url, pinned, issuer, issuer.connections if issuer else 0)


def register_issuer(sandbox: Sandbox, issuer: Issuer, scenario: str = "", pinned: Pinned = "stale") -> ProviderRun:
    """Register an issuer already running (a tenant of a shared host) as an IAM OIDC provider."""
    thumbprints = _thumbprints(sandbox, pinned, issuer, issuer.name)
    arn = sandbox.register(issuer, pinned=thumbprints).arn
    return ProviderRun(scenario, arn, issuer.url, thumbprints, issuer, issuer.connections)


def matrix_bundle(pki: SandboxPki, directory: Path) -> Path:
    """The EXTRA_CA_BUNDLE of the matrix: the private root, the private issuing CA pinned before its
    rotation, and a corporate TLS-inspection CA (as in a bundle copied from a workstation)."""
    certificates = (
        pki.private_root.certificate,
        pki.private_intermediate.certificate,
        pki.inspection_root.certificate,
    )
    return write_pem_bundle(directory / "matrix-extra-ca-bundle.pem", certificates)
