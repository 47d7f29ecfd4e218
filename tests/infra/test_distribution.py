"""The engine's distribution (lambda/pyproject.toml) and the asset's lock (lambda/requirements.txt) agree.

The distribution declares ranges, the lock pins what the asset bundles; bundling resolves both in one
pip run. These tests say which side is wrong before a synth does, and that nothing the code imports
goes undeclared (it would work in the venv, where a neighbour brought it, and fail in the Lambda).
"""

from __future__ import annotations

import ast
import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import thumbprint_remediator
from infra.bundling import ENTRY_MODULE, PROVIDED_BY_RUNTIME, REQUIREMENTS_FILE
from infra.contract import LAMBDA_DIR

PACKAGE = "thumbprint_remediator"


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((LAMBDA_DIR / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {canonicalize_name(requirement.name): requirement for requirement in requirements}


def _locked() -> dict[str, Requirement]:
    lines = [line.split("#")[0].strip() for line in (LAMBDA_DIR / REQUIREMENTS_FILE).read_text().splitlines()]
    requirements = [Requirement(line) for line in lines if line]
    return {canonicalize_name(requirement.name): requirement for requirement in requirements}


def _runtime_imports(path: Path) -> set[str]:
    """Top-level modules a file imports when it runs: not those under `if TYPE_CHECKING:`, nor relative ones."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for statement in node.body
        for child in ast.walk(statement)
    }
    modules: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


def test_every_pin_of_the_lock_is_a_declared_dependency_inside_its_range() -> None:
    declared, locked = _declared(), _locked()

    for name, pin in locked.items():
        assert name in declared, f"{name} is bundled but the distribution does not declare it"
        (specifier,) = pin.specifier
        assert specifier.operator == "==", f"{pin} is not an exact pin"
        assert declared[name].specifier.contains(specifier.version), f"{pin} is outside {declared[name]}"


def test_every_declared_dependency_is_pinned_unless_the_runtime_provides_it() -> None:
    unpinned = set(_declared()) - set(_locked())

    assert unpinned == {canonicalize_name(name) for name in PROVIDED_BY_RUNTIME} & set(_declared())
    assert unpinned, "the distribution must declare the AWS SDK it imports, even though the runtime provides it"


def test_the_asset_code_imports_nothing_its_distribution_does_not_declare() -> None:
    # Given every module of the package and the handler beside it
    sources = [*sorted((LAMBDA_DIR / PACKAGE).rglob("*.py")), LAMBDA_DIR / ENTRY_MODULE]
    imported = set().union(*(_runtime_imports(path) for path in sources))

    # When the third-party ones are mapped to the distributions that provide them
    distributions = importlib.metadata.packages_distributions()
    third_party = {module for module in imported if module in distributions and module != PACKAGE}
    needed = {canonicalize_name(name) for module in third_party for name in distributions[module]}

    # Then each is declared
    assert third_party, "the scan found no third-party import at all"
    assert needed <= set(_declared()), f"imported but not declared: {sorted(needed - set(_declared()))}"


def test_the_engine_the_tests_import_is_this_trees() -> None:
    # An editable install points at one checkout: a venv shared with another one would test its code, silently.
    origin = Path(thumbprint_remediator.__file__).resolve()

    assert origin.is_relative_to(LAMBDA_DIR / PACKAGE), (
        f"thumbprint_remediator is imported from {origin}, not from {LAMBDA_DIR}: "
        f"install this tree into the venv in use (pip install -e {LAMBDA_DIR})"
    )


def test_the_benchmarks_fallback_build_keeps_the_bundlings_exclusions_and_removals() -> None:
    # bench/asset.py repeats these so it can build where importing infra (and jsii) is not possible; a change
    # to one side alone would make the benchmark measure another asset than the one deployed.
    from bench import asset  # noqa: PLC0415 - the benchmark package, only for this comparison
    from infra import bundling  # noqa: PLC0415 - starts jsii, as every infra test does

    assert asset._EXCLUDED == bundling.EXCLUDE
    assert asset._PROVIDED_BY_RUNTIME == bundling.PROVIDED_BY_RUNTIME
    assert {arch: f"manylinux2014_{machine}" for arch, machine in asset._PIP_MACHINES.items()} == {
        arch: bundling.pip_platform(arch) for arch in ("arm64", "x86_64")
    }
