"""infra reads one module of the Lambda code, the contract, and importing it stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.infra.synthesis import PROJECT_ROOT

HEAVY = ("boto3", "botocore", "cryptography", "aws_lambda_powertools", "handler")


def test_importing_the_contract_pulls_in_nothing_heavy() -> None:
    # Given a fresh interpreter, as `cdk synth` starts one
    probe = f"import sys; import infra.contract; print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"

    # When
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60
    )

    # Then
    assert result.stdout.strip() == "[]"


def test_infra_imports_nothing_from_the_lambda_code_but_the_contract() -> None:
    lambda_modules = {path.stem for path in (PROJECT_ROOT / "lambda").glob("*.py")} | {"thumbprint_remediator"}
    imports: dict[str, set[str]] = {}
    for path in sorted([*(PROJECT_ROOT / "infra").glob("*.py"), PROJECT_ROOT / "app.py"]):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            else:
                continue
            reaching_lambda = {name for name in names if name.split(".")[0] in lambda_modules}
            if reaching_lambda:
                imports[str(Path(path).relative_to(PROJECT_ROOT))] = reaching_lambda

    assert imports == {"infra/contract.py": {"thumbprint_remediator.contract"}}
