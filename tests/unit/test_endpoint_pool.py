"""The per-sweep pool's memo (each distinct certificate parsed once, each distinct chain verified once) and its parallel
sampling (one deadline for all, nothing finished late left open)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding

from sandbox.pki import default_pki
from tests.unit.builders import NOW, capture
from thumbprint_remediator.domain.models import HostCapture, Trust, TrustResult
from thumbprint_remediator.tls.endpoints import in_parallel
from thumbprint_remediator.tls.probe import OidcProber


class CountingVerifier:
    """Verifies nothing; counts how often it is asked, per chain."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult:
        with self._lock:
            self.calls += 1
        return TrustResult(Trust.PUBLIC, verified_path=tuple(c.sha1 for c in capture.presented_chain))


def test_each_distinct_chain_is_verified_once_per_sweep() -> None:
    # Given 50 providers presenting the same chain and 50 another, with the same pins
    verifier = CountingVerifier()
    same, other = capture(["leaf", "ca-a"]), capture(["leaf-b", "ca-b"])
    with OidcProber().sweep_pool() as pool, ThreadPoolExecutor(8) as threads:
        # When every provider's chain is evaluated through the pool, concurrently
        verdicts = list(threads.map(lambda host: pool.evaluate(verifier, host, {"ab" * 20}, NOW), [same, other] * 50))
        # Then the verifier ran at most twice per distinct chain (two threads may race the first), and answers agree
        assert 2 <= verifier.calls <= 2 * 8
        assert pool.verifications == 2
    assert {verdict.verified_path for verdict in verdicts} == {
        tuple(c.sha1 for c in same.presented_chain),
        tuple(c.sha1 for c in other.presented_chain),
    }


def test_different_pins_are_verified_apart() -> None:
    # Given one chain evaluated under two different pin sets
    verifier = CountingVerifier()
    host = capture(["leaf", "ca-a"])
    with OidcProber().sweep_pool() as pool:
        pool.evaluate(verifier, host, {"aa" * 20}, NOW)
        pool.evaluate(verifier, host, {"bb" * 20}, NOW)
        pool.evaluate(verifier, host, {"aa" * 20}, NOW)
    # Then continuity trust (which depends on the pins) is never reused across pin sets
    assert verifier.calls == 2


def test_each_distinct_certificate_is_parsed_once_per_sweep() -> None:
    # Given one sandbox certificate seen 20 times
    der = default_pki().chain("public").certificates[-1].public_bytes(Encoding.DER)
    with OidcProber().sweep_pool() as pool:
        infos = [pool.certificate_info(der) for _ in range(20)]
        # Then it was parsed once and every caller got the same description
        assert pool.certificates_parsed == 1
    assert len({id(info) for info in infos}) == 1


# --- sampling's parallel work: one deadline for all, nothing finished late left open --------------------------


def test_parallel_sampling_waits_for_one_deadline_not_one_per_task() -> None:
    # Given four tasks of which three block well past the deadline (as sampling threads on a starved CPU)
    release = threading.Event()
    late: list[str] = []

    def blocked(name: str) -> str:
        release.wait(10)
        return name

    tasks: list[Callable[[], str]] = [
        lambda: "first",
        *(functools.partial(blocked, f"late {index}") for index in range(3)),
    ]
    started = time.monotonic()
    # When they run until a deadline 0.2 s away
    results = in_parallel(tasks, started + 0.2, "test", late.append)
    waited = time.monotonic() - started
    # Then the wait ends at that one deadline (not a grace per task), with the unfinished ones missing
    assert results == ["first", None, None, None]
    assert waited < 0.2 + 1.0  # a per-task second of grace would make it 3.2 s
    # And what the late ones finish with is handed over to be closed, not dropped
    release.set()
    deadline = time.monotonic() + 5
    while len(late) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(late) == ["late 0", "late 1", "late 2"]
