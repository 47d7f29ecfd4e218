"""Fixtures of the unit tests: the sandbox PKI and a trust evaluator with an inspection CA in the bundle."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from sandbox.pki import SandboxPki, default_pki
from thumbprint_remediator.tls.trust import TrustEvaluator


@pytest.fixture(scope="session")
def sandbox_pki() -> SandboxPki:
    return default_pki()


@pytest.fixture(scope="session")
def inspecting_evaluator(sandbox_pki: SandboxPki) -> TrustEvaluator:
    """Public roots, and an EXTRA_CA_BUNDLE holding the private root and a corporate TLS-inspection CA."""
    return TrustEvaluator(
        public_roots=sandbox_pki.public_roots,
        extra_cas=[*sandbox_pki.extra_cas, sandbox_pki.inspection_root.certificate],
    )


@pytest.fixture(scope="session")
def evaluator_public(sandbox_pki: SandboxPki) -> TrustEvaluator:
    """The sandbox's stand-in system store only."""
    return TrustEvaluator(public_roots=sandbox_pki.public_roots)


class ApprovedText(SingleFileSnapshotExtension):
    """A snapshot as the plain text a person reads: one .txt file per test, reviewed as a diff when it changes."""

    file_extension = "txt"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def approved(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The approved text of what this test renders (tests/unit/__snapshots__/<module>/<test>.txt)."""
    return snapshot.use_extension(ApprovedText)
