"""What the hostile matrix is made of: a scenario, a provider registered for it, a sweep and what it left."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.environment import Sandbox
from sandbox.issuers import Issuer
from sandbox.pki import SandboxPki

Pinned = str | Sequence[str] | Callable[[SandboxPki, Issuer | None], Sequence[str]]


@dataclass(frozen=True)
class Scenario:
    """One row of the matrix: a hostile endpoint (or AWS fault) and what the sweep must answer."""

    name: str
    group: str
    summary: str  # what the endpoint (or AWS) does
    status: str  # the expected finding status ("-" when the invocation itself fails)
    action: str  # the expected action ("-" likewise)
    behaviour: str | None = None  # the sandbox behaviour; None for URL-only or AWS-fault scenarios
    pinned: Pinned = "stale"
    host: str = "localhost"
    tags: Mapping[str, str] = field(default_factory=dict)
    url: Callable[[], str] | None = None  # a provider URL with no issuer behind it
    trickle_interval: float = 0.1
    fault: Callable[[Sandbox, Path], RunResult] | None = None  # runs its own sweep
    # Wordings of the problem that depend on timing: the table shows them all, joined by "or".
    racy_wording: tuple[str, ...] = ()

    @property
    def shared(self) -> bool:
        """Whether the scenario joins the shared sweep (AWS faults each run their own)."""
        return self.fault is None


@dataclass
class ProviderRun:
    """One provider of a sweep: how it was registered, what IAM holds afterwards, its finding."""

    scenario: str  # the scenario it stands for ("" for bystanders of a fault scenario)
    arn: str
    url: str
    pinned: tuple[str, ...]
    issuer: Issuer | None = None
    connections_before: int = 0
    after: tuple[str, ...] | None = None  # IAM's list after the sweep; None once the provider is gone
    finding: dict[str, Any] | None = None

    @property
    def connections_made(self) -> int:
        return (self.issuer.connections if self.issuer else 0) - self.connections_before


@dataclass
class RunResult:
    """One invocation of the handler and everything needed to judge it."""

    name: str
    providers: list[ProviderRun]
    report: dict[str, Any] | None
    error: BaseException | None
    wall_seconds: float
    budget_seconds: float
    details: dict[str, Any] = field(default_factory=dict)  # fault-specific observations

    def provider(self, scenario: str) -> ProviderRun:
        return next(run for run in self.providers if run.scenario == scenario)
