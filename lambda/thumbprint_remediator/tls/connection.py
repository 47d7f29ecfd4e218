"""One provider's HTTP over TLS with one endpoint: connections, sessions, deadlines and the probe's errors.

A session (`EndpointSession`) is what one provider does with one endpoint: it resolves and connects
with verification off (the presented chain is always captured; trust.py decides offline), fetches
JSON documents over kept-alive connections, follows same-endpoint redirects, and bounds every step
by the endpoint's budget. The endpoint it shares with a sweep's other providers (endpoints.py) and
the prober that opened it (probe.py) are handed in, as the `EndpointShare` and `Prober` it needs.
Every problem ends the session's work as a `ProbeError`, which becomes a `ProbeFailure`.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar, cast
from urllib.parse import SplitResult, urljoin, urlsplit

from thumbprint_remediator.contract.validators import without_https_scheme
from thumbprint_remediator.domain.models import (
    Absence,
    CertificateInfo,
    ChainSample,
    Endpoint,
    FailureKind,
    HostCapture,
    ProbeFailure,
    Role,
)
from thumbprint_remediator.domain.posture.issuers import missing_bucket
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import LINE_LIMIT, ServerText, quoted, server_text
from thumbprint_remediator.tls.certificates import MalformedCertificateError, certificate_info

USER_AGENT: Final = "oidc-thumbprint-remediator"

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_MAX_INTERIM_RESPONSES: Final = 8  # informational responses skipped before one is taken as the answer
# OpenSSL reasons meaning "not this TLS version": the alert a server sends, or our own refusal of
# the version it picked.
_VERSION_REFUSALS: Final = frozenset(
    {
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "UNSUPPORTED_PROTOCOL",
        "WRONG_SSL_VERSION",
        "NO_PROTOCOLS_AVAILABLE",
        "VERSION_TOO_LOW",
        "VERSION_TOO_HIGH",
    }
)
# OpenSSL reasons meaning the peer did not speak TLS at all (typically plain HTTP on the port).
_NOT_TLS: Final = frozenset(
    {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"}
)
# What a URL may carry unencoded (RFC 3986): printable ASCII, no space. Anything else is the server's defect.
_URL_CHARACTERS: Final = re.compile(r"[!-~]*")
# A DNS name's label: letters, digits and inner hyphens (LDH), 1 to 63 characters; ASCII only.
_DNS_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass(frozen=True)
class ProbeLimits:
    """Time and size limits of one probe; the budget caps everything done with one endpoint."""

    connect_timeout: float = 5.0
    # A whole TLS handshake, or a whole answer (request sent to last byte read): STS gives up after about 5 s.
    read_timeout: float = 5.0
    # Wall-clock cap for everything done with one endpoint, all the providers of a sweep on it together:
    # the time during which at least one of them captures, waits for a connection or fetches (endpoints.py).
    host_budget: float = 15.0
    max_document_bytes: int = 1 << 20
    max_redirects: int = 3
    # Backend sampling (endpoints.py): addresses captured per endpoint, and extra handshakes per
    # address on fresh connections. The probe alone samples nothing; Settings turn it on for sweeps.
    sample_addresses: int = 1
    samples_per_address: int = 0
    connections_per_endpoint: int = 4  # keep-alive connections an endpoint's providers share


# getaddrinfo's signature: tests and the sandbox point a name at several loopback addresses with it.
Resolver = Callable[[str, int], Sequence[tuple[Any, ...]]]


def system_resolver(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    """A and AAAA records of `host`, as getaddrinfo returns them (TCP only)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def presented_chain_der(tls_socket: ssl.SSLSocket) -> tuple[bytes, ...]:
    """The certificates the peer sent, in the order it sent them (leaf first), as DER."""
    public_getter = getattr(tls_socket, "get_unverified_chain", None)
    if public_getter is not None:  # Python 3.13+: a list of DER bytes
        return tuple(public_getter() or ())
    # Python 3.11/3.12 only expose it on the private _SSLSocket, as _ssl.Certificate objects.
    chain = tls_socket._sslobj.get_unverified_chain()  # type: ignore[attr-defined]
    return tuple(cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in chain or ())  # type: ignore[attr-defined]


class ProbeError(Exception):
    """Ends the probe of an endpoint; becomes a ProbeFailure naming that endpoint."""

    def __init__(
        self,
        kind: FailureKind,
        code: str,
        detail: str,
        absence: Absence | None = None,
        missing_bucket: ServerText | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.code = code
        self.detail = detail
        self.absence = absence  # what the answer proved missing (ProbeFailure.absence)
        self.missing_bucket = missing_bucket

    def failure(self, endpoint: Endpoint | None) -> ProbeFailure:
        message = f"{endpoint}: {self.detail}" if endpoint else self.detail
        return ProbeFailure(
            self.kind, self.code, server_text(message, LINE_LIMIT), endpoint, self.absence, self.missing_bucket
        )


def _unreachable(code: str, detail: str) -> ProbeError:
    return ProbeError(Status.UNREACHABLE, code, detail)


def invalid_discovery(code: str, detail: str) -> ProbeError:
    return ProbeError(Status.INVALID_DISCOVERY, code, detail)


class _BudgetExhausted(TimeoutError):
    """The endpoint's host budget ran out."""


class _VersionRefused(Exception):
    """The handshake failed on the TLS version offered."""


def without_scheme(provider_url: str) -> str:
    # Tolerated, although IAM stores provider URLs without a scheme.
    return without_https_scheme(provider_url.strip())


class UrlDefect(ValueError):
    """What is wrong with a URL a server (or IAM) handed us; the caller names the problem code."""


def _valid_host(host: str) -> bool:
    """An IP address, or an ASCII DNS name (LDH labels; an `xn--` label must be valid punycode)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253:
        return False
    for label in name.split("."):
        if not _DNS_LABEL.fullmatch(label):
            return False
        if label[:4].lower() == "xn--":
            try:
                label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, IndexError):
                return False
    return True


def split_https_url(url: str) -> tuple[SplitResult, Endpoint]:
    """An absolute URL's parts and its endpoint (port 443 when none is given).

    Raises UrlDefect for what IAM could not fetch either: characters outside printable ASCII (unencoded
    non-ASCII, spaces, controls), user information, an invalid or non-ASCII (IDN) host, a port out of range.
    """
    if not _URL_CHARACTERS.fullmatch(url):
        raise UrlDefect("holds characters a URL cannot carry unencoded (non-ASCII, space or control)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlDefect("has an invalid host or port") from None
    if "@" in parts.netloc:
        raise UrlDefect("carries user information (user@host)")
    host = parts.hostname
    if not host:
        raise UrlDefect("has no host")
    if not _valid_host(host):
        raise UrlDefect(f"has an invalid host name {host!r} (ASCII letters, digits, hyphens; IDNs as xn--)")
    if port is not None and not 1 <= port <= 65535:
        raise UrlDefect(f"has port {port}, outside 1-65535")
    return parts, Endpoint(host, 443 if port is None else port)


def parse_provider_url(provider_url: str) -> tuple[Endpoint, str]:
    """The discovery endpoint and base path of a provider URL as IAM stores it (`host[:port][/path]`)."""
    text = without_scheme(provider_url)
    if not text or "://" in text:
        raise _unreachable("invalid_url", f"{provider_url!r} is not a provider URL (host[:port][/path])")
    try:
        parts, endpoint = split_https_url("https://" + text)
    except UrlDefect as defect:
        raise _unreachable("invalid_url", f"{provider_url!r} {defect}") from None
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise _unreachable("invalid_url", f"{provider_url!r} has a query or fragment; IAM stores host[:port][/path]")
    return endpoint, parts.path.rstrip("/")


class _DuplicateKey(ValueError):
    """A JSON object names one key twice: parsers disagree on which value counts."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(key)
        document[key] = value
    return document


def _get(target: str) -> str:
    """`GET <target>` for a message; the target may come from the server (jwks_uri, Location)."""
    return f"GET {server_text(target)}"


def request_target(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# What `Connection.poll` finds on a connection nobody is reading from.
QUIET: Final = "quiet"  # nothing to read: in step, reusable
UNREAD: Final = "unread"  # bytes nobody asked for: a duplicate or late response, surplus body, garbage
CLOSED: Final = "closed"  # the peer closed or broke it


class Connection:
    """One TCP+TLS connection, as http.client sees a socket, and kept alive between requests and providers.

    Every response on it is read through ONE buffered reader, so bytes that follow a response stay visible
    (to `poll`) instead of vanishing with it. Reads and writes are bounded by the deadlines of the session
    using it now. Only its owner closes it: http.client "closes" it as soon as a response says
    Connection: close, while that response is still being read.
    """

    def __init__(self, tls: ssl.SSLSocket, address: str) -> None:
        self.tls = tls
        self.address = address  # the IP address it reached
        self.requests = 0  # requests sent on it so far, by any provider
        self.idled = False  # it sat idle in the pool: the server may have sent something unasked meanwhile
        self.closed_by_http = False
        self.session: EndpointSession | None = None  # whose deadlines bound its reads and writes
        self._reader = io.BufferedReader(_ConnectionReader(self))
        self._polling = False
        self._peer_closed = False

    def _timeout(self) -> float:
        if self.session is None:  # pragma: no cover - every exchange binds its session first
            raise TimeoutError
        return self.session.exchange_timeout()

    def sendall(self, data: bytes) -> None:
        self.tls.settimeout(self._timeout())
        self.tls.sendall(data)

    def recv_into(self, buffer: memoryview) -> int | None:
        if not self._polling:
            self.tls.settimeout(self._timeout())
            return self.tls.recv_into(buffer)
        self.tls.settimeout(0.0)  # a poll never waits
        try:
            count = self.tls.recv_into(buffer)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return None  # nothing there (a TLS 1.3 session ticket alone reads as nothing too)
        except OSError:  # reset, close_notify, a broken record: the connection is gone
            self._peer_closed = True
            return 0
        self._peer_closed = count == 0
        return count

    def makefile(self, mode: str = "rb") -> _ResponseFile:
        return _ResponseFile(self._reader)

    def close(self) -> None:
        self.closed_by_http = True

    def poll(self) -> str:
        """Without waiting, what is on the connection now that no response is being read: QUIET, UNREAD or
        CLOSED. Reads what is there into the connection's buffer (it stays unread)."""
        self._polling = True
        try:
            waiting = self._reader.peek(1)
        except (OSError, ValueError):
            return CLOSED
        finally:
            self._polling = False
        if waiting:
            return UNREAD
        return CLOSED if self._peer_closed else QUIET

    def interrupt(self) -> None:
        """Wake whoever is blocked reading it (from another thread): the read ends as if the peer closed."""
        with contextlib.suppress(OSError):
            # The TCP socket's shutdown, not SSLSocket's (which drops its TLS state under the reading thread).
            socket.socket.shutdown(self.tls, socket.SHUT_RDWR)

    def discard(self) -> None:
        self.tls.close()


class _ConnectionReader(io.RawIOBase):
    def __init__(self, owner: Connection) -> None:
        super().__init__()
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        return self._owner.recv_into(memoryview(buffer).cast("B"))


class _ResponseFile:
    """What http.client reads one response through: the connection's reader, which closing must not close."""

    def __init__(self, reader: io.BufferedReader[_ConnectionReader]) -> None:
        self._reader = reader

    def readline(self, limit: int = -1) -> bytes:
        return self._reader.readline(limit)

    def read(self, size: int | None = -1) -> bytes:
        return self._reader.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self._reader.read1(size)

    def readinto(self, buffer: Any) -> int:
        return self._reader.readinto(buffer)

    def peek(self, size: int = 0) -> bytes:
        return self._reader.peek(size)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._reader.fileno()

    def close(self) -> None:
        pass  # the connection outlives the response


@dataclass
class _Response:
    status: int
    reason: str
    location: str | None
    body: bytes
    reused: bool  # it came over a connection that had carried a request before


_Validated = TypeVar("_Validated")


class Prober(Protocol):
    """What a session uses of the prober that opened it (probe.OidcProber): its limits, resolver, TLS contexts."""

    @property
    def limits(self) -> ProbeLimits: ...

    @property
    def resolver(self) -> Resolver: ...

    @property
    def tls12_context(self) -> ssl.SSLContext: ...

    @property
    def tls13_context(self) -> ssl.SSLContext: ...


class EndpointShare(Protocol):
    """What a session uses of the endpoint a sweep's providers share (endpoints.SharedEndpoint): its capture,
    its pool of connections, its budget and its fate."""

    @property
    def samples(self) -> tuple[ChainSample, ...]: ...

    @property
    def judged(self) -> bool: ...

    @property
    def several_addresses(self) -> bool: ...

    def deadline(self) -> float: ...

    def enter(self) -> None: ...

    def leave(self) -> None: ...

    def budget_ran_out(self, address: str | None) -> None: ...

    def ensure_captured(self, session: EndpointSession, target: str) -> None: ...

    def share_capture(self, session: EndpointSession) -> None: ...

    def acquire(self, session: EndpointSession, *, fresh: bool = False, avoid: str | None = None) -> Connection: ...

    def release(self, connection: Connection, *, reusable: bool) -> None: ...

    def has_other_address(self, address: str) -> bool: ...

    def backend_failed(self, address: str, error: ProbeError) -> None: ...


class EndpointSession:
    """Everything one provider does with one endpoint: its connection, the captured chain, its deadlines.

    On a shared endpoint (`shared`, a sweep's) the capture, the connections and the time budget are the
    endpoint's; a session of its own (a sampled handshake) has a fixed deadline instead.
    """

    def __init__(self, prober: Prober, endpoint: Endpoint, role: Role, shared: EndpointShare | None = None) -> None:
        self.prober = prober
        self.shared = shared
        self.limits = prober.limits
        self.endpoint = endpoint
        self.roles: list[Role] = [role]
        self.fixed_deadline = time.monotonic() + self.limits.host_budget
        self.presented_chain: tuple[CertificateInfo, ...] = ()
        self.tls_version: str | None = None
        self.accepts_tls12: bool | None = None
        self.handshakes = 0
        self.failure: ProbeFailure | None = None
        self.addresses: list[tuple[Any, ...]] | None = None
        self._budget_bound = False
        self._connection: Connection | None = None
        self._exchange_deadline: float | None = None
        self._entered = False  # counted as working on the shared endpoint (its clock runs)
        self._fresh_only = False  # a kept-alive connection misled this provider once: fresh connections only
        self._avoid: str | None = None  # an address that failed this provider's exchange
        self.last_address: str | None = None  # where the last connection went (for retries and messages)
        self._suspect = False  # a response of the current fetch came over a reused connection

    # --- time ---------------------------------------------------------------------------------

    @property
    def deadline(self) -> float:
        """When this session's time is up: the shared endpoint's budget, or the session's own deadline."""
        return self.shared.deadline() if self.shared is not None else self.fixed_deadline

    def operation_timeout(self, limit: float, until: float | None = None) -> float:
        """`limit` (or what is left until `until`), shortened to what is left of the budget.

        Raises _BudgetExhausted once the budget is spent, TimeoutError once `until` has passed.
        """
        now = time.monotonic()
        remaining = self.deadline - now
        if remaining <= 0:
            raise _BudgetExhausted
        own = limit if until is None else until - now
        if own <= 0:
            self._budget_bound = False
            raise TimeoutError
        # Remember who set the timeout, so that a timeout is blamed on the right limit.
        self._budget_bound = remaining < own
        return min(own, remaining)

    def exchange_timeout(self) -> float:
        """For each read and write of an exchange: what is left of its read timeout, and of the budget."""
        return self.operation_timeout(self.limits.read_timeout, self._exchange_deadline)

    def timed_out(self, code: str, what: str) -> ProbeError:
        if self._budget_bound or time.monotonic() >= self.deadline:
            if self.shared is not None:
                self.shared.budget_ran_out(self.last_address)
                return _unreachable(
                    "host_budget_exceeded",
                    f"{what} still unfinished when the endpoint's {self.limits.host_budget:g} s budget ran out "
                    "(one budget for all the providers on it)",
                )
            return _unreachable(
                "host_budget_exceeded", f"{what} still unfinished after the {self.limits.host_budget:g} s budget"
            )
        if code == "read_timeout":
            # STS gives up on an endpoint after about 5 s: a whole answer must come within the read timeout.
            return _unreachable(code, f"{what}: no complete answer within {self.limits.read_timeout:g} s")
        return _unreachable(code, f"{what} timed out")

    # --- connecting ---------------------------------------------------------------------------

    def resolve(self) -> list[tuple[Any, ...]]:
        host, port = self.endpoint.host, self.endpoint.port
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST))
        outcome: list[list[tuple[Any, ...]] | Exception] = []

        def lookup() -> None:
            try:
                outcome.append(list(self.prober.resolver(host, port)))
            except (OSError, UnicodeError) as exc:
                outcome.append(exc)

        # getaddrinfo has no timeout of its own: wait for it on a daemon thread, at most this long.
        resolver = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
        resolver.start()
        try:
            resolver.join(self.operation_timeout(self.limits.connect_timeout))
        except _BudgetExhausted:
            raise self.timed_out("dns_timeout", f"resolving {host}") from None
        if not outcome:
            raise self.timed_out("dns_timeout", f"resolving {host}")
        result = outcome[0]
        if isinstance(result, Exception):
            reason = getattr(result, "strerror", None) or str(result)
            error = _unreachable("dns_failure", f"cannot resolve {host} ({reason})")
            # EAI_NONAME: the name does not exist (NXDOMAIN), unlike EAI_AGAIN (no answer) or EAI_NODATA (no address)
            if isinstance(result, socket.gaierror) and result.errno == socket.EAI_NONAME:
                error.absence = Absence.NAME_NOT_FOUND
            raise error
        return result

    def _connect_tcp(self, only: str | None = None) -> socket.socket:
        """A TCP connection to the first address that answers, or to address `only`."""
        if self.addresses is None:
            self.addresses = self.resolve()
        last_error: OSError | None = None
        for family, kind, protocol, _, address in self.addresses:
            if only is not None and address[0] != only:
                continue
            raw = socket.socket(family, kind, protocol)
            try:
                raw.settimeout(self.operation_timeout(self.limits.connect_timeout))
                raw.connect(address)
            except _BudgetExhausted:
                raw.close()
                raise
            except OSError as exc:
                raw.close()
                last_error = exc
                continue
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return raw
        if isinstance(last_error, ConnectionRefusedError):
            raise _unreachable("connection_refused", "connection refused")
        if isinstance(last_error, ConnectionResetError):
            raise _unreachable("connection_reset", "connection reset while connecting")
        if isinstance(last_error, TimeoutError):
            raise self.timed_out("connect_timeout", "TCP connect")
        reason = getattr(last_error, "strerror", None) or str(last_error or "no address")
        raise _unreachable("connect_failed", f"cannot connect ({reason})")

    def _handshake(self, raw: socket.socket, context: ssl.SSLContext) -> ssl.SSLSocket:
        # server_hostname gives SNI; ssl itself omits SNI for IP literals.
        tls = context.wrap_socket(raw, server_hostname=self.endpoint.host, do_handshake_on_connect=False)
        try:
            # One deadline for the whole handshake: ssl applies the timeout to do_handshake as a whole.
            tls.settimeout(self.operation_timeout(self.limits.read_timeout))
            tls.do_handshake()
        except ssl.SSLError as exc:
            tls.close()
            reason = exc.reason or ""
            if reason in _VERSION_REFUSALS:
                raise _VersionRefused from exc
            if reason in _NOT_TLS:
                raise _unreachable("not_tls", "the port does not speak TLS (plain HTTP?)") from exc
            if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
                raise _unreachable("connection_closed", "closed the connection during the TLS handshake") from exc
            raise _unreachable("tls_handshake_failed", f"TLS handshake failed ({reason or exc})") from exc
        except BaseException:
            tls.close()
            raise
        return tls

    @contextmanager
    def _network_errors(self, what: str) -> Iterator[None]:
        """Turn low-level errors met while doing `what` into probe failures."""
        try:
            yield
        except ProbeError:
            raise
        except (TimeoutError, OSError, http.client.HTTPException) as exc:  # TimeoutError includes _BudgetExhausted
            raise self.network_failure(exc, what) from None

    def network_failure(self, exc: TimeoutError | OSError | http.client.HTTPException, what: str) -> ProbeError:
        """What a network or HTTP error met while doing `what` means for the provider."""
        if isinstance(exc, TimeoutError):
            return self.timed_out("read_timeout", what)
        kind: FailureKind = Status.UNREACHABLE
        code = "network_error"
        detail = f"network error during {what} ({getattr(exc, 'strerror', None) or exc})"
        if isinstance(exc, http.client.RemoteDisconnected | ssl.SSLEOFError | ssl.SSLZeroReturnError):
            code, detail = "connection_closed", f"closed the connection during {what}"
        elif isinstance(exc, ConnectionResetError | BrokenPipeError):
            code, detail = "connection_reset", f"connection reset during {what}"
        elif isinstance(exc, http.client.IncompleteRead):  # also what http.client raises for a chunk size not in hex
            code, detail = "connection_closed", f"the response to {what} ended early or broke its chunked framing"
        elif isinstance(exc, ssl.SSLError):
            code, detail = "tls_error", f"TLS error during {what} ({exc.reason or exc})"
        elif isinstance(exc, http.client.HTTPException):
            kind, code = Status.INVALID_DISCOVERY, "bad_http_response"
            detail = f"malformed HTTP response to {what} ({type(exc).__name__})"
        return ProbeError(kind, code, detail)

    def _enter(self) -> None:
        """Count this provider as working on the shared endpoint: from now its clock runs for it too."""
        if self.shared is not None and not self._entered:
            self.shared.enter()
            self._entered = True

    def _open(self, target: str) -> Connection:
        """A connection for HTTP from the shared endpoint: its capture first (done once per sweep, `target`
        the first document asked for), then a kept-alive connection of its pool, or a new one."""
        if self.shared is None:  # pragma: no cover - a sampled handshake's session is handed its connection
            raise AssertionError("only a session of a shared endpoint opens connections")
        try:
            self._enter()
            self.shared.ensure_captured(self, target)
            connection = self.shared.acquire(self, fresh=self._fresh_only, avoid=self._avoid)
        except ProbeError:
            self.shared.share_capture(self)  # judged with its neighbours: their capture is this provider's too
            raise
        connection.session = self
        self._connection = connection
        return connection

    def open_tls(self, only: str | None = None) -> ssl.SSLSocket:
        """A new TCP+TLS connection (to address `only` if given); settles the TLS version."""
        tls12_first = self.accepts_tls12 is not False
        contexts = (
            [self.prober.tls12_context, self.prober.tls13_context] if tls12_first else [self.prober.tls13_context]
        )
        for attempt, context in enumerate(contexts):
            with self._network_errors("the TLS handshake"):
                raw = self._connect_tcp(only)
                self.handshakes += 1
                try:
                    tls = self._handshake(raw, context)
                except _VersionRefused:
                    self.accepts_tls12 = False
                    if attempt + 1 < len(contexts):
                        continue
                    raise _unreachable(
                        "tls_version_unsupported", "refuses TLS 1.2 and TLS 1.3 (only older versions?)"
                    ) from None
                except TimeoutError:
                    raise self.timed_out("tls_handshake_timeout", "the TLS handshake") from None
            if self.accepts_tls12 is None:
                self.accepts_tls12 = context is self.prober.tls12_context
            return tls
        raise AssertionError("unreachable")  # pragma: no cover

    def record_chain(self, tls: ssl.SSLSocket, describe: Callable[[bytes], CertificateInfo] = certificate_info) -> None:
        self.tls_version = tls.version()
        try:
            self.presented_chain = tuple(describe(der) for der in presented_chain_der(tls))
        except MalformedCertificateError as exc:
            tls.close()
            raise _unreachable(
                "malformed_certificate",
                f"presented a certificate with duplicate or malformed extensions ({exc}); RFC 5280 forbids both, "
                "its operator must reissue it",
            ) from None
        except ValueError as exc:
            tls.close()
            raise _unreachable(
                "unparseable_certificate", f"presented a certificate that cannot be parsed ({server_text(exc)})"
            ) from None
        if not self.presented_chain:
            tls.close()
            raise _unreachable("no_certificate", "presented no certificate")

    def _drop(self) -> None:
        """Give up the current connection: closed, never reused."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.session = None
        if self.shared is not None:
            self.shared.release(connection, reusable=False)
        else:
            connection.discard()

    def close(self) -> None:
        """Done with the endpoint: the connection goes back to its pool (if still in step), its clock stops for us."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.session = None
            if self.shared is not None:
                self.shared.release(connection, reusable=True)
            else:
                connection.discard()
        if self._entered and self.shared is not None:
            self._entered = False
            self.shared.leave()

    def try_exchange(self, connection: Connection, target: str) -> tuple[Connection | None, ProbeError | None]:
        """One GET of `target` over `connection` (a sample's own): the connection if it is still in step
        afterwards (else it was closed), and the failure if the exchange failed."""
        self._connection = connection
        connection.session = self
        try:
            self._exchange(target)
        except ProbeError as error:
            return None, error
        kept, self._connection = self._connection, None
        if kept is not None:
            kept.session = None
        return kept, None

    # --- HTTP ---------------------------------------------------------------------------------

    def _what(self, target: str, connection: Connection) -> str:
        what = _get(target)
        if self.shared is not None and self.shared.several_addresses:
            what += f" at address {connection.address}"
        return what

    def _exchange(self, target: str) -> _Response:
        """One GET over a kept-alive connection; reconnects if the server closed an idle one meanwhile.

        The connection stays this session's (and goes back to the pool) only when it is provably in step:
        the response was read whole, nothing says it closes, and nothing follows it unread. Bytes after a
        response on a connection that had carried a request before, or sat idle in the pool, mean that this
        response may have been another request's (a duplicate or late answer, an unsolicited one): the
        exchange fails, for the caller to try again on a fresh connection, where the first answer is its own.
        """
        while True:
            connection = self._connection or self._open(target)
            self.last_address = connection.address
            # Carried a request before, or sat idle in the pool (a server may answer an idle connection unasked,
            # e.g. 408 Request Timeout): its next answer may not be this request's.
            reused = connection.requests > 0 or connection.idled
            self._suspect = self._suspect or reused
            what = self._what(target, connection)
            try:
                with self._network_errors(what):
                    self._exchange_deadline = time.monotonic() + self.limits.read_timeout
                    try:
                        response = self._request(connection, target)
                    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
                        if not reused:
                            raise
                        # The server closed the idle keep-alive connection: reconnect (and count it).
                        self._drop()
                        continue
                    body = self._read_body(response, what)
            except BaseException:
                self._drop()
                raise
            finally:
                self._exchange_deadline = None
            complete = not response.will_close and response.isclosed() and not connection.closed_by_http
            state = connection.poll() if complete else CLOSED
            if state != QUIET:
                self._drop()
                if state == UNREAD and reused:
                    raise invalid_discovery(
                        "bad_http_response",
                        f"{what}: more followed the answer on a kept-alive connection (a duplicate or late "
                        "response?): the answer may have been to another request",
                    )
            return _Response(response.status, response.reason, response.getheader("Location"), body, reused)

    def _request(self, connection: Connection, target: str) -> http.client.HTTPResponse:
        """Send `GET target` on `connection` and read the response's head."""
        client = http.client.HTTPConnection(self.endpoint.host, self.endpoint.port)
        client.auto_open = 0  # never let http.client open a connection of its own
        # http.client only calls sendall, makefile and close on its socket.
        client.sock = cast(socket.socket, connection)
        client.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        client.putheader("Host", str(self.endpoint))
        client.putheader("Accept", "application/json")
        client.putheader("Accept-Encoding", "identity")
        client.putheader("User-Agent", USER_AGENT)
        connection.requests += 1
        client.endheaders()
        response = client.getresponse()
        # Informational answers (103 Early Hints, ...) precede the response; http.client skips only 100 Continue.
        # 101 Switching Protocols was not asked for: it stays the answer, and fails as an HTTP status.
        for _ in range(_MAX_INTERIM_RESPONSES):
            if not 100 <= response.status < 200 or response.status == 101:
                break
            response = http.client.HTTPResponse(cast(socket.socket, connection), method="GET")
            response.begin()  # the next response on the same connection: its one buffer keeps them in order
        return response

    def _read_body(self, response: http.client.HTTPResponse, what: str) -> bytes:
        limit = self.limits.max_document_bytes
        lengths = {value.strip() for value in response.headers.get_all("Content-Length") or ()}
        if len(lengths) > 1:  # RFC 9112 6.3: which one frames the body is anyone's guess
            raise invalid_discovery("bad_http_response", f"{what} has Content-Length headers that disagree")
        announced = response.length
        if announced is not None and announced > limit:
            raise invalid_discovery(
                "document_too_large", f"{what} announces {announced} bytes, over the {limit}-byte limit"
            )
        body = response.read(limit + 1)  # never more than one byte past the limit
        if len(body) > limit:
            raise invalid_discovery("document_too_large", f"{what} sends more than the {limit}-byte limit")
        if announced is not None and len(body) < announced:  # read(amt) returns a short body without complaint
            raise invalid_discovery(
                "bad_http_response", f"{what} ends after {len(body)} of the {announced} bytes announced"
            )
        return body

    def fetch_json(self, target: str, validate: Callable[[object], _Validated]) -> _Validated:
        """GET `target` on this endpoint, following same-endpoint redirects, parse it as JSON and `validate` it.

        Tried once more, on a fresh connection, when it failed on a connection that other requests had used
        (the answer may not have been ours) or at an address whose neighbours may answer (a backend may be
        failing: when the other address answers, that backend is the endpoint's finding, not this provider's).
        """
        retried: tuple[str, ProbeError] | None = None
        while True:
            self._suspect = False
            self.last_address = None
            try:
                document = validate(self._fetch_json_once(target))
            except ProbeError as error:
                if retried is not None or not self._may_retry(error):
                    raise
                retried = (self.last_address or "", error)
                continue
            if (
                retried is not None
                and retried[1].kind == Status.UNREACHABLE
                and self.shared is not None
                and retried[0] not in ("", self.last_address)
            ):
                # Another address served what this one failed: the backend failed, not the provider's document.
                self.shared.backend_failed(retried[0], retried[1])
            return document

    def _may_retry(self, error: ProbeError) -> bool:
        """Whether a failed fetch deserves a second try on a fresh connection (and prepare it)."""
        if self.shared is None or error.code == "host_budget_exceeded" or self.shared.judged:
            return False
        if error.kind == Status.INVALID_DISCOVERY and self._suspect:
            self._drop()
            self._fresh_only = True
            return True
        if error.kind == Status.UNREACHABLE and self.last_address and self.shared.has_other_address(self.last_address):
            self._drop()
            self._fresh_only = True
            self._avoid = self.last_address
            return True
        return False

    def _fetch_json_once(self, target: str) -> object:
        visited = {target}
        redirects = 0
        while True:
            response = self._exchange(target)
            if response.status in _REDIRECT_STATUSES:
                target = self._redirect_target(target, response, visited, redirects)
                visited.add(target)
                redirects += 1
                continue
            if not 200 <= response.status < 300:
                error = invalid_discovery(
                    "http_status",
                    f"{_get(target)} answered HTTP {response.status} {server_text(response.reason)}".rstrip(),
                )
                gone = missing_bucket(response.status, response.body)
                if gone is not None:
                    error.absence, error.missing_bucket = Absence.NO_SUCH_BUCKET, gone.bucket
                raise error
            try:
                return json.loads(response.body, object_pairs_hook=_unique_keys)
            except _DuplicateKey as duplicate:
                raise invalid_discovery(
                    "ambiguous_json", f"{_get(target)} returned JSON naming the key {quoted(str(duplicate))} twice"
                ) from None
            except (ValueError, RecursionError):  # ValueError: bad UTF-8, bad JSON, numbers past int's digit limit
                raise invalid_discovery("invalid_json", f"{_get(target)} did not return JSON") from None

    def _redirect_target(self, target: str, response: _Response, visited: set[str], redirects: int) -> str:
        what = f"{_get(target)} (HTTP {response.status})"
        if not response.location:
            raise invalid_discovery("bad_redirect", f"{what} redirects without a Location")
        try:
            joined = urljoin(f"https://{self.endpoint}{target}", response.location)
            scheme = urlsplit(joined).scheme
        except ValueError:
            raise invalid_discovery("bad_redirect", f"{what} redirects to an invalid URL") from None
        if scheme != "https":
            raise invalid_discovery(
                "insecure_redirect",
                f"{what} redirects to {server_text(scheme) or 'a relative'} URL; only https is followed",
            )
        try:
            parts, destination = split_https_url(joined)
        except UrlDefect as defect:
            raise invalid_discovery("bad_redirect", f"{what} redirects to a URL that {defect}") from None
        if destination.host.lower() != self.endpoint.host.lower() or destination.port != self.endpoint.port:
            raise invalid_discovery(
                "cross_host_redirect",
                f"{what} redirects to {server_text(destination or parts.netloc)}; "
                "IAM fetches from the provider host itself",
            )
        new_target = request_target(parts)
        if new_target in visited:
            raise invalid_discovery("redirect_loop", f"{what} redirects back to {server_text(new_target)}")
        if redirects >= self.limits.max_redirects:
            raise invalid_discovery("too_many_redirects", f"{what}: more than {self.limits.max_redirects} redirects")
        return new_target

    def capture(self) -> HostCapture:
        return HostCapture(
            endpoint=self.endpoint,
            roles=tuple(self.roles),
            presented_chain=self.presented_chain,
            tls_version=self.tls_version,
            accepts_tls12=self.accepts_tls12,
            handshakes=self.handshakes,
            failure=self.failure,
            samples=self.shared.samples if self.shared is not None else (),
        )
