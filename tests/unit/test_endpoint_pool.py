"""The per-sweep pool's memo: each distinct certificate parsed once, each distinct chain verified once."""

from __future__ import annotations

import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding

from sandbox.pki import default_pki
from tests.unit.builders import NOW, capture
from thumbprint_remediator.models import HostCapture, Trust, TrustResult
from thumbprint_remediator.probe import OidcProber


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
