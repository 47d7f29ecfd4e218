"""Where infra finds the Lambda code, and what it may read of it.

infra imports from the Lambda code only the contract package, `thumbprint_remediator.contract` (names,
metrics, deadlines, validators, permissions, settings), each module of which imports nothing heavy;
`tests/infra/test_contract_import.py` keeps it that way. The engine is an installed distribution
(`lambda/pyproject.toml`), so those are plain imports. `LAMBDA_DIR` is the asset root: the distribution's
source, its pinned requirements and the handler.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = PROJECT_ROOT / "lambda"

__all__ = ["LAMBDA_DIR", "PROJECT_ROOT"]
