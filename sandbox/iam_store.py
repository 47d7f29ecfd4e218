"""An in-memory IAM provider store with injectable faults: the sweep's write path at unit speed.

It speaks the same Protocol as the moto-backed adapter (`sweep.Inventory`: list, get, update) and raises the
same domain errors, so every branch of the write path can be driven without a network: a read-back that
differs or fails, IAM's eventual consistency, concurrent modifications, internal errors, an update whose
answer never comes, and an update still in flight when the sweep's deadline falls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from thumbprint_remediator.aws.inventory import CONCURRENT_MODIFICATION, update_refused
from thumbprint_remediator.domain.errors import (
    ProviderReadError,
    ProviderUpdateError,
    ProviderUpdateUnknown,
)
from thumbprint_remediator.domain.models import ProviderConfig


@dataclass
class StoreFaults:
    """What goes wrong, and how often. Counters count down as the faults are used."""

    # The next N updates are refused with ConcurrentModification; `concurrent_list` is what the other writer
    # leaves in place first (None: the list is unchanged).
    concurrent_modifications: int = 0
    concurrent_list: tuple[str, ...] | None = None
    # Eventual consistency: the next N reads after an update still return the list from before it.
    stale_reads: int = 0
    # Every read after an update returns this list instead of what was written.
    read_back_list: tuple[str, ...] | None = None
    # Every read after an update fails (throttled, access denied).
    read_back_error: str | None = None
    # Every update is refused with this IAM error code (e.g. ServiceFailure, AccessDenied).
    update_error: str | None = None
    # The update lands, but its answer never arrives (read timeout).
    update_unanswered: bool = False
    # The update raises this: a bug, not an IAM answer.
    update_exception: Exception | None = None
    # Each update waits for this event first (set it to let the write through), then lands.
    update_gate: threading.Event | None = None
    # Called before each read (e.g. to advance a test clock).
    on_get: Callable[[str], None] | None = None


@dataclass(frozen=True)
class Landed:
    """One update IAM applied, in order."""

    arn: str
    thumbprints: tuple[str, ...]


@dataclass
class InMemoryProviders:
    """The account's providers, held in a dict; `faults` apply to every provider."""

    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    faults: StoreFaults = field(default_factory=StoreFaults)
    landed: list[Landed] = field(default_factory=list)
    gets: int = 0
    updates_sent: int = 0
    _written: dict[str, tuple[str, ...]] = field(default_factory=dict)  # before-list of each updated provider
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, provider: ProviderConfig) -> ProviderConfig:
        self.providers[provider.arn] = provider
        return provider

    def thumbprints(self, arn: str) -> tuple[str, ...]:
        """What the store really holds (no faults applied)."""
        return self.providers[arn].thumbprints

    # --- the Inventory protocol ---------------------------------------------------------------------
    def list_arns(self) -> list[str]:
        return list(self.providers)

    def get(self, arn: str) -> ProviderConfig:
        if self.faults.on_get is not None:
            self.faults.on_get(arn)
        with self._lock:
            self.gets += 1
            provider = self.providers.get(arn)
            if provider is None:
                raise ProviderReadError(arn, "NoSuchEntity", f"NoSuchEntity: {arn} not found")
            if arn not in self._written:
                return provider
            faults = self.faults
            if faults.read_back_error is not None:
                raise ProviderReadError(arn, faults.read_back_error, f"{faults.read_back_error}: read refused")
            if faults.stale_reads > 0:
                faults.stale_reads -= 1
                return replace(provider, thumbprints=self._written[arn])
            if faults.read_back_list is not None:
                return replace(provider, thumbprints=faults.read_back_list)
            return provider

    def update_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None:
        faults = self.faults
        with self._lock:
            self.updates_sent += 1
        if faults.update_gate is not None:
            faults.update_gate.wait()
        if faults.update_exception is not None:
            raise faults.update_exception
        with self._lock:
            provider = self.providers.get(arn)
            if provider is None:
                raise ProviderUpdateError(arn, "NoSuchEntity", f"NoSuchEntity: {arn} not found")
            if faults.concurrent_modifications > 0:
                faults.concurrent_modifications -= 1
                if faults.concurrent_list is not None:
                    self.providers[arn] = replace(provider, thumbprints=faults.concurrent_list)
                raise update_refused(
                    arn,
                    CONCURRENT_MODIFICATION,
                    f"{CONCURRENT_MODIFICATION}: multiple requests to change this object were submitted",
                )
            if faults.update_error is not None:
                raise update_refused(arn, faults.update_error, f"{faults.update_error}: the update was refused")
            self._written[arn] = provider.thumbprints
            self.providers[arn] = replace(provider, thumbprints=tuple(thumbprints))
            self.landed.append(Landed(arn, tuple(thumbprints)))
        if faults.update_unanswered:
            raise ProviderUpdateUnknown(arn, "ReadTimeoutError", "Read timeout on endpoint URL")
