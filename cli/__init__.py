"""A workstation CLI for an on-demand sweep: the same engine the Lambda runs, your own credentials."""

from __future__ import annotations

import sys
from pathlib import Path

# The engine lives in the Lambda asset root, which is not an installed package.
_LAMBDA_ROOT = str(Path(__file__).resolve().parent.parent / "lambda")
if _LAMBDA_ROOT not in sys.path:
    sys.path.insert(0, _LAMBDA_ROOT)
