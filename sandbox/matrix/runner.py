"""Running the whole matrix: the shared sweep, each scenario's own sweep, then the scale sweep."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sandbox.environment import Sandbox
from sandbox.matrix.catalogue import (
    FAULT_SCENARIOS,
    IDENTITY_SCENARIOS,
    SCALE_HEALTHY,
    SCALE_HOSTILE,
    SCENARIOS,
    SHARED_SCENARIOS,
)
from sandbox.matrix.model import Pinned, RunResult, Scenario
from sandbox.matrix.registration import matrix_bundle, register
from sandbox.matrix.render import Outcome, outcome
from sandbox.matrix.shared_endpoints import SHARED_ENDPOINT_SCENARIOS
from sandbox.matrix.sweeps import SCALE_LAMBDA_TIMEOUT, SCALE_PROVIDERS, sweep
from thumbprint_remediator.contract.names import ENV_EXTRA_CA_BUNDLE


def run_shared(sandbox: Sandbox, workdir: Path, scenarios: Sequence[Scenario] = SHARED_SCENARIOS) -> RunResult:
    """Register every shared scenario and sweep them all at once."""
    sandbox.clear()
    providers = [register(sandbox, scenario) for scenario in scenarios]
    bundle = matrix_bundle(sandbox.pki, workdir)
    return sweep(sandbox, "shared", providers, {ENV_EXTRA_CA_BUNDLE: str(bundle)})


def run_scale(sandbox: Sandbox, workdir: Path, providers: int = SCALE_PROVIDERS) -> RunResult:
    """`providers` providers, every third one hostile, in one sweep with the stack's shortest timeout."""
    sandbox.clear()
    registered = []
    for index in range(providers):
        hostile = index % 3 == 2
        pool = SCALE_HOSTILE if hostile else SCALE_HEALTHY
        behaviour = pool[(index // 3) % len(pool)]
        pinned: Pinned = "stale" if hostile or behaviour == "rotated_intermediate" else "live"
        scenario = Scenario(f"scale-{index:03d}-{behaviour}", "", "", "", "", behaviour=behaviour, pinned=pinned)
        registered.append(register(sandbox, scenario))
    bundle = matrix_bundle(sandbox.pki, workdir)
    return sweep(
        sandbox,
        "scale",
        registered,
        {ENV_EXTRA_CA_BUNDLE: str(bundle)},
        timeout_seconds=SCALE_LAMBDA_TIMEOUT,
    )


@dataclass
class MatrixResults:
    shared: RunResult
    faults: dict[str, RunResult]
    scale: RunResult | None

    def run_of(self, scenario: Scenario) -> RunResult:
        return self.shared if scenario.shared else self.faults[scenario.name]

    def outcomes(self) -> list[Outcome]:
        return [outcome(scenario, self.run_of(scenario)) for scenario in SCENARIOS]

    def runs(self) -> Iterator[RunResult]:
        yield self.shared
        yield from self.faults.values()
        if self.scale is not None:
            yield self.scale


def run_matrix(sandbox: Sandbox, workdir: Path, *, scale: bool = True) -> MatrixResults:
    """Every sweep of the matrix, one after the other on one sandbox (each starts from an empty account)."""
    try:
        shared = run_shared(sandbox, workdir)
        faults = {}
        for scenario in (*SHARED_ENDPOINT_SCENARIOS, *FAULT_SCENARIOS, *IDENTITY_SCENARIOS):
            assert scenario.fault is not None
            faults[scenario.name] = scenario.fault(sandbox, workdir)
        scaled = run_scale(sandbox, workdir) if scale else None
    finally:
        sandbox.clear()
    return MatrixResults(shared, faults, scaled)
