"""The baseline: the seed's documented procedure, run with the real openssl CLI against the same issuers.

`openssl_procedure.sh` is the script a user would write: per host, one after another, `openssl
s_client -showcerts -servername H -connect H:P </dev/null`, the last certificate it prints, then
`openssl x509 -fingerprint -sha1 -noout`. It is handed each provider's hosts (the discovery host and,
where separate, the JWKS host), so it skips the discovery fetch the documented procedure starts with,
and it neither reads nor writes IAM: a lower bound of what the procedure costs.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.scene import BenchProvider

SCRIPT = Path(__file__).with_name("openssl_procedure.sh")
_FINGERPRINT = re.compile(r"Fingerprint=([0-9A-Fa-f:]{59})")


@dataclass(frozen=True)
class BaselineRun:
    seconds: float
    hosts: int
    correct: int  # hosts whose printed fingerprint is the thumbprint IAM needs


def run_procedure(providers: Sequence[BenchProvider]) -> BaselineRun:
    """Run the script over every host of `providers`; time it and check what it printed."""
    hosts = [(endpoint, expected) for provider in providers for endpoint, expected in provider.hosts]
    lines = "".join(f"{endpoint.host} {endpoint.port}\n" for endpoint, _ in hosts)
    started = time.perf_counter()
    result = subprocess.run(["bash", str(SCRIPT)], input=lines, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    printed: dict[str, str] = {}
    for line in result.stdout.splitlines():
        address, _, rest = line.partition(" ")
        match = _FINGERPRINT.search(rest)
        if match:
            printed[address] = match.group(1).replace(":", "").lower()
    correct = sum(1 for endpoint, expected in hosts if expected and printed.get(str(endpoint)) == expected)
    return BaselineRun(seconds, len(hosts), correct)
