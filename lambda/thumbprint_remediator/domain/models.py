"""Plain data passed between the adapters, the rules and the report. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import ServerText

# The statuses a probe failure leads to.
FailureKind = Literal[Status.UNREACHABLE, Status.INVALID_DISCOVERY]


class Trust(StrEnum):
    """How a host's presented chain was verified (path, dates and hostname)."""

    PUBLIC = "public"  # system trust store
    PRIVATE = "private"  # the operator's EXTRA_CA_BUNDLE
    PINNED = "pinned"  # a presented certificate already pinned on the provider (continuity)
    UNTRUSTED = "untrusted"


# Why a chain that verifies only through EXTRA_CA_BUNDLE is suspected to be a TLS-intercepting proxy's.
# A pin is a certificate of the public PKI: a root of the public store, or a presented certificate
# that chains to one by signature (though not on the verified path).
INTERCEPTION_PUBLIC_PIN = "public_pin"
INTERCEPTION_UNATTRIBUTED_PINS = "unattributed_pins"  # no pin is on the verified path or in EXTRA_CA_BUNDLE
# A pin is a CA of EXTRA_CA_BUNDLE, but the verified path reaches neither it nor its issuers.
INTERCEPTION_BUNDLE_PIN_OFF_PATH = "bundle_pin_off_path"


class ChainRule(StrEnum):
    """Which part of IAM's chain-order rule a presented chain breaks: the leaf first, then each
    certificate's issuer, with no duplicates and nothing else (STS rejects the JWT otherwise)."""

    MISORDERED = "misordered"  # the certificate does not issue the one before it
    DUPLICATE = "duplicate"  # the same CA (subject and key) was already presented
    UNRELATED = "unrelated"  # not tied to the verified path by signature at all


@dataclass(frozen=True)
class ChainDefect:
    """One presented certificate that breaks the chain-order rule."""

    rule: ChainRule
    position: int  # index in the presented chain; 0 is the leaf
    sha1: str


class Role(StrEnum):
    DISCOVERY = "discovery"
    JWKS = "jwks"


@dataclass(frozen=True)
class Endpoint:
    """A TLS endpoint: the hostname (also the SNI name) and the port."""

    host: str
    port: int = 443

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"


@dataclass(frozen=True)
class CertificateInfo:
    """One certificate as the server presented it; its names are the server's text, sanitized."""

    subject: ServerText
    issuer: ServerText
    serial: str  # lowercase hex
    not_before: datetime  # timezone-aware UTC
    not_after: datetime  # timezone-aware UTC
    sha1: str  # lowercase hex SHA-1 of the DER: the thumbprint IAM would pin
    is_ca: bool
    der: bytes = field(repr=False, compare=False)

    @property
    def self_signed(self) -> bool:
        """Subject equals issuer and the certificate's own key verifies its signature.

        Computed on demand: no decision reads it, so the probe no longer pays a signature check per
        presented certificate. When the key type cannot verify signatures here, matching names decide.
        """
        from cryptography import x509  # noqa: PLC0415 - only this rarely read property needs it
        from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm  # noqa: PLC0415

        certificate = x509.load_der_x509_certificate(self.der)
        if certificate.subject != certificate.issuer:
            return False
        try:
            certificate.verify_directly_issued_by(certificate)
        except (InvalidSignature, ValueError):
            return False
        except (TypeError, UnsupportedAlgorithm):
            return True
        return True


class Absence(StrEnum):
    """What a failed probe proved does not exist: the evidence that someone else could claim the issuer."""

    NO_SUCH_BUCKET = "no_such_bucket"  # S3 (or CloudFront in front of it) answered that the bucket does not exist
    NAME_NOT_FOUND = "name_not_found"  # the resolver answered that the host name does not exist (NXDOMAIN)


@dataclass(frozen=True)
class ProbeFailure:
    """Why a probe could not finish. `kind` picks the provider status it leads to; `absence`, when set, says
    what the answer proved missing (the code stays the one the failure always had: http_status, dns_failure)."""

    kind: FailureKind
    code: str  # machine-readable, e.g. "connect_timeout", "issuer_mismatch"
    message: ServerText  # one human line; it may quote what the server sent
    endpoint: Endpoint | None = None
    absence: Absence | None = None
    # The bucket S3 names as missing, when its answer names a valid bucket name (anything else is dropped).
    missing_bucket: ServerText | None = None


class _Presented:
    """What a server presented in one handshake: its top certificate is the one IAM thumbprints."""

    presented_chain: tuple[CertificateInfo, ...]

    @property
    def top_certificate(self) -> CertificateInfo | None:
        """The last certificate presented: the one IAM thumbprints."""
        return self.presented_chain[-1] if self.presented_chain else None

    @property
    def live_thumbprint(self) -> str | None:
        top = self.top_certificate
        return top.sha1 if top else None


@dataclass(frozen=True)
class ChainSample(_Presented):
    """One sampled TLS handshake with an endpoint: the address that answered and what it presented."""

    address: str  # the IP address connected to
    presented_chain: tuple[CertificateInfo, ...] = ()
    failure: ProbeFailure | None = None  # set when this handshake failed
    reachable: bool = True  # False: the function could not even connect (e.g. no IPv6 route)


@dataclass(frozen=True)
class HostCapture(_Presented):
    """What one TLS endpoint showed: its presented chain, in the order it was sent."""

    endpoint: Endpoint
    roles: tuple[Role, ...]
    presented_chain: tuple[CertificateInfo, ...] = ()
    tls_version: str | None = None  # e.g. "TLSv1.2"
    accepts_tls12: bool | None = None  # False: TLS 1.3 only (IAM then relies on thumbprints)
    handshakes: int = 0
    failure: ProbeFailure | None = None
    # Every sampled handshake (one host, many servers, many chains), the one of presented_chain first.
    # Empty when the endpoint was not sampled.
    samples: tuple[ChainSample, ...] = ()


@dataclass(frozen=True)
class ProbeResult:
    """Everything the network showed for one provider URL."""

    provider_url: str  # as IAM stores it: no scheme
    hosts: tuple[HostCapture, ...]  # discovery endpoint first, then the jwks endpoint if different
    issuer: ServerText | None = None  # as the discovery document names it, sanitized for display
    jwks_uri: ServerText | None = None
    jwks_key_count: int | None = None
    failure: ProbeFailure | None = None


@dataclass(frozen=True)
class TrustResult:
    """The verdict on one host's presented chain."""

    trust: Trust
    verified_path: tuple[str, ...] = ()  # SHA-1s from leaf to anchor, as the verifier built it
    error: str | None = None  # the verifier's reason when untrusted
    interception_suspected: bool = False
    # Why interception is suspected (INTERCEPTION_*): the rules word the problem, and let a
    # provider tagged as private follow a rotation whose pins cannot be attributed.
    interception_evidence: str | None = None
    # Presented certificates outside the path but tied to it by signature: a cross-signed copy of a
    # path CA (same subject and key), or the issuer of a tied certificate (the Starfield G2 case).
    tied_to_path: frozenset[str] = frozenset()
    chain_defects: tuple[ChainDefect, ...] = ()  # how the presented order breaks IAM's rule

    @property
    def pinnable(self) -> frozenset[str]:
        """The SHA-1s a write may pin: certificates of the verified path or tied to it by signature."""
        if self.trust is Trust.UNTRUSTED:
            return frozenset()
        return frozenset(self.verified_path) | self.tied_to_path


@dataclass(frozen=True)
class ProviderConfig:
    """An IAM OIDC provider as the inventory read it."""

    arn: str
    url: str
    thumbprints: tuple[str, ...]
    client_ids: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    def tag(self, key: str) -> str | None:
        return next((value for tag_key, value in self.tags if tag_key == key), None)
