"""Shared endpoints and sampled backends over real TLS: many providers on one host, many servers behind one name."""

from __future__ import annotations

import dataclasses
import shutil
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox.environment import Sandbox
from sandbox.issuers import IssuerFleet
from sandbox.oracles import openssl_last_certificate_sha1
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["arn"] == arn)


def _codes(finding: dict[str, Any]) -> list[str]:
    """The endpoint's problems: posture's (who can use the provider; they carry a severity) are not these tests'."""
    return [problem["code"] for problem in finding["problems"] if "severity" not in problem]


# --- one capture per endpoint ---------------------------------------------------------------------


def test_providers_on_one_host_share_one_handshake(issuer_fleet: IssuerFleet, fast_probe_limits: ProbeLimits) -> None:
    # Given five EKS-like providers on one host
    tenants = issuer_fleet.add_shared_host(5)
    endpoint = tenants[0].discovery
    prober = OidcProber(fast_probe_limits)
    # When one sweep's pool probes them one after the other
    with prober.sweep_pool() as pool:
        results = [pool.probe(tenant.url) for tenant in tenants]
    # Then each got its own documents, over the one kept-alive connection of the first capture
    assert [result.issuer for result in results] == [tenant.issuer_url for tenant in tenants]
    assert all(result.failure is None and result.jwks_key_count == 1 for result in results)
    assert endpoint.handshakes == 1
    assert [result.hosts[0].handshakes for result in results] == [1, 0, 0, 0, 0]
    assert {result.hosts[0].live_thumbprint for result in results} == {endpoint.expected_thumbprint}


def test_concurrent_providers_on_one_host_use_a_bounded_pool(
    issuer_fleet: IssuerFleet, sampling_limits: ProbeLimits
) -> None:
    # Given 40 providers on one host, probed by 16 threads with sampling on (2 samples: one address)
    tenants = issuer_fleet.add_shared_host(40, latency=0.02)
    endpoint = tenants[0].discovery
    # Waiting for a pooled connection counts against each provider's budget: room for a loaded machine.
    prober = OidcProber(dataclasses.replace(sampling_limits, read_timeout=5.0, host_budget=30.0))
    with prober.sweep_pool() as pool, ThreadPoolExecutor(16) as threads:
        results = list(threads.map(lambda tenant: pool.probe(tenant.url), tenants))
        handshakes = pool.handshakes
    # Then every provider is served, and the handshakes stay within samples + pool connections
    assert all(result.failure is None for result in results)
    assert endpoint.handshakes == handshakes <= 2 + sampling_limits.connections_per_endpoint
    assert endpoint.handshakes < len(tenants)


def test_a_shared_endpoint_that_fails_is_each_of_its_providers_finding(sandbox: Sandbox) -> None:
    # Given three providers on one host that resets every connection
    tenants = sandbox.fleet.add_shared_host(3, behaviour="reset")
    providers = [sandbox.register(tenant, pinned="stale") for tenant in tenants]
    # When the sweep runs
    report = sandbox.invoke(None)
    # Then each provider's own finding says the endpoint is unreachable, and names the endpoint
    for provider in providers:
        finding = _finding(report, provider.arn)
        assert finding["status"] == "unreachable"
        assert _codes(finding) == ["connection_reset"]
        [problem] = [problem for problem in finding["problems"] if "severity" not in problem]
        assert problem["host"] == str(tenants[0].discovery.endpoint)
        assert problem["message"].startswith(f"{tenants[0].discovery.endpoint}: ")
    # And the endpoint was tried once (one address, one extra sample), not once per provider
    assert tenants[0].discovery.connections <= 2


def test_one_providers_bad_document_does_not_fail_its_neighbours(sandbox: Sandbox) -> None:
    # Given three providers on one host, the middle one's discovery document naming another issuer
    tenants = sandbox.fleet.add_shared_host(3, tenants=["healthy", "issuer_mismatch", "healthy"])
    providers = [sandbox.register(tenant) for tenant in tenants]
    # When the sweep runs
    report = sandbox.invoke(None)
    # Then only that provider's finding is invalid_discovery; its neighbours are ok
    statuses = [_finding(report, provider.arn)["status"] for provider in providers]
    assert statuses == ["ok", "invalid_discovery", "ok"]
    assert _codes(_finding(report, providers[1].arn)) == ["issuer_mismatch"]


# --- every backend, sampled -------------------------------------------------------------------------


def test_union_of_verified_tops_is_pinned_for_a_multi_chain_host(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given a host whose two addresses present two valid chains, pinned with the first one's top only
    issuer = sandbox.fleet.add_load_balanced(["public", "rotated"])
    first, second = (sandbox.pki.chain(name).top_thumbprint for name in ("public", "rotated"))
    provider = sandbox.register(issuer, pinned=[first])
    # When the sweep runs (the fleet's resolver gives "localhost" both addresses)
    report = resolving_sweep()
    # Then both tops are pinned, and the finding shows that the backends differ, chains and all
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("stale", "updated")
    assert sorted(sandbox.thumbprints(provider)) == sorted([first, second])
    assert {"thumbprint_missing", "backends_differ"} <= set(_codes(finding))
    [host] = finding["hosts"]
    assert {(sample["address"], sample["live_thumbprint"]) for sample in host["samples"]} == {
        ("127.0.0.1", first),
        ("127.0.0.2", second),
    }
    assert issuer.discovery.backend_handshakes["127.0.0.1"] >= 2
    assert issuer.discovery.backend_handshakes["127.0.0.2"] == 2


def test_an_untrusted_backend_blocks_the_write_and_is_named(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given a host whose second address presents a chain from a root in neither store
    issuer = sandbox.fleet.add_load_balanced(["public", "interception"])
    provider = sandbox.register(issuer, pinned="stale")
    # When the sweep runs
    report = resolving_sweep()
    # Then nothing is written, and the problem names the address and counts it
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("untrusted", "blocked")
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    [problem] = [p for p in finding["problems"] if p["code"] == "backend_untrusted"]
    assert "1 of 2 addresses" in problem["message"]
    assert "127.0.0.2" in problem["message"]
    assert sandbox.pki.chain("interception").top_thumbprint in problem["message"]


def test_chains_alternating_on_one_address_are_both_pinned(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given a load balancer behind one address that alternates two valid chains between handshakes
    issuer = sandbox.fleet.add_alternating(["public", "rotated"])
    tops = {sandbox.pki.chain(name).top_thumbprint for name in ("public", "rotated")}
    provider = sandbox.register(issuer, pinned="empty")
    # When the sweep runs with one extra handshake per address (the default)
    report = resolving_sweep()
    # Then the second handshake caught the other chain, and both are pinned
    finding = _finding(report, provider.arn)
    assert finding["action"] == "updated"
    assert set(sandbox.thumbprints(provider)) == tops


def test_alternation_goes_unseen_with_sampling_off(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given the same alternating load balancer, and SAMPLES_PER_ADDRESS=0
    issuer = sandbox.fleet.add_alternating(["public", "rotated"])
    provider = sandbox.register(issuer, pinned="empty")
    # When the sweep runs
    report = resolving_sweep(SAMPLES_PER_ADDRESS="0")
    # Then one handshake saw one chain: only its top is pinned (what sampling exists to prevent)
    assert _finding(report, provider.arn)["action"] == "updated"
    assert sandbox.thumbprints(provider) == [sandbox.pki.chain("public").top_thumbprint]


def test_an_address_the_function_cannot_reach_is_noted_not_blamed(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given a healthy issuer whose name also resolves to an address where nothing listens
    provider = sandbox.add_provider("healthy")
    port = provider.issuer.discovery.port

    def resolver(host: str, wanted: int) -> list[tuple[Any, ...]]:
        found = sandbox.fleet.resolve(host, wanted)
        if wanted == port:
            found.append((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.9", port)))
        return found

    # When the sweep runs
    report = resolving_sweep(resolver)
    # Then the provider is ok, with a note naming the address
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("ok", "none")
    [note] = [p for p in finding["problems"] if p["code"] == "address_unreachable"]
    assert note["status"] == "ok"
    assert "127.0.0.9" in note["message"]


# --- the openssl CLI's view of every sampled backend ----------------------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_every_sampled_chain_matches_openssl(issuer_fleet: IssuerFleet, sampling_limits: ProbeLimits) -> None:
    # Given a host with three backends presenting three different chains
    issuer = issuer_fleet.add_load_balanced(["public", "rotated", "cross_signed"])
    prober = OidcProber(sampling_limits, resolver=issuer_fleet.resolve)
    # When it is probed with sampling on
    [capture] = prober.probe(issuer.url).hosts
    # Then every sample's top is what openssl s_client sees last at that address
    assert len(capture.samples) == 6
    for sample in capture.samples:
        assert sample.live_thumbprint == openssl_last_certificate_sha1(issuer.discovery.port, sample.address)
    assert len({sample.live_thumbprint for sample in capture.samples}) == 3
