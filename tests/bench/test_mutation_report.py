"""The rule `make mutation` uses to leave message-only mutants out of the score (bench/mutation.py)."""

from __future__ import annotations

import ast

import pytest

from bench.mutation import is_message_only


def _function(source: str) -> ast.FunctionDef:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


ORIGINAL = "def f(x):\n    return problem('certificate_expired', 'expired', f'{x}: it expired on a day', ', ')\n"


@pytest.mark.parametrize(
    ("mutant", "message_only"),
    [
        (
            "def g(x):\n    return problem('certificate_expired', 'expired', f'{x}: XXit expired on a dayXX', ', ')\n",
            True,
        ),
        ("def g(x):\n    return problem('certificate_expired', 'expired', f'{x}: IT EXPIRED ON A DAY', ', ')\n", True),
        (
            "def g(x):\n    return problem('certificate_expired', 'XXexpiredXX', f'{x}: it expired on a day', ', ')\n",
            False,
        ),
        ("def g(x):\n    return problem('certificate_expired', 'expired', None, ', ')\n", False),
        ("def g(x):\n    return problem('certificate_expired', 'expired', f'{x}: it expired on a day')\n", False),
        (
            "def g(x):\n    return problem('certificate_expired', 'expired', f'{x}: it expired on a day', 'XX, XX')\n",
            False,
        ),
        (
            "def g(x):\n    return problem('certificate_expired', 'expired', f'{None}: it expired on a day', ', ')\n",
            False,
        ),
        ("def g(x):\n    return problem('certificate_expired', 'expired', f'{x}: it expired on a day', ', ')\n", False),
    ],
)
def test_only_a_change_to_the_prose_of_a_string_is_message_only(mutant: str, message_only: bool) -> None:
    assert is_message_only(_function(ORIGINAL), _function(mutant)) is message_only


def test_a_changed_operator_or_number_is_not_message_only() -> None:
    original = _function("def f(x):\n    return x < 30 and 'some words here'\n")
    assert not is_message_only(original, _function("def g(x):\n    return x <= 30 and 'some words here'\n"))
    assert not is_message_only(original, _function("def g(x):\n    return x < 31 and 'some words here'\n"))
