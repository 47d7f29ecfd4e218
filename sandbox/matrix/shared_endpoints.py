"""The hostile matrix's shared endpoints: one host, many providers, misbehaving on its kept-alive connections.

Each scenario runs its own sweep: `HOST_PROVIDERS` providers on the misbehaving host (EKS-like paths, a
stale pin each) and `BYSTANDERS` on a healthy host beside it, with short limits (`SETTINGS`). The row shows
one provider of the host, chosen after the sweep by a rule that picks the same kind of provider every run
(`Pick`); what must hold for all of them, the bystanders and the host's cost is judged in
tests/hostile/test_shared_endpoints.py.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sandbox import shared_hosts  # noqa: F401 - importing it registers the behaviours below
from sandbox.environment import Sandbox
from sandbox.issuers import Issuer, IssuerEndpoint, behaviour_named
from sandbox.matrix.model import ProviderRun, RunResult, Scenario
from sandbox.matrix.registration import register_issuer
from sandbox.matrix.sweeps import sweep
from thumbprint_remediator.contract.deadlines import alert_reserve_seconds, drain_reserve_seconds, provider_seconds
from thumbprint_remediator.contract.names import ENV_CONNECT_TIMEOUT, ENV_HOST_BUDGET, ENV_MAX_WORKERS, ENV_READ_TIMEOUT

GROUP: Final = "Shared endpoints"
# More providers than a stalling host's 4 pooled connections can time out one read timeout at a time within
# the budget (1 + 4 x 2 here): the rest are judged without being served, so the row is the same every run.
HOST_PROVIDERS: Final = 12
BYSTANDERS: Final = 3
CONNECT_TIMEOUT: Final = 1.0
READ_TIMEOUT: Final = 1.0
HOST_BUDGET: Final = 2.0
SETTINGS: Final = {
    ENV_CONNECT_TIMEOUT: f"{CONNECT_TIMEOUT:g}",
    ENV_READ_TIMEOUT: f"{READ_TIMEOUT:g}",
    ENV_HOST_BUDGET: f"{HOST_BUDGET:g}",
}
FEW_WORKERS: Final = 2
# With FEW_WORKERS, a function timeout that admits providers for only this long after the sweep starts: each
# must have its IAM calls and two host budgets left (provider_seconds), after the alert and the drain.
ADMISSION_SECONDS: Final = 8.0
FEW_WORKERS_TIMEOUT: Final = (
    alert_reserve_seconds() + drain_reserve_seconds() + provider_seconds(HOST_BUDGET) + ADMISSION_SECONDS
)


class Pick(enum.Enum):
    """Which provider of the host the row shows."""

    FIRST = "first"  # the first registered (the one a per-tenant behaviour names)
    LAST = "last"
    JUDGED = "judged"  # the first given the endpoint's judgment without being served


@dataclass(frozen=True)
class SharedHost:
    """A shared host for one scenario: its behaviour and how it is set up and swept."""

    behaviour: str
    tenants: tuple[str, ...] = ()  # the first tenants' own behaviours (the others answer as `behaviour`)
    addresses: int = 1
    unresponsive_address: bool = False
    workers: int | None = None
    pick: Pick = Pick.LAST

    @property
    def resolver_needed(self) -> bool:
        """Whether "localhost" must resolve to several addresses (the fleet's resolver, not the system's)."""
        return self.addresses > 1 or self.unresponsive_address


@dataclass
class SharedHostRun:
    """What a shared-host scenario's sweep left, beside the row."""

    endpoint: IssuerEndpoint
    host: list[ProviderRun]
    bystanders: list[ProviderRun]
    bystander_endpoint: IssuerEndpoint
    settings: Mapping[str, str] = field(default_factory=dict)


def _judged(run: ProviderRun) -> bool:
    problems = (run.finding or {}).get("problems", [])
    return any(p["code"] == "host_budget_exceeded" and "not served" in p["message"] for p in problems)


def _pick(host: SharedHost, runs: list[ProviderRun]) -> ProviderRun:
    if host.pick is Pick.FIRST:
        return runs[0]
    if host.pick is Pick.JUDGED:
        return next((run for run in runs if _judged(run)), runs[-1])
    return runs[-1]


def _register(sandbox: Sandbox, tenants: list[Issuer]) -> list[ProviderRun]:
    return [register_issuer(sandbox, tenant) for tenant in tenants]


def shared_host_sweep(name: str, host: SharedHost) -> Callable[[Sandbox, Path], RunResult]:
    """The sweep of one shared-host scenario."""

    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        tenants = sandbox.fleet.add_shared_host(
            HOST_PROVIDERS, behaviour=host.behaviour, tenants=host.tenants, addresses=host.addresses
        )
        endpoint = tenants[0].discovery
        if host.unresponsive_address:
            sandbox.fleet.add_unresponsive_address(endpoint)
        runs = _register(sandbox, tenants)
        neighbours = sandbox.fleet.add_shared_host(BYSTANDERS)
        bystanders = _register(sandbox, neighbours)
        settings: dict[str, str] = dict(SETTINGS)
        timeout = 300.0
        if host.workers is not None:
            settings[ENV_MAX_WORKERS] = str(host.workers)
            timeout = FEW_WORKERS_TIMEOUT
        resolver = sandbox.fleet.resolve if host.resolver_needed else None
        result = sweep(sandbox, name, [*runs, *bystanders], settings, timeout_seconds=timeout, resolver=resolver)
        _pick(host, runs).scenario = name
        result.details["shared_host"] = SharedHostRun(endpoint, runs, bystanders, neighbours[0].discovery, settings)
        return result

    return run


def _described(behaviour: str) -> str:
    return behaviour_named(behaviour).summary


def _scenario(name: str, summary: str, status: str, action: str, host: SharedHost) -> Scenario:
    return Scenario(name, GROUP, summary, status, action, fault=shared_host_sweep(name, host))


SHARED_ENDPOINT_SCENARIOS: Final = (
    _scenario(
        "shared_host_stalls_after_answers",
        f"the host {_described('stall_after_answers')}",
        "unreachable",
        "blocked",
        SharedHost("stall_after_answers", pick=Pick.JUDGED),
    ),
    _scenario(
        "shared_host_stalls_mid_body",
        f"the host, {_described('stall_mid_body_after_answers')}",
        "unreachable",
        "blocked",
        SharedHost("stall_mid_body_after_answers", pick=Pick.JUDGED),
    ),
    _scenario(
        "shared_host_endless_chunked_bodies",
        f"the host {_described('endless_chunked_discovery')}",
        "unreachable",
        "blocked",
        SharedHost("endless_chunked_discovery", pick=Pick.JUDGED),
    ),
    _scenario(
        "shared_host_one_endless_body",
        f"one provider of the host {_described('endless_chunked_discovery')}; the others answer well",
        "unreachable",
        "blocked",
        SharedHost("healthy", tenants=("endless_chunked_discovery",), pick=Pick.FIRST),
    ),
    _scenario(
        "shared_host_slow_few_workers",
        f"the host {_described('slow_trickle')}; {FEW_WORKERS} workers, a {FEW_WORKERS_TIMEOUT:g} s function "
        "whose deadline admits providers for 8 s",
        "unreachable",
        "blocked",
        SharedHost("slow_trickle", workers=FEW_WORKERS, pick=Pick.JUDGED),
    ),
    _scenario(
        "shared_host_trickles_on_one_address",
        "the host has two addresses; both hand-shake well, the second trickles its answers a byte at a time",
        "unreachable",
        "blocked",
        SharedHost("trickle_beyond_first_address", addresses=2),
    ),
    _scenario(
        "shared_host_unresponsive_address",
        "the host's name also resolves, first, to an address that never accepts a connection",
        "stale",
        "updated",
        SharedHost("healthy", unresponsive_address=True),
    ),
    _scenario(
        "shared_host_duplicate_response",
        f"the host {_described('duplicate_response')}",
        "stale",
        "updated",
        SharedHost("duplicate_response"),
    ),
    _scenario(
        "shared_host_late_duplicate_response",
        f"the host {_described('late_duplicate_response')}",
        "stale",
        "updated",
        SharedHost("late_duplicate_response"),
    ),
    _scenario(
        "shared_host_duplicates_every_response",
        f"the host {_described('duplicate_every_response')}",
        "stale",
        "updated",
        SharedHost("duplicate_every_response"),
    ),
    _scenario(
        "shared_host_early_hints",
        f"the host {_described('early_hints')}",
        "stale",
        "updated",
        SharedHost("early_hints"),
    ),
    _scenario(
        "shared_host_idle_request_timeout",
        f"the host {_described('idle_request_timeout')}",
        "stale",
        "updated",
        SharedHost("idle_request_timeout"),
    ),
    _scenario(
        "shared_host_connection_close_mix",
        f"the host {_described('connection_close_mix')}",
        "stale",
        "updated",
        SharedHost("connection_close_mix"),
    ),
)

GROUP_NOTE: Final = (
    f"Every cluster of an EKS region is a provider on one host. Each row is a sweep of its own: {HOST_PROVIDERS}",
    f"providers on the host, {BYSTANDERS} on a healthy host beside it, every pin stale; connect and read timeouts "
    f"{CONNECT_TIMEOUT:g} s,",
    f"host budget {HOST_BUDGET:g} s, 16 workers unless the row says otherwise. The row shows the host's last "
    "provider, the one",
    "its description names, or (where the host stalls) the first given the endpoint's judgment without being",
    "served. `tests/hostile/test_shared_endpoints.py` asserts in every row: each provider has exactly one finding,",
    "never `internal_error`, an unreachable one names the endpoint; clients kept at the host for at most two host",
    "budgets; every bystander is updated; no connection is left open.",
    "",
)


def shared_host_run(result: RunResult) -> SharedHostRun:
    """The shared-host details of a scenario's sweep."""
    details: Any = result.details["shared_host"]
    assert isinstance(details, SharedHostRun)
    return details
