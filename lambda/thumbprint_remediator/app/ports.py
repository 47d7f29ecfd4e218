"""What the pipeline's steps need of the outside world: the adapters' shapes, as the steps see them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from thumbprint_remediator.domain import memory
from thumbprint_remediator.domain.models import HostCapture, ProbeResult, ProviderConfig, TrustResult
from thumbprint_remediator.domain.posture import RoleTrust


class Inventory(Protocol):
    """The account's IAM OIDC providers (inventory.IamOidcProviders)."""

    def list_arns(self) -> list[str]: ...
    def get(self, arn: str) -> ProviderConfig: ...
    def update_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None: ...


class RoleListing(Protocol):
    """One ListRoles pass (roles.RoleListing): the roles read, whether that is all of them, why not, the calls."""

    @property
    def roles(self) -> tuple[RoleTrust, ...]: ...
    @property
    def complete(self) -> bool: ...
    @property
    def failure(self) -> str | None: ...
    @property
    def calls(self) -> int: ...


class RoleLister(Protocol):
    """The account's roles and trust policies (roles.IamRoles): one bounded pass per sweep, when posture is on."""

    def list_trust_policies(self, deadline: float | None = None) -> RoleListing: ...


class Prober(Protocol):
    def probe(self, provider_url: str) -> ProbeResult: ...


class TrustVerifier(Protocol):
    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult: ...


class SweepScope(Protocol):
    """What one sweep's providers share (endpoints.EndpointPool): captures, connections, verdicts."""

    def probe(self, provider_url: str) -> ProbeResult: ...
    def evaluate(
        self, verifier: TrustVerifier, capture: HostCapture, pinned: Collection[str], now: datetime
    ) -> TrustResult: ...
    def evaluate_samples(
        self, verifier: TrustVerifier, capture: HostCapture, pinned: Collection[str], now: datetime
    ) -> tuple[TrustResult | None, ...]: ...
    def close(self) -> None: ...


@runtime_checkable
class SharingProber(Protocol):
    """A prober that can share endpoints between the providers of a sweep."""

    def sweep_pool(self) -> SweepScope: ...


class HistoryStore(Protocol):
    """The providers' memory between sweeps (history.HistoryTable)."""

    def load(self, arn: str) -> memory.HistoryRecord | None: ...
    def save(self, record: memory.HistoryRecord, expected_version: int | None) -> int: ...


class Publisher(Protocol):
    """Where alerts go (publisher.AlertPublisher)."""

    topic_arn: str

    def publish(self, alert: Any) -> str: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def error(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


class TimeBudget(Protocol):
    """The sweep's deadline as the steps ask it (act.WriteGate)."""

    def admits(self, seconds: float) -> bool: ...
