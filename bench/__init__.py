"""The benchmark: what a sweep costs as providers, latency and dead hosts grow, beside the documented
openssl procedure. Run it from the repository root as `python -m bench` (or `make bench`).

Importing the package puts the repository root and the Lambda asset root (`lambda/`, not a package:
`lambda` is a keyword) on sys.path, so the sandbox, infra and the handler import as they do in tests.
It imports nothing else: `bench.function_worker` runs inside the measured process.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ROOT = REPO_ROOT / "lambda"

for _path in (str(REPO_ROOT), str(LAMBDA_ROOT)):
    if _path not in sys.path:
        sys.path.append(_path)  # appended: never shadow an installed distribution
