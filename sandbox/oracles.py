"""What the tests, the hostile matrix and the benchmark check the engine against, written independently of it.

The forbidden characters are spelled out here rather than imported from the engine's sanitizer, so that a
sanitizer that forgot a range is caught; the thumbprint is the seed's openssl procedure, not our probe.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping
from typing import Any, Final

# What no report string and no alert line may hold: C0, DEL and C1, line/paragraph separators, bidi controls.
FORBIDDEN_TEXT: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def strings_in(value: Any) -> Iterator[str]:
    """Every string of a JSON-like value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def openssl_last_certificate_sha1(port: int, address: str = "127.0.0.1", server_name: str = "localhost") -> str:
    """The seed's procedure: s_client -showcerts, the last PEM block, x509 -fingerprint -sha1."""
    shown = subprocess.run(
        ["openssl", "s_client", "-showcerts", "-servername", server_name, "-connect", f"{address}:{port}"],
        input=b"",
        capture_output=True,
        timeout=20,
        check=False,
    ).stdout.decode()
    end_marker = "-----END CERTIFICATE-----"
    last_end = shown.rindex(end_marker) + len(end_marker)
    last_pem = shown[shown.rindex("-----BEGIN CERTIFICATE-----", 0, last_end) : last_end] + "\n"
    fingerprint = subprocess.run(
        ["openssl", "x509", "-fingerprint", "-sha1", "-noout"],
        input=last_pem.encode(),
        capture_output=True,
        timeout=20,
        check=True,
    ).stdout.decode()
    return fingerprint.strip().split("=", 1)[1].replace(":", "").lower()
