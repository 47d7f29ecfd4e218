"""What one presented certificate is: its names, validity, SHA-1 thumbprint and whether it is a CA."""

from __future__ import annotations

import hashlib

from cryptography import x509

from thumbprint_remediator.domain.models import CertificateInfo
from thumbprint_remediator.domain.untrusted import server_text


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
