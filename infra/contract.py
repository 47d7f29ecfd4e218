"""The one module infra reads from the Lambda code: names, IAM actions and metrics, defined once.

`lambda` is a Python keyword and the asset root, not a package, so its directory is put on
sys.path here (appended: it must never shadow an installed distribution). The contract module
imports nothing heavy; `tests/infra/test_contract_import.py` keeps it that way.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = PROJECT_ROOT / "lambda"

if str(LAMBDA_DIR) not in sys.path:
    sys.path.append(str(LAMBDA_DIR))

from thumbprint_remediator import contract  # noqa: E402

__all__ = ["LAMBDA_DIR", "PROJECT_ROOT", "contract"]
