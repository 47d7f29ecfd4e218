"""The one module infra reads from the Lambda code: names, IAM actions and metrics, defined once.

The engine is an installed distribution (`lambda/pyproject.toml`), so this is a plain import. The
contract module imports nothing heavy; `tests/infra/test_contract_import.py` keeps it that way.
`LAMBDA_DIR` is the asset root: the distribution's source, its pinned requirements and the handler.
"""

from __future__ import annotations

from pathlib import Path

from thumbprint_remediator import contract

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = PROJECT_ROOT / "lambda"

__all__ = ["LAMBDA_DIR", "PROJECT_ROOT", "contract"]
