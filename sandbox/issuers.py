"""Local OIDC issuers with real TLS: one asyncio loop in one background thread serves any number.

Each issuer listens on its own port of 127.0.0.1 (or ::1), does TLS itself with a chain from
`sandbox.pki`, and serves `/.well-known/openid-configuration` and a JWKS with keep-alive. How an
issuer behaves (its chain, TLS versions, answers, misbehaviour) is a named `Behaviour` from the
`BEHAVIOURS` registry; `register_behaviour` adds more.

    with IssuerFleet() as fleet:
        issuer = fleet.add("healthy")
        prober.probe(issuer.url)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import enum
import functools
import json
import logging
import resource
import socket
import ssl
import struct
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import Certificate

from sandbox.pki import PresentedChain, SandboxPki, default_pki
from thumbprint_remediator.domain.models import Endpoint, Role

LOGGER = logging.getLogger(__name__)
SERVER_HANDSHAKE_TIMEOUT: Final = 10.0
MAX_REQUEST_HEAD: Final = 16 * 1024
_REASONS: Final = {
    100: "Continue",
    103: "Early Hints",
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Transport(enum.Enum):
    """What an issuer does with an accepted connection."""

    TLS = "tls"  # TLS handshake, then HTTP/1.1
    PLAIN_HTTP = "plain_http"  # HTTP without TLS on the port
    HUNG = "hung"  # accept, then never send or read anything
    RESET = "reset"  # accept, then reset the connection (RST)
    RESET_MID_HANDSHAKE = "reset_mid_handshake"  # read the ClientHello, send half the answer, then RST
    STALLED_HANDSHAKE = "stalled_handshake"  # read the ClientHello, send half the answer, then nothing

    @property
    def starts_tls(self) -> bool:
        """Whether the server side begins a TLS handshake (and so needs a context)."""
        return self in (Transport.TLS, Transport.RESET_MID_HANDSHAKE, Transport.STALLED_HANDSHAKE)


@dataclass(frozen=True)
class Request:
    """One HTTP request as an issuer's responder sees it."""

    issuer: Issuer
    endpoint: IssuerEndpoint
    method: str
    target: str  # path and query, as sent
    backend: str = ""  # the address the connection reached (a load-balanced or multi-address host has several)
    sequence: int = 0  # how many requests the endpoint answered before this one, on any connection

    @property
    def is_discovery(self) -> bool:
        return self.endpoint is self.issuer.discovery and self.target == self.issuer.discovery_target

    @property
    def is_jwks(self) -> bool:
        return self.endpoint is self.issuer.jwks and self.target == self.issuer.jwks_target


@dataclass(frozen=True)
class Reply:
    """One HTTP response, and how to send it."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False  # send Connection: close and close the connection afterwards
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    trickle: bool = False  # send the whole response one byte per the issuer's trickle_interval
    # A body produced piece by piece (instead of `body`), so that a huge one is never held in memory.
    stream: Callable[[], Iterable[bytes]] | None = None
    length: int | None = None  # with `stream` and not chunked: the Content-Length announced
    reason: str | None = None  # the status line's reason phrase (latin-1), instead of the usual one
    pace: float = 0.0  # with `stream`: seconds between pieces (a body that comes slowly, or never ends)
    # Kept-alive connections misbehaving, as shared hosts and the proxies in front of them do:
    version: str = "HTTP/1.1"  # the status line's version; an HTTP/1.0 reply closes unless `keep_alive`
    keep_alive: bool = False  # send Connection: keep-alive (how an HTTP/1.0 server keeps a connection open)
    close_silently: bool = False  # close the connection after the response without a Connection: close
    repeat_after: float | None = None  # send the whole response again, this many seconds later (0: in one write)
    stall_after: int | None = None  # send only this many bytes of the response, then go silent (0: nothing)
    interim: tuple[int, ...] = ()  # informational responses (e.g. 103 Early Hints) sent before this one

    @classmethod
    def json(cls, document: object, status: int = 200) -> Reply:
        return cls(status, json.dumps(document).encode())

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", "text/plain", headers=(("Location", location),))

    @classmethod
    def not_found(cls) -> Reply:
        return cls(404, b'{"error": "not found"}')


Responder = Callable[[Request], Reply]


def serve_oidc(request: Request) -> Reply:
    """The well-behaved answer: the discovery document, the JWKS, or 404."""
    if request.is_discovery:
        return Reply.json(request.issuer.discovery_document())
    if request.is_jwks:
        return Reply.json(request.issuer.jwks_document())
    return Reply.not_found()


def on_discovery(answer: Responder) -> Responder:
    """A responder that answers the discovery request with `answer` and everything else normally."""

    def respond(request: Request) -> Reply:
        return answer(request) if request.is_discovery else serve_oidc(request)

    return respond


def on_jwks(answer: Responder) -> Responder:
    """A responder that answers the JWKS request with `answer` and everything else normally."""

    def respond(request: Request) -> Reply:
        return answer(request) if request.is_jwks else serve_oidc(request)

    return respond


def with_discovery(**changes: object) -> Responder:
    """A responder whose discovery document has `changes` applied (a value of None removes the key)."""

    def answer(request: Request) -> Reply:
        document = request.issuer.discovery_document()
        for key, value in changes.items():
            if value is None:
                document.pop(key, None)
            else:
                document[key] = value
        return Reply.json(document)

    return on_discovery(answer)


@dataclass(frozen=True)
class Behaviour:
    """How an issuer behaves: what it presents on each endpoint and how it answers."""

    name: str
    summary: str
    chain: str = "public"  # a sandbox.pki chain recipe
    jwks_chain: str | None = None  # set: the JWKS lives on its own endpoint presenting this chain
    transport: Transport = Transport.TLS
    tls_versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None  # (minimum, maximum)
    require_client_certificate: bool = False
    respond: Responder = serve_oidc
    no_sni_chain: str | None = None  # set: clients that send no SNI get this chain instead
    # Set: a kept-alive connection left without a next request this long gets an unsolicited 408 Request
    # Timeout, then closes (what many servers do to idle keep-alive connections).
    idle_timeout: float | None = None


BEHAVIOURS: dict[str, Behaviour] = {}


def register_behaviour(behaviour: Behaviour) -> Behaviour:
    """Add a named behaviour to the catalogue."""
    if behaviour.name in BEHAVIOURS:
        raise ValueError(f"behaviour {behaviour.name!r} is already registered")
    BEHAVIOURS[behaviour.name] = behaviour
    return behaviour


def behaviour_named(name: str) -> Behaviour:
    try:
        return BEHAVIOURS[name]
    except KeyError:
        raise KeyError(f"unknown behaviour {name!r}; known: {', '.join(sorted(BEHAVIOURS))}") from None


@dataclass(eq=False)
class IssuerEndpoint:
    """One listening port of an issuer. Counters are updated by the server thread."""

    endpoint: Endpoint  # as URLs name it: host (also the SNI name) and port
    bind_address: str
    roles: tuple[Role, ...]
    chain: PresentedChain
    presents_chain: bool
    handshakes: int = 0  # TLS handshakes started (failed ones included)
    connections: int = 0
    open_connections: int = 0  # accepted and not yet closed (by either side)
    requests: int = 0  # requests read, on every connection and address together
    # When a client first and last reached it (a connection accepted, a request read): monotonic() seconds.
    first_contact: float | None = None
    last_contact: float | None = None

    def contacted(self) -> None:
        """Note a contact (called by the server thread)."""
        now = time.monotonic()
        if self.first_contact is None:
            self.first_contact = now
        self.last_contact = now

    @property
    def contact_span(self) -> float:
        """Seconds from the first contact to the last: how long clients kept at it."""
        if self.first_contact is None or self.last_contact is None:
            return 0.0
        return self.last_contact - self.first_contact

    bytes_sent: int = 0  # HTTP bytes handed to the connection (before TLS), all responses together
    # A load-balanced host: the same port on further loopback addresses, each presenting its own chain.
    backend_chains: dict[str, PresentedChain] = dataclasses.field(default_factory=dict)
    backend_handshakes: dict[str, int] = dataclasses.field(default_factory=dict)
    # Set: successive handshakes present these chains in turn (a load balancer behind one address).
    alternating: tuple[PresentedChain, ...] = ()
    # A shared host (EKS-like): provider path -> the issuer answering for it.
    tenants: dict[str, Issuer] = dataclasses.field(default_factory=dict)

    def chain_for(self, backend: str | None) -> PresentedChain:
        """The chain the next handshake on `backend` (a bind address) presents."""
        if self.alternating:
            return self.alternating[self.handshakes % len(self.alternating)]
        if backend is not None and backend in self.backend_chains:
            return self.backend_chains[backend]
        return self.chain

    def tenant_for(self, target: str) -> Issuer | None:
        """On a shared host, the issuer whose provider path `target` lies under."""
        path = target.split("?", 1)[0]
        for prefix, issuer in self.tenants.items():
            if path == prefix or path.startswith(prefix + "/"):
                return issuer
        return None

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address this endpoint listens on (the bind address first)."""
        return (self.bind_address, *(address for address in self.backend_chains if address != self.bind_address))

    @property
    def expected_thumbprint(self) -> str | None:
        """SHA-1 of the last certificate this endpoint presents (None if it never presents one)."""
        return self.chain.top_thumbprint if self.presents_chain else None

    @property
    def port(self) -> int:
        return self.endpoint.port


@dataclass(eq=False)
class Issuer:
    """A running local OIDC issuer."""

    name: str
    behaviour: Behaviour
    path: str  # provider URL path ("" or "/id/ABC")
    latency: float
    discovery: IssuerEndpoint
    jwks: IssuerEndpoint  # the discovery endpoint itself unless the JWKS has its own host
    trickle_interval: float = 0.1

    @property
    def url(self) -> str:
        """The provider URL as IAM stores it: no scheme, e.g. `localhost:43121/id/ABC`."""
        return f"{self.discovery.endpoint}{self.path}"

    @property
    def issuer_url(self) -> str:
        return f"https://{self.url}"

    @property
    def discovery_target(self) -> str:
        return f"{self.path}/.well-known/openid-configuration"

    @property
    def jwks_target(self) -> str:
        return f"{self.path}/keys" if self.jwks is self.discovery else "/keys"

    @property
    def jwks_uri(self) -> str:
        return f"https://{self.jwks.endpoint}{self.jwks_target}"

    @property
    def endpoints(self) -> tuple[IssuerEndpoint, ...]:
        """Discovery endpoint first, then the JWKS endpoint when it is separate."""
        return (self.discovery,) if self.jwks is self.discovery else (self.discovery, self.jwks)

    @property
    def expected_thumbprints(self) -> dict[Endpoint, str]:
        """Per endpoint, the SHA-1 of the last certificate presented: what IAM would pin."""
        return {
            item.endpoint: item.expected_thumbprint for item in self.endpoints if item.expected_thumbprint is not None
        }

    @property
    def chains(self) -> dict[Endpoint, tuple[Certificate, ...]]:
        """Per endpoint, the certificates presented, leaf first."""
        return {item.endpoint: item.chain.certificates for item in self.endpoints if item.presents_chain}

    @property
    def handshakes(self) -> int:
        return sum(item.handshakes for item in self.endpoints)

    @property
    def connections(self) -> int:
        return sum(item.connections for item in self.endpoints)

    def discovery_document(self) -> dict[str, object]:
        return {
            "issuer": self.issuer_url,
            "jwks_uri": self.jwks_uri,
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": ["sub", "iss"],
        }

    def jwks_document(self) -> dict[str, object]:
        return {"keys": [signing_jwk()]}


def _b64url(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


@functools.cache
def signing_jwk() -> dict[str, str]:
    """The public half of one EC P-256 signing key, as a JWK; shared by every issuer of the process."""
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x),
        "y": _b64url(numbers.y),
        "use": "sig",
        "alg": "ES256",
        "kid": "sandbox-1",
    }


def _raise_open_file_limit() -> None:
    # Hundreds of issuers, each with a listening socket and connections: lift the soft fd limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _bind_address(host: str) -> str:
    return "127.0.0.1" if host == "localhost" else host


def _bind_port(address: str, port: int) -> socket.socket:
    """A listener on `address`:`port` (a further loopback address of a load-balanced host)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((address, port))
        listener.listen(512)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


def _bind(address: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.bind((address, 0))
        listener.listen(512)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


class IssuerFleet:
    """Any number of local issuers served by one event loop in one background thread.

    Use it as a context manager; `stop()` closes every listening socket and connection and joins
    the thread, also after an error or KeyboardInterrupt.
    """

    def __init__(self, pki: SandboxPki | None = None) -> None:
        self.pki = pki or default_pki()
        self.issuers: list[Issuer] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # Every connection's transport, so stop() can abort those still flushing a large reply.
        self._transports: weakref.WeakSet[asyncio.WriteTransport] = weakref.WeakSet()
        self._contexts: dict[tuple[object, ...], ssl.SSLContext] = {}
        self._files: tempfile.TemporaryDirectory[str] | None = None
        self._counter = 0
        self._lock = threading.Lock()
        # Ports of load-balanced hosts -> the loopback addresses "localhost" has for them (see `resolve`).
        self._address_sets: dict[int, tuple[str, ...]] = {}
        self._black_holes: list[socket.socket] = []  # see add_unresponsive_address

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> IssuerFleet:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self) -> None:
        """Start the server thread (idempotent)."""
        if self._loop is not None:
            return
        _raise_open_file_limit()
        self._files = tempfile.TemporaryDirectory(prefix="oidc-sandbox-")
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="oidc-issuer-fleet", daemon=True)
        self._thread.start()
        ready.wait()

    def stop(self) -> None:
        """Close every listener and connection, stop the loop and join its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            if not thread.is_alive():
                loop.close()
            self._loop = self._thread = None
            self._servers.clear()
            self._contexts.clear()
            for black_hole in self._black_holes:
                black_hole.close()
            self._black_holes.clear()
            if self._files is not None:
                self._files.cleanup()
                self._files = None

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for transport in list(self._transports):
            transport.abort()  # a closing transport may still be flushing; it must go before the loop does
        await asyncio.sleep(0)  # let connection_lost run while the loop is alive
        for server in self._servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout=5)

    # --- adding issuers -----------------------------------------------------------------------

    def add(
        self,
        behaviour: str | Behaviour = "healthy",
        *,
        path: str = "",
        host: str = "localhost",
        latency: float = 0.0,
        trickle_interval: float = 0.1,
    ) -> Issuer:
        """Start one issuer. `host` is how URLs name it: `localhost`, `127.0.0.1` or `::1`."""
        return self.add_many(behaviour, 1, path=path, host=host, latency=latency, trickle_interval=trickle_interval)[0]

    def add_many(
        self,
        behaviour: str | Behaviour,
        count: int,
        *,
        path: str = "",
        host: str = "localhost",
        latency: float = 0.0,
        trickle_interval: float = 0.1,
    ) -> list[Issuer]:
        """Start `count` issuers with the same behaviour: they share chains, not ports.

        `path` is the provider URL path (e.g. "/id/ABC"); `latency` delays the TLS handshake and
        every HTTP response; `trickle_interval` paces responses that trickle byte by byte.
        """
        loop = self._loop
        if loop is None:
            raise RuntimeError("start the IssuerFleet (or use it as a context manager) before adding issuers")
        spec = behaviour if isinstance(behaviour, Behaviour) else behaviour_named(behaviour)
        if path and (not path.startswith("/") or path.endswith("/")):
            raise ValueError(f"path {path!r} must start with '/' and not end with one")
        bind_address = "127.0.0.1" if host == "localhost" else host
        created: list[tuple[Issuer, list[socket.socket]]] = []
        try:
            for _ in range(count):
                created.append(self._new_issuer(spec, path, host, bind_address, latency, trickle_interval))
        except BaseException:
            for _, listeners in created:
                for listener in listeners:
                    listener.close()
            raise
        # From here the loop owns the listeners: stop() closes them whatever happens.
        asyncio.run_coroutine_threadsafe(self._listen(created), loop).result(timeout=60)
        issuers = [issuer for issuer, _ in created]
        self.issuers.extend(issuers)
        return issuers

    # --- many providers on one host, many servers behind one name ------------------------------

    def add_shared_host(
        self,
        count: int,
        *,
        behaviour: str | Behaviour = "healthy",
        tenants: Sequence[str | Behaviour] = (),
        host: str = "localhost",
        latency: float = 0.0,
        alternating: Sequence[str] = (),
        addresses: int = 1,
    ) -> list[Issuer]:
        """`count` issuers on ONE endpoint, EKS-like: provider URLs `<host>:<port>/id/<cluster id>`.

        `behaviour` decides the endpoint's TLS (chain, versions); tenant i answers its own documents
        as `tenants[i]` does (default: `behaviour`), so one cluster can misbehave beside healthy ones.
        `alternating`: chains successive handshakes present in turn (GitHub-like: two intermediates).
        `addresses` > 1: the host also listens on 127.0.0.2, ... (same chain, same tenants); only
        `resolve` gives "localhost" those addresses for its port. Every tenant's `handshakes` is the
        shared endpoint's.
        """
        loop = self._require_loop()
        spec = behaviour if isinstance(behaviour, Behaviour) else behaviour_named(behaviour)
        if spec.jwks_chain:
            raise ValueError("a shared host serves discovery and JWKS on one endpoint")
        if addresses > 1 and host != "localhost":
            raise ValueError("only a host named localhost can have further loopback addresses")
        host_issuer, listeners = self._new_issuer(spec, "", host, _bind_address(host), latency, 0.1)
        endpoint = host_issuer.discovery
        backends = tuple(f"127.0.0.{index + 1}" for index in range(addresses))
        try:
            for address in backends[1:]:
                listeners.append(_bind_port(address, endpoint.port))
        except BaseException:
            for listener in listeners:
                listener.close()
            raise
        if alternating:
            endpoint.alternating = tuple(self.pki.chain(name) for name in alternating)
            for chain in endpoint.alternating:
                self._server_context(spec, chain)
        created = []
        for index in range(count):
            tenant = tenants[index] if index < len(tenants) else spec
            tenant_spec = tenant if isinstance(tenant, Behaviour) else behaviour_named(tenant)
            with self._lock:
                self._counter += 1
                number = self._counter
            cluster = f"{number:08X}{'E' * 24}"
            issuer = Issuer(f"{tenant_spec.name}-{number}", tenant_spec, f"/id/{cluster}", latency, endpoint, endpoint)
            endpoint.tenants[issuer.path] = issuer
            created.append(issuer)
        if addresses > 1:
            endpoint.backend_chains = dict.fromkeys(backends, endpoint.chain)
            self._address_sets[endpoint.port] = backends
            serving = self._listen_backends(host_issuer, endpoint, dict(zip(backends, listeners, strict=True)))
        else:
            serving = self._listen([(host_issuer, listeners)])
        asyncio.run_coroutine_threadsafe(serving, loop).result(timeout=60)
        self.issuers.extend(created)
        return created

    def add_unresponsive_address(self, endpoint: IssuerEndpoint) -> str:
        """A further loopback address for `endpoint`'s port where connections are never accepted (a black hole:
        its accept queue is full, so connecting times out), listed first by `resolve`. Returns the address."""
        port = endpoint.port
        known = self._address_sets.get(port, (endpoint.bind_address,))
        for last in range(2, 255):
            address = f"127.0.0.{last}"
            if address in known:
                continue
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.bind((address, port))
            except OSError:
                listener.close()
                continue
            listener.listen(0)
            self._black_holes.append(listener)
            # Fill the accept queue (backlog 0 holds one): the kernel then drops further SYNs.
            for _ in range(2):
                filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect((address, port))
                self._black_holes.append(filler)
            self._address_sets[port] = (address, *known)
            return address
        raise RuntimeError(f"no free loopback address for port {port}")

    def add_load_balanced(
        self, chains: Sequence[str], *, behaviour: str | Behaviour = "healthy", path: str = "", latency: float = 0.0
    ) -> Issuer:
        """An issuer on `localhost:<port>` whose i-th address (127.0.0.<i+1>) presents `chains[i]`.

        Only `resolve` (the prober's resolver hook) gives "localhost" those addresses for this port.
        """
        loop = self._require_loop()
        spec = behaviour if isinstance(behaviour, Behaviour) else behaviour_named(behaviour)
        if not chains or spec.jwks_chain or spec.transport is not Transport.TLS:
            raise ValueError("a load-balanced issuer needs chains, one TLS endpoint and no separate JWKS host")
        issuer, listeners = self._new_issuer(spec, path, "localhost", "127.0.0.1", latency, 0.1)
        endpoint = issuer.discovery
        addresses = tuple(f"127.0.0.{index + 1}" for index in range(len(chains)))
        try:
            for address in addresses[1:]:
                listeners.append(_bind_port(address, endpoint.port))
        except BaseException:
            for listener in listeners:
                listener.close()
            raise
        endpoint.backend_chains = {
            address: self.pki.chain(name) for address, name in zip(addresses, chains, strict=True)
        }
        for chain in endpoint.backend_chains.values():
            self._server_context(spec, chain)
        endpoint.chain = endpoint.backend_chains[addresses[0]]
        self._address_sets[endpoint.port] = addresses
        asyncio.run_coroutine_threadsafe(
            self._listen_backends(issuer, endpoint, dict(zip(addresses, listeners, strict=True))), loop
        ).result(timeout=60)
        self.issuers.append(issuer)
        return issuer

    def add_alternating(
        self, chains: Sequence[str], *, behaviour: str | Behaviour = "healthy", path: str = ""
    ) -> Issuer:
        """An issuer whose successive handshakes on its one address present `chains` in turn."""
        issuer = self.add(behaviour, path=path)
        presented = tuple(self.pki.chain(name) for name in chains)
        for chain in presented:
            self._server_context(issuer.behaviour, chain)
        issuer.discovery.alternating = presented
        return issuer

    def resolve(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """A resolver for `OidcProber`: "localhost" has several loopback addresses on load-balanced ports."""
        addresses = self._address_sets.get(port) if host == "localhost" else None
        if addresses:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port)) for address in addresses
            ]
        return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("start the IssuerFleet (or use it as a context manager) before adding issuers")
        return self._loop

    async def _listen_backends(
        self, issuer: Issuer, endpoint: IssuerEndpoint, listeners: dict[str, socket.socket]
    ) -> None:
        pending = dict(listeners)
        try:
            for address, listener in listeners.items():
                server = await asyncio.start_server(
                    functools.partial(self._serve_connection, issuer, endpoint, backend=address),
                    sock=listener,
                    limit=MAX_REQUEST_HEAD,
                )
                self._servers.append(server)
                pending.pop(address)
        finally:
            for listener in pending.values():
                listener.close()

    def _new_issuer(
        self,
        spec: Behaviour,
        path: str,
        host: str,
        bind_address: str,
        latency: float,
        trickle_interval: float,
    ) -> tuple[Issuer, list[socket.socket]]:
        with self._lock:
            self._counter += 1
            name = f"{spec.name}-{self._counter}"
        presents = spec.transport is Transport.TLS
        listeners = [_bind(bind_address)]
        try:
            discovery = IssuerEndpoint(
                Endpoint(host, listeners[0].getsockname()[1]),
                bind_address,
                (Role.DISCOVERY,) if spec.jwks_chain else (Role.DISCOVERY, Role.JWKS),
                self.pki.chain(spec.chain),
                presents,
            )
            jwks = discovery
            if spec.jwks_chain:
                listeners.append(_bind(bind_address))
                jwks = IssuerEndpoint(
                    Endpoint(host, listeners[1].getsockname()[1]),
                    bind_address,
                    (Role.JWKS,),
                    self.pki.chain(spec.jwks_chain),
                    presents,
                )
            issuer = Issuer(name, spec, path, latency, discovery, jwks, trickle_interval)
            if spec.transport.starts_tls:  # build TLS contexts in the caller's thread, so errors surface here
                for item in issuer.endpoints:
                    self._server_context(spec, item.chain)
        except BaseException:
            for listener in listeners:
                listener.close()
            raise
        return issuer, listeners

    async def _listen(self, created: Sequence[tuple[Issuer, list[socket.socket]]]) -> None:
        pending = [
            (issuer, item, listener)
            for issuer, listeners in created
            for item, listener in zip(issuer.endpoints, listeners, strict=True)
        ]
        try:
            while pending:
                issuer, item, listener = pending[0]
                server = await asyncio.start_server(
                    functools.partial(self._serve_connection, issuer, item), sock=listener, limit=MAX_REQUEST_HEAD
                )
                self._servers.append(server)
                pending.pop(0)
        finally:
            for _, _, listener in pending:
                listener.close()

    def rotate(self, issuer: Issuer, chain: str = "rotated", *, jwks_chain: str | None = None) -> None:
        """From their next connection on, let the issuer's endpoints present other chains (a rotation).

        `chain` goes to the discovery endpoint (and the JWKS when it shares it); `jwks_chain` to a
        separate JWKS endpoint. Connections already open keep the chain they negotiated.
        """
        changes = [(issuer.discovery, chain)]
        if jwks_chain is not None and issuer.jwks is not issuer.discovery:
            changes.append((issuer.jwks, jwks_chain))
        for endpoint, name in changes:
            presented = self.pki.chain(name)
            if endpoint.presents_chain:
                self._server_context(issuer.behaviour, presented)
            endpoint.chain = presented  # read by the server thread at each new connection

    def present(self, issuer: Issuer, chain: PresentedChain) -> None:
        """From its next connection on, let the issuer's discovery endpoint present `chain` (any chain, not
        only a named recipe; its name keys the TLS context, so equal names must mean equal chains).
        Raises ssl.SSLError, here in the caller's thread, when OpenSSL will not serve it."""
        if issuer.discovery.presents_chain:
            self._server_context(issuer.behaviour, chain)
        issuer.discovery.chain = chain  # read by the server thread at each new connection

    def behave(self, issuer: Issuer, behaviour: str | Behaviour) -> Behaviour:
        """From its next connection on, let the issuer act as `behaviour` (an outage, a broken document) while
        its endpoints keep the chains they present; returns the behaviour it had, to restore it with."""
        spec = behaviour if isinstance(behaviour, Behaviour) else behaviour_named(behaviour)
        if spec.transport.starts_tls:  # build TLS contexts in the caller's thread, so errors surface here
            for item in issuer.endpoints:
                self._server_context(spec, item.chain)
        previous, issuer.behaviour = issuer.behaviour, spec  # read by the server thread at each new connection
        return previous

    # --- TLS ------------------------------------------------------------------------------------

    def _server_context(self, spec: Behaviour, chain: PresentedChain) -> ssl.SSLContext:
        """The context for `chain`; with `no_sni_chain`, one that presents `chain` only to clients sending SNI."""
        if spec.no_sni_chain is None:
            return self._chain_context(spec, chain)
        with_sni = self._chain_context(spec, chain)
        without_sni = self._chain_context(spec, self.pki.chain(spec.no_sni_chain), sni_variant=chain.name)

        def choose(tls: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext) -> None:
            if server_name:
                tls.context = with_sni

        without_sni.sni_callback = choose
        return without_sni

    def _chain_context(self, spec: Behaviour, chain: PresentedChain, sni_variant: str | None = None) -> ssl.SSLContext:
        key = (chain.name, spec.tls_versions, spec.require_client_certificate, sni_variant)
        with self._lock:
            if key in self._contexts:
                return self._contexts[key]
            assert self._files is not None
            # ssl loads certificate chains from files only.
            chain_file = Path(self._files.name) / f"{chain.name}.chain.pem"
            key_file = Path(self._files.name) / f"{chain.name}.key.pem"
            if not chain_file.exists():
                chain_file.write_bytes(chain.certificate_chain_pem())
                key_file.write_bytes(chain.key_pem())
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(chain_file, key_file)
            if spec.tls_versions:
                minimum, maximum = spec.tls_versions
                with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point here
                    warnings.simplefilter("ignore", DeprecationWarning)
                    context.minimum_version = minimum
                    context.maximum_version = maximum
                if maximum < ssl.TLSVersion.TLSv1_2:
                    context.set_ciphers("ALL:@SECLEVEL=0")
            if spec.require_client_certificate:
                context.verify_mode = ssl.CERT_REQUIRED
                pem = self.pki.private_root.certificate.public_bytes(Encoding.PEM).decode()
                context.load_verify_locations(cadata=pem)
            self._contexts[key] = context
            return context

    # --- serving (on the loop thread) ---------------------------------------------------------

    async def _serve_connection(
        self,
        issuer: Issuer,
        endpoint: IssuerEndpoint,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        backend: str | None = None,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._transports.add(writer.transport)
        endpoint.connections += 1
        endpoint.open_connections += 1
        endpoint.contacted()
        spec = issuer.behaviour
        try:
            if spec.transport is Transport.HUNG:
                await asyncio.get_running_loop().create_future()  # until stop() cancels it
            if spec.transport is Transport.RESET:
                _reset(writer.transport)
                return
            if spec.transport in (Transport.RESET_MID_HANDSHAKE, Transport.STALLED_HANDSHAKE):
                endpoint.handshakes += 1
                channel = _Channel(reader, writer, self._server_context(spec, endpoint.chain))
                flight = await channel.first_flight()
                writer.write(flight[: len(flight) // 2])
                await writer.drain()
                if spec.transport is Transport.RESET_MID_HANDSHAKE:
                    _reset(writer.transport)
                    return
                await asyncio.get_running_loop().create_future()  # until stop() cancels it
            if issuer.latency:
                await asyncio.sleep(issuer.latency)
            tls = spec.transport is Transport.TLS
            chain = endpoint.chain_for(backend)
            channel = _Channel(reader, writer, self._server_context(spec, chain) if tls else None)
            if tls:
                endpoint.handshakes += 1
                address = backend or endpoint.bind_address
                endpoint.backend_handshakes[address] = endpoint.backend_handshakes.get(address, 0) + 1
                await asyncio.wait_for(channel.handshake(), SERVER_HANDSHAKE_TIMEOUT)
            if spec.transport is Transport.PLAIN_HTTP:
                await channel.recv()  # a ClientHello, most likely: not HTTP
                await channel.send(_encode(Reply(400, b"plain HTTP server\n", "text/plain", close=True)))
            else:
                await _serve_http(issuer, endpoint, channel, backend or endpoint.bind_address)
            await channel.close()
        except asyncio.CancelledError:
            writer.transport.abort()
            raise
        except (OSError, ssl.SSLError, EOFError):  # OSError includes TimeoutError
            writer.transport.abort()  # the client went away or failed the handshake
        finally:
            endpoint.open_connections -= 1
            self._tasks.discard(task)


class _Channel:
    """A byte stream to one client: plain TCP, or TLS done here over memory BIOs.

    Doing TLS by hand (rather than with asyncio's TLS transport) lets a failed handshake still send
    its alert, as real servers do, and lets the handshake start after an injected delay without
    losing the ClientHello.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext | None
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True) if context else None

    async def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self._writer.write(data)
            await self._writer.drain()

    async def _fill(self) -> None:
        data = await self._reader.read(65536)
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    async def first_flight(self) -> bytes:
        """Read the ClientHello and return the server's first flight, without sending it."""
        assert self._tls is not None
        while True:
            await self._fill()
            try:
                self._tls.do_handshake()
            except ssl.SSLWantReadError:
                flight = self._outgoing.read()
                if flight:
                    return flight
                continue  # the ClientHello is not complete yet

    async def handshake(self) -> None:
        assert self._tls is not None
        while True:
            try:
                self._tls.do_handshake()
            except ssl.SSLWantReadError:
                await self._flush()
                await self._fill()
                continue
            except ssl.SSLError:
                with contextlib.suppress(OSError):
                    await self._flush()  # the alert
                raise
            await self._flush()
            return

    async def recv(self) -> bytes:
        """Some bytes from the client; b"" once it has closed."""
        if self._tls is None:
            return await self._reader.read(65536)
        while True:
            try:
                return self._tls.read(65536)
            except ssl.SSLWantReadError:
                await self._flush()
                await self._fill()
            except ssl.SSLZeroReturnError:
                return b""

    async def send(self, data: bytes) -> None:
        if self._tls is None:
            self._writer.write(data)
        else:
            self._tls.write(data)
            self._writer.write(self._outgoing.read())
        await self._writer.drain()

    async def close(self) -> None:
        if self._tls is not None:
            with contextlib.suppress(ssl.SSLError):
                self._tls.unwrap()  # queue close_notify; the client's own is not awaited
            with contextlib.suppress(OSError):
                await self._flush()
        self._writer.close()


async def _read_head(channel: _Channel, buffer: bytearray) -> bytes | None:
    """The next request head (without the blank line), or None when the client is done."""
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            return head
        if len(buffer) > MAX_REQUEST_HEAD:
            return None
        data = await channel.recv()
        if not data:
            return None
        buffer += data


async def _serve_http(issuer: Issuer, endpoint: IssuerEndpoint, channel: _Channel, backend: str) -> None:
    """HTTP/1.1 with keep-alive: answer requests until the client or the reply closes."""
    buffer = bytearray()
    answered = False
    while True:
        try:
            # A keep-alive timeout: between requests, not before the first one.
            idle_timeout = issuer.behaviour.idle_timeout if answered else None
            head = await asyncio.wait_for(_read_head(channel, buffer), idle_timeout)
        except TimeoutError:  # only with idle_timeout: tell the idle client so, unasked, and hang up
            await channel.send(_encode(Reply(408, b"", "text/plain", close=True)))
            return
        if head is None:
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            await channel.send(_encode(Reply(400, b"", "text/plain", close=True)))
            return
        tenant = endpoint.tenant_for(parts[1]) or issuer
        request = Request(tenant, endpoint, parts[0], parts[1], backend, endpoint.requests)
        endpoint.requests += 1
        endpoint.contacted()
        client_closes = any(line.lower().replace(" ", "") == "connection:close" for line in lines[1:])
        try:
            reply = request.issuer.behaviour.respond(request)
        except Exception:  # a broken responder should show in the logs, not kill the server
            LOGGER.exception("responder of %s failed on %s", issuer.name, request.target)
            reply = Reply(500, b"responder failed\n", "text/plain", close=True)
        if issuer.latency:
            await asyncio.sleep(issuer.latency)
        if not await _send_reply(endpoint, channel, reply, request.issuer.trickle_interval):
            return
        answered = True
        http10_closes = reply.version == "HTTP/1.0" and not reply.keep_alive
        if reply.close or reply.close_silently or http10_closes or client_closes:
            return


async def _send_reply(endpoint: IssuerEndpoint, channel: _Channel, reply: Reply, trickle_interval: float) -> bool:
    """Send `reply` as it says (streamed, trickled, repeated, cut short); False once the connection is done."""
    payload = _encode(reply)
    if reply.stall_after is not None:
        if reply.stall_after > 0:
            await channel.send(payload[: reply.stall_after])
        endpoint.bytes_sent += min(reply.stall_after, len(payload))
        await _silent_until_closed(channel)
        return False
    if reply.stream is not None:
        await _send_streamed(endpoint, channel, reply, payload)
    elif reply.trickle:
        for index in range(len(payload)):
            await channel.send(payload[index : index + 1])
            endpoint.bytes_sent += 1
            await asyncio.sleep(trickle_interval)
    elif reply.repeat_after == 0:
        await channel.send(payload + payload)  # the duplicate in the same write: it arrives with the answer
        endpoint.bytes_sent += 2 * len(payload)
    else:
        await channel.send(payload)
        endpoint.bytes_sent += len(payload)
    if reply.repeat_after:
        await asyncio.sleep(reply.repeat_after)
        await channel.send(payload)
        endpoint.bytes_sent += len(payload)
    return True


async def _silent_until_closed(channel: _Channel) -> None:
    """Send nothing more, and read (and drop) whatever comes, until the client goes away."""
    while await channel.recv():
        pass


async def _send_streamed(endpoint: IssuerEndpoint, channel: _Channel, reply: Reply, head: bytes) -> None:
    """Send the head, then the body piece by piece: only one piece is ever in memory."""
    assert reply.stream is not None
    assert reply.chunked or reply.length is not None, "a streamed reply needs chunking or a length"
    await channel.send(head)
    endpoint.bytes_sent += len(head)
    for piece in reply.stream():
        if not piece:
            continue
        if reply.pace:
            await asyncio.sleep(reply.pace)
        await channel.send(_chunk(piece) if reply.chunked else piece)
        endpoint.bytes_sent += len(piece)
    if reply.chunked:
        await channel.send(b"0\r\n\r\n")


def _chunk(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def _encode(reply: Reply) -> bytes:
    """The response head and, unless the reply is streamed, its body (after any informational responses)."""
    interim = b"".join(
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Informational')}\r\n\r\n".encode() for status in reply.interim
    )
    lines = [
        f"{reply.version} {reply.status} {reply.reason or _REASONS.get(reply.status, 'Status')}",
        f"Content-Type: {reply.content_type}",
    ]
    body = b"" if reply.stream is not None else reply.body
    if reply.chunked:
        lines.append("Transfer-Encoding: chunked")
        if reply.stream is None:
            body = (_chunk(body) if body else b"") + b"0\r\n\r\n"
    elif reply.stream is not None:
        if reply.length is not None:
            lines.append(f"Content-Length: {reply.length}")
    else:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{name}: {value}" for name, value in reply.headers]
    if reply.close:
        lines.append("Connection: close")
    elif reply.keep_alive:
        lines.append("Connection: keep-alive")
    return interim + ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _reset(transport: asyncio.BaseTransport) -> None:
    raw = transport.get_extra_info("socket")
    if raw is not None:
        # Linger 0: closing sends RST instead of FIN.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert isinstance(transport, asyncio.Transport)
    transport.abort()


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Clients that hang up or fail handshakes are the point of many behaviours: not worth a warning.
    if isinstance(context.get("exception"), OSError | ssl.SSLError | EOFError):
        LOGGER.debug("issuer connection error: %s", context.get("message"))
        return
    loop.default_exception_handler(context)


# --- the catalogue ------------------------------------------------------------------------------


def _redirect_discovery(location: Callable[[Request], str], status: int = 302) -> Responder:
    return on_discovery(lambda request: Reply.redirect(location(request), status))


def _redirect_forever(request: Request) -> Reply:
    """Discovery -> /hop/1 -> /hop/2 -> ...: every hop a new URL, so only the redirect limit stops it."""
    hops = f"{request.issuer.path}/hop/"
    if request.is_discovery:
        return Reply.redirect(f"{hops}1")
    if request.target.startswith(hops):
        return Reply.redirect(f"{hops}{int(request.target.removeprefix(hops)) + 1}")
    return serve_oidc(request)


def _moved_discovery(request: Request) -> Reply:
    """Redirects the discovery document once, on the same endpoint, then serves it there."""
    moved = f"{request.issuer.path}/moved/openid-configuration"
    if request.is_discovery:
        return Reply.redirect(moved, 301)
    if request.target == moved:
        return Reply.json(request.issuer.discovery_document())
    return serve_oidc(request)


def _close_after_each(request: Request) -> Reply:
    return dataclasses.replace(serve_oidc(request), close=True)


def _trickled_discovery(request: Request) -> Reply:
    return dataclasses.replace(Reply.json(request.issuer.discovery_document()), trickle=True)


OVERSIZED_BYTES: Final = (1 << 20) + 4096  # just over ProbeLimits.max_document_bytes' default


def _oversized_discovery(chunked: bool) -> Responder:
    def answer(request: Request) -> Reply:
        document = request.issuer.discovery_document()
        document["padding"] = "x" * OVERSIZED_BYTES
        return Reply(200, json.dumps(document).encode(), chunked=chunked)

    return on_discovery(answer)


HUGE_BYTES: Final = 50 * 1024 * 1024  # a 50 MB discovery document, produced on the fly
_HUGE_PIECE: Final = 64 * 1024


def _huge_discovery(chunked: bool) -> Responder:
    """A valid-looking discovery document padded to HUGE_BYTES, streamed 64 KiB at a time."""

    def answer(request: Request) -> Reply:
        document = json.dumps(request.issuer.discovery_document()).encode()
        opening = document[:-1] + b', "padding": "'
        closing = b'"}'
        padding = HUGE_BYTES - len(opening) - len(closing)

        def pieces() -> Iterator[bytes]:
            yield opening
            left = padding
            while left > 0:
                size = min(_HUGE_PIECE, left)
                yield b"x" * size
                left -= size
            yield closing

        return Reply(200, stream=pieces, chunked=chunked, length=None if chunked else HUGE_BYTES)

    return on_discovery(answer)


_LOGIN_PAGE: Final = b"<!doctype html><html><head><title>Sign in</title></head><body>Please sign in</body></html>"
CLOSED_PORT: Final = 1  # tcpmux: nothing listens there on a test machine, so connections are refused

_TLS13_ONLY = (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
_TLS10_ONLY = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1)

for _behaviour in (
    # Chains.
    Behaviour("healthy", "public chain (leaf, issuing CA); discovery and JWKS on one endpoint"),
    Behaviour("root_sent", "also sends the public root: the last certificate is the root", "public_with_root"),
    Behaviour("rotated_intermediate", "same public root, a new issuing CA", "rotated"),
    Behaviour("cross_signed", "last certificate: a root cross-signed by the public root", "cross_signed"),
    Behaviour("expiring_soon", "issuing CA and leaf expire in 10 days", "expiring_soon"),
    Behaviour("expired", "the leaf expired yesterday", "expired"),
    Behaviour("not_yet_valid", "the leaf becomes valid tomorrow", "not_yet_valid"),
    Behaviour("private_ca", "chain from the private root (EXTRA_CA_BUNDLE)", "private"),
    Behaviour("untrusted_root", "chain from a root in neither store (MITM)", "interception"),
    Behaviour("wrong_hostname", "the leaf names only wrong.example", "wrong_hostname"),
    Behaviour("self_signed", "a self-signed leaf alone", "self_signed"),
    Behaviour("separate_jwks_host", "JWKS on another endpoint, presenting another chain", jwks_chain="rotated"),
    Behaviour("leaf_only", "sends its publicly issued leaf without the issuing CA", "leaf_only"),
    Behaviour("out_of_order_chain", "sends leaf, root, issuing CA: the chain out of order", "out_of_order"),
    Behaviour(
        "extra_unrelated_certificate",
        "sends leaf, issuing CA, then an unrelated CA certificate last",
        "extra_unrelated",
    ),
    Behaviour("long_chain", "sends leaf, four intermediate CAs and the root: six certificates", "long_chain"),
    Behaviour(
        "sni_dependent",
        "the public chain with SNI; a self-signed default certificate without SNI",
        no_sni_chain="no_sni_default",
    ),
    Behaviour(
        "inspected",
        "re-signed by a corporate TLS-inspection CA (a proxy in the path)",
        "inspection",
    ),
    Behaviour(
        "private_ca_rotated",
        "chain from a second private issuing CA under the same private root",
        "private_rotated",
    ),
    Behaviour(
        "private_leaf_only",
        "a leaf signed directly by the private root, sent alone (a Kubernetes API server)",
        "private_leaf_only",
    ),
    # The verified path: chains a proxy or a careless server operator sends around it.
    Behaviour(
        "seed_cross_signed",
        "sends leaf, issuing CA, the root cross-signed by G2, G2 cross-signed by Class 2 (the seed's EKS chain)",
        "seed_cross_signed",
    ),
    Behaviour(
        "inspected_forwarding_public_ca",
        "an inspecting proxy sends its leaf, the provider's public issuing CA, then its own issuing CA",
        "proxy_with_pinned_public_ca",
    ),
    Behaviour(
        "inspected_forwarding_public_root",
        "an inspecting proxy sends its leaf, the public root, then its own issuing CA",
        "proxy_with_public_root",
    ),
    Behaviour(
        "unrelated_in_middle",
        "sends leaf, an unrelated CA certificate, then the issuing CA",
        "unrelated_in_middle",
    ),
    Behaviour("duplicate_intermediate", "sends leaf, then its issuing CA twice", "duplicate_intermediate"),
    Behaviour(
        "impostor_root_last",
        "sends leaf, issuing CA, then a root with the public root's name and another key",
        "impostor_root_last",
    ),
    # TLS and transport.
    Behaviour("tls13_only", "refuses TLS 1.2 (IAM then relies on thumbprints)", tls_versions=_TLS13_ONLY),
    Behaviour("tls10_only", "speaks TLS 1.0 only", tls_versions=_TLS10_ONLY),
    Behaviour(
        "client_certificate_required",
        "aborts handshakes that bring no client certificate",
        require_client_certificate=True,
    ),
    Behaviour("hung", "accepts connections and never answers", transport=Transport.HUNG),
    Behaviour("reset", "accepts connections and resets them", transport=Transport.RESET),
    Behaviour(
        "reset_mid_handshake",
        "reads the ClientHello, sends half its answer, then resets",
        transport=Transport.RESET_MID_HANDSHAKE,
    ),
    Behaviour(
        "stalled_handshake",
        "reads the ClientHello, sends half its answer, then goes silent",
        transport=Transport.STALLED_HANDSHAKE,
    ),
    Behaviour("plain_http", "speaks plain HTTP on the port", transport=Transport.PLAIN_HTTP),
    Behaviour("slow_trickle", "sends the discovery response byte by byte", respond=on_discovery(_trickled_discovery)),
    Behaviour("connection_close", "closes the connection after every response", respond=_close_after_each),
    # Documents.
    Behaviour("discovery_404", "no discovery document (HTTP 404)", respond=on_discovery(lambda _: Reply.not_found())),
    Behaviour(
        "discovery_500",
        "the discovery request fails (HTTP 500)",
        respond=on_discovery(lambda _: Reply(500, b"internal error\n", "text/plain")),
    ),
    Behaviour(
        "discovery_html",
        "answers the discovery request with an HTML sign-in page (HTTP 200)",
        respond=on_discovery(lambda _: Reply(200, _LOGIN_PAGE, "text/html")),
    ),
    Behaviour(
        "malformed_discovery",
        "the discovery document is truncated JSON",
        respond=on_discovery(lambda _: Reply(200, b'{"issuer": "https://')),
    ),
    Behaviour(
        "discovery_not_object",
        "the discovery document is a JSON array",
        respond=on_discovery(lambda _: Reply.json([1, 2])),
    ),
    Behaviour(
        "issuer_mismatch",
        "the discovery document names another issuer",
        respond=with_discovery(issuer="https://issuer.example"),
    ),
    Behaviour("jwks_uri_missing", "the discovery document has no jwks_uri", respond=with_discovery(jwks_uri=None)),
    Behaviour("jwks_uri_relative", "jwks_uri is a relative URL", respond=with_discovery(jwks_uri="/keys")),
    Behaviour("jwks_uri_http", "jwks_uri uses plain http", respond=with_discovery(jwks_uri="http://localhost/keys")),
    Behaviour("empty_jwks", "the JWKS has no keys", respond=on_jwks(lambda _: Reply.json({"keys": []}))),
    Behaviour(
        "jwks_not_json",
        "the JWKS is an HTML page",
        respond=on_jwks(lambda _: Reply(200, _LOGIN_PAGE, "text/html")),
    ),
    Behaviour(
        "jwks_host_refuses",
        "jwks_uri names a port where connections are refused",
        respond=with_discovery(jwks_uri=f"https://localhost:{CLOSED_PORT}/keys"),
    ),
    Behaviour(
        "huge_discovery",
        "a 50 MB discovery document, announced with Content-Length and streamed",
        respond=_huge_discovery(False),
    ),
    Behaviour(
        "huge_discovery_chunked",
        "a 50 MB discovery document, streamed chunked with no length announced",
        respond=_huge_discovery(True),
    ),
    Behaviour(
        "oversized_discovery",
        "a discovery document over 1 MiB, with Content-Length",
        respond=_oversized_discovery(False),
    ),
    Behaviour("oversized_chunked", "a discovery document over 1 MiB, chunked", respond=_oversized_discovery(True)),
    # Redirects.
    Behaviour(
        "same_host_redirect", "the discovery document moved once, on the same endpoint", respond=_moved_discovery
    ),
    Behaviour(
        "redirect_loop", "the discovery document redirects to itself", respond=_redirect_discovery(lambda r: r.target)
    ),
    Behaviour("endless_redirects", "the discovery document redirects to ever new URLs", respond=_redirect_forever),
    Behaviour(
        "cross_host_redirect",
        "the discovery document redirects to another host",
        respond=_redirect_discovery(lambda _: "https://elsewhere.example/.well-known/openid-configuration"),
    ),
    Behaviour(
        "insecure_redirect",
        "the discovery document redirects to plain http",
        respond=_redirect_discovery(lambda r: f"http://{r.endpoint.endpoint}{r.target}"),
    ),
):
    register_behaviour(_behaviour)


# --- hostile text: what a server sends to forge or hide lines in the report, the logs and the alert ----------

# Sent where text travels on a line of its own (a reason phrase, a header): no line break, but a lone CR,
# an ANSI escape, C1 controls (NEL) and DEL.
HOSTILE_LINE: Final = "Unavailable\r\x1b[2J\x85[OK] token.actions.githubusercontent.com\x7f"
# Sent inside JSON: line breaks, an ANSI escape and bidi controls too.
HOSTILE_VALUE: Final = "evil\n\n[OK] token.actions.githubusercontent.com\n  ARN: \x1b[2J\u202egnp.exe\u2066\u2028"
HOSTILE_ISSUER_CHARACTERS: Final = 300_017  # the issuer alone; the document stays just under 1 MiB


def _hostile_reason(request: Request) -> Reply:
    return Reply(503, b"{}", reason=HOSTILE_LINE)


def _huge_hostile_issuer(request: Request) -> Reply:
    """A discovery document of almost 1 MiB whose issuer has HOSTILE_ISSUER_CHARACTERS characters."""
    document = request.issuer.discovery_document()
    pattern = HOSTILE_VALUE + "€"
    issuer = "https://" + pattern * (HOSTILE_ISSUER_CHARACTERS // len(pattern))
    document["issuer"] = issuer + "x" * (HOSTILE_ISSUER_CHARACTERS - len(issuer))
    body = json.dumps(document, ensure_ascii=False).encode()
    document["padding"] = "x" * ((1 << 20) - 1024 - len(body))
    return Reply(200, json.dumps(document, ensure_ascii=False).encode())


for _behaviour in (
    Behaviour(
        "hostile_certificate_names",
        "certificate names carrying newlines, a forged [OK] block, an ANSI escape and bidi controls",
        "hostile_names",
    ),
    Behaviour(
        "hostile_reason_phrase",
        "answers discovery with HTTP 503 and a reason phrase carrying CR, ESC, NEL and DEL",
        respond=on_discovery(_hostile_reason),
    ),
    Behaviour(
        "hostile_issuer",
        "the discovery document's issuer carries newlines, a forged block and bidi controls",
        respond=with_discovery(issuer=HOSTILE_VALUE),
    ),
    Behaviour(
        "hostile_jwks_uri",
        "jwks_uri is a plain-http URL carrying newlines, a forged block and bidi controls",
        respond=with_discovery(jwks_uri="http://localhost/" + HOSTILE_VALUE),
    ),
    Behaviour(
        "hostile_redirect",
        "redirects discovery to another host whose name carries ESC, NEL, DEL and a soft hyphen",
        # No "[" in the host: urlsplit would take it for an IPv6 literal.
        respond=_redirect_discovery(
            lambda _: "https://elsewhere.example\x1b\x85\x7f\xad/.well-known/openid-configuration"
        ),
    ),
    Behaviour(
        "huge_hostile_issuer",
        f"a discovery document of almost 1 MiB with a {HOSTILE_ISSUER_CHARACTERS:,}-character hostile issuer",
        respond=on_discovery(_huge_hostile_issuer),
    ),
):
    register_behaviour(_behaviour)
