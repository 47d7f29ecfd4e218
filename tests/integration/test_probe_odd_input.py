"""Odd input from a server is a clean, specific probe failure, never an exception: URLs no client can fetch as
written, JSON parsers disagree on, HTTP framing that lies, certificates with broken extensions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from sandbox.issuers import Behaviour, IssuerFleet, Reply, on_discovery
from sandbox.odd_certificates import duplicated_extension_leaf, malformed_extension_leaf
from sandbox.odd_input import ODD_BEHAVIOURS
from sandbox.pki import KeyedCertificate, SandboxPki
from thumbprint_remediator.domain.models import CertificateInfo, Endpoint, HostCapture, Role, Trust
from thumbprint_remediator.domain.untrusted import server_text
from thumbprint_remediator.tls.certificates import MalformedCertificateError, certificate_info
from thumbprint_remediator.tls.probe import OidcProber
from thumbprint_remediator.tls.trust import TrustEvaluator

# A builder of one malformed leaf (sandbox.odd_certificates).
MakeOdd = Callable[[KeyedCertificate, datetime], KeyedCertificate]

# Behaviour -> (failure kind, failure code, what the message says).
EXPECTED = {
    "jwks_uri_non_ascii_path": ("invalid_discovery", "jwks_uri_invalid", "non-ASCII"),
    "jwks_uri_space_in_path": ("invalid_discovery", "jwks_uri_invalid", "space"),
    "jwks_uri_control_in_query": ("invalid_discovery", "jwks_uri_invalid", "control"),
    "jwks_uri_idn_host": ("invalid_discovery", "jwks_uri_invalid", "non-ASCII"),
    "jwks_uri_bad_punycode": ("invalid_discovery", "jwks_uri_invalid", "invalid host name"),
    "jwks_uri_userinfo": ("invalid_discovery", "jwks_uri_invalid", "user information"),
    "jwks_uri_port_zero": ("invalid_discovery", "jwks_uri_invalid", "port 0"),
    "jwks_uri_port_too_large": ("invalid_discovery", "jwks_uri_invalid", "invalid host or port"),
    "jwks_uri_broken_ipv6": ("invalid_discovery", "jwks_uri_invalid", "invalid host or port"),
    "jwks_uri_not_a_string": ("invalid_discovery", "jwks_uri_missing", "no jwks_uri"),
    "discovery_duplicate_key": ("invalid_discovery", "ambiguous_json", "'issuer' twice"),
    "discovery_deeply_nested": ("invalid_discovery", "invalid_json", "did not return JSON"),
    "discovery_huge_number": ("invalid_discovery", "invalid_json", "did not return JSON"),
    "content_length_too_long": ("invalid_discovery", "bad_http_response", "bytes announced"),
    "content_length_too_short": (None, None, None),  # the surplus is never read as a response
    "two_content_lengths": ("invalid_discovery", "bad_http_response", "Content-Length headers that disagree"),
    "bad_chunk_size": ("unreachable", "connection_closed", "broke its chunked framing"),
    "jwks_duplicate_key": ("invalid_discovery", "ambiguous_json", "'keys' twice"),
    "duplicated_extension": ("unreachable", "malformed_certificate", "Duplicate"),
    "malformed_extension": ("unreachable", "malformed_certificate", "malformed extensions"),
}


def test_every_odd_behaviour_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(behaviour.name for behaviour in ODD_BEHAVIOURS)


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_odd_input_is_a_specific_failure_not_an_exception(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, behaviour: str
) -> None:
    # Given an issuer sending odd input
    issuer = issuer_fleet.add(behaviour)

    # When it is probed
    result = fast_prober.probe(issuer.url)

    # Then the probe returns the failure that names the defect
    kind, code, wording = EXPECTED[behaviour]
    if wording is None:
        assert result.failure is None
        return
    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == (kind, code), result.failure.message
    assert wording in result.failure.message


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("/moved \u00e9", "bad_redirect"),
        ("/mo ved", "bad_redirect"),
        ("https://[::1/x", "bad_redirect"),
        ("https://user@localhost/x", "bad_redirect"),
        ("https://b\u00fccher.invalid/x", "bad_redirect"),
        ("http://localhost/x", "insecure_redirect"),
    ],
)
def test_odd_redirect_location_is_a_bad_redirect(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, location: str, code: str
) -> None:
    respond = on_discovery(lambda _: Reply.redirect(location))
    issuer = issuer_fleet.add(Behaviour(f"redirect-{location.encode().hex()}", "odd Location", respond=respond))

    result = fast_prober.probe(issuer.url)

    assert result.failure is not None
    assert result.failure.code == code, result.failure.message


@pytest.mark.parametrize(
    "provider_url",
    [
        "b\u00fccher.example/id/1",
        "localhost/id/\u00e9",
        "localhost/id 1",
        "localhost:0",
        "user@localhost/x",
        "xn--a-.example",
        "localhost/x?query=1",
        "[::1",
    ],
)
def test_odd_provider_url_is_an_invalid_url(fast_prober: OidcProber, provider_url: str) -> None:
    result = fast_prober.probe(provider_url)

    assert result.failure is not None
    assert result.failure.code == "invalid_url", result.failure.message
    assert result.hosts == ()


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)


@pytest.mark.parametrize("make", [duplicated_extension_leaf, malformed_extension_leaf])
def test_certificate_info_names_a_malformed_certificate(sandbox_pki: SandboxPki, make: MakeOdd) -> None:
    odd = make(sandbox_pki.public_intermediate, sandbox_pki.now)

    with pytest.raises(MalformedCertificateError):
        certificate_info(_der(odd.certificate))


@pytest.mark.parametrize("make", [duplicated_extension_leaf, malformed_extension_leaf])
@pytest.mark.parametrize("position", ["leaf", "after_leaf"])
def test_trust_check_of_a_chain_with_a_malformed_certificate_never_raises(
    sandbox_pki: SandboxPki, sandbox_trust: TrustEvaluator, make: MakeOdd, position: str
) -> None:
    # Given a captured chain holding a malformed certificate (as a leaf, or sent after a sound leaf)
    odd = make(sandbox_pki.public_intermediate, sandbox_pki.now).certificate
    sound = sandbox_pki.leaf(sandbox_pki.public_intermediate).certificate
    certificates = [odd] if position == "leaf" else [sound, odd]
    certificates.append(sandbox_pki.public_intermediate.certificate)
    chain = tuple(
        CertificateInfo(
            server_text("s"),
            server_text("i"),
            "1",
            sandbox_pki.now,
            sandbox_pki.now,
            "0" * 40,
            is_ca=False,
            der=_der(cert),
        )
        for cert in certificates
    )
    capture = HostCapture(Endpoint("localhost"), (Role.DISCOVERY,), chain, "TLSv1.2", True, 1, None)

    # When its trust is decided
    result = sandbox_trust.evaluate(capture, [], datetime.now(UTC))

    # Then it is a verdict: a malformed leaf does not verify
    assert result.trust in tuple(Trust)
    if position == "leaf":
        assert result.trust is Trust.UNTRUSTED
