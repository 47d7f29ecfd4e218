"""The TLS+HTTP probe: what an OIDC provider's endpoints present and serve, fetched as IAM would.

For one provider URL the probe opens a TLS connection to the discovery endpoint with verification
off (so the presented chain is always captured; trust.py decides offline), fetches the discovery
document and the JWKS over a keep-alive connection, and captures the jwks_uri endpoint too when it
is another host or port. The HTTP and TLS work of one provider with one endpoint is connection.py's;
endpoints are shared by a sweep's providers (endpoints.py): one capture, one pool of connections and
one time budget per endpoint. Every network or content problem becomes a `ProbeFailure`, never an
exception:

- unreachable: invalid_url, dns_failure, dns_timeout, connection_refused, connection_reset,
  connect_timeout, connect_failed, tls_handshake_timeout, tls_handshake_failed,
  tls_version_unsupported, not_tls, connection_closed, read_timeout, host_budget_exceeded,
  tls_error, network_error, unparseable_certificate, malformed_certificate, no_certificate,
  sweep_ended;
- invalid_discovery: http_status, document_too_large, bad_http_response, bad_redirect,
  insecure_redirect, cross_host_redirect, redirect_loop, too_many_redirects, invalid_json,
  ambiguous_json, discovery_not_object, issuer_missing, issuer_mismatch, jwks_uri_missing,
  jwks_uri_relative, jwks_uri_not_https, jwks_uri_invalid, jwks_not_object, jwks_no_keys.

A failure may also carry what its answer proved missing (`ProbeFailure.absence`): an http_status whose 404 is
S3's NoSuchBucket, a dns_failure whose resolver said the name does not exist (domain/posture/issuers.py).
"""

from __future__ import annotations

import http.client
import ssl
from typing import Final
from urllib.parse import SplitResult, urlsplit

from thumbprint_remediator.domain.models import Endpoint, ProbeFailure, ProbeResult, Role
from thumbprint_remediator.domain.untrusted import ServerText, quoted, server_text
from thumbprint_remediator.tls.connection import (
    ProbeError,
    ProbeLimits,
    Resolver,
    UrlDefect,
    invalid_discovery,
    parse_provider_url,
    request_target,
    split_https_url,
    system_resolver,
    without_scheme,
)
from thumbprint_remediator.tls.endpoints import EndpointPool

DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
_DEFAULT_LIMITS: Final = ProbeLimits()  # frozen: one instance serves every prober built without limits


def _strip_one_slash(url: str) -> str:
    return url[:-1] if url.endswith("/") else url


def _endpoint_of(parts: SplitResult) -> Endpoint | None:
    try:
        port = 443 if parts.port is None else parts.port
    except ValueError:
        return None
    return Endpoint(parts.hostname, port) if parts.hostname else None


def _validate_discovery(document: object, provider_url: str) -> tuple[str, str, SplitResult]:
    """The issuer, the jwks_uri and its parsed form, or an invalid_discovery error."""
    if not isinstance(document, dict):
        raise invalid_discovery("discovery_not_object", "the discovery document is not a JSON object")
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise invalid_discovery("issuer_missing", "the discovery document has no issuer")
    expected = "https://" + without_scheme(provider_url)
    if _strip_one_slash(issuer) != _strip_one_slash(expected):
        raise invalid_discovery(
            "issuer_mismatch", f"the discovery document names issuer {quoted(issuer)}, expected {quoted(expected)}"
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise invalid_discovery("jwks_uri_missing", "the discovery document has no jwks_uri")
    try:
        parts = urlsplit(jwks_uri)
    except ValueError:
        raise invalid_discovery("jwks_uri_invalid", f"jwks_uri {jwks_uri!r} has an invalid host or port") from None
    if not parts.scheme or not parts.netloc:
        raise invalid_discovery("jwks_uri_relative", f"jwks_uri {quoted(jwks_uri)} is not an absolute URL")
    if parts.scheme.lower() != "https":
        raise invalid_discovery("jwks_uri_not_https", f"jwks_uri {quoted(jwks_uri)} is not https")
    try:
        parts, _ = split_https_url(jwks_uri)
    except UrlDefect as defect:
        raise invalid_discovery("jwks_uri_invalid", f"jwks_uri {quoted(jwks_uri)} {defect}") from None
    return issuer, jwks_uri, parts


def _validate_jwks(document: object) -> int:
    if not isinstance(document, dict):
        raise invalid_discovery("jwks_not_object", "the JWKS is not a JSON object")
    keys = document.get("keys")
    if not isinstance(keys, list) or not keys:
        raise invalid_discovery("jwks_no_keys", "the JWKS has no keys")
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

    def __init__(self, limits: ProbeLimits = _DEFAULT_LIMITS, resolver: Resolver = system_resolver) -> None:
        self.limits = limits
        self.resolver = resolver
        # At most TLS 1.2 first: IAM's thumbprint fallback needs it. TLS 1.3 only as a second try.
        self.tls12_context = _client_context(ssl.TLSVersion.TLSv1_2)
        self.tls13_context = _client_context(ssl.TLSVersion.TLSv1_3)

    def sweep_pool(self) -> EndpointPool:
        """A pool for one sweep: endpoints captured once, connections and verdicts shared. Close it after."""
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
        except ProbeError as error:
            return ProbeResult(provider_url, hosts=(), failure=error.failure(None))

        discovery = pool.session(discovery_endpoint, Role.DISCOVERY)
        sessions = [discovery]
        current = discovery
        issuer: ServerText | None = None
        jwks_uri: ServerText | None = None
        key_count: int | None = None
        failure: ProbeFailure | None = None
        try:
            raw_issuer, raw_jwks_uri, jwks_parts = discovery.fetch_json(
                base_path + DISCOVERY_PATH, lambda document: _validate_discovery(document, provider_url)
            )
            issuer, jwks_uri = server_text(raw_issuer), server_text(raw_jwks_uri)
            jwks_endpoint = _endpoint_of(jwks_parts)
            assert jwks_endpoint is not None
            if (
                jwks_endpoint.host.lower() == discovery_endpoint.host.lower()
                and jwks_endpoint.port == discovery_endpoint.port
            ):
                discovery.roles.append(Role.JWKS)
            else:
                discovery.close()  # done with it: its time is not spent while the JWKS endpoint is
                current = pool.session(jwks_endpoint, Role.JWKS)
                sessions.append(current)
            key_count = current.fetch_json(request_target(jwks_parts), _validate_jwks)
        except ProbeError as error:
            failure = error.failure(current.endpoint)
            current.failure = failure
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            # A network behaviour that no step named: still this provider's finding, never an internal error.
            failure = current.network_failure(error, "the probe").failure(current.endpoint)
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
