"""The TLS+HTTP probe: what an OIDC provider's endpoints present and serve, fetched as IAM would.

For one provider URL the probe opens a TLS connection to the discovery endpoint with verification
off (so the presented chain is always captured; trust.py decides offline), fetches the discovery
document and the JWKS over that same keep-alive connection, and captures the jwks_uri endpoint too
when it is another host or port. Every network or content problem becomes a `ProbeFailure`:

- unreachable: invalid_url, dns_failure, dns_timeout, connection_refused, connection_reset,
  connect_timeout, connect_failed, tls_handshake_timeout, tls_handshake_failed,
  tls_version_unsupported, not_tls, connection_closed, read_timeout, host_budget_exceeded,
  tls_error, network_error, unparseable_certificate, malformed_certificate, no_certificate;
- invalid_discovery: http_status, document_too_large, bad_http_response, bad_redirect,
  insecure_redirect, cross_host_redirect, redirect_loop, too_many_redirects, invalid_json,
  ambiguous_json, discovery_not_object, issuer_missing, issuer_mismatch, jwks_uri_missing,
  jwks_uri_relative, jwks_uri_not_https, jwks_uri_invalid, jwks_not_object, jwks_no_keys.
"""

from __future__ import annotations

import hashlib
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
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import SplitResult, urljoin, urlsplit

from cryptography import x509

from thumbprint_remediator.contract import without_https_scheme
from thumbprint_remediator.models import (
    CertificateInfo,
    Endpoint,
    HostCapture,
    ProbeFailure,
    ProbeResult,
    Role,
)
from thumbprint_remediator.untrusted import LINE_LIMIT, ServerText, quoted, server_text

if TYPE_CHECKING:
    from thumbprint_remediator.endpoints import EndpointPool, SharedEndpoint

DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
USER_AGENT: Final = "oidc-thumbprint-remediator"
UNREACHABLE: Final = "unreachable"
INVALID_DISCOVERY: Final = "invalid_discovery"

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
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
    read_timeout: float = 5.0  # per socket operation (TLS handshake, each recv)
    host_budget: float = 15.0  # hard wall-clock cap for everything done with one endpoint
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


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):  # ValueError: duplicate or malformed extensions
        return False


class MalformedCertificateError(ValueError):
    """A certificate that parses, but whose extensions are duplicated or do not decode (RFC 5280 forbids both)."""


def certificate_info(der: bytes) -> CertificateInfo:
    """Describe one presented certificate; raises ValueError if it cannot be parsed (MalformedCertificateError
    when only its extensions are broken)."""
    certificate = x509.load_der_x509_certificate(der)
    try:
        certificate.extensions  # noqa: B018 - parsed lazily: decode them now, while the error can be named
    except (ValueError, x509.DuplicateExtension) as exc:
        raise MalformedCertificateError(f"{type(exc).__name__}: {exc}") from None
    return CertificateInfo(
        # rfc4514_string() keeps \r and \n of the names: they are the server's text.
        subject=server_text(certificate.subject.rfc4514_string()),
        issuer=server_text(certificate.issuer.rfc4514_string()),
        serial=format(certificate.serial_number, "x"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sha1=hashlib.sha1(der, usedforsecurity=False).hexdigest(),
        is_ca=_is_ca(certificate),
        der=der,
    )


class _ProbeError(Exception):
    """Ends the probe of an endpoint; becomes a ProbeFailure naming that endpoint."""

    def __init__(self, kind: str, code: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.code = code
        self.detail = detail

    def failure(self, endpoint: Endpoint | None) -> ProbeFailure:
        message = f"{endpoint}: {self.detail}" if endpoint else self.detail
        return ProbeFailure(self.kind, self.code, server_text(message, LINE_LIMIT), endpoint)


def _unreachable(code: str, detail: str) -> _ProbeError:
    return _ProbeError(UNREACHABLE, code, detail)


def _invalid(code: str, detail: str) -> _ProbeError:
    return _ProbeError(INVALID_DISCOVERY, code, detail)


class _BudgetExhausted(TimeoutError):
    """The endpoint's host budget ran out."""


class _VersionRefused(Exception):
    """The handshake failed on the TLS version offered."""


def _strip_one_slash(url: str) -> str:
    return url[:-1] if url.endswith("/") else url


def _without_scheme(provider_url: str) -> str:
    # Tolerated, although IAM stores provider URLs without a scheme.
    return without_https_scheme(provider_url.strip())


class _UrlDefect(ValueError):
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


def _split_https_url(url: str) -> tuple[SplitResult, Endpoint]:
    """An absolute URL's parts and its endpoint (port 443 when none is given).

    Raises _UrlDefect for what IAM could not fetch either: characters outside printable ASCII (unencoded
    non-ASCII, spaces, controls), user information, an invalid or non-ASCII (IDN) host, a port out of range.
    """
    if not _URL_CHARACTERS.fullmatch(url):
        raise _UrlDefect("holds characters a URL cannot carry unencoded (non-ASCII, space or control)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _UrlDefect("has an invalid host or port") from None
    if "@" in parts.netloc:
        raise _UrlDefect("carries user information (user@host)")
    host = parts.hostname
    if not host:
        raise _UrlDefect("has no host")
    if not _valid_host(host):
        raise _UrlDefect(f"has an invalid host name {host!r} (ASCII letters, digits, hyphens; IDNs as xn--)")
    if port is not None and not 1 <= port <= 65535:
        raise _UrlDefect(f"has port {port}, outside 1-65535")
    return parts, Endpoint(host, 443 if port is None else port)


def parse_provider_url(provider_url: str) -> tuple[Endpoint, str]:
    """The discovery endpoint and base path of a provider URL as IAM stores it (`host[:port][/path]`)."""
    text = _without_scheme(provider_url)
    if not text or "://" in text:
        raise _unreachable("invalid_url", f"{provider_url!r} is not a provider URL (host[:port][/path])")
    try:
        parts, endpoint = _split_https_url("https://" + text)
    except _UrlDefect as defect:
        raise _unreachable("invalid_url", f"{provider_url!r} {defect}") from None
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise _unreachable("invalid_url", f"{provider_url!r} has a query or fragment; IAM stores host[:port][/path]")
    return endpoint, parts.path.rstrip("/")


def _endpoint_of(parts: SplitResult) -> Endpoint | None:
    try:
        port = 443 if parts.port is None else parts.port
    except ValueError:
        return None
    return Endpoint(parts.hostname, port) if parts.hostname else None


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


def _request_target(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class _DeadlineSocket:
    """The few socket methods http.client uses, each bounded by the read timeout and the deadline.

    Only the owning session closes the TLS socket: http.client "closes" it as soon as a response
    says Connection: close, while that response is still being read.
    """

    def __init__(self, tls: ssl.SSLSocket, session: _EndpointSession) -> None:
        self.tls = tls
        self._session = session
        self.released_by_http = False

    def sendall(self, data: bytes) -> None:
        self.tls.settimeout(self._session.operation_timeout(self._session.limits.read_timeout))
        self.tls.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        self.tls.settimeout(self._session.operation_timeout(self._session.limits.read_timeout))
        return self.tls.recv_into(buffer)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        self.released_by_http = True


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner: _DeadlineSocket) -> None:
        super().__init__()
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._owner.recv_into(memoryview(buffer).cast("B"))


@dataclass
class _Response:
    status: int
    reason: str
    location: str | None
    body: bytes


class _EndpointSession:
    """Everything done with one endpoint: connections, the captured chain, and its deadline."""

    def __init__(
        self, prober: OidcProber, endpoint: Endpoint, role: Role, shared: SharedEndpoint | None = None
    ) -> None:
        self.prober = prober
        # Set when the endpoint is shared by a sweep's providers: capture and connections come from it.
        self.shared = shared
        self._pooled = False
        self.limits = prober.limits
        self.endpoint = endpoint
        self.roles: list[Role] = [role]
        self.deadline = time.monotonic() + self.limits.host_budget
        self.presented_chain: tuple[CertificateInfo, ...] = ()
        self.tls_version: str | None = None
        self.accepts_tls12: bool | None = None
        self.handshakes = 0
        self.failure: ProbeFailure | None = None
        self._addresses: list[tuple[Any, ...]] | None = None
        self._budget_bound = False
        self._connection: http.client.HTTPConnection | None = None
        self._socket: _DeadlineSocket | None = None

    # --- time ---------------------------------------------------------------------------------

    def operation_timeout(self, limit: float) -> float:
        """`limit`, shortened to what is left of the budget; raises once the budget is spent."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _BudgetExhausted
        # Remember who set the timeout, so that a timeout is blamed on the right limit.
        self._budget_bound = remaining < limit
        return min(limit, remaining)

    def _timed_out(self, code: str, what: str) -> _ProbeError:
        if self._budget_bound or time.monotonic() >= self.deadline:
            return _unreachable(
                "host_budget_exceeded", f"{what} still unfinished after the {self.limits.host_budget:g} s budget"
            )
        return _unreachable(code, f"{what} timed out")

    # --- connecting ---------------------------------------------------------------------------

    def _resolve(self) -> list[tuple[Any, ...]]:
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
        resolver.join(self.operation_timeout(self.limits.connect_timeout))
        if not outcome:
            raise self._timed_out("dns_timeout", f"resolving {host}")
        result = outcome[0]
        if isinstance(result, Exception):
            reason = getattr(result, "strerror", None) or str(result)
            raise _unreachable("dns_failure", f"cannot resolve {host} ({reason})")
        return result

    def _connect_tcp(self, only: str | None = None) -> socket.socket:
        """A TCP connection to the first address that answers, or to address `only`."""
        if self._addresses is None:
            self._addresses = self._resolve()
        last_error: OSError | None = None
        for family, kind, protocol, _, address in self._addresses:
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
            raise self._timed_out("connect_timeout", "TCP connect")
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
        except _ProbeError:
            raise
        except TimeoutError:  # includes _BudgetExhausted
            raise self._timed_out("read_timeout", what) from None
        except http.client.RemoteDisconnected:
            raise _unreachable("connection_closed", f"closed the connection during {what}") from None
        except (ConnectionResetError, BrokenPipeError):
            raise _unreachable("connection_reset", f"connection reset during {what}") from None
        except http.client.IncompleteRead:  # also what http.client raises for a chunk size that is not hex
            raise _unreachable(
                "connection_closed", f"the response to {what} ended early or broke its chunked framing"
            ) from None
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            raise _unreachable("connection_closed", f"closed the connection during {what}") from None
        except ssl.SSLError as exc:
            raise _unreachable("tls_error", f"TLS error during {what} ({exc.reason or exc})") from None
        except http.client.HTTPException as exc:
            raise _invalid("bad_http_response", f"malformed HTTP response to {what} ({type(exc).__name__})") from None
        except OSError as exc:
            raise _unreachable("network_error", f"network error during {what} ({exc.strerror or exc})") from None

    def _open(self) -> http.client.HTTPConnection:
        """A connection for HTTP; the first one captures the chain and settles the TLS version.

        On a shared endpoint the capture is the endpoint's (done once per sweep) and the connection
        is a kept-alive one of its pool when one is idle.
        """
        if self.shared is not None:
            self.shared.ensure_captured(self)
            tls, self._pooled = self.shared.acquire(self)
        else:
            tls, self._pooled = self.open_tls(), False
            if not self.presented_chain:
                self._capture(tls)
        self._socket = _DeadlineSocket(tls, self)
        connection = http.client.HTTPConnection(self.endpoint.host, self.endpoint.port)
        connection.auto_open = 0  # never let http.client open a connection of its own
        # http.client only calls sendall, makefile and close on its socket.
        connection.sock = cast(socket.socket, self._socket)
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
                    raise self._timed_out("tls_handshake_timeout", "the TLS handshake") from None
            if self.accepts_tls12 is None:
                self.accepts_tls12 = context is self.prober.tls12_context
            return tls
        raise AssertionError("unreachable")  # pragma: no cover

    def _capture(self, tls: ssl.SSLSocket, describe: Callable[[bytes], CertificateInfo] = certificate_info) -> None:
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
        if self._socket is not None:
            if self.shared is not None:
                self.shared.release(self._socket.tls, reusable=False)
            else:
                self._socket.tls.close()
        self._socket = None
        self._connection = None

    def close(self) -> None:
        if self.shared is not None and self._socket is not None and not self._socket.released_by_http:
            # Back to the endpoint's pool, kept alive for the next provider on it.
            self.shared.release(self._socket.tls, reusable=True)
            self._socket = None
            self._connection = None
        self._drop()

    # --- HTTP ---------------------------------------------------------------------------------

    def _exchange(self, target: str) -> _Response:
        """One GET over the kept-alive connection; reconnects once if the server closed it meanwhile."""
        what = _get(target)
        while True:
            reused = self._connection is not None
            connection = self._connection or self._open()
            reused = reused or self._pooled  # an idle pooled connection may have been closed meanwhile
            try:
                with self._network_errors(what):
                    try:
                        connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
                        connection.putheader("Host", str(self.endpoint))
                        connection.putheader("Accept", "application/json")
                        connection.putheader("Accept-Encoding", "identity")
                        connection.putheader("User-Agent", USER_AGENT)
                        connection.endheaders()
                        response = connection.getresponse()
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
            assert self._socket is not None
            if response.will_close or not response.isclosed() or self._socket.released_by_http:
                self._drop()
            return _Response(response.status, response.reason, response.getheader("Location"), body)

    def _read_body(self, response: http.client.HTTPResponse, what: str) -> bytes:
        limit = self.limits.max_document_bytes
        lengths = {value.strip() for value in response.headers.get_all("Content-Length") or ()}
        if len(lengths) > 1:  # RFC 9112 6.3: which one frames the body is anyone's guess
            raise _invalid("bad_http_response", f"{what} has Content-Length headers that disagree")
        announced = response.length
        if announced is not None and announced > limit:
            raise _invalid("document_too_large", f"{what} announces {announced} bytes, over the {limit}-byte limit")
        body = response.read(limit + 1)  # never more than one byte past the limit
        if len(body) > limit:
            raise _invalid("document_too_large", f"{what} sends more than the {limit}-byte limit")
        if announced is not None and len(body) < announced:  # read(amt) returns a short body without complaint
            raise _invalid("bad_http_response", f"{what} ends after {len(body)} of the {announced} bytes announced")
        return body

    def fetch_json(self, target: str) -> object:
        """GET `target` on this endpoint, following same-endpoint redirects, and parse it as JSON."""
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
                raise _invalid(
                    "http_status",
                    f"{_get(target)} answered HTTP {response.status} {server_text(response.reason)}".rstrip(),
                )
            try:
                return json.loads(response.body, object_pairs_hook=_unique_keys)
            except _DuplicateKey as duplicate:
                raise _invalid(
                    "ambiguous_json", f"{_get(target)} returned JSON naming the key {quoted(str(duplicate))} twice"
                ) from None
            except (ValueError, RecursionError):  # ValueError: bad UTF-8, bad JSON, numbers past int's digit limit
                raise _invalid("invalid_json", f"{_get(target)} did not return JSON") from None

    def _redirect_target(self, target: str, response: _Response, visited: set[str], redirects: int) -> str:
        what = f"{_get(target)} (HTTP {response.status})"
        if not response.location:
            raise _invalid("bad_redirect", f"{what} redirects without a Location")
        try:
            joined = urljoin(f"https://{self.endpoint}{target}", response.location)
            scheme = urlsplit(joined).scheme
        except ValueError:
            raise _invalid("bad_redirect", f"{what} redirects to an invalid URL") from None
        if scheme != "https":
            raise _invalid(
                "insecure_redirect",
                f"{what} redirects to {server_text(scheme) or 'a relative'} URL; only https is followed",
            )
        try:
            parts, destination = _split_https_url(joined)
        except _UrlDefect as defect:
            raise _invalid("bad_redirect", f"{what} redirects to a URL that {defect}") from None
        if destination.host.lower() != self.endpoint.host.lower() or destination.port != self.endpoint.port:
            raise _invalid(
                "cross_host_redirect",
                f"{what} redirects to {server_text(destination or parts.netloc)}; "
                "IAM fetches from the provider host itself",
            )
        new_target = _request_target(parts)
        if new_target in visited:
            raise _invalid("redirect_loop", f"{what} redirects back to {server_text(new_target)}")
        if redirects >= self.limits.max_redirects:
            raise _invalid("too_many_redirects", f"{what}: more than {self.limits.max_redirects} redirects")
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


def _validate_discovery(document: object, provider_url: str) -> tuple[str, str, SplitResult]:
    """The issuer, the jwks_uri and its parsed form, or an invalid_discovery error."""
    if not isinstance(document, dict):
        raise _invalid("discovery_not_object", "the discovery document is not a JSON object")
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise _invalid("issuer_missing", "the discovery document has no issuer")
    expected = "https://" + _without_scheme(provider_url)
    if _strip_one_slash(issuer) != _strip_one_slash(expected):
        raise _invalid(
            "issuer_mismatch", f"the discovery document names issuer {quoted(issuer)}, expected {quoted(expected)}"
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise _invalid("jwks_uri_missing", "the discovery document has no jwks_uri")
    try:
        parts = urlsplit(jwks_uri)
    except ValueError:
        raise _invalid("jwks_uri_invalid", f"jwks_uri {jwks_uri!r} has an invalid host or port") from None
    if not parts.scheme or not parts.netloc:
        raise _invalid("jwks_uri_relative", f"jwks_uri {quoted(jwks_uri)} is not an absolute URL")
    if parts.scheme.lower() != "https":
        raise _invalid("jwks_uri_not_https", f"jwks_uri {quoted(jwks_uri)} is not https")
    try:
        parts, _ = _split_https_url(jwks_uri)
    except _UrlDefect as defect:
        raise _invalid("jwks_uri_invalid", f"jwks_uri {quoted(jwks_uri)} {defect}") from None
    return issuer, jwks_uri, parts


def _validate_jwks(document: object) -> int:
    if not isinstance(document, dict):
        raise _invalid("jwks_not_object", "the JWKS is not a JSON object")
    keys = document.get("keys")
    if not isinstance(keys, list) or not keys:
        raise _invalid("jwks_no_keys", "the JWKS has no keys")
    return len(keys)


def _client_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Capture whatever is presented; trust is decided afterwards, offline, by trust.py.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = version
    context.maximum_version = version
    if version is ssl.TLSVersion.TLSv1_2:
        # OpenSSL's full default list, legacy suites included: only public documents travel here,
        # and a chain must be captured even from an old server.
        context.set_ciphers("DEFAULT")
    return context


class OidcProber:
    """Probes OIDC providers. Build it once (it holds the SSL contexts); `probe` is thread-safe."""

    def __init__(self, limits: ProbeLimits = ProbeLimits(), resolver: Resolver = system_resolver) -> None:
        self.limits = limits
        self.resolver = resolver
        # At most TLS 1.2 first: IAM's thumbprint fallback needs it. TLS 1.3 only as a second try.
        self.tls12_context = _client_context(ssl.TLSVersion.TLSv1_2)
        self.tls13_context = _client_context(ssl.TLSVersion.TLSv1_3)

    def sweep_pool(self) -> EndpointPool:
        """A pool for one sweep: endpoints captured once, connections and verdicts shared. Close it after."""
        from thumbprint_remediator.endpoints import EndpointPool  # noqa: PLC0415 - endpoints imports this module

        return EndpointPool(self)

    def probe(self, provider_url: str, pool: EndpointPool | None = None) -> ProbeResult:
        """Capture the discovery and JWKS endpoints of `provider_url` (`host[:port][/path]`).

        With `pool` (one sweep's), endpoints other providers share are captured once; without one,
        a pool of this probe alone is used.
        """
        if pool is None:
            with self.sweep_pool() as own_pool:
                return self.probe(provider_url, own_pool)
        try:
            discovery_endpoint, base_path = parse_provider_url(provider_url)
        except _ProbeError as error:
            return ProbeResult(provider_url, hosts=(), failure=error.failure(None))

        discovery = pool.session(discovery_endpoint, Role.DISCOVERY)
        sessions = [discovery]
        current = discovery
        issuer: ServerText | None = None
        jwks_uri: ServerText | None = None
        key_count: int | None = None
        failure: ProbeFailure | None = None
        try:
            document = discovery.fetch_json(base_path + DISCOVERY_PATH)
            raw_issuer, raw_jwks_uri, jwks_parts = _validate_discovery(document, provider_url)
            issuer, jwks_uri = server_text(raw_issuer), server_text(raw_jwks_uri)
            jwks_endpoint = _endpoint_of(jwks_parts)
            assert jwks_endpoint is not None
            if (
                jwks_endpoint.host.lower() == discovery_endpoint.host.lower()
                and jwks_endpoint.port == discovery_endpoint.port
            ):
                discovery.roles.append(Role.JWKS)
            else:
                current = pool.session(jwks_endpoint, Role.JWKS)
                sessions.append(current)
            key_count = _validate_jwks(current.fetch_json(_request_target(jwks_parts)))
        except _ProbeError as error:
            failure = error.failure(current.endpoint)
            current.failure = failure
        finally:
            for session in sessions:
                session.close()
        return ProbeResult(
            provider_url=provider_url,
            hosts=tuple(session.capture() for session in sessions),
            issuer=issuer,
            jwks_uri=jwks_uri,
            jwks_key_count=key_count,
            failure=failure,
        )
