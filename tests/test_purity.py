"""The selection `make unit` runs is decided by tests/purity.py: every fixture is classified there."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.purity import IMPURE_FIXTURES, PURE_FIXTURES

TESTS = Path(__file__).resolve().parent


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def _fixtures() -> dict[str, set[str]]:
    """Each fixture defined under tests/ -> the parameters it takes (over all its definitions)."""
    fixtures: dict[str, set[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef) and any(_is_fixture(d) for d in node.decorator_list):
                fixtures.setdefault(node.name, set()).update(arg.arg for arg in node.args.args)
    return fixtures


def test_every_fixture_is_classified_pure_or_impure() -> None:
    # Given every fixture, and those impure through what they take (the fixture closure pytest computes)
    fixtures = _fixtures()
    impure = set(IMPURE_FIXTURES)
    while grown := {name for name, takes in fixtures.items() if takes & impure} - impure:
        impure |= grown
    # Then each is either listed or takes an impure one, so a new one that starts something cannot pass for pure
    unclassified = sorted(set(fixtures) - impure - PURE_FIXTURES)
    assert unclassified == [], f"add each to IMPURE_FIXTURES or PURE_FIXTURES in tests/purity.py: {unclassified}"


def test_the_lists_name_real_fixtures_and_do_not_overlap() -> None:
    fixtures = _fixtures()
    assert sorted((IMPURE_FIXTURES | PURE_FIXTURES) - set(fixtures)) == []
    assert sorted(IMPURE_FIXTURES & PURE_FIXTURES) == []
    assert sorted(name for name in PURE_FIXTURES if fixtures[name] & IMPURE_FIXTURES) == []
