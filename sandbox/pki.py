"""A generated PKI for the local OIDC issuers: roots, intermediates and leaves with EC P-256 keys.

Certificates are shaped like real Web PKI ones (AKI/SKI everywhere, critical BasicConstraints and
KeyUsage, SAN and serverAuth on leaves) so that `cryptography`'s verifier and OpenSSL accept them.
Everything is built lazily and cached per `SandboxPki`; `default_pki()` shares one per process, so
hundreds of issuers cost a handful of key generations.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from thumbprint_remediator.contract.names import ENV_EXTRA_CA_BUNDLE

ORGANISATION = "OIDC Sandbox"
SERVER_DNS_NAMES = ("localhost",)
SERVER_IP_ADDRESSES = ("127.0.0.1", "::1")
CA_LIFETIME = timedelta(days=3650)
LEAF_LIFETIME = timedelta(days=90)
BACKDATE = timedelta(days=1)
EXPIRING_SOON = timedelta(days=10)


def sha1_thumbprint(certificate: x509.Certificate) -> str:
    """The lowercase hex SHA-1 of the DER encoding, as IAM pins it."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


def certificate_pem(certificates: Iterable[x509.Certificate]) -> bytes:
    """Concatenated PEM blocks, in the given order."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def write_pem_bundle(path: Path, certificates: Iterable[x509.Certificate]) -> Path:
    """Write certificates as one PEM file (an EXTRA_CA_BUNDLE or an SSL_CERT_FILE) and return its path."""
    path.write_bytes(certificate_pem(certificates))
    return path


@dataclass(frozen=True)
class KeyedCertificate:
    """A certificate together with its private key (a CA that can issue, or a server leaf)."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def sha1(self) -> str:
        return sha1_thumbprint(self.certificate)

    @property
    def subject(self) -> x509.Name:
        return self.certificate.subject


@dataclass(frozen=True)
class PresentedChain:
    """What a TLS server sends: the leaf first, then the certificates after it, plus the leaf's key."""

    name: str
    certificates: tuple[x509.Certificate, ...]
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]

    @property
    def top_certificate(self) -> x509.Certificate:
        """The last certificate presented: the one IAM thumbprints."""
        return self.certificates[-1]

    @property
    def top_thumbprint(self) -> str:
        return sha1_thumbprint(self.top_certificate)

    @property
    def thumbprints(self) -> tuple[str, ...]:
        return tuple(sha1_thumbprint(cert) for cert in self.certificates)

    def certificate_chain_pem(self) -> bytes:
        """The chain file a server loads (leaf first)."""
        return certificate_pem(self.certificates)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _sign_ca(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signer: KeyedCertificate | None,
    signer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None,
) -> x509.Certificate:
    issuer_name = signer.subject if signer else subject
    issuer_public_key = signer.certificate.public_key() if signer else public_key
    assert isinstance(issuer_public_key, ec.EllipticCurvePublicKey)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
        .sign(signer_key, hashes.SHA256())
    )


def issue_root(common_name: str, not_before: datetime, not_after: datetime) -> KeyedCertificate:
    """A self-signed root CA."""
    key = new_key()
    certificate = _sign_ca(_name(common_name), key.public_key(), None, key, not_before, not_after, None)
    return KeyedCertificate(certificate, key)


def issue_intermediate(
    common_name: str,
    issuer: KeyedCertificate,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None = 0,
) -> KeyedCertificate:
    """A CA certificate signed by `issuer`; path_length 0 means it may only issue leaves."""
    key = new_key()
    certificate = _sign_ca(_name(common_name), key.public_key(), issuer, issuer.key, not_before, not_after, path_length)
    return KeyedCertificate(certificate, key)


def cross_sign(
    ca: KeyedCertificate, signer: KeyedCertificate, not_before: datetime, not_after: datetime
) -> KeyedCertificate:
    """The same subject and key as `ca`, certified by `signer` (like Starfield Services Root G2)."""
    public_key = ca.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    certificate = _sign_ca(ca.subject, public_key, signer, signer.key, not_before, not_after, None)
    return KeyedCertificate(certificate, ca.key)


def issue_leaf(
    issuer: KeyedCertificate | None,
    not_before: datetime,
    not_after: datetime,
    dns_names: Sequence[str] = SERVER_DNS_NAMES,
    ip_addresses: Sequence[str] = SERVER_IP_ADDRESSES,
) -> KeyedCertificate:
    """A TLS server certificate for the given names; `issuer=None` makes it self-signed."""
    key = new_key()
    subject = _name(dns_names[0] if dns_names else "sandbox server")
    issuer_name = issuer.subject if issuer else subject
    issuer_public_key = issuer.certificate.public_key() if issuer else key.public_key()
    assert isinstance(issuer_public_key, ec.EllipticCurvePublicKey)
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
        .sign(issuer.key if issuer else key, hashes.SHA256())
    )
    return KeyedCertificate(certificate, key)


ChainRecipe = Callable[["SandboxPki"], PresentedChain]
# Presented-chain recipes by name; issuer behaviours refer to chains by these names.
CHAIN_RECIPES: dict[str, ChainRecipe] = {}


def chain_recipe(name: str) -> Callable[[ChainRecipe], ChainRecipe]:
    """Register a presented-chain recipe under `name` (decorator)."""

    def register(recipe: ChainRecipe) -> ChainRecipe:
        if name in CHAIN_RECIPES:
            raise ValueError(f"chain recipe {name!r} is already registered")
        CHAIN_RECIPES[name] = recipe
        return recipe

    return register


class SandboxPki:
    """The sandbox's certificate authorities and presented chains, each generated once on first use.

    - `public_root` stands in for a root of the system trust store (the sandbox never installs it;
      tests hand it to `TrustEvaluator` or write it to an `SSL_CERT_FILE`).
    - `private_root` stands in for an operator's private CA (the EXTRA_CA_BUNDLE).
    - `interception_root` is a third root, in neither list unless a test puts it there (MITM).
    - `inspection_root` is a corporate TLS-inspection CA: a hostile-matrix run adds it to the
      EXTRA_CA_BUNDLE, as an operator who copied a workstation bundle would.
    """

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self._lock = threading.RLock()
        self._cas: dict[str, KeyedCertificate] = {}
        self._chains: dict[str, PresentedChain] = {}

    # --- certificate authorities -------------------------------------------------------------

    def _ca(self, name: str, build: Callable[[], KeyedCertificate]) -> KeyedCertificate:
        with self._lock:
            if name not in self._cas:
                self._cas[name] = build()
            return self._cas[name]

    @property
    def _ca_validity(self) -> tuple[datetime, datetime]:
        return self.now - 30 * BACKDATE, self.now + CA_LIFETIME

    def _root(self, name: str, common_name: str) -> KeyedCertificate:
        return self._ca(name, lambda: issue_root(common_name, *self._ca_validity))

    def _intermediate(
        self, name: str, common_name: str, issuer: KeyedCertificate, not_after: datetime | None = None
    ) -> KeyedCertificate:
        not_before, default_not_after = self._ca_validity
        return self._ca(
            name,
            lambda: issue_intermediate(common_name, issuer, not_before, not_after or default_not_after),
        )

    @property
    def public_root(self) -> KeyedCertificate:
        return self._root("public_root", "Sandbox Public Root CA")

    @property
    def private_root(self) -> KeyedCertificate:
        return self._root("private_root", "Sandbox Private Root CA")

    @property
    def interception_root(self) -> KeyedCertificate:
        return self._root("interception_root", "Sandbox Interception Root CA")

    @property
    def public_intermediate(self) -> KeyedCertificate:
        return self._intermediate("public_intermediate", "Sandbox Public Issuing CA 1", self.public_root)

    @property
    def rotated_intermediate(self) -> KeyedCertificate:
        """A second issuing CA under the same public root: what a rotation switches to."""
        return self._intermediate("rotated_intermediate", "Sandbox Public Issuing CA 2", self.public_root)

    @property
    def expiring_intermediate(self) -> KeyedCertificate:
        return self._intermediate(
            "expiring_intermediate",
            "Sandbox Public Issuing CA (expiring)",
            self.public_root,
            not_after=self.now + EXPIRING_SOON,
        )

    @property
    def private_intermediate(self) -> KeyedCertificate:
        return self._intermediate("private_intermediate", "Sandbox Private Issuing CA", self.private_root)

    @property
    def interception_intermediate(self) -> KeyedCertificate:
        return self._intermediate(
            "interception_intermediate", "Sandbox Interception Issuing CA", self.interception_root
        )

    @property
    def private_intermediate_2(self) -> KeyedCertificate:
        """A second private issuing CA under the same private root: a private CA rotation."""
        return self._intermediate("private_intermediate_2", "Sandbox Private Issuing CA 2", self.private_root)

    @property
    def inspection_root(self) -> KeyedCertificate:
        """A corporate TLS-inspection CA: trusted only where an operator adds it to EXTRA_CA_BUNDLE."""
        return self._root("inspection_root", "Sandbox Corporate TLS Inspection CA")

    @property
    def inspection_intermediate(self) -> KeyedCertificate:
        """What an inspecting proxy signs the leaves it forges with."""
        return self._intermediate("inspection_intermediate", "Sandbox TLS Inspection Issuing CA", self.inspection_root)

    @property
    def unrelated_root(self) -> KeyedCertificate:
        """A CA that has nothing to do with any presented chain (sent by mistake, e.g. an old bundle)."""
        return self._root("unrelated_root", "Sandbox Unrelated CA")

    def long_chain_intermediates(self, depth: int = 4) -> tuple[KeyedCertificate, ...]:
        """`depth` CAs below the public root, each signing the next: the last one issues the leaf."""
        cas: list[KeyedCertificate] = []
        issuer = self.public_root
        for level in range(1, depth + 1):
            issuer = self._ca(f"long_chain_{level}", functools.partial(self._chain_ca, level, issuer))
            cas.append(issuer)
        return tuple(cas)

    def _chain_ca(self, level: int, parent: KeyedCertificate) -> KeyedCertificate:
        not_before, not_after = self._ca_validity
        return issue_intermediate(f"Sandbox Public Chain CA {level}", parent, not_before, not_after, path_length=None)

    @property
    def cross_root(self) -> KeyedCertificate:
        """A newer root, self-signed: the copy a trust store would hold."""
        return self._ca(
            "cross_root",
            lambda: issue_root("Sandbox Public Root CA G2", *self._ca_validity),
        )

    @property
    def cross_signed_root(self) -> KeyedCertificate:
        """`cross_root` certified by `public_root`: same subject and key, different certificate."""
        return self._ca(
            "cross_signed_root",
            lambda: cross_sign(self.cross_root, self.public_root, *self._ca_validity),
        )

    @property
    def cross_intermediate(self) -> KeyedCertificate:
        return self._intermediate("cross_intermediate", "Sandbox Public Issuing CA G2", self.cross_root)

    @property
    def services_root_g2(self) -> KeyedCertificate:
        """Like "Starfield Services Root G2": the CA that cross-signed the public root for old clients."""
        return self._root("services_root_g2", "Sandbox Services Root G2")

    @property
    def class2_root(self) -> KeyedCertificate:
        """Like "Starfield Class 2 Certification Authority": the oldest root, which certifies G2."""
        return self._root("class2_root", "Sandbox Class 2 Root")

    @property
    def public_root_cross_signed(self) -> KeyedCertificate:
        """The public root's subject and key, certified by `services_root_g2` (like Amazon Root CA 1)."""
        return self._ca(
            "public_root_cross_signed",
            lambda: cross_sign(self.public_root, self.services_root_g2, *self._ca_validity),
        )

    @property
    def services_root_g2_cross_signed(self) -> KeyedCertificate:
        """`services_root_g2` certified by `class2_root`: what the seed's EKS endpoints presented last."""
        return self._ca(
            "services_root_g2_cross_signed",
            lambda: cross_sign(self.services_root_g2, self.class2_root, *self._ca_validity),
        )

    @property
    def impostor_root(self) -> KeyedCertificate:
        """A self-signed root named exactly like `public_root`, with another key: an issuer by name only."""
        return self._root("impostor_root", "Sandbox Public Root CA")

    @property
    def public_roots(self) -> tuple[x509.Certificate, ...]:
        """What the sandbox's stand-in system store holds."""
        return (self.public_root.certificate,)

    @property
    def extra_cas(self) -> tuple[x509.Certificate, ...]:
        """What the sandbox's EXTRA_CA_BUNDLE holds by default: the private root only."""
        return (self.private_root.certificate,)

    def write_public_bundle(self, path: Path) -> Path:
        """Write the stand-in system store as PEM, e.g. to point SSL_CERT_FILE at it."""
        return write_pem_bundle(path, self.public_roots)

    def write_extra_ca_bundle(self, path: Path, *extra: x509.Certificate) -> Path:
        """Write an EXTRA_CA_BUNDLE with the private root and any further certificates given."""
        return write_pem_bundle(path, (*self.extra_cas, *extra))

    def trust_environment(self, directory: Path) -> dict[str, str]:
        """Write both bundles into `directory`; the variables that make a handler trust the sandbox.

        SSL_CERT_FILE makes `TrustEvaluator.from_system` (like OpenSSL) take the sandbox public root
        as the system store's file; EXTRA_CA_BUNDLE adds the private root.
        """
        return {
            "SSL_CERT_FILE": str(self.write_public_bundle(directory / "sandbox-public-roots.pem")),
            ENV_EXTRA_CA_BUNDLE: str(self.write_extra_ca_bundle(directory / "sandbox-extra-ca-bundle.pem")),
        }

    # --- presented chains ----------------------------------------------------------------------

    def chain(self, name: str) -> PresentedChain:
        """The presented chain registered as `name`, generated on first use."""
        with self._lock:
            if name not in self._chains:
                try:
                    recipe = CHAIN_RECIPES[name]
                except KeyError:
                    known = ", ".join(sorted(CHAIN_RECIPES))
                    raise KeyError(f"unknown chain {name!r}; known: {known}") from None
                self._chains[name] = recipe(self)
            return self._chains[name]

    def leaf(
        self,
        issuer: KeyedCertificate | None,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        dns_names: Sequence[str] = SERVER_DNS_NAMES,
        ip_addresses: Sequence[str] = SERVER_IP_ADDRESSES,
    ) -> KeyedCertificate:
        """A fresh server certificate, valid by default from yesterday for LEAF_LIFETIME."""
        return issue_leaf(
            issuer,
            not_before or self.now - BACKDATE,
            not_after or self.now + LEAF_LIFETIME,
            dns_names,
            ip_addresses,
        )

    def presented(self, name: str, leaf: KeyedCertificate, *after_leaf: KeyedCertificate) -> PresentedChain:
        """Assemble a chain as a server would send it: the leaf, then `after_leaf` in order."""
        certificates = (leaf.certificate, *(item.certificate for item in after_leaf))
        return PresentedChain(name, certificates, leaf.key)


@chain_recipe("public")
def _public(pki: SandboxPki) -> PresentedChain:
    return pki.presented("public", pki.leaf(pki.public_intermediate), pki.public_intermediate)


@chain_recipe("public_with_root")
def _public_with_root(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented("public_with_root", leaf, pki.public_intermediate, pki.public_root)


@chain_recipe("rotated")
def _rotated(pki: SandboxPki) -> PresentedChain:
    return pki.presented("rotated", pki.leaf(pki.rotated_intermediate), pki.rotated_intermediate)


@chain_recipe("cross_signed")
def _cross_signed(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.cross_intermediate)
    return pki.presented("cross_signed", leaf, pki.cross_intermediate, pki.cross_signed_root)


@chain_recipe("expiring_soon")
def _expiring_soon(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.expiring_intermediate, not_after=pki.now + EXPIRING_SOON)
    return pki.presented("expiring_soon", leaf, pki.expiring_intermediate)


@chain_recipe("expired")
def _expired(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate, not_before=pki.now - LEAF_LIFETIME, not_after=pki.now - BACKDATE)
    return pki.presented("expired", leaf, pki.public_intermediate)


@chain_recipe("not_yet_valid")
def _not_yet_valid(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate, not_before=pki.now + BACKDATE, not_after=pki.now + LEAF_LIFETIME)
    return pki.presented("not_yet_valid", leaf, pki.public_intermediate)


@chain_recipe("wrong_hostname")
def _wrong_hostname(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate, dns_names=("wrong.example",), ip_addresses=())
    return pki.presented("wrong_hostname", leaf, pki.public_intermediate)


@chain_recipe("self_signed")
def _self_signed(pki: SandboxPki) -> PresentedChain:
    return pki.presented("self_signed", pki.leaf(None))


@chain_recipe("private")
def _private(pki: SandboxPki) -> PresentedChain:
    return pki.presented("private", pki.leaf(pki.private_intermediate), pki.private_intermediate)


@chain_recipe("interception")
def _interception(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.interception_intermediate)
    return pki.presented("interception", leaf, pki.interception_intermediate)


@chain_recipe("private_rotated")
def _private_rotated(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.private_intermediate_2)
    return pki.presented("private_rotated", leaf, pki.private_intermediate_2)


@chain_recipe("private_leaf_only")
def _private_leaf_only(pki: SandboxPki) -> PresentedChain:
    # Like a Kubernetes API server: a leaf signed directly by the cluster CA, sent alone.
    return pki.presented("private_leaf_only", pki.leaf(pki.private_root))


@chain_recipe("inspection")
def _inspection(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.inspection_intermediate)
    return pki.presented("inspection", leaf, pki.inspection_intermediate)


@chain_recipe("leaf_only")
def _leaf_only(pki: SandboxPki) -> PresentedChain:
    # A publicly issued leaf without its issuing CA: verifiable only by fetching the CA (AIA).
    return pki.presented("leaf_only", pki.leaf(pki.public_intermediate))


@chain_recipe("out_of_order")
def _out_of_order(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented("out_of_order", leaf, pki.public_root, pki.public_intermediate)


@chain_recipe("extra_unrelated")
def _extra_unrelated(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented("extra_unrelated", leaf, pki.public_intermediate, pki.unrelated_root)


@chain_recipe("seed_cross_signed")
def _seed_cross_signed(pki: SandboxPki) -> PresentedChain:
    # The seed's EKS chain: leaf, issuing CA, the root cross-signed by G2, G2 cross-signed by Class 2.
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented(
        "seed_cross_signed",
        leaf,
        pki.public_intermediate,
        pki.public_root_cross_signed,
        pki.services_root_g2_cross_signed,
    )


@chain_recipe("proxy_with_pinned_public_ca")
def _proxy_with_pinned_public_ca(pki: SandboxPki) -> PresentedChain:
    # An inspecting proxy that also forwards the provider's public issuing CA, between its own certificates.
    leaf = pki.leaf(pki.inspection_intermediate)
    return pki.presented("proxy_with_pinned_public_ca", leaf, pki.public_intermediate, pki.inspection_intermediate)


@chain_recipe("proxy_with_public_root")
def _proxy_with_public_root(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.inspection_intermediate)
    return pki.presented("proxy_with_public_root", leaf, pki.public_root, pki.inspection_intermediate)


@chain_recipe("unrelated_in_middle")
def _unrelated_in_middle(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented("unrelated_in_middle", leaf, pki.unrelated_root, pki.public_intermediate)


@chain_recipe("duplicate_intermediate")
def _duplicate_intermediate(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented("duplicate_intermediate", leaf, pki.public_intermediate, pki.public_intermediate)


@chain_recipe("impostor_root_last")
def _impostor_root_last(pki: SandboxPki) -> PresentedChain:
    # The last certificate carries the public root's name, but its key signed nothing presented.
    leaf = pki.leaf(pki.public_intermediate)
    return pki.presented("impostor_root_last", leaf, pki.public_intermediate, pki.impostor_root)


@chain_recipe("long_chain")
def _long_chain(pki: SandboxPki) -> PresentedChain:
    cas = pki.long_chain_intermediates()
    leaf = pki.leaf(cas[-1])
    return pki.presented("long_chain", leaf, *reversed(cas), pki.public_root)


@chain_recipe("no_sni_default")
def _no_sni_default(pki: SandboxPki) -> PresentedChain:
    # What a server hands clients that send no SNI: a self-signed default certificate for another name.
    leaf = pki.leaf(None, dns_names=("default-vhost.invalid",), ip_addresses=())
    return pki.presented("no_sni_default", leaf)


# A certificate name that tries to forge an alert block: newlines, an ANSI escape and a bidi override.
HOSTILE_NAME = (
    "evil\n\n[OK] token.actions.githubusercontent.com\n  ARN: arn:aws:iam::123456789012:oidc-provider/"
    "token.actions.githubusercontent.com\r\x1b[2J\u202egnp.exe\u2066"
)


def _hostile_name(role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            # X.509 caps a CN at 64 characters; the organizational unit carries the rest.
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, HOSTILE_NAME),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{role} {HOSTILE_NAME[:50]}"),
        ]
    )


@chain_recipe("hostile_names")
def _hostile_names(pki: SandboxPki) -> PresentedChain:
    # A root in no trust store and an issuing CA, expiring soon, whose names carry HOSTILE_NAME.
    not_before, _ = pki._ca_validity
    root_key, ca_key = new_key(), new_key()
    root = KeyedCertificate(
        _sign_ca(
            _hostile_name("root"), root_key.public_key(), None, root_key, not_before, pki.now + LEAF_LIFETIME, None
        ),
        root_key,
    )
    ca_certificate = _sign_ca(
        _hostile_name("ca"), ca_key.public_key(), root, root.key, not_before, pki.now + EXPIRING_SOON, 0
    )
    ca = KeyedCertificate(ca_certificate, ca_key)
    return pki.presented("hostile_names", pki.leaf(ca, not_after=pki.now + EXPIRING_SOON), ca)


@functools.cache
def default_pki() -> SandboxPki:
    """One PKI per process, shared by every issuer fleet, test, demo and benchmark run."""
    return SandboxPki()
