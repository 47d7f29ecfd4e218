"""OidcProber against local issuers over real TLS, and against openssl's view of the same servers."""

from __future__ import annotations

import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import pytest
from cryptography import x509

from sandbox.issuers import Behaviour, IssuerFleet, Reply, on_jwks, with_discovery
from sandbox.oracles import openssl_last_certificate_sha1
from sandbox.pki import SandboxPki, sha1_thumbprint
from thumbprint_remediator.domain.models import Endpoint, Role, Trust
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber
from thumbprint_remediator.tls.trust import TrustEvaluator

# What a loaded 2-core machine (two test workers beside other work) can add to a probe's wall time while its
# threads wait for a CPU. The bounds below are a configured limit plus this: a probe that ignored the limit
# would run on for as long as the hung or trickling server holds the connection, far beyond it. How fast a
# dead host is given up in practice is the benchmark's figure (dead hosts: added time <= 1.1 timeout).
LOADED_MACHINE_ALLOWANCE = 3.0


def test_healthy_issuer_is_captured_in_one_handshake(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_pki: SandboxPki
) -> None:
    # Given a healthy issuer (leaf and issuing CA; discovery and JWKS on one endpoint)
    issuer = issuer_fleet.add("healthy")

    # When it is probed
    result = fast_prober.probe(issuer.url)

    # Then both documents came over one TLS 1.2 connection and the chain is in presented order
    assert result.failure is None
    assert result.issuer == issuer.issuer_url
    assert result.jwks_uri == issuer.jwks_uri
    assert result.jwks_key_count == 1
    (capture,) = result.hosts
    assert capture.endpoint == issuer.discovery.endpoint
    assert capture.roles == (Role.DISCOVERY, Role.JWKS)
    assert capture.tls_version == "TLSv1.2"
    assert capture.accepts_tls12 is True
    assert capture.handshakes == 1
    assert issuer.handshakes == 1
    leaf, top = capture.presented_chain
    assert leaf.subject == "CN=localhost,O=OIDC Sandbox"
    assert leaf.issuer == top.subject
    assert not leaf.is_ca
    assert top.is_ca
    assert not top.self_signed
    assert capture.live_thumbprint == top.sha1 == sandbox_pki.public_intermediate.sha1
    assert capture.live_thumbprint == issuer.expected_thumbprints[capture.endpoint]


def test_certificate_details_match_the_presented_certificate(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber
) -> None:
    issuer = issuer_fleet.add("healthy")

    (capture,) = fast_prober.probe(issuer.url).hosts

    for info, certificate in zip(capture.presented_chain, issuer.chains[capture.endpoint], strict=True):
        assert info.serial == format(certificate.serial_number, "x")
        assert info.not_before == certificate.not_valid_before_utc
        assert info.not_after.tzinfo is UTC
        assert info.sha1 == sha1_thumbprint(certificate)
        assert len(info.sha1) == 40
        assert info.sha1 == info.sha1.lower()
        assert x509.load_der_x509_certificate(info.der) == certificate


def test_root_sent_makes_the_root_the_live_thumbprint(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_pki: SandboxPki
) -> None:
    issuer = issuer_fleet.add("root_sent")

    (capture,) = fast_prober.probe(issuer.url).hosts

    assert len(capture.presented_chain) == 3
    top = capture.top_certificate
    assert top is not None
    assert top.self_signed
    assert top.is_ca
    assert capture.live_thumbprint == sandbox_pki.public_root.sha1


def test_cross_signed_top_certificate_is_pinned_not_its_self_signed_twin(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_pki: SandboxPki
) -> None:
    issuer = issuer_fleet.add("cross_signed")

    (capture,) = fast_prober.probe(issuer.url).hosts

    top = capture.top_certificate
    assert top is not None
    assert top.subject == "CN=Sandbox Public Root CA G2,O=OIDC Sandbox"
    assert not top.self_signed
    assert capture.live_thumbprint == sandbox_pki.cross_signed_root.sha1
    assert capture.live_thumbprint != sandbox_pki.cross_root.sha1


def test_seed_cross_signed_top_is_live_and_tied_to_the_verified_path(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_pki: SandboxPki, sandbox_trust: TrustEvaluator
) -> None:
    # Given the seed's EKS shape over real TLS: the root cross-signed by G2, G2 cross-signed by Class 2
    issuer = issuer_fleet.add("seed_cross_signed")

    # When it is probed and its chain verified against the store holding the self-signed root
    (capture,) = fast_prober.probe(issuer.url).hosts
    result = sandbox_trust.evaluate(capture, pinned=(), now=sandbox_pki.now)

    # Then the last presented certificate is live, outside the path, and tied to it by signature
    assert [c.subject for c in capture.presented_chain[2:]] == [
        "CN=Sandbox Public Root CA,O=OIDC Sandbox",
        "CN=Sandbox Services Root G2,O=OIDC Sandbox",
    ]
    assert capture.live_thumbprint == sandbox_pki.services_root_g2_cross_signed.sha1
    assert result.trust is Trust.PUBLIC
    assert capture.live_thumbprint not in result.verified_path
    assert capture.live_thumbprint in result.pinnable
    assert result.chain_defects == ()


@pytest.mark.parametrize(
    ("behaviour", "forwarded"),
    [("inspected_forwarding_public_ca", "public_intermediate"), ("inspected_forwarding_public_root", "public_root")],
)
def test_certificate_a_proxy_forwards_is_presented_but_never_on_the_path(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_pki: SandboxPki, behaviour: str, forwarded: str
) -> None:
    # Given a proxy whose CA is in EXTRA_CA_BUNDLE forwarding a public certificate between its own
    evaluator = TrustEvaluator(
        public_roots=sandbox_pki.public_roots, extra_cas=[sandbox_pki.inspection_root.certificate]
    )
    issuer = issuer_fleet.add(behaviour)
    pin = getattr(sandbox_pki, forwarded).sha1

    # When the captured chain is verified with that certificate pinned
    (capture,) = fast_prober.probe(issuer.url).hosts
    result = evaluator.evaluate(capture, pinned=[pin], now=sandbox_pki.now)

    # Then it was presented, but the path runs through the proxy's CA: interception of a public pin
    assert pin in [c.sha1 for c in capture.presented_chain]
    assert pin not in result.pinnable
    assert result.trust is Trust.PRIVATE
    assert result.interception_evidence == "public_pin"


def test_provider_url_with_a_path(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("healthy", path="/id/ABC123")

    result = fast_prober.probe(issuer.url)

    assert issuer.url.endswith(f":{issuer.discovery.port}/id/ABC123")
    assert result.failure is None
    assert result.issuer == f"https://{issuer.url}"
    assert result.jwks_uri == f"https://{issuer.discovery.endpoint}/id/ABC123/keys"


def test_separate_jwks_host_is_captured_too(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    # Given an issuer whose jwks_uri names another endpoint presenting another chain
    issuer = issuer_fleet.add("separate_jwks_host")

    # When it is probed
    result = fast_prober.probe(issuer.url)

    # Then both endpoints are captured, discovery first, each in one handshake
    assert result.failure is None
    discovery, jwks = result.hosts
    assert (discovery.endpoint, discovery.roles) == (issuer.discovery.endpoint, (Role.DISCOVERY,))
    assert (jwks.endpoint, jwks.roles) == (issuer.jwks.endpoint, (Role.JWKS,))
    assert discovery.handshakes == jwks.handshakes == 1
    assert {discovery.endpoint: discovery.live_thumbprint, jwks.endpoint: jwks.live_thumbprint} == (
        issuer.expected_thumbprints
    )
    assert discovery.live_thumbprint != jwks.live_thumbprint


def test_failing_jwks_endpoint_is_reported_on_that_endpoint(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    # Given a separate JWKS endpoint that answers 404
    behaviour = Behaviour(
        "test_jwks_404", "JWKS elsewhere, missing", jwks_chain="rotated", respond=on_jwks(lambda _: Reply.not_found())
    )
    issuer = issuer_fleet.add(behaviour)

    # When it is probed
    result = fast_prober.probe(issuer.url)

    # Then the failure names the JWKS endpoint, and both chains were still captured
    assert result.failure is not None
    assert (result.failure.code, result.failure.endpoint) == ("http_status", issuer.jwks.endpoint)
    discovery, jwks = result.hosts
    assert discovery.failure is None
    assert jwks.failure == result.failure
    assert result.issuer == issuer.issuer_url
    assert {capture.endpoint: capture.live_thumbprint for capture in result.hosts} == issuer.expected_thumbprints


def test_unreachable_jwks_endpoint_keeps_the_discovery_capture(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber
) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        closed_port = placeholder.getsockname()[1]
    behaviour = Behaviour(
        "test_jwks_refused",
        "jwks_uri on a closed port",
        respond=with_discovery(jwks_uri=f"https://localhost:{closed_port}/keys"),
    )
    issuer = issuer_fleet.add(behaviour)

    result = fast_prober.probe(issuer.url)

    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "connection_refused")
    discovery, jwks = result.hosts
    assert discovery.roles == (Role.DISCOVERY,)
    assert discovery.live_thumbprint == issuer.discovery.expected_thumbprint
    assert jwks.endpoint == Endpoint("localhost", closed_port)
    assert jwks.roles == (Role.JWKS,)
    assert jwks.presented_chain == ()


def test_tls13_only_endpoint_costs_two_handshakes(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("tls13_only")

    result = fast_prober.probe(issuer.url)

    assert result.failure is None
    (capture,) = result.hosts
    assert capture.accepts_tls12 is False
    assert capture.tls_version == "TLSv1.3"
    assert capture.handshakes == 2
    assert issuer.handshakes == 2
    assert capture.live_thumbprint == issuer.expected_thumbprints[capture.endpoint]


def test_ipv6_literal_provider_url(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("healthy", host="::1", path="/tenant")

    result = fast_prober.probe(issuer.url)

    assert issuer.url.startswith("[::1]:")
    assert result.failure is None
    assert result.hosts[0].endpoint == Endpoint("::1", issuer.discovery.port)
    assert result.hosts[0].live_thumbprint == issuer.discovery.expected_thumbprint


def test_ip_literal_provider_url(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("healthy", host="127.0.0.1")

    result = fast_prober.probe(issuer.url)

    assert result.failure is None
    assert result.hosts[0].endpoint == Endpoint("127.0.0.1", issuer.discovery.port)


def test_connection_closed_by_the_server_is_reopened_and_counted(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber
) -> None:
    issuer = issuer_fleet.add("connection_close")

    result = fast_prober.probe(issuer.url)

    assert result.failure is None
    assert result.hosts[0].handshakes == 2
    assert issuer.handshakes == 2


def test_same_endpoint_redirect_is_followed(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("same_host_redirect")

    result = fast_prober.probe(issuer.url)

    assert result.failure is None
    assert result.hosts[0].handshakes == 1


@pytest.mark.parametrize(
    ("behaviour", "kind", "code", "chain_captured"),
    [
        ("reset", "unreachable", "connection_reset", False),
        ("plain_http", "unreachable", "not_tls", False),
        ("tls10_only", "unreachable", "tls_version_unsupported", False),
        ("client_certificate_required", "unreachable", "tls_handshake_failed", False),
        ("discovery_404", "invalid_discovery", "http_status", True),
        ("malformed_discovery", "invalid_discovery", "invalid_json", True),
        ("discovery_not_object", "invalid_discovery", "discovery_not_object", True),
        ("issuer_mismatch", "invalid_discovery", "issuer_mismatch", True),
        ("jwks_uri_missing", "invalid_discovery", "jwks_uri_missing", True),
        ("jwks_uri_relative", "invalid_discovery", "jwks_uri_relative", True),
        ("jwks_uri_http", "invalid_discovery", "jwks_uri_not_https", True),
        ("empty_jwks", "invalid_discovery", "jwks_no_keys", True),
        ("oversized_discovery", "invalid_discovery", "document_too_large", True),
        ("oversized_chunked", "invalid_discovery", "document_too_large", True),
        ("redirect_loop", "invalid_discovery", "redirect_loop", True),
        ("endless_redirects", "invalid_discovery", "too_many_redirects", True),
        ("cross_host_redirect", "invalid_discovery", "cross_host_redirect", True),
        ("insecure_redirect", "invalid_discovery", "insecure_redirect", True),
    ],
)
def test_failures_are_reported_not_raised(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, behaviour: str, kind: str, code: str, chain_captured: bool
) -> None:
    # Given a misbehaving issuer
    issuer = issuer_fleet.add(behaviour)

    # When it is probed
    result = fast_prober.probe(issuer.url)

    # Then the failure is described on the result and on the endpoint concerned, chain kept if any
    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == (kind, code)
    assert result.failure.endpoint == issuer.discovery.endpoint
    assert str(issuer.discovery.endpoint) in result.failure.message
    assert "\n" not in result.failure.message
    capture = result.hosts[0]
    assert capture.failure == result.failure
    assert bool(capture.presented_chain) is chain_captured
    if chain_captured:
        assert capture.live_thumbprint == issuer.expected_thumbprints[capture.endpoint]


def test_discovery_failure_keeps_the_discovery_role_only(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    result = fast_prober.probe(issuer_fleet.add("discovery_404").url)

    assert result.hosts[0].roles == (Role.DISCOVERY,)
    assert "404" in (result.failure.message if result.failure else "")


def test_cross_host_redirect_message_explains_iam(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    result = fast_prober.probe(issuer_fleet.add("cross_host_redirect").url)

    assert result.failure is not None
    assert "elsewhere.example" in result.failure.message
    assert "IAM fetches" in result.failure.message


def test_hung_server_costs_at_most_its_timeouts(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, fast_probe_limits: ProbeLimits
) -> None:
    issuer = issuer_fleet.add("hung")

    started = time.monotonic()
    result = fast_prober.probe(issuer.url)
    elapsed = time.monotonic() - started

    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "tls_handshake_timeout")
    assert result.hosts[0].presented_chain == ()
    assert elapsed < fast_probe_limits.host_budget + LOADED_MACHINE_ALLOWANCE


def test_budget_shorter_than_the_read_timeout_is_what_ends_a_hung_handshake(issuer_fleet: IssuerFleet) -> None:
    issuer = issuer_fleet.add("hung")
    prober = OidcProber(ProbeLimits(connect_timeout=1.0, read_timeout=5.0, host_budget=0.4))

    started = time.monotonic()
    result = prober.probe(issuer.url)
    elapsed = time.monotonic() - started

    assert result.failure is not None
    assert result.failure.code == "host_budget_exceeded"
    # The code says the budget ended it; the clock agrees: before the read timeout could have (5 s vs 0.4 s)
    assert elapsed < prober.limits.read_timeout


def test_trickling_server_is_cut_off_at_the_read_timeout(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, fast_probe_limits: ProbeLimits
) -> None:
    # Given a server sending one byte per 0.1 s: each byte comes well within the read timeout (0.5 s)
    issuer = issuer_fleet.add("slow_trickle", trickle_interval=0.1)

    started = time.monotonic()
    result = fast_prober.probe(issuer.url)
    elapsed = time.monotonic() - started

    # Then the read timeout ends it all the same: a whole answer must come within it, as STS expects
    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "read_timeout")
    assert "no complete answer within 0.5 s" in result.failure.message
    assert result.hosts[0].live_thumbprint == issuer.discovery.expected_thumbprint
    # (a loaded machine only lengthens the probe: the lower bound holds whatever the load)
    assert fast_probe_limits.read_timeout - 0.2 < elapsed < fast_probe_limits.host_budget + LOADED_MACHINE_ALLOWANCE


def test_trickling_server_is_cut_off_at_a_budget_shorter_than_the_read_timeout(issuer_fleet: IssuerFleet) -> None:
    # Given the same trickle, and a budget shorter than the read timeout
    issuer = issuer_fleet.add("slow_trickle", trickle_interval=0.1)
    prober = OidcProber(ProbeLimits(connect_timeout=1.0, read_timeout=5.0, host_budget=0.8))

    started = time.monotonic()
    result = prober.probe(issuer.url)
    elapsed = time.monotonic() - started

    # Then the budget ends it, and says so
    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "host_budget_exceeded")
    assert elapsed < prober.limits.read_timeout


def test_injected_latency_delays_handshake_and_responses(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("healthy", latency=0.1)

    started = time.monotonic()
    result = fast_prober.probe(issuer.url)
    elapsed = time.monotonic() - started

    assert result.failure is None
    assert elapsed >= 0.3  # handshake + two responses


def test_refused_port_is_unreachable(fast_prober: OidcProber) -> None:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]

    result = fast_prober.probe(f"127.0.0.1:{port}")

    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "connection_refused")
    assert result.hosts[0].handshakes == 0


def test_unresolvable_name_is_unreachable(fast_prober: OidcProber) -> None:
    result = fast_prober.probe("nonexistent.invalid/id/X")

    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "dns_failure")
    assert result.failure.endpoint == Endpoint("nonexistent.invalid")
    assert "nonexistent.invalid" in result.failure.message


@pytest.mark.parametrize("provider_url", ["", "localhost:notaport", "ftp://example.com", "https://"])
def test_invalid_provider_url_is_reported(fast_prober: OidcProber, provider_url: str) -> None:
    result = fast_prober.probe(provider_url)

    assert result.failure is not None
    assert result.failure.code == "invalid_url"
    assert result.hosts == ()


def test_scheme_in_provider_url_is_tolerated(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuer = issuer_fleet.add("healthy")

    assert fast_prober.probe(issuer.issuer_url).failure is None


def test_small_document_limit_is_enforced(issuer_fleet: IssuerFleet) -> None:
    issuer = issuer_fleet.add("healthy")

    result = OidcProber(ProbeLimits(read_timeout=0.5, host_budget=1.5, max_document_bytes=64)).probe(issuer.url)

    assert result.failure is not None
    assert result.failure.code == "document_too_large"


def test_concurrent_probes_share_one_prober(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    issuers = issuer_fleet.add_many("healthy", 12) + issuer_fleet.add_many("separate_jwks_host", 4)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fast_prober.probe, [issuer.url for issuer in issuers]))

    for issuer, result in zip(issuers, results, strict=True):
        assert result.failure is None
        assert {capture.endpoint: capture.live_thumbprint for capture in result.hosts} == (issuer.expected_thumbprints)


def test_probe_then_trust_end_to_end(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_trust: TrustEvaluator, sandbox_pki: SandboxPki
) -> None:
    verdicts = {}
    for behaviour in ("healthy", "private_ca", "untrusted_root", "expired", "wrong_hostname"):
        (capture,) = fast_prober.probe(issuer_fleet.add(behaviour).url).hosts
        verdicts[behaviour] = sandbox_trust.evaluate(capture, pinned=(), now=sandbox_pki.now).trust

    assert verdicts == {
        "healthy": Trust.PUBLIC,
        "private_ca": Trust.PRIVATE,
        "untrusted_root": Trust.UNTRUSTED,
        "expired": Trust.UNTRUSTED,
        "wrong_hostname": Trust.UNTRUSTED,
    }


# --- cross-check with the openssl CLI -------------------------------------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize(
    "behaviour",
    ["healthy", "root_sent", "cross_signed", "seed_cross_signed", "rotated_intermediate", "private_ca", "self_signed"],
)
def test_live_thumbprint_matches_openssl(issuer_fleet: IssuerFleet, fast_prober: OidcProber, behaviour: str) -> None:
    issuer = issuer_fleet.add(behaviour)

    (capture,) = fast_prober.probe(issuer.url).hosts

    assert capture.live_thumbprint == openssl_last_certificate_sha1(issuer.discovery.port)
