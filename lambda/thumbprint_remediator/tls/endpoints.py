"""One sweep's shared endpoints: each (host, port) captured once, its backends sampled, its connections pooled.

Every EKS cluster of a region is a provider on the same host, and a host is often many servers
presenting different chains. An `EndpointPool` lives for one sweep (the sweeper opens and closes
it): the first provider to reach an endpoint samples it — up to `sample_addresses` of its A/AAAA
addresses, and per address `samples_per_address` more handshakes on fresh connections; when several
addresses answer, each is also asked for that provider's first document, so that a backend failing
only at the document stage is the endpoint's finding — and every other provider on it shares that
capture (or its failure) and a bounded pool of keep-alive connections, opened only to the addresses
sampling found healthy, for its own documents.

An endpoint has one budget and one fate. Its clock runs while at least one provider captures, waits
for a connection or fetches on it, and stops while none does; once `host_budget` seconds have run
(or the capture failed), every provider still on it gets that judgment at once, naming the endpoint.
Other endpoints keep their time.

It also memoizes what is the same for every provider: each distinct certificate is parsed once (by
DER hash) and each distinct (chain, hostname, pins, time) is verified once. Thread-safe.

Connections are kept alive by hand, on http.client, rather than by urllib3's pool (in the Lambda
runtime through botocore): the chain must be captured exactly as each address presented it, every
connection must go to an address sampling chose, and every read is bounded by the endpoint's budget.
urllib3 checks a connection only before reuse (readable means dropped); here a connection goes back
to the pool only when it is provably in step (`connection.Connection.poll`), is checked again before
reuse, and a response read on a reused connection is trusted only when nothing followed it and the
document names the provider (fetch_json retries on a fresh connection otherwise).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

from thumbprint_remediator.domain.models import (
    CertificateInfo,
    ChainSample,
    Endpoint,
    HostCapture,
    ProbeResult,
    Role,
    TrustResult,
)
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.tls.certificates import certificate_info
from thumbprint_remediator.tls.connection import (
    QUIET,
    Connection,
    EndpointSession,
    ProbeError,
    Prober,
)

# Failures that mean the function itself could not connect to an address: noted, not blamed on the issuer.
CONNECT_FAILURES = frozenset({"connection_refused", "connect_timeout", "connect_failed"})

_Result = TypeVar("_Result")


class SweepProber(Prober, Protocol):
    """What a sweep's pool uses of its prober (probe.OidcProber): what its sessions need, and the probe itself."""

    def probe(self, provider_url: str, pool: EndpointPool) -> ProbeResult: ...


class TrustVerifier(Protocol):
    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult: ...


@dataclass
class _Sampled:
    """One sampled handshake: the sample, and its open connection when it succeeded."""

    sample: ChainSample
    connection: Connection | None = None
    tls_version: str | None = None
    accepts_tls12: bool | None = None
    handshakes: int = 0
    error: ProbeError | None = None


def in_parallel(
    tasks: Sequence[Callable[[], _Result]], deadline: float, name: str, discard_late: Callable[[_Result], None]
) -> list[_Result | None]:
    """Run `tasks` at once (the first on this thread) until `deadline`, one deadline for all: their results,
    None for those unfinished by then. A task that finishes later has its result given to `discard_late`."""
    finished = threading.Condition()
    results: list[_Result | None] = [None] * len(tasks)
    done = [False] * len(tasks)
    concluded = [False]

    def run(index: int) -> None:
        result: _Result | None = None
        try:
            result = tasks[index]()
        finally:
            with finished:
                late = concluded[0]
                if not late:
                    results[index], done[index] = result, True
                    finished.notify_all()
            if late and result is not None:
                discard_late(result)

    threads = [threading.Thread(target=run, args=(index,), name=name, daemon=True) for index in range(1, len(tasks))]
    for thread in threads:
        thread.start()
    try:
        run(0)
    except BaseException:
        with finished:
            concluded[0] = True
            collected = [result for result in results if result is not None]
        for result in collected:
            discard_late(result)
        raise
    with finished:
        while not all(done) and (left := deadline - time.monotonic()) > 0:
            finished.wait(left)
        concluded[0] = True
        return list(results)


def _close_sampled(sampled: _Sampled) -> None:
    if sampled.connection is not None:
        sampled.connection.discard()


def _close_connection(connection: Connection | None) -> None:
    if connection is not None:
        connection.discard()


class SharedEndpoint:
    """One endpoint of a sweep: its capture (done once), its pool of kept-alive connections, its budget."""

    def __init__(self, pool: EndpointPool, endpoint: Endpoint) -> None:
        self.pool = pool
        self.endpoint = endpoint
        self.limits = pool.prober.limits
        self._condition = threading.Condition()  # guards everything below
        self._state = "new"  # new -> capturing -> captured | failed
        self._fate: ProbeError | None = None  # once set, every provider still on the endpoint gets it
        self.presented_chain: tuple[CertificateInfo, ...] = ()
        self.tls_version: str | None = None
        self.accepts_tls12: bool | None = None
        self.samples: tuple[ChainSample, ...] = ()
        self._addresses: list[tuple[Any, ...]] | None = None  # resolved once, for every provider
        self._healthy: list[str] = []  # addresses new connections go to: those sampling found healthy
        self._answering = 0  # distinct addresses whose handshake succeeded when sampled
        self._turn = 0
        self._idle: list[Connection] = []
        self._busy: set[Connection] = set()
        self._count = 0  # connections idle, busy or being opened
        self.handshakes = 0
        self.closed = False
        # The endpoint's clock: seconds spent before the current stretch of work, providers at work, since when.
        self._spent = 0.0
        self._active = 0
        self._since = 0.0

    # --- one budget -----------------------------------------------------------------------------

    def _deadline_locked(self, now: float) -> float:
        left = self.limits.host_budget - self._spent
        return (self._since if self._active else now) + left

    def deadline(self) -> float:
        """When the endpoint's budget runs out, if providers keep working on it without a pause."""
        with self._condition:
            return self._deadline_locked(time.monotonic())

    def enter(self) -> None:
        """A provider starts working on the endpoint (its clock runs); raises the endpoint's fate if judged."""
        with self._condition:
            self._raise_fate_locked()
            if self._active == 0:
                self._since = time.monotonic()
            self._active += 1

    def leave(self) -> None:
        with self._condition:
            self._active -= 1
            if self._active == 0:
                self._spent += time.monotonic() - self._since

    def budget_ran_out(self, address: str | None) -> None:
        """The budget is spent: every provider still on the endpoint is told so, none is tried any more."""
        with self._condition:
            self._judge_locked(self._out_of_budget(address))

    def _out_of_budget(self, address: str | None) -> ProbeError:
        where = f", waiting on address {address}" if address and self.several_addresses else ""
        return ProbeError(
            Status.UNREACHABLE,
            "host_budget_exceeded",
            f"not served: the endpoint's {self.limits.host_budget:g} s budget (one for all the providers on it) "
            f"ran out{where}",
        )

    # --- one fate -------------------------------------------------------------------------------

    @property
    def judged(self) -> bool:
        return self._fate is not None

    def _judge_locked(self, error: ProbeError) -> ProbeError:
        if self._fate is None:
            self._fate = error
            self._condition.notify_all()
        return self._fate

    def _raise_fate_locked(self) -> None:
        fate = self._fate
        if fate is not None:
            raise ProbeError(fate.kind, fate.code, fate.detail, fate.absence, fate.missing_bucket)

    def _wait_locked(self) -> None:
        """Wait for a change (a capture done, a connection back), at most until the budget runs out."""
        now = time.monotonic()
        left = self._deadline_locked(now) - now
        if left <= 0:
            self._judge_locked(self._out_of_budget(None))
            self._raise_fate_locked()
        self._condition.wait(left)

    # --- capture, once ------------------------------------------------------------------------

    @property
    def several_addresses(self) -> bool:
        """Whether more than one address answered sampling (messages then name the address they are about)."""
        return self._answering > 1

    def ensure_captured(self, session: EndpointSession, target: str) -> None:
        """Sample the endpoint (asking for `target`) if nobody has yet, else wait for it; raise its fate, if any."""
        with self._condition:
            while True:
                self._raise_fate_locked()
                if self._state != "capturing":
                    break
                self._wait_locked()
            first = self._state == "new"
            if first:
                self._state = "capturing"
        if first:
            try:
                self._sample(session, target)
            except ProbeError as error:
                with self._condition:
                    self._state = "failed"
                    self._judge_locked(error)
            except BaseException:
                with self._condition:
                    self._state = "new"  # a bug, not the endpoint's fault: the next provider tries again
                    self._condition.notify_all()
                raise
            else:
                with self._condition:
                    self._state = "captured"
                    self._condition.notify_all()
        with self._condition:
            self._raise_fate_locked()
        self.share_capture(session)

    def share_capture(self, session: EndpointSession) -> None:
        """Give `session` the endpoint's capture, once there is one (also to a provider judged without being
        served: the chain was presented all the same)."""
        if self._state != "captured":
            return
        session.addresses = self._addresses
        session.presented_chain = self.presented_chain
        session.tls_version = self.tls_version
        session.accepts_tls12 = self.accepts_tls12

    def _sample(self, session: EndpointSession, target: str) -> None:
        limits = self.limits
        resolved = session.resolve()
        session.addresses = self._addresses = resolved
        addresses = list(dict.fromkeys(str(entry[4][0]) for entry in resolved))[: max(limits.sample_addresses, 1)]
        rounds = 1 + max(limits.samples_per_address, 0)
        plan = [address for address in addresses for _ in range(rounds)]
        deadline = session.deadline  # fixed while the capturing provider works on the endpoint
        # In parallel (the first on this thread): sampling costs one handshake's time, not one per sample.
        results = in_parallel(
            [functools.partial(self._take_sample, session, address, deadline) for address in plan],
            deadline,
            f"sample {self.endpoint}",
            _close_sampled,
        )
        taken = [result for result in results if result is not None]
        session.handshakes += sum(result.handshakes for result in taken)
        with self._condition:
            self.handshakes += sum(result.handshakes for result in taken)
        taken = _one_per_unreachable_address(taken)
        self.samples = tuple(result.sample for result in taken)
        succeeded = [result for result in taken if result.connection is not None]
        if not succeeded:
            first = next((result.error for result in taken if result.error is not None), None)
            raise first or session.timed_out("tls_handshake_timeout", "sampling its addresses")
        try:
            healthy = self._check_documents(session, succeeded, target, deadline)
        except BaseException:
            for result in succeeded:
                _close_sampled(result)
            raise
        primary = next(result for result in succeeded if result.sample.address in healthy)
        self.presented_chain = primary.sample.presented_chain
        self.tls_version = primary.tls_version
        self.accepts_tls12 = primary.accepts_tls12
        # The primary sample first: the report's presented_chain is samples[0]'s.
        self.samples = (primary.sample, *(result.sample for result in taken if result is not primary))
        with self._condition:
            self._healthy = healthy
            for result in succeeded:
                connection, result.connection = result.connection, None
                if connection is None:
                    continue
                keep = not self.closed and connection.address in healthy
                if keep and self._count < limits.connections_per_endpoint:
                    connection.idled = True
                    self._idle.append(connection)  # sampled connections serve the documents
                    self._count += 1
                else:
                    connection.discard()

    def _take_sample(self, session: EndpointSession, address: str, deadline: float) -> _Sampled:
        """One handshake with `address` on a fresh connection, within `deadline`."""
        probe = EndpointSession(session.prober, self.endpoint, Role.DISCOVERY)
        probe.fixed_deadline = deadline
        probe.addresses = session.addresses
        try:
            tls = probe.open_tls(address)
            try:
                probe.record_chain(tls, self.pool.certificate_info)
            except BaseException:
                tls.close()
                raise
        except ProbeError as error:
            reachable = error.code not in CONNECT_FAILURES
            return _Sampled(
                ChainSample(address, failure=error.failure(self.endpoint), reachable=reachable),
                handshakes=probe.handshakes,
                error=error,
            )
        except TimeoutError:
            timed_out = probe.timed_out("tls_handshake_timeout", "the TLS handshake")
            return _Sampled(
                ChainSample(address, failure=timed_out.failure(self.endpoint)),
                handshakes=probe.handshakes,
                error=timed_out,
            )
        return _Sampled(
            ChainSample(address, presented_chain=probe.presented_chain),
            connection=Connection(tls, address),
            tls_version=probe.tls_version,
            accepts_tls12=probe.accepts_tls12,
            handshakes=probe.handshakes,
        )

    def _check_documents(
        self, session: EndpointSession, succeeded: list[_Sampled], target: str, deadline: float
    ) -> list[str]:
        """The addresses new connections may go to. When several addresses hand-shook, each is asked for
        `target` on one of its sampled connections: an address that fails where another answers is a backend
        failing at the document stage (its sample says so); when all fail alike, no address is to blame."""
        firsts = {result.sample.address: result for result in reversed(succeeded)}
        addresses = list(dict.fromkeys(result.sample.address for result in succeeded))
        self._answering = len(addresses)
        if len(addresses) < 2:
            return addresses

        def check(address: str) -> tuple[Connection | None, ProbeError | None]:
            probe = EndpointSession(session.prober, self.endpoint, Role.DISCOVERY)
            probe.fixed_deadline = deadline
            connection = firsts[address].connection
            assert connection is not None
            return probe.try_exchange(connection, target)

        outcomes = in_parallel(
            [functools.partial(check, address) for address in addresses],
            deadline,
            f"check {self.endpoint}",
            lambda late: _close_connection(late[0]),
        )
        for address, outcome in zip(addresses, outcomes, strict=True):
            # A check's connection is what it returned: kept in step, or None (closed, or a late check's to close).
            firsts[address].connection = outcome[0] if outcome is not None else None
        if any(outcome is None for outcome in outcomes):
            raise session.timed_out("read_timeout", f"asking its addresses for {target}")
        errors = [outcome[1] if outcome is not None else None for outcome in outcomes]
        failed = {address: error for address, error in zip(addresses, errors, strict=True) if error is not None}
        answered = [address for address in addresses if address not in failed]
        if not failed or not answered:
            return addresses  # every address answered, or none did: nothing tells one backend from another
        for address, error in failed.items():
            sampled = firsts[address]
            sampled.sample = replace(sampled.sample, failure=error.failure(self.endpoint))
            for result in succeeded:
                if result.sample.address == address:
                    _close_connection(result.connection)
                    result.connection = None
        return answered

    # --- connections, pooled ------------------------------------------------------------------

    def _next_address_locked(self, avoid: str | None) -> str | None:
        candidates = [address for address in self._healthy if address != avoid] or self._healthy
        if not candidates:
            return None
        self._turn += 1
        return candidates[self._turn % len(candidates)]

    def has_other_address(self, address: str) -> bool:
        """Whether new connections could go to a healthy address other than `address`."""
        with self._condition:
            return any(other != address for other in self._healthy)

    def acquire(self, session: EndpointSession, *, fresh: bool = False, avoid: str | None = None) -> Connection:
        """An idle kept-alive connection that is still in step (unless `fresh`), or a new one to a healthy
        address (other than `avoid` when there is one). Waits while all are in use, within the budget."""
        while True:
            idle: Connection | None = None
            evicted: Connection | None = None
            with self._condition:
                self._raise_fate_locked()
                if self._idle and not fresh:
                    idle = self._idle.pop()
                elif self._count < self.limits.connections_per_endpoint:
                    self._count += 1
                    address = self._next_address_locked(avoid)
                    break
                elif self._idle:  # a fresh one is wanted and all are idle: make room
                    evicted = self._idle.pop(0)
                    self._count -= 1
                else:
                    self._wait_locked()
            if evicted is not None:
                evicted.discard()
                continue
            if idle is not None:
                if idle.poll() == QUIET:
                    with self._condition:
                        self._busy.add(idle)
                    return idle
                self._forget(idle)  # closed meanwhile, or bytes nobody asked for: never reused
        return self._open_new(session, address)

    def _open_new(self, session: EndpointSession, address: str | None) -> Connection:
        before = session.handshakes
        session.last_address = address
        try:
            tls = session.open_tls(address)
        except BaseException:
            with self._condition:
                self._count -= 1
                self.handshakes += session.handshakes - before
                self._condition.notify()
            raise
        connection = Connection(tls, address or str(tls.getpeername()[0]))
        with self._condition:
            self.handshakes += session.handshakes - before
            self._busy.add(connection)
        return connection

    def _forget(self, connection: Connection) -> None:
        connection.discard()
        with self._condition:
            self._busy.discard(connection)
            self._count -= 1
            self._condition.notify()

    def release(self, connection: Connection, *, reusable: bool) -> None:
        """Give a connection back: kept alive for the next provider when `reusable` (the session found it in step
        right after its last response; the next user polls it again before use)."""
        with self._condition:
            self._busy.discard(connection)
            keep = reusable and not self.closed and connection.address in self._healthy
            if keep:
                connection.idled = True
                self._idle.append(connection)
            else:
                self._count -= 1
            self._condition.notify()
        if not keep:
            connection.discard()

    def backend_failed(self, address: str, error: ProbeError) -> None:
        """`address` failed an exchange another address then served: no new connection goes there, and the
        providers judged from now on see it as a failing backend of the endpoint."""
        with self._condition:
            if address not in self._healthy or len(self._healthy) < 2:
                return
            self._healthy.remove(address)
            self.samples = (*self.samples, ChainSample(address, failure=error.failure(self.endpoint)))
            dropped = [connection for connection in self._idle if connection.address == address]
            self._idle = [connection for connection in self._idle if connection.address != address]
            self._count -= len(dropped)
            self._condition.notify_all()
        for connection in dropped:
            connection.discard()

    def close(self) -> None:
        """The sweep is over: close idle connections, interrupt busy ones, and wake every waiting provider."""
        with self._condition:
            self.closed = True
            self._judge_locked(
                ProbeError(Status.UNREACHABLE, "sweep_ended", "the sweep ended before this provider was served")
            )
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            busy = list(self._busy)
            self._condition.notify_all()
        for connection in idle:
            connection.discard()
        for connection in busy:
            connection.interrupt()  # its owner sees the connection closed, finishes and closes it


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

    def __init__(self, prober: SweepProber) -> None:
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

    def session(self, endpoint: Endpoint, role: Role) -> EndpointSession:
        """A provider's session with `endpoint`, backed by the endpoint's shared capture and pool."""
        key = (endpoint.host.lower(), endpoint.port)
        with self._lock:
            shared = self._endpoints.get(key)
            if shared is None:
                shared = self._endpoints[key] = SharedEndpoint(self, endpoint)
        return EndpointSession(self.prober, endpoint, role, shared)

    @property
    def handshakes(self) -> int:
        """TLS handshakes this sweep made, all endpoints together."""
        with self._lock:
            return sum(shared.handshakes for shared in self._endpoints.values())

    def certificate_info(self, der: bytes) -> CertificateInfo:
        """`certificates.certificate_info`, parsed once per distinct certificate of the sweep."""
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
