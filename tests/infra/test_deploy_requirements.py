"""`make deploy-install` installs requirements-deploy.txt and the engine without its dependencies: enough for
`npx cdk deploy`, which runs app.py. These tests keep that set sufficient, and the one the tests synthesize with."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.infra.synthesis import PROJECT_ROOT

DEPLOY_REQUIREMENTS = PROJECT_ROOT / "requirements-deploy.txt"
ENGINE = "thumbprint_remediator"  # installed with --no-deps: infra reads only its contract (test_contract_import)


def _pins() -> dict[str, Requirement]:
    lines = [line.split("#")[0].strip() for line in DEPLOY_REQUIREMENTS.read_text().splitlines()]
    requirements = [Requirement(line) for line in lines if line]
    return {canonicalize_name(requirement.name): requirement for requirement in requirements}


def _closure(names: set[str]) -> set[str]:
    """The distributions installed with `names`: they and their dependencies, as this venv resolved them."""
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or ():
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return seen


def _synth_imports() -> set[str]:
    """Top-level modules app.py and infra/ import."""
    sources = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "infra").rglob("*.py"))]
    modules: set[str] = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules


def test_every_deploy_requirement_is_an_exact_pin() -> None:
    pins = _pins()

    assert {"aws-cdk-lib", "constructs", "cdk-nag"} <= set(pins)
    for pin in pins.values():
        (specifier,) = pin.specifier
        assert specifier.operator == "==", f"{pin} is not an exact pin"


def test_the_tests_synthesize_with_the_deploy_pins() -> None:
    # requirements-dev.txt includes the deploy set rather than repeating it, so the two cannot drift apart
    dev = (PROJECT_ROOT / "requirements-dev.txt").read_text()

    assert re.search(r"^-r requirements-deploy\.txt$", dev, flags=re.MULTILINE)
    for name, pin in _pins().items():
        assert importlib.metadata.version(name) == next(iter(pin.specifier)).version, f"the venv's {name} is not {pin}"


def test_app_and_infra_import_nothing_the_deploy_set_does_not_install() -> None:
    # Given the distributions `make deploy-install` brings (the pins and what they depend on)
    installed = _closure(set(_pins()))
    # When app.py's and infra's third-party imports are mapped to their distributions
    distributions = importlib.metadata.packages_distributions()
    local = {"infra", "app", ENGINE}
    third_party = {module for module in _synth_imports() - local if module not in sys.stdlib_module_names}
    unknown = {module for module in third_party if module not in distributions}
    needed = {canonicalize_name(name) for module in third_party - unknown for name in distributions[module]}

    # Then every one is installed by the deploy set
    assert not unknown, f"imported by app.py or infra/ but installed by no distribution: {sorted(unknown)}"
    assert needed, "the scan found no third-party import"
    assert needed <= installed, f"imported at synth but not in requirements-deploy.txt: {sorted(needed - installed)}"
