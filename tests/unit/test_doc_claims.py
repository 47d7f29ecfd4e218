"""The docs' claims that a reader acts on, checked against what the code does (docs/on-demand.md's payload table)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from thumbprint_remediator.app.request import parse_event
from thumbprint_remediator.domain.errors import RequestError

ON_DEMAND = Path(__file__).resolve().parents[2] / "docs" / "on-demand.md"


def _payload_table_keys() -> set[str]:
    text = ON_DEMAND.read_text(encoding="utf-8")
    start = text.index("The payload (every key optional")
    table = text[start : text.index("\n\n", text.index("| key |", start))]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))


def _accepted_keys() -> set[str]:
    """The keys the handler accepts, as its own refusal of an unknown key lists them."""
    with pytest.raises(RequestError) as refused:
        parse_event({"no_such_key": True})
    allowed = str(refused.value).split("allowed: ", 1)[1].split(";", 1)[0]
    return {key.strip() for key in allowed.split(",")}


def test_the_payload_table_lists_every_key_the_handler_accepts_and_no_other() -> None:
    documented = _payload_table_keys()
    assert documented, "the payload table was not found in docs/on-demand.md"
    assert documented == _accepted_keys()


def _workstation_flags_table() -> dict[str, tuple[str, str]]:
    """docs/on-demand.md's table of the CLI's settings: flag -> (variable, default)."""
    text = ON_DEMAND.read_text(encoding="utf-8")
    start = text.index("| flag | variable | default | allowed |")
    table = text[start : text.index("\n\n", start)]
    rows = re.findall(
        r"^\| `(--[a-z-]+) [A-Z]+`[^|]*\| `?([A-Z_]+|—)`? \| `?([^|`]+?)`?(?: \([a-z]+\))? \|", table, re.M
    )
    return {flag: (variable, default) for flag, variable, default in rows}


def test_the_workstation_flags_table_names_each_flags_variable_and_the_functions_default() -> None:
    from thumbprint_remediator.cli.sweep import SETTING_FLAGS  # noqa: PLC0415 - the CLI, only for this claim

    documented = _workstation_flags_table()

    assert documented.pop("--topic-arn") == ("—", "none")
    assert set(documented) == {setting.flag for setting in SETTING_FLAGS}
    for setting in SETTING_FLAGS:
        variable, default = documented[setting.flag]
        assert variable == setting.variable
        value = setting.default
        assert default == ("none" if value is None else f"{value:g}" if isinstance(value, float) else str(value))
