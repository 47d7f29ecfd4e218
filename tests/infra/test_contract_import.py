"""infra reads the Lambda code only through the contract package, and importing it stays light."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

from tests.infra.synthesis import PROJECT_ROOT

HEAVY = ("boto3", "botocore", "cryptography", "aws_lambda_powertools", "handler")
CONTRACT = "thumbprint_remediator.contract"
CONTRACT_MODULES = sorted(
    f"{CONTRACT}.{module.name}"
    for module in pkgutil.iter_modules([str(PROJECT_ROOT / "lambda/thumbprint_remediator/contract")])
)


def test_the_contract_package_has_one_module_per_concern() -> None:
    concerns = ("deadlines", "metrics", "names", "permissions", "settings", "validators")

    assert [f"{CONTRACT}.{name}" for name in concerns] == CONTRACT_MODULES


def test_importing_the_contract_pulls_in_nothing_heavy() -> None:
    # Given a fresh interpreter, as `cdk synth` starts one, importing every module of the contract and reading the
    # grants (which parses the adapters' source, never imports it)
    probe = (
        f"import importlib, sys; mods = [importlib.import_module(m) for m in {CONTRACT_MODULES!r}]; "
        "from thumbprint_remediator.contract.permissions import OIDC_PROVIDER_ACTIONS; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )

    # When
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60
    )

    # Then
    assert result.stdout.strip() == "[]"


def test_infra_imports_nothing_from_the_lambda_code_but_the_contract() -> None:
    lambda_modules = {path.stem for path in (PROJECT_ROOT / "lambda").glob("*.py")} | {"thumbprint_remediator"}
    imports: dict[str, set[str]] = {}
    for path in sorted([*(PROJECT_ROOT / "infra").rglob("*.py"), PROJECT_ROOT / "app.py"]):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            else:
                continue
            reaching_lambda = {name for name in names if name.split(".")[0] in lambda_modules}
            if reaching_lambda:
                imports.setdefault(str(Path(path).relative_to(PROJECT_ROOT)), set()).update(reaching_lambda)

    # Then every import reaching the Lambda code is a name of one of the contract's modules
    beyond_the_contract = {
        source: {
            name
            for name in names
            if not any(name == module or name.startswith(f"{module}.") for module in CONTRACT_MODULES)
        }
        for source, names in imports.items()
    }
    assert imports, "infra reads the contract's names: the scan found none"
    assert {source: names for source, names in beyond_the_contract.items() if names} == {}
