"""A shared endpoint that misbehaves fails as one endpoint: one budget, one fate, and no provider pays for a
neighbour's exchange. Real sweeps through the handler (or its wiring, with a resolver that gives "localhost"
several loopback addresses), moto in server mode, real TLS issuers on loopback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import pytest

from sandbox import odd_input, shared_hosts  # noqa: F401 - importing them registers their behaviours
from sandbox.environment import Provider, Sandbox
from sandbox.issuers import Issuer, IssuerEndpoint
from thumbprint_remediator.contract.deadlines import alert_reserve_seconds, drain_reserve_seconds, provider_seconds
from thumbprint_remediator.contract.names import ENV_CONNECT_TIMEOUT, ENV_HOST_BUDGET, ENV_MAX_WORKERS, ENV_READ_TIMEOUT
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber

# Small limits keep each scenario to a few seconds; they are what the assertions below derive bounds from.
FAST = {
    ENV_CONNECT_TIMEOUT: "1",
    ENV_READ_TIMEOUT: "0.5",
    ENV_HOST_BUDGET: "1.5",
    ENV_MAX_WORKERS: "16",
}
# For misbehaviours that are not about time: limits a loaded machine cannot reach, so only the misbehaviour decides.
ROOMY = {**FAST, ENV_READ_TIMEOUT: "3", ENV_HOST_BUDGET: "15"}
# What a provider's documents can fail with on a shared endpoint, none of it another provider's answer.
STALLS = ("stall_after_answers", "stall_mid_body_after_answers", "endless_chunked_discovery", "slow_trickle")
DESYNCS = (
    "duplicate_response",
    "late_duplicate_response",
    "duplicate_every_response",
    "connection_close_mix",
    "early_hints",
    "idle_request_timeout",
)


def _findings(report: dict[str, Any], providers: Sequence[Provider]) -> list[dict[str, Any]]:
    """Each provider's one finding, in the order of `providers` (asserting there is exactly one)."""
    by_arn: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_arn.setdefault(finding["arn"], []).append(finding)
    assert all(len(by_arn.get(provider.arn, [])) == 1 for provider in providers), "exactly one finding each"
    return [by_arn[provider.arn][0] for provider in providers]


def _codes(finding: dict[str, Any]) -> list[str]:
    """The endpoint's problems: posture's (who can use the provider; they carry a severity) are not these tests'."""
    return [problem["code"] for problem in finding["problems"] if "severity" not in problem]


def _shared_host(sandbox: Sandbox, count: int, behaviour: str, **options: Any) -> tuple[IssuerEndpoint, list[Provider]]:
    tenants = sandbox.fleet.add_shared_host(count, behaviour=behaviour, **options)
    return tenants[0].discovery, [sandbox.register(tenant) for tenant in tenants]


def _registered(sandbox: Sandbox, tenants: Sequence[Issuer]) -> list[Provider]:
    return [sandbox.register(tenant) for tenant in tenants]


def _assert_no_internal_error(findings: Sequence[dict[str, Any]]) -> None:
    internal = [finding for finding in findings if "internal_error" in _codes(finding)]
    assert not internal, [problem["message"] for finding in internal for problem in finding["problems"]]


def _assert_all_closed(endpoints: Sequence[IssuerEndpoint]) -> None:
    """Every connection the sweep opened is closed once it is over (the server saw each one end)."""
    give_up = time.monotonic() + 2.0
    while any(endpoint.open_connections for endpoint in endpoints) and time.monotonic() < give_up:
        time.sleep(0.02)
    assert [endpoint.open_connections for endpoint in endpoints] == [0] * len(endpoints)


# --- 1. waiting for a capture or a pooled connection is a network outcome --------------------------------


@pytest.mark.parametrize("behaviour", STALLS)
def test_waiting_on_a_host_that_stalls_is_each_providers_network_finding(sandbox: Sandbox, behaviour: str) -> None:
    # Given 24 providers on one host that stops answering (or answers without end) after a few answers
    endpoint, providers = _shared_host(sandbox, 24, behaviour)
    # When the sweep runs, 16 providers at a time for 4 pooled connections, each exchange holding its connection
    # for most of the budget (as the defaults do: 5 s reads, 20 s budget, 64 workers)
    findings = _findings(sandbox.invoke(None, {**FAST, ENV_READ_TIMEOUT: "1"}), providers)
    # Then no provider's wait became an internal error: each is served or unreachable, naming the endpoint
    _assert_no_internal_error(findings)
    assert {finding["status"] for finding in findings} <= {"ok", "unreachable"}
    for finding in findings:
        if finding["status"] == "unreachable":
            [problem] = [p for p in finding["problems"] if p["status"] == "unreachable"]
            assert problem["host"] == str(endpoint.endpoint)
            assert problem["message"].startswith(f"{endpoint.endpoint}: ")
    _assert_all_closed([endpoint])


def test_the_pools_probe_returns_a_result_for_every_provider_of_a_host_that_never_ends_a_body(
    sandbox: Sandbox,
) -> None:
    # Given 12 providers on one host whose discovery bodies never end
    tenants = sandbox.fleet.add_shared_host(12, behaviour="endless_chunked_discovery")
    prober = OidcProber(ProbeLimits(connect_timeout=1.0, read_timeout=0.5, host_budget=1.5))
    # When one sweep's pool probes them all at once
    with prober.sweep_pool() as pool, ThreadPoolExecutor(12) as threads:
        futures = [threads.submit(pool.probe, tenant.url) for tenant in tenants]
        wait(futures)
    # Then every call returned a result (none raised), and each says the endpoint is unreachable
    assert [future.exception() for future in futures] == [None] * len(futures)
    results = [future.result() for future in futures]
    assert all(result.failure is not None and result.failure.kind == Status.UNREACHABLE for result in results)


# --- 2. a kept-alive connection goes back to the pool only in step ------------------------------------------


@pytest.mark.parametrize("behaviour", DESYNCS)
def test_an_extra_or_closing_response_affects_no_other_provider(sandbox: Sandbox, behaviour: str) -> None:
    # Given 20 providers on one host that sends responses nobody asked for, or closes kept-alive connections
    endpoint, providers = _shared_host(sandbox, 20, behaviour)
    # When the sweep runs
    findings = _findings(sandbox.invoke(None, ROOMY), providers)
    # Then every provider read its own documents: all ok, none naming another provider's issuer
    assert [(finding["status"], _codes(finding)) for finding in findings] == [("ok", [])] * len(providers)
    _assert_all_closed([endpoint])


def test_surplus_bytes_after_one_providers_answer_cost_only_that_provider(sandbox: Sandbox) -> None:
    # Given a host whose first provider's discovery answer carries a second response after its body
    tenants = sandbox.fleet.add_shared_host(12, tenants=["content_length_too_short"])
    providers = _registered(sandbox, tenants)
    # When the sweep runs
    findings = _findings(sandbox.invoke(None, ROOMY), providers)
    # Then its neighbours, sharing its kept-alive connections, each read their own documents
    assert [finding["status"] for finding in findings[1:]] == ["ok"] * (len(providers) - 1)
    assert findings[0]["status"] == "ok"  # its own answer came first: the surplus was never read as one


# --- 3. one budget per endpoint, not per provider -----------------------------------------------------------


@pytest.mark.parametrize("behaviour", ["slow_trickle", "stall_after_answers"])
def test_a_slow_shared_host_costs_one_budget_and_leaves_other_hosts_their_time(
    sandbox: Sandbox, behaviour: str
) -> None:
    # Given 24 providers on a host that answers too slowly, listed before 6 on a healthy host
    budget, read = 0.8, 0.5
    slow, slow_providers = _shared_host(sandbox, 24, behaviour)
    healthy, healthy_providers = _shared_host(sandbox, 6, "healthy")
    # ... and a function whose time admits providers for only 5 s after the sweep starts: each provider needs
    # its IAM calls and two host budgets before the sweep's deadline (provider_seconds)
    needed = provider_seconds(budget)
    reserves = alert_reserve_seconds() + drain_reserve_seconds()
    timeout = reserves + needed + 5.0
    environment = {
        **FAST,
        ENV_HOST_BUDGET: f"{budget:g}",
        ENV_READ_TIMEOUT: f"{read:g}",
        ENV_MAX_WORKERS: "2",
    }
    # When the sweep runs two providers at a time
    report = sandbox.invoke(None, environment, timeout_seconds=timeout)
    # Then the slow host cost about one budget, not one per provider: the healthy host's providers were all
    # still admitted and served
    assert [finding["status"] for finding in _findings(report, healthy_providers)] == ["ok"] * len(healthy_providers)
    slow_findings = _findings(report, slow_providers)
    _assert_no_internal_error(slow_findings)
    # (a host stalling after 3 answers may serve one provider both its documents: the rest are unreachable)
    statuses = sorted(finding["status"] for finding in slow_findings)
    assert statuses in (["unreachable"] * len(slow_providers), ["ok"] + ["unreachable"] * (len(slow_providers) - 1))
    # ... and most of the slow host's providers got its judgment without being tried (no connection of their own)
    assert slow.connections < len(slow_providers) / 2
    _assert_all_closed([slow, healthy])


# --- 4. sampling informs the pool -----------------------------------------------------------------------------


def test_pooled_connections_avoid_an_address_sampling_could_not_reach(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given 20 providers on a host whose name also resolves, first, to an address that never accepts a connection
    endpoint, providers = _shared_host(sandbox, 20, "healthy")
    black_hole = sandbox.fleet.add_unresponsive_address(endpoint)
    # When the sweep runs with a budget under twice the connect timeout (sampling waits one connect timeout for
    # the black hole; a connection opened there first would cost another)
    report = resolving_sweep(**{**FAST, ENV_CONNECT_TIMEOUT: "1", ENV_HOST_BUDGET: "1.6"})
    # Then every provider is ok: new connections went to the address sampling reached, the other is only noted
    findings = _findings(report, providers)
    assert [finding["status"] for finding in findings] == ["ok"] * len(providers)
    for finding in findings:
        [note] = [problem for problem in finding["problems"] if problem["code"] == "address_unreachable"]
        assert black_hole in note["message"]


def test_a_backend_that_fails_only_at_the_document_stage_is_named_for_every_provider(
    sandbox: Sandbox, resolving_sweep: Callable[..., dict[str, Any]]
) -> None:
    # Given 30 providers on a host with two addresses: both hand-shake well, the second trickles its answers
    endpoint, providers = _shared_host(sandbox, 30, "trickle_beyond_first_address", addresses=2)
    # When the sweep runs
    report = resolving_sweep(**{**FAST, ENV_HOST_BUDGET: "3"})
    # Then every provider's finding names that address, and none failed for having been sent there
    for finding in _findings(report, providers):
        assert finding["status"] == "unreachable"
        [problem] = [p for p in finding["problems"] if p["code"] == "backend_failed"]
        assert "127.0.0.2" in problem["message"]
        assert problem["host"] == str(endpoint.endpoint)
        assert not {"host_budget_exceeded", "read_timeout"} & set(_codes(finding))


# --- 5. closing the pool ---------------------------------------------------------------------------------------


def test_closing_the_pool_wakes_every_provider_waiting_on_it(sandbox: Sandbox) -> None:
    # Given 12 providers of a host that stops answering after a few answers, probed at once with long limits
    tenants = sandbox.fleet.add_shared_host(12, behaviour="stall_after_answers")
    limits = ProbeLimits(connect_timeout=1.0, read_timeout=5.0, host_budget=10.0)
    pool = OidcProber(limits).sweep_pool()
    with ThreadPoolExecutor(12) as threads:
        futures = [threads.submit(pool.probe, tenant.url) for tenant in tenants]
        time.sleep(0.5)  # the pool's connections are taken, the other providers wait for one
        # When the pool is closed (as the sweep closes it at its deadline)
        pool.close()
        done, pending = wait(futures, timeout=limits.read_timeout / 2)
    # Then every provider returned at once, with a finding rather than an exception
    assert not pending
    assert [future.exception() for future in done] == [None] * len(done)
