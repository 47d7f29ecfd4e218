"""The benchmark: what a sweep costs as providers, latency and dead hosts grow, beside the documented
openssl procedure. Run it from the repository root as `python -m bench` (or `make bench`).

The engine is an installed distribution and the sandbox and infra import from the repository root,
so this package only names the two directories. It imports nothing: `bench.function_worker` runs
inside the measured process.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ROOT = REPO_ROOT / "lambda"
