"""Offline verification of a captured chain: public roots, then the operator's CAs, then the pins.

The probe captures chains with verification off; this module decides afterwards, with
`cryptography.x509.verification` (path, validity dates at `now`, and the hostname or IP address),
whether a chain is publicly trusted, trusted through EXTRA_CA_BUNDLE, or only through a certificate
the provider already pins.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import ssl
import warnings
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store, Subject, VerificationError

from thumbprint_remediator.models import (
    INTERCEPTION_PUBLIC_PIN,
    INTERCEPTION_UNATTRIBUTED_PINS,
    HostCapture,
    Trust,
    TrustResult,
)
from thumbprint_remediator.untrusted import LINE_LIMIT, quoted, server_text

# Bundles of the usual distributions, tried when ssl's defaults hold nothing (AL2023 ships the second).
WELL_KNOWN_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
# OpenSSL looks certificates up in a CA directory by subject-hash names only (c_rehash layout).
_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")


class TrustStoreError(Exception):
    """A CA bundle that cannot be used; the message names the file and what is wrong."""


def certificate_sha1(certificate: x509.Certificate) -> str:
    """Lowercase hex SHA-1 of the DER encoding."""
    return hashlib.sha1(certificate.public_bytes(Encoding.DER), usedforsecurity=False).hexdigest()


def _parse_pem_blocks(data: bytes) -> tuple[list[x509.Certificate], int]:
    """Certificates found in PEM data, and how many blocks could not be parsed."""
    certificates: list[x509.Certificate] = []
    unparseable = 0
    with warnings.catch_warnings():
        # Some system roots carry non-positive serials; cryptography only warns about them today.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in _PEM_CERTIFICATE.findall(data):
            try:
                certificates.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                unparseable += 1
    return certificates, unparseable


def _read_system_file(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    return _parse_pem_blocks(data)[0]


def load_system_roots() -> list[x509.Certificate]:
    """The system trust store as OpenSSL would find it; unparseable certificates are skipped.

    `SSL_CERT_FILE` / `SSL_CERT_DIR` replace the default file / directory, as in OpenSSL: ssl's
    `get_default_verify_paths` applies them. When what it names holds no certificate at all, the
    well-known bundle locations are tried instead.
    """
    paths = ssl.get_default_verify_paths()
    roots: list[x509.Certificate] = []
    if paths.cafile:
        roots += _read_system_file(Path(paths.cafile))
    if paths.capath:
        try:
            entries = sorted(Path(paths.capath).iterdir())
        except OSError:
            entries = []
        for entry in entries:
            if _HASHED_NAME.match(entry.name):
                roots += _read_system_file(entry)
    if not roots:
        for candidate in WELL_KNOWN_CA_FILES:
            roots = _read_system_file(Path(candidate))
            if roots:
                break
    return _unique(roots)


def load_ca_bundle(path: str | os.PathLike[str]) -> list[x509.Certificate]:
    """Every certificate of an operator-supplied PEM bundle; any problem raises TrustStoreError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TrustStoreError(f"CA bundle {path}: no such file") from None
    except OSError as exc:
        raise TrustStoreError(f"CA bundle {path}: cannot be read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise TrustStoreError(f"CA bundle {path}: the file is empty")
    certificates, unparseable = _parse_pem_blocks(data)
    if unparseable:
        raise TrustStoreError(f"CA bundle {path}: {unparseable} PEM certificate block(s) cannot be parsed")
    if not certificates:
        raise TrustStoreError(f"CA bundle {path}: no PEM certificate found (expected BEGIN CERTIFICATE blocks)")
    return _unique(certificates)


def _unique(certificates: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    seen: dict[str, x509.Certificate] = {}
    for certificate in certificates:
        seen.setdefault(certificate_sha1(certificate), certificate)
    return list(seen.values())


def _subject(host: str) -> Subject:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _one_line(error: Exception) -> str:
    # The verifier's text quotes the presented certificates, names and all: the server's text.
    return server_text(" ".join(str(error).split()) or type(error).__name__, LINE_LIMIT)


def _explain(error: str, top: x509.Certificate) -> str:
    """The verifier's reason, in the operator's terms where it is only "no path found"."""
    if "no interior errors" in error:  # cryptography: no candidate issuer was found at all
        return (
            f"no path to a trusted CA: the issuer of the last certificate presented "
            f"({quoted(top.issuer.rfc4514_string())}) is not in the trust store, EXTRA_CA_BUNDLE or the pins"
        )
    return error


class TrustEvaluator:
    """Decides how a captured chain is trusted. Build it once per cold start; it is read-only after.

    Anchors need not be self-signed: `cryptography` ends a path at any certificate of the store and
    still checks that anchor's dates and CA constraints, so a pinned intermediate (or a pinned
    self-signed leaf) works as an anchor.
    """

    def __init__(self, public_roots: Sequence[x509.Certificate], extra_cas: Sequence[x509.Certificate] = ()) -> None:
        self._public_roots = _unique(public_roots)
        self._extra_cas = _unique(extra_cas)
        self._public_store = Store(self._public_roots) if self._public_roots else None
        # Public and extra together: a private chain may be cross-signed into the public PKI.
        combined = _unique([*self._public_roots, *self._extra_cas])
        self._private_store = Store(combined) if self._extra_cas else None
        self._public_thumbprints = frozenset(certificate_sha1(cert) for cert in self._public_roots)
        # Public roots an operator copied into the bundle do not make a pin private.
        self._private_thumbprints = frozenset(certificate_sha1(cert) for cert in self._extra_cas) - (
            self._public_thumbprints
        )

    @classmethod
    def from_system(cls, extra_ca_bundle: str | None = None) -> TrustEvaluator:
        """The system trust store (honouring SSL_CERT_FILE / SSL_CERT_DIR) plus an optional PEM bundle."""
        extra = load_ca_bundle(extra_ca_bundle) if extra_ca_bundle else []
        return cls(load_system_roots(), extra)

    @property
    def public_root_count(self) -> int:
        return len(self._public_roots)

    @property
    def extra_ca_count(self) -> int:
        return len(self._extra_cas)

    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult:
        """Verify the presented chain of one endpoint at `now`: public, then private, then pinned."""
        if not capture.presented_chain:
            reason = capture.failure.message if capture.failure else "no certificate was presented"
            return TrustResult(Trust.UNTRUSTED, error=f"no chain to verify: {reason}")
        try:
            presented = [x509.load_der_x509_certificate(info.der) for info in capture.presented_chain]
            subject = _subject(capture.endpoint.host)
        except ValueError as exc:
            return TrustResult(Trust.UNTRUSTED, error=_one_line(exc))

        pinned_thumbprints = {thumbprint.lower() for thumbprint in pinned}
        error = "no trust anchor configured"
        for trust, store in self._stores(presented, pinned_thumbprints):
            try:
                path = (
                    PolicyBuilder()
                    .store(store)
                    .time(now)
                    .build_server_verifier(subject)
                    .verify(presented[0], presented[1:])
                )
            except VerificationError as exc:
                error = _one_line(exc)
                continue
            evidence = self._interception_evidence(capture, pinned_thumbprints) if trust is Trust.PRIVATE else None
            return TrustResult(
                trust,
                verified_path=tuple(certificate_sha1(cert) for cert in path),
                interception_suspected=evidence is not None,
                interception_evidence=evidence,
            )
        return TrustResult(Trust.UNTRUSTED, error=_explain(error, presented[-1]))

    def _stores(
        self, presented: Sequence[x509.Certificate], pinned_thumbprints: Collection[str]
    ) -> Iterable[tuple[Trust, Store]]:
        if self._public_store:
            yield Trust.PUBLIC, self._public_store
        if self._private_store:
            yield Trust.PRIVATE, self._private_store
        # The pinned presented certificates alone suffice as anchors: any path through the public
        # or extra anchors was already tried (and failed) above.
        anchors = [cert for cert in presented if certificate_sha1(cert) in pinned_thumbprints]
        if anchors:
            yield Trust.PINNED, Store(_unique(anchors))

    def _interception_evidence(self, capture: HostCapture, pinned_thumbprints: set[str]) -> str | None:
        """Why a chain trusted only through EXTRA_CA_BUNDLE may be a TLS-intercepting proxy's, or None.

        Such a chain may take over from the provider's pins only when something ties the provider
        to the operator's PKI: it has no pins yet, a presented certificate is pinned (continuity), or
        a pin is the SHA-1 of a certificate of EXTRA_CA_BUNDLE that is not also a public root.
        Otherwise the pins may well belong to the public PKI: `public_pin` when one is a certificate
        of the public store (provably so), `unattributed_pins` when none can be attributed at all. A
        pinned public *intermediate* is only a hash here, indistinguishable from a rotated private
        one; the rules let an operator tag a provider as private to follow such rotations.
        """
        if not pinned_thumbprints:
            return None
        presented = {info.sha1.lower() for info in capture.presented_chain}
        if pinned_thumbprints & (presented | self._private_thumbprints):
            return None
        if pinned_thumbprints & self._public_thumbprints:
            return INTERCEPTION_PUBLIC_PIN
        return INTERCEPTION_UNATTRIBUTED_PINS
