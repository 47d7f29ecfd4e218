"""The sandbox itself: well-formed PKI, issuers that serve what they claim, clean start and stop."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from sandbox.issuers import BEHAVIOURS, Behaviour, IssuerFleet, Reply, Request, behaviour_named, register_behaviour
from sandbox.pki import CHAIN_RECIPES, SandboxPki
from thumbprint_remediator.domain.models import Endpoint, Role
from thumbprint_remediator.tls.probe import OidcProber

REQUIRED_BEHAVIOURS = (
    "healthy",
    "root_sent",
    "rotated_intermediate",
    "expiring_soon",
    "expired",
    "not_yet_valid",
    "private_ca",
    "untrusted_root",
    "wrong_hostname",
    "separate_jwks_host",
    "hung",
    "malformed_discovery",
    "issuer_mismatch",
    "tls13_only",
    "discovery_404",
    "slow_trickle",
)


def verifying_context(pki: SandboxPki) -> ssl.SSLContext:
    """An ordinary, verifying client that trusts the sandbox public root."""
    context = ssl.create_default_context(cadata=pki.public_root.certificate.public_bytes(Encoding.PEM).decode())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def fleet_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "oidc-issuer-fleet"]


def port_is_closed(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


# --- PKI ----------------------------------------------------------------------------------------


# The odd-input chains are malformed on purpose (a duplicated or undecodable extension): they have tests of their own.
DELIBERATELY_MALFORMED = frozenset({"duplicated_extension", "malformed_extension"})


@pytest.mark.parametrize("chain_name", sorted(set(CHAIN_RECIPES) - DELIBERATELY_MALFORMED))
def test_every_certificate_is_well_formed(sandbox_pki: SandboxPki, chain_name: str) -> None:
    for certificate in sandbox_pki.chain(chain_name).certificates:
        extensions = certificate.extensions
        basic = extensions.get_extension_for_class(x509.BasicConstraints)
        assert basic.critical
        assert extensions.get_extension_for_class(x509.KeyUsage).critical
        assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        assert extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
        if not basic.value.ca:
            san = extensions.get_extension_for_class(x509.SubjectAlternativeName)
            assert not san.critical
            eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            assert ExtendedKeyUsageOID.SERVER_AUTH in eku


def test_server_names_are_in_the_leaf(sandbox_pki: SandboxPki) -> None:
    san = sandbox_pki.chain("public").leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(address) for address in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}


def test_issuing_cas_may_only_issue_leaves(sandbox_pki: SandboxPki) -> None:
    for ca in (sandbox_pki.public_intermediate, sandbox_pki.rotated_intermediate, sandbox_pki.private_intermediate):
        basic = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        assert basic.ca
        assert basic.path_length == 0


def test_certificates_are_generated_once(sandbox_pki: SandboxPki) -> None:
    assert sandbox_pki.chain("public") is sandbox_pki.chain("public")
    assert sandbox_pki.public_root is sandbox_pki.public_root
    # the rotation keeps the root and changes the issuing CA
    assert sandbox_pki.chain("rotated").certificates[1].issuer == sandbox_pki.public_root.subject
    assert sandbox_pki.chain("rotated").top_thumbprint != sandbox_pki.chain("public").top_thumbprint


def test_unknown_chain_names_the_known_ones(sandbox_pki: SandboxPki) -> None:
    with pytest.raises(KeyError, match="public"):
        sandbox_pki.chain("no-such-chain")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_openssl_verifies_the_healthy_chain(sandbox_pki: SandboxPki, tmp_path: Path) -> None:
    roots = sandbox_pki.write_public_bundle(tmp_path / "roots.pem")
    chain = sandbox_pki.chain("public")
    (tmp_path / "leaf.pem").write_bytes(chain.leaf.public_bytes(Encoding.PEM))
    (tmp_path / "untrusted.pem").write_bytes(chain.certificates[1].public_bytes(Encoding.PEM))

    verified = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(roots),
            "-untrusted",
            str(tmp_path / "untrusted.pem"),
            "-purpose",
            "sslserver",
            "-verify_hostname",
            "localhost",
            str(tmp_path / "leaf.pem"),
        ],
        capture_output=True,
        check=False,
        timeout=20,
    )

    assert verified.returncode == 0, verified.stderr.decode()


# --- catalogue ----------------------------------------------------------------------------------


def test_catalogue_holds_the_required_behaviours() -> None:
    assert set(REQUIRED_BEHAVIOURS) <= set(BEHAVIOURS)
    assert all(behaviour.summary for behaviour in BEHAVIOURS.values())


def test_unknown_behaviour_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="healthy"):
        behaviour_named("no-such-behaviour")


def test_behaviours_are_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_behaviour(Behaviour("healthy", "again"))


def test_a_new_behaviour_can_be_added(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    # Given a behaviour defined outside the catalogue, answering 503 to everything
    teapot = Behaviour("test_unavailable", "always 503", respond=lambda _: Reply(503, b"busy", "text/plain"))

    # When an issuer runs it
    result = fast_prober.probe(issuer_fleet.add(teapot).url)

    # Then its answers are served
    assert result.failure is not None
    assert "HTTP 503" in result.failure.message


# --- issuers ------------------------------------------------------------------------------------


def test_issuer_serves_its_documents_to_a_verifying_client(issuer_fleet: IssuerFleet, sandbox_pki: SandboxPki) -> None:
    # Given a healthy issuer under a path
    issuer = issuer_fleet.add("healthy", path="/id/XYZ")
    connection = http.client.HTTPSConnection(
        "localhost", issuer.discovery.port, context=verifying_context(sandbox_pki), timeout=5
    )

    # When an ordinary verifying client fetches both documents over one connection
    try:
        connection.request("GET", "/id/XYZ/.well-known/openid-configuration")
        discovery = json.loads(connection.getresponse().read())
        connection.request("GET", "/id/XYZ/keys")
        jwks = json.loads(connection.getresponse().read())
    finally:
        connection.close()

    # Then they name the issuer as IAM expects, and keep-alive held (one handshake)
    assert discovery["issuer"] == f"https://localhost:{issuer.discovery.port}/id/XYZ" == issuer.issuer_url
    assert discovery["jwks_uri"] == issuer.jwks_uri
    (key,) = jwks["keys"]
    assert (key["kty"], key["crv"]) == ("EC", "P-256")
    assert issuer.handshakes == 1
    assert issuer.connections == 1


def test_issuer_describes_its_endpoints(issuer_fleet: IssuerFleet, sandbox_pki: SandboxPki) -> None:
    issuer = issuer_fleet.add("separate_jwks_host")

    discovery, jwks = issuer.endpoints

    assert issuer.url == f"localhost:{discovery.port}"
    assert discovery.roles == (Role.DISCOVERY,)
    assert jwks.roles == (Role.JWKS,)
    assert discovery.port != jwks.port
    assert issuer.jwks_uri == f"https://localhost:{jwks.port}/keys"
    assert issuer.expected_thumbprints == {
        Endpoint("localhost", discovery.port): sandbox_pki.chain("public").top_thumbprint,
        Endpoint("localhost", jwks.port): sandbox_pki.chain("rotated").top_thumbprint,
    }
    assert issuer.chains[discovery.endpoint] == sandbox_pki.chain("public").certificates


def test_issuers_without_tls_expect_no_thumbprint(issuer_fleet: IssuerFleet) -> None:
    assert issuer_fleet.add("hung").expected_thumbprints == {}


def test_ipv6_issuer_listens_on_the_loopback(issuer_fleet: IssuerFleet, sandbox_pki: SandboxPki) -> None:
    issuer = issuer_fleet.add("healthy", host="::1")

    with (
        socket.create_connection(("::1", issuer.discovery.port), timeout=5) as raw,
        verifying_context(sandbox_pki).wrap_socket(raw, server_hostname="::1") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}

    assert issuer.url == f"[::1]:{issuer.discovery.port}"


def test_latency_delays_the_handshake(issuer_fleet: IssuerFleet, sandbox_pki: SandboxPki) -> None:
    issuer = issuer_fleet.add("healthy", latency=0.3)

    started = time.monotonic()
    with (
        socket.create_connection(("127.0.0.1", issuer.discovery.port), timeout=5) as raw,
        verifying_context(sandbox_pki).wrap_socket(raw, server_hostname="localhost"),
    ):
        elapsed = time.monotonic() - started

    assert elapsed >= 0.3


@pytest.mark.impure
def test_many_issuers_share_one_thread(sandbox_pki: SandboxPki) -> None:
    # Given a fresh fleet
    threads_before = threading.active_count()
    with IssuerFleet(sandbox_pki) as fleet:
        # When many issuers are added
        issuers = fleet.add_many("healthy", 60) + fleet.add_many("separate_jwks_host", 10)

        # Then each has its own ports, and one thread serves them all
        ports = {endpoint.port for issuer in issuers for endpoint in issuer.endpoints}
        assert len(ports) == 80
        assert threading.active_count() == threads_before + 1


@pytest.mark.impure
def test_stop_closes_every_port_and_joins_the_thread(sandbox_pki: SandboxPki) -> None:
    threads_before = len(fleet_threads())
    fleet = IssuerFleet(sandbox_pki)
    fleet.start()
    issuers = [fleet.add("healthy"), fleet.add("hung"), fleet.add("separate_jwks_host")]
    # an open, idle connection and a hung one must not keep the fleet alive
    idle = socket.create_connection(("127.0.0.1", issuers[0].discovery.port), timeout=5)
    hung = socket.create_connection(("127.0.0.1", issuers[1].discovery.port), timeout=5)
    assert len(fleet_threads()) == threads_before + 1

    fleet.stop()

    assert len(fleet_threads()) == threads_before
    for issuer in issuers:
        for endpoint in issuer.endpoints:
            assert port_is_closed(endpoint.port)
    idle.close()
    hung.close()
    fleet.stop()  # idempotent


@pytest.mark.impure
def test_stop_happens_when_the_body_raises(sandbox_pki: SandboxPki) -> None:
    threads_before = len(fleet_threads())
    ports: list[int] = []

    def interrupted_run() -> None:
        with IssuerFleet(sandbox_pki) as fleet:
            ports.append(fleet.add("healthy").discovery.port)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()

    assert len(fleet_threads()) == threads_before
    assert port_is_closed(ports[0])


def test_adding_before_start_is_refused(sandbox_pki: SandboxPki) -> None:
    with pytest.raises(RuntimeError, match="start"):
        IssuerFleet(sandbox_pki).add("healthy")


@pytest.mark.parametrize("path", ["id/ABC", "/id/ABC/"])
def test_bad_paths_are_refused(issuer_fleet: IssuerFleet, path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        issuer_fleet.add("healthy", path=path)


def test_rotation_changes_the_chain_of_new_connections(
    issuer_fleet: IssuerFleet, fast_prober: OidcProber, sandbox_pki: SandboxPki
) -> None:
    # Given a healthy issuer, probed once
    issuer = issuer_fleet.add("healthy")
    before = fast_prober.probe(issuer.url).hosts[0].live_thumbprint

    # When its issuing CA is rotated
    issuer_fleet.rotate(issuer, "rotated")
    after = fast_prober.probe(issuer.url).hosts[0].live_thumbprint

    # Then the next probe sees the new chain, and the issuer expects it too
    assert before == sandbox_pki.chain("public").top_thumbprint
    assert after == sandbox_pki.chain("rotated").top_thumbprint
    assert issuer.expected_thumbprints == {issuer.discovery.endpoint: after}


def test_broken_responder_answers_500_and_keeps_serving(issuer_fleet: IssuerFleet, fast_prober: OidcProber) -> None:
    def broken(_request: Request) -> Reply:
        raise RuntimeError("bug in a behaviour")

    issuer = issuer_fleet.add(Behaviour("test_broken", "raises", respond=broken))

    first = fast_prober.probe(issuer.url)
    second = fast_prober.probe(issuer.url)

    assert first.failure is not None
    assert second.failure is not None
    assert "HTTP 500" in first.failure.message
    assert "HTTP 500" in second.failure.message
