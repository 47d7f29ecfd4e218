"""One sweep's shared endpoints: each (host, port) captured once, its backends sampled, its connections pooled.

Every EKS cluster of a region is a provider on the same host, and a host is often many servers
presenting different chains. An `EndpointPool` lives for one sweep (the sweeper opens and closes
it): the first provider to reach an endpoint samples it — up to `sample_addresses` of its A/AAAA
addresses, and per address `samples_per_address` more handshakes on fresh connections — and every
other provider on it shares that capture (or its failure) and a bounded pool of keep-alive
connections for its own documents. It also memoizes what is the same for every provider: each
distinct certificate is parsed once (by DER hash) and each distinct (chain, hostname, pins, time)
is verified once. Thread-safe.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from thumbprint_remediator.models import (
    CertificateInfo,
    ChainSample,
    Endpoint,
    HostCapture,
    ProbeResult,
    Role,
    TrustResult,
)
from thumbprint_remediator.probe import (
    UNREACHABLE,
    OidcProber,
    _EndpointSession,
    _ProbeError,
    certificate_info,
)

# Failures that mean the function itself could not connect to an address: noted, not blamed on the issuer.
CONNECT_FAILURES = frozenset({"connection_refused", "connect_timeout", "connect_failed"})


class TrustVerifier(Protocol):
    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult: ...


@dataclass
class _Sampled:
    """One sampled handshake: the sample, and its open connection when it succeeded."""

    sample: ChainSample
    tls: ssl.SSLSocket | None = None
    tls_version: str | None = None
    accepts_tls12: bool | None = None
    handshakes: int = 0
    error: _ProbeError | None = None


class SharedEndpoint:
    """One endpoint of a sweep: its capture (done once) and its pool of kept-alive connections."""

    def __init__(self, pool: EndpointPool, endpoint: Endpoint) -> None:
        self.pool = pool
        self.endpoint = endpoint
        self._condition = threading.Condition()
        self._state = "new"  # new -> capturing -> captured | failed
        self._error: _ProbeError | None = None
        self.presented_chain: tuple[CertificateInfo, ...] = ()
        self.tls_version: str | None = None
        self.accepts_tls12: bool | None = None
        self.samples: tuple[ChainSample, ...] = ()
        self._addresses: list[tuple[Any, ...]] | None = None  # resolved once, for every provider
        self._idle: list[tuple[ssl.SSLSocket, bool]] = []  # (connection, has carried a request)
        self._open = 0  # connections idle or in use
        self.handshakes = 0

    # --- capture, once ------------------------------------------------------------------------

    def ensure_captured(self, session: _EndpointSession) -> None:
        """Sample the endpoint if nobody has yet, else wait for it; raise its failure, if any, for `session`."""
        with self._condition:
            while self._state == "capturing":
                self._condition.wait(session.operation_timeout(session.limits.host_budget))
            first = self._state == "new"
            if first:
                self._state = "capturing"
        if first:
            try:
                self._sample(session)
            except _ProbeError as error:
                self._finish("failed", error)
            except BaseException:
                self._finish("new", None)  # e.g. the budget ran out while resolving: the next provider retries
                raise
            else:
                self._finish("captured", None)
        with self._condition:
            stored = self._error
        if stored is not None:
            raise _ProbeError(stored.kind, stored.code, stored.detail)
        session._addresses = self._addresses
        session.presented_chain = self.presented_chain
        session.tls_version = self.tls_version
        session.accepts_tls12 = self.accepts_tls12

    def _finish(self, state: str, error: _ProbeError | None) -> None:
        with self._condition:
            self._state, self._error = state, error
            self._condition.notify_all()

    def _sample(self, session: _EndpointSession) -> None:
        limits = session.limits
        resolved = session._resolve()
        session._addresses = self._addresses = resolved
        addresses = list(dict.fromkeys(str(entry[4][0]) for entry in resolved))[: max(limits.sample_addresses, 1)]
        rounds = 1 + max(limits.samples_per_address, 0)
        plan = [address for address in addresses for _ in range(rounds)]
        results: list[_Sampled | None] = [None] * len(plan)

        def take(index: int) -> None:
            results[index] = self._take_sample(session, plan[index])

        # In parallel (the first on this thread): sampling costs one handshake's time, not one per sample.
        threads = [
            threading.Thread(target=take, args=(index,), name=f"sample {self.endpoint}", daemon=True)
            for index in range(1, len(plan))
        ]
        for thread in threads:
            thread.start()
        take(0)
        for thread in threads:
            thread.join(max(session.deadline - time.monotonic(), 0) + 1)
        taken = [result for result in results if result is not None]
        session.handshakes += sum(result.handshakes for result in taken)
        with self._condition:
            self.handshakes += sum(result.handshakes for result in taken)
        taken = _one_per_unreachable_address(taken)
        self.samples = tuple(result.sample for result in taken)
        succeeded = [result for result in taken if result.tls is not None]
        if not succeeded:
            first = next((result.error for result in taken if result.error is not None), None)
            raise first or _ProbeError(UNREACHABLE, "host_budget_exceeded", "sampling did not finish in time")
        primary = succeeded[0]
        self.presented_chain = primary.sample.presented_chain
        self.tls_version = primary.tls_version
        self.accepts_tls12 = primary.accepts_tls12
        # The primary sample first: the report's presented_chain is samples[0]'s.
        self.samples = (primary.sample, *(result.sample for result in taken if result is not primary))
        with self._condition:
            for result in succeeded:
                assert result.tls is not None
                if self._open < session.limits.connections_per_endpoint:
                    self._idle.append((result.tls, False))  # sampled connections serve the documents
                    self._open += 1
                else:
                    result.tls.close()

    def _take_sample(self, session: _EndpointSession, address: str) -> _Sampled:
        """One handshake with `address` on a fresh connection, under `session`'s deadline."""
        probe = _EndpointSession(session.prober, self.endpoint, Role.DISCOVERY)
        probe.deadline = session.deadline
        probe._addresses = session._addresses
        try:
            tls = probe.open_tls(address)
            try:
                probe._capture(tls, self.pool.certificate_info)
            except BaseException:
                tls.close()
                raise
        except _ProbeError as error:
            reachable = error.code not in CONNECT_FAILURES
            return _Sampled(
                ChainSample(address, failure=error.failure(self.endpoint), reachable=reachable),
                handshakes=probe.handshakes,
                error=error,
            )
        except TimeoutError:
            timed_out = probe._timed_out("tls_handshake_timeout", "the TLS handshake")
            return _Sampled(
                ChainSample(address, failure=timed_out.failure(self.endpoint)),
                handshakes=probe.handshakes,
                error=timed_out,
            )
        return _Sampled(
            ChainSample(address, presented_chain=probe.presented_chain),
            tls=tls,
            tls_version=probe.tls_version,
            accepts_tls12=probe.accepts_tls12,
            handshakes=probe.handshakes,
        )

    # --- connections, pooled ------------------------------------------------------------------

    def acquire(self, session: _EndpointSession) -> tuple[ssl.SSLSocket, bool]:
        """An idle kept-alive connection (and whether it carried a request before), or a new one."""
        with self._condition:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._open < session.limits.connections_per_endpoint:
                    self._open += 1
                    break
                self._condition.wait(session.operation_timeout(session.limits.host_budget))
        before = session.handshakes
        try:
            tls = session.open_tls()
        except BaseException:
            with self._condition:
                self._open -= 1
                self.handshakes += session.handshakes - before
                self._condition.notify()
            raise
        with self._condition:
            self.handshakes += session.handshakes - before
        return tls, False

    def release(self, tls: ssl.SSLSocket, *, reusable: bool) -> None:
        """Give a connection back: kept alive for the next provider, or closed."""
        with self._condition:
            if reusable and not self.pool.closed:
                self._idle.append((tls, True))
            else:
                tls.close()
                self._open -= 1
            self._condition.notify()

    def close(self) -> None:
        with self._condition:
            for tls, _ in self._idle:
                tls.close()
            self._open -= len(self._idle)
            self._idle.clear()


def _one_per_unreachable_address(taken: Sequence[_Sampled]) -> list[_Sampled]:
    """An address the function cannot connect to is one sample, however many handshakes were planned."""
    kept: list[_Sampled] = []
    unreachable: set[str] = set()
    for result in taken:
        if not result.sample.reachable:
            if result.sample.address in unreachable:
                continue
            unreachable.add(result.sample.address)
        kept.append(result)
    return kept


class EndpointPool:
    """Everything one sweep shares between its providers. Open one per sweep; close it at the end."""

    def __init__(self, prober: OidcProber) -> None:
        self.prober = prober
        self.closed = False
        self._lock = threading.Lock()
        self._endpoints: dict[tuple[str, int], SharedEndpoint] = {}
        self._certificates: dict[bytes, CertificateInfo] = {}
        self._verdicts: dict[tuple[Any, ...], TrustResult] = {}
        self.certificates_parsed = 0
        self.verifications = 0

    def __enter__(self) -> EndpointPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def probe(self, provider_url: str) -> ProbeResult:
        """The prober's probe of `provider_url`, sharing this sweep's endpoints."""
        return self.prober.probe(provider_url, self)

    def session(self, endpoint: Endpoint, role: Role) -> _EndpointSession:
        """A provider's session with `endpoint`, backed by the endpoint's shared capture and pool."""
        key = (endpoint.host.lower(), endpoint.port)
        with self._lock:
            shared = self._endpoints.get(key)
            if shared is None:
                shared = self._endpoints[key] = SharedEndpoint(self, endpoint)
        return _EndpointSession(self.prober, endpoint, role, shared)

    @property
    def handshakes(self) -> int:
        """TLS handshakes this sweep made, all endpoints together."""
        with self._lock:
            return sum(shared.handshakes for shared in self._endpoints.values())

    def certificate_info(self, der: bytes) -> CertificateInfo:
        """`probe.certificate_info`, parsed once per distinct certificate of the sweep."""
        key = hashlib.sha256(der).digest()
        with self._lock:
            known = self._certificates.get(key)
        if known is not None:
            return known
        info = certificate_info(der)
        with self._lock:
            self.certificates_parsed += 1
            return self._certificates.setdefault(key, info)

    def evaluate(
        self, verifier: TrustVerifier, capture: HostCapture, pinned: Collection[str], now: datetime
    ) -> TrustResult:
        """`verifier.evaluate`, once per distinct (chain, hostname, pins, time) of the sweep."""
        if not capture.presented_chain:
            return verifier.evaluate(capture, pinned, now)
        key = (
            tuple(certificate.sha1 for certificate in capture.presented_chain),
            capture.endpoint.host.lower(),
            frozenset(value.lower() for value in pinned),
            now,
        )
        with self._lock:
            known = self._verdicts.get(key)
        if known is not None:
            return known
        verdict = verifier.evaluate(capture, pinned, now)
        with self._lock:
            self.verifications += 1
            return self._verdicts.setdefault(key, verdict)

    def evaluate_samples(
        self, verifier: TrustVerifier, capture: HostCapture, pinned: Collection[str], now: datetime
    ) -> tuple[TrustResult | None, ...]:
        """The verdict on each sampled chain of `capture` (None for a sample that presented none)."""
        return tuple(
            self.evaluate(verifier, replace(capture, presented_chain=sample.presented_chain), pinned, now)
            if sample.presented_chain
            else None
            for sample in capture.samples
        )

    def close(self) -> None:
        """Close every kept-alive connection (idempotent)."""
        with self._lock:
            self.closed = True
            endpoints = list(self._endpoints.values())
        for shared in endpoints:
            shared.close()
