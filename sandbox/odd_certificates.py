"""Certificates that parse but are malformed inside: a duplicated extension, an extension whose value is not
what its OID says. Real servers send such things; the probe and the trust check must report them, not crash.

`cryptography` refuses to build them, so the to-be-signed part is edited as DER and signed again.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from sandbox.pki import (
    LEAF_LIFETIME,
    SERVER_DNS_NAMES,
    KeyedCertificate,
    PresentedChain,
    SandboxPki,
    chain_recipe,
    new_key,
)

# An OID of the same encoded length as basicConstraints (2.5.29.19): a placeholder renamed after building.
_PLACEHOLDER_OID = x509.ObjectIdentifier("2.5.29.99")
_PLACEHOLDER_DER = bytes.fromhex("0603551d63")
_BASIC_CONSTRAINTS_DER = bytes.fromhex("0603551d13")
# ecdsa-with-SHA256, the algorithm every sandbox certificate is signed with.
_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def sign_tbs(tbs: bytes, signer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A certificate from raw to-be-signed DER, signed with ECDSA-SHA256 (as cryptography would, unchecked)."""
    signature = signer_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return x509.load_der_x509_certificate(_der(0x30, tbs + _ECDSA_SHA256 + _der(0x03, b"\x00" + signature)))


def _leaf_builder(
    subject_cn: str, issuer: KeyedCertificate, key: ec.EllipticCurvePrivateKey, now: datetime
) -> x509.CertificateBuilder:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject_cn)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - (LEAF_LIFETIME / 100))
        .not_valid_after(now + LEAF_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in SERVER_DNS_NAMES]), critical=False)
    )


def duplicated_extension_leaf(issuer: KeyedCertificate, now: datetime) -> KeyedCertificate:
    """A leaf issued by `issuer` that carries basicConstraints twice (RFC 5280 forbids it)."""
    key = new_key()
    basic = x509.BasicConstraints(ca=False, path_length=None)
    built = (
        _leaf_builder(SERVER_DNS_NAMES[0], issuer, key, now)
        .add_extension(basic, critical=True)
        .add_extension(x509.UnrecognizedExtension(_PLACEHOLDER_OID, basic.public_bytes()), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    tbs = built.tbs_certificate_bytes
    assert tbs.count(_PLACEHOLDER_DER) == 1
    return KeyedCertificate(sign_tbs(tbs.replace(_PLACEHOLDER_DER, _BASIC_CONSTRAINTS_DER), issuer.key), key)


def malformed_extension_leaf(issuer: KeyedCertificate, now: datetime) -> KeyedCertificate:
    """A leaf issued by `issuer` whose keyUsage extension holds a NULL instead of a BIT STRING."""
    key = new_key()
    certificate = (
        _leaf_builder(SERVER_DNS_NAMES[0], issuer, key, now)
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x05\x00"), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    return KeyedCertificate(certificate, key)


# OpenSSL refuses such a certificate as its own server certificate, so each is sent after a sound leaf: as
# a servers' misconfigured bundle would send it.
@chain_recipe("duplicated_extension")
def _duplicated_extension(pki: SandboxPki) -> PresentedChain:
    odd = duplicated_extension_leaf(pki.public_intermediate, pki.now)
    return pki.presented("duplicated_extension", pki.leaf(pki.public_intermediate), odd, pki.public_intermediate)


@chain_recipe("malformed_extension")
def _malformed_extension(pki: SandboxPki) -> PresentedChain:
    odd = malformed_extension_leaf(pki.public_intermediate, pki.now)
    return pki.presented("malformed_extension", pki.leaf(pki.public_intermediate), odd, pki.public_intermediate)
