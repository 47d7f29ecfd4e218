"""Edges of offline verification (trust.py): how a pin of the public PKI is recognised when only its
identity is public, and CA bundles with broken blocks or that cannot be read.

Found by mutation testing (`make mutation`). Real certificates from the sandbox PKI; no network.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from sandbox.pki import KeyedCertificate, SandboxPki, certificate_pem
from thumbprint_remediator.domain.models import ChainRule, Endpoint, HostCapture, Role, Trust
from thumbprint_remediator.tls.certificates import certificate_info
from thumbprint_remediator.tls.trust import TrustEvaluator, TrustStoreError, chain_defects, load_ca_bundle

BROKEN_BLOCK = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"


def _capture(pki: SandboxPki, *after_leaf: KeyedCertificate) -> HostCapture:
    """What a proxy presents: a fresh leaf of the inspection CA, then `after_leaf` in order."""
    leaf = pki.leaf(pki.inspection_intermediate)
    chain = (leaf.certificate, *(item.certificate for item in after_leaf))
    presented = tuple(certificate_info(cert.public_bytes(Encoding.DER)) for cert in chain)
    return HostCapture(Endpoint("localhost", 8443), (Role.DISCOVERY, Role.JWKS), presented, "TLSv1.2", True, 1)


def test_a_pinned_cross_signed_copy_of_a_public_root_is_a_public_pin(
    sandbox_pki: SandboxPki, inspecting_evaluator: TrustEvaluator
) -> None:
    # Given a proxy forwarding a copy of the public root certified by another CA (same subject and key, other
    # SHA-1), which the provider pins
    copy = sandbox_pki.public_root_cross_signed
    assert copy.sha1 != sandbox_pki.public_root.sha1
    capture = _capture(sandbox_pki, copy, sandbox_pki.inspection_intermediate)
    # When it is evaluated
    result = inspecting_evaluator.evaluate(capture, pinned=[copy.sha1], now=sandbox_pki.now)
    # Then the pin is recognised as the public root's by its identity
    assert result.trust is Trust.PRIVATE
    assert result.interception_evidence == "public_pin"


def test_a_pinned_certificate_that_leads_to_no_public_root_is_unattributed(
    sandbox_pki: SandboxPki, inspecting_evaluator: TrustEvaluator
) -> None:
    unrelated = sandbox_pki.unrelated_root
    capture = _capture(sandbox_pki, unrelated, sandbox_pki.inspection_intermediate)
    result = inspecting_evaluator.evaluate(capture, pinned=[unrelated.sha1], now=sandbox_pki.now)
    assert result.trust is Trust.PRIVATE
    assert result.interception_suspected
    assert result.interception_evidence == "unattributed_pins"


def test_a_bundle_counts_each_block_that_cannot_be_parsed(sandbox_pki: SandboxPki, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(BROKEN_BLOCK + certificate_pem([sandbox_pki.private_root.certificate]) + BROKEN_BLOCK)
    with pytest.raises(TrustStoreError) as raised:
        load_ca_bundle(bundle)
    assert str(raised.value) == f"CA bundle {bundle}: 2 PEM certificate block(s) cannot be parsed"
    bundle.write_bytes(BROKEN_BLOCK)
    with pytest.raises(TrustStoreError, match="1 PEM certificate block"):
        load_ca_bundle(bundle)


def test_a_bundle_that_cannot_be_read_says_why_in_words(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError) as raised:
        load_ca_bundle(tmp_path)
    assert str(raised.value) == f"CA bundle {tmp_path}: cannot be read (Is a directory)"


def test_a_presented_certificate_that_does_not_parse_is_untrusted_with_the_reason(
    sandbox_pki: SandboxPki, inspecting_evaluator: TrustEvaluator
) -> None:
    good = _capture(sandbox_pki, sandbox_pki.inspection_intermediate)
    broken = replace(good, presented_chain=(replace(good.presented_chain[0], der=b"\x30\x03\x02\x01"),))
    result = inspecting_evaluator.evaluate(broken, pinned=(), now=sandbox_pki.now)
    assert result.trust is Trust.UNTRUSTED
    assert isinstance(result.error, str)
    assert result.error
    assert "\n" not in result.error


def test_a_capture_without_a_chain_or_a_failure_says_nothing_was_presented(
    sandbox_pki: SandboxPki, inspecting_evaluator: TrustEvaluator
) -> None:
    empty = HostCapture(Endpoint("localhost", 8443), (Role.DISCOVERY,))
    result = inspecting_evaluator.evaluate(empty, pinned=(), now=sandbox_pki.now)
    assert (result.trust, result.error) == (Trust.UNTRUSTED, "no chain to verify: no certificate was presented")


def test_chain_defects_of_nothing_presented_are_none_and_a_repeated_leaf_is_a_duplicate(
    sandbox_pki: SandboxPki,
) -> None:
    assert chain_defects([], frozenset()) == ()
    leaf = sandbox_pki.chain("public").certificates[0]
    [defect] = chain_defects([leaf, leaf], frozenset({0, 1}))
    assert (defect.rule, defect.position) == (ChainRule.DUPLICATE, 1)
