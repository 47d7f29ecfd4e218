"""What the benchmark sweeps: providers on sandbox issuers with injected latency, and dead hosts.

Live providers alternate between a `healthy` issuer (discovery and JWKS on one host) and a
`separate_jwks_host` one, so any N >= 2 has half of each; every provider has its own issuer and pins
its live thumbprints, so a sweep reads and verifies everything but writes nothing. `use` makes the
emulated account hold exactly a given list, so the handler sweeps every provider of the account.

Dead hosts come in two kinds. `hung` is the sandbox behaviour that accepts and never answers (the
TLS handshake hits READ_TIMEOUT_SECONDS). `black_hole` stands in for dropped packets, as the kernel
has no netem: a listener that never accepts, with its accept queue already full, so the kernel
drops every further SYN and the client's connect() hits CONNECT_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.issuers import Issuer
from thumbprint_remediator.domain.models import Endpoint

LIVE_KINDS = ("healthy", "separate_jwks_host")
DEAD_KINDS = ("hung", "black_hole")


@dataclass(frozen=True)
class BenchProvider:
    """A provider the benchmark may register, and what the documented procedure would hash for it."""

    kind: str
    url: str
    pinned: tuple[str, ...]
    # The endpoints IAM needs a thumbprint of (discovery host, and the JWKS host when separate),
    # with the SHA-1 of the last certificate each presents (None: presents none).
    hosts: tuple[tuple[Endpoint, str | None], ...]
    issuer: Issuer | None = field(default=None, repr=False)

    @property
    def handshakes(self) -> int:
        """TLS handshakes the issuer has seen so far, on all its endpoints."""
        return self.issuer.handshakes if self.issuer is not None else 0

    @property
    def connections(self) -> int:
        return self.issuer.connections if self.issuer is not None else 0


def _from_issuer(issuer: Issuer, kind: str) -> BenchProvider:
    expected = issuer.expected_thumbprints
    hosts = tuple((item.endpoint, expected.get(item.endpoint)) for item in issuer.endpoints)
    pinned = tuple(expected.values()) or (stale_thumbprint(issuer.name),)
    return BenchProvider(kind, issuer.url, pinned, hosts, issuer)


class BlackHole:
    """A loopback port that drops SYNs: a listener that never accepts, its one-slot accept queue full."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(2):  # the first completes and fills the queue; the second waits in SYN_SENT
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((host, self.port))
            self._fillers.append(filler)
        self._check(host)

    def _check(self, host: str) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.3)
            try:
                probe.connect((host, self.port))
            except TimeoutError:
                return  # dropped, as wanted
            except OSError:
                pass
            finally:
                probe.close()
        self.close()
        raise RuntimeError("this kernel completes connections to a listener with a full accept queue")

    def close(self) -> None:
        for item in (*self._fillers, self._listener):
            item.close()
        self._fillers.clear()


class Scene:
    """The providers of one benchmark run, on one sandbox; `use` decides which the account holds."""

    def __init__(self, sandbox: Sandbox, latency: float) -> None:
        self.sandbox = sandbox
        self.latency = latency
        self.live: list[BenchProvider] = []
        self.dead: dict[str, list[BenchProvider]] = {kind: [] for kind in DEAD_KINDS}
        self._black_holes: list[BlackHole] = []
        self._registered: dict[str, str] = {}  # url -> ARN, what the account holds now

    def grow_live(self, count: int) -> list[BenchProvider]:
        """At least `count` live providers exist (not yet registered); returns the first `count`."""
        missing = count - len(self.live)
        if missing > 0:
            first = len(self.live)
            kinds = [LIVE_KINDS[(first + index) % 2] for index in range(missing)]
            made = {
                kind: iter(self.sandbox.fleet.add_many(kind, kinds.count(kind), latency=self.latency))
                for kind in LIVE_KINDS
                if kinds.count(kind)
            }
            self.live.extend(_from_issuer(next(made[kind]), kind) for kind in kinds)
        return self.live[:count]

    def grow_dead(self, kind: str, count: int) -> list[BenchProvider]:
        """At least `count` dead providers of `kind` exist; returns the first `count`."""
        pool = self.dead[kind]
        while len(pool) < count:
            if kind == "hung":
                pool.append(_from_issuer(self.sandbox.fleet.add("hung", latency=self.latency), kind))
            else:
                hole = BlackHole()
                self._black_holes.append(hole)
                url = f"localhost:{hole.port}"
                pool.append(
                    BenchProvider(kind, url, (stale_thumbprint(url),), ((Endpoint("localhost", hole.port), None),))
                )
        return pool[:count]

    def use(self, providers: Sequence[BenchProvider]) -> None:
        """Make the emulated account hold exactly these providers."""
        wanted = {provider.url: provider for provider in providers}
        iam = self.sandbox.account.client("iam")
        for url in [url for url in self._registered if url not in wanted]:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=self._registered.pop(url))
        for url, provider in wanted.items():
            if url not in self._registered:
                self._registered[url] = self.sandbox.account.create_provider(url, provider.pinned)

    def close(self) -> None:
        for hole in self._black_holes:
            hole.close()
        self._black_holes.clear()
