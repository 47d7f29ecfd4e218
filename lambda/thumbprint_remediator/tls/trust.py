"""Offline verification of a captured chain: public roots, then the operator's CAs, then the pins.

The probe captures chains with verification off; this module decides afterwards, with
`cryptography.x509.verification` (path, validity dates at `now`, and the hostname or IP address),
whether a chain is publicly trusted, trusted through EXTRA_CA_BUNDLE, or only through a certificate
the provider already pins.

Everything after that is judged on the *verified path* (the certificates the verifier returned),
never on the presented set: which presented certificates are tied to the path by signature (the
only ones a write may pin), how the presented order breaks IAM's chain-order rule, and whether a
chain trusted only through EXTRA_CA_BUNDLE continues the provider's pins.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import ssl
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store, Subject, VerificationError

from thumbprint_remediator.domain.models import (
    INTERCEPTION_BUNDLE_PIN_OFF_PATH,
    INTERCEPTION_PUBLIC_PIN,
    INTERCEPTION_UNATTRIBUTED_PINS,
    ChainDefect,
    ChainRule,
    HostCapture,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.untrusted import LINE_LIMIT, quoted, server_text

# Bundles of the usual distributions, tried when ssl's defaults hold nothing (AL2023 ships the second).
WELL_KNOWN_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
# OpenSSL looks certificates up in a CA directory by subject-hash names only (c_rehash layout).
_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")


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
            if _HASHED_NAME.fullmatch(entry.name):
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


def _identity(certificate: x509.Certificate) -> tuple[bytes, bytes]:
    """Subject and public key: what a CA certificate and its cross-signed copies share."""
    try:
        key = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (UnsupportedAlgorithm, ValueError):
        # A key cryptography cannot load shares its identity with no other certificate.
        key = certificate.public_bytes(Encoding.DER)
    return certificate.subject.public_bytes(), key


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return False


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `certificate`: its subject is the certificate's issuer and its key
    verifies the signature."""
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _signers_up(
    certificate: x509.Certificate, candidates: Callable[[x509.Certificate], Iterable[x509.Certificate]]
) -> Iterator[x509.Certificate]:
    """`certificate`, then each certificate reached by following signatures up through `candidates`, once each."""
    pending, visited = [certificate], set()
    while pending:
        cert = pending.pop()
        sha1 = certificate_sha1(cert)
        if sha1 in visited:
            continue
        visited.add(sha1)
        yield cert
        pending.extend(issuer for issuer in candidates(cert) if issued_by(cert, issuer))


def _issuers_up(certificate: x509.Certificate, pool: Sequence[x509.Certificate]) -> set[tuple[bytes, bytes]]:
    """The identities of `certificate` and of every CA of `pool` above it, following signatures."""
    return {_identity(cert) for cert in _signers_up(certificate, lambda _: pool)}


def tied_to_path(presented: Sequence[x509.Certificate], path: Sequence[x509.Certificate]) -> frozenset[int]:
    """Positions of the presented certificates tied to the verified path by signature.

    Tied: a certificate of the path; a cross-signed copy of a path CA (same subject and key, so the
    same CA); or, iterating up the presented list, the issuer of a tied certificate (its key signed
    it). Nothing else: a certificate merely sent alongside is not vouched for by the path.
    """
    in_path = {certificate_sha1(cert) for cert in path}
    path_cas = {_identity(cert) for cert in path[1:]}
    tied = {
        index
        for index, cert in enumerate(presented)
        if certificate_sha1(cert) in in_path or (_is_ca(cert) and _identity(cert) in path_cas)
    }
    pending = sorted(tied)
    while pending:
        signed = presented[pending.pop()]
        for index, cert in enumerate(presented):
            if index not in tied and issued_by(signed, cert):
                tied.add(index)
                pending.append(index)
    return frozenset(tied)


def chain_defects(presented: Sequence[x509.Certificate], tied: Collection[int]) -> tuple[ChainDefect, ...]:
    """How the presented list breaks IAM's rule that it reads leaf first, then each certificate's
    issuer: a certificate already presented (same subject and key), one not tied to the verified
    path, or one that does not issue the certificate before it (duplicates and unrelated ones set
    aside, so that each defect is named once)."""
    defects: list[ChainDefect] = []
    seen = {_identity(presented[0])} if presented else set()
    previous = presented[0] if presented else None
    for index, cert in enumerate(presented[1:], start=1):
        rule: ChainRule | None = None
        if _identity(cert) in seen:
            rule = ChainRule.DUPLICATE
        elif index not in tied:
            rule = ChainRule.UNRELATED
        else:
            seen.add(_identity(cert))
            if previous is not None and not issued_by(previous, cert):
                rule = ChainRule.MISORDERED
            previous = cert
        if rule is not None:
            defects.append(ChainDefect(rule, index, certificate_sha1(cert)))
    return tuple(defects)


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
        self._public_identities = frozenset(_identity(cert) for cert in self._public_roots)
        self._public_by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        for cert in self._public_roots:
            self._public_by_subject.setdefault(cert.subject, []).append(cert)

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
            tied = tied_to_path(presented, path)
            verified_path = tuple(certificate_sha1(cert) for cert in path)
            on_path = {*verified_path, *(certificate_sha1(presented[index]) for index in tied)}
            evidence = (
                self._interception_evidence(presented, path, on_path, pinned_thumbprints)
                if trust is Trust.PRIVATE
                else None
            )
            return TrustResult(
                trust,
                verified_path=verified_path,
                interception_suspected=evidence is not None,
                interception_evidence=evidence,
                tied_to_path=frozenset(on_path - set(verified_path)),
                chain_defects=chain_defects(presented, tied),
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

    def _interception_evidence(  # noqa: PLR0911 - a decision list: each return is one verdict, in order of precedence
        self,
        presented: Sequence[x509.Certificate],
        path: Sequence[x509.Certificate],
        on_path: Collection[str],
        pinned_thumbprints: set[str],
    ) -> str | None:
        """Why a chain trusted only through EXTRA_CA_BUNDLE may be a TLS-intercepting proxy's, or None.

        Judged on the verified path, never on what was merely presented: a proxy can send the
        provider's pinned certificate alongside its own chain, but cannot tie it to its path by
        signature. The chain may take over from the pins only when the provider has no pins yet, a
        pin is on the path or tied to it (continuity), or a pin is a CA of EXTRA_CA_BUNDLE (not also
        a public root) that shares the path: the path reaches it or an issuer of it (a rotation under
        the same private root). A pin of the public PKI (a public root, or a presented certificate
        that chains to one) is `public_pin`, which nothing overrides; `bundle_pin_off_path` when the
        pinned bundle CA is off the path (a proxy in front of a private issuer, or a re-rooted private
        PKI); `unattributed_pins` when no pin can be attributed at all. A pinned public intermediate
        that is not presented is only a hash, indistinguishable from a rotated private one; the rules
        let an operator tag a provider as private to follow such rotations.
        """
        if not pinned_thumbprints:
            return None
        if pinned_thumbprints & set(on_path):
            return None
        if pinned_thumbprints & self._public_thumbprints:
            return INTERCEPTION_PUBLIC_PIN
        pinned_presented = [cert for cert in presented if certificate_sha1(cert) in pinned_thumbprints]
        if any(self._chains_to_public_store(cert, presented) for cert in pinned_presented):
            return INTERCEPTION_PUBLIC_PIN
        bundle_pins = [
            cert for cert in self._extra_cas if certificate_sha1(cert) in pinned_thumbprints & self._private_thumbprints
        ]
        if any(self._shares_path(pin, path, presented) for pin in bundle_pins):
            return None
        if bundle_pins:
            return INTERCEPTION_BUNDLE_PIN_OFF_PATH
        return INTERCEPTION_UNATTRIBUTED_PINS

    def _shares_path(
        self, pin: x509.Certificate, path: Sequence[x509.Certificate], presented: Sequence[x509.Certificate]
    ) -> bool:
        """Whether the pinned bundle CA, or a CA that issued it, is a certificate of the verified path."""
        pool = [*self._extra_cas, *presented, *path]
        path_identities = {_identity(cert) for cert in path}
        return bool(_issuers_up(pin, pool) & path_identities)

    def _chains_to_public_store(self, certificate: x509.Certificate, presented: Sequence[x509.Certificate]) -> bool:
        """Whether signatures lead from `certificate`, through presented ones, to a public root."""
        return any(
            certificate_sha1(cert) in self._public_thumbprints or _identity(cert) in self._public_identities
            for cert in _signers_up(
                certificate, lambda cert: [*self._public_by_subject.get(cert.issuer, ()), *presented]
            )
        )
