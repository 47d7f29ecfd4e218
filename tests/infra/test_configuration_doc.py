"""One table of settings (contract/settings.py) feeds the function, the stack and the documentation.

The tables of docs/configuration.md and docs/organizations.md are that table rendered, README's short table
agrees with it, and the readers (Settings.from_env, StackConfig, ChannelsConfig, OrganizationConfig) read exactly
its fields with its defaults. `python -m tests.infra.test_configuration_doc` rewrites the documented tables.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest

from infra.channels import ChannelsConfig
from infra.config import ARCHITECTURES, StackConfig
from infra.organization.config import CALL_AS, OrganizationConfig
from tests.infra.synthesis import PROJECT_ROOT
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.settings import (
    ARCHITECTURE,
    ORG_CALL_AS,
    ORG_MODE,
    ORGANIZATION_SETTINGS,
    SETTINGS,
    SETTINGS_ENV_NAMES,
    Setting,
)

DOCS = PROJECT_ROOT / "docs"
CONTEXT_HEADER = "| Context key | Default | Meaning |"
VARIABLE_HEADER = "| Variable | Default | Meaning |"
SEPARATOR = "|---|---|---|"


def _shown(setting: Setting[Any], value: object) -> str:
    """A default as the docs show it."""
    if setting.shown_default:
        return setting.shown_default
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def context_table(settings: Iterable[Setting[Any]]) -> str:
    """The context keys of `settings`, with the default a deployment gets, as the docs' table."""
    rows = [f"| `{s.key}` | {_shown(s, s.stack_default)} | {s.describe()} |" for s in settings if s.context]
    return "\n".join([CONTEXT_HEADER, SEPARATOR, *rows])


def variable_table(settings: Iterable[Setting[Any]]) -> str:
    """The variables of `settings`, with the function's own default, as the docs' table."""
    rows = [f"| `{s.variable}` | {_shown(s, s.default)} | {s.describe(variable=True)} |" for s in settings if s.env]
    return "\n".join([VARIABLE_HEADER, SEPARATOR, *rows])


# Each rendered table and where it stands: the page and the header its block starts with.
RENDERED: dict[str, tuple[Path, str, Callable[[], str]]] = {
    "single-account keys": (DOCS / "configuration.md", CONTEXT_HEADER, lambda: context_table(SETTINGS)),
    "function variables": (DOCS / "configuration.md", VARIABLE_HEADER, lambda: variable_table(SETTINGS)),
    "organization keys": (DOCS / "organizations.md", CONTEXT_HEADER, lambda: context_table(ORGANIZATION_SETTINGS)),
}


def _block(text: str, header: str) -> tuple[int, int]:
    """Where the table starting with `header` stands in `text`: to the first blank line after it."""
    start = text.index(header)
    end = text.find("\n\n", start)
    return start, len(text.rstrip("\n")) if end < 0 else end


@pytest.mark.parametrize("table", sorted(RENDERED))
def test_the_documented_table_is_the_table_of_settings_rendered(table: str) -> None:
    # Given the page and the table as the table of settings renders it
    page, header, render = RENDERED[table]
    text = page.read_text(encoding="utf-8")
    start, end = _block(text, header)

    # Then the page holds exactly that table
    assert text[start:end] == render(), (
        f"{page.name}'s {table} differ from contract/settings.py: run `python -m tests.infra.test_configuration_doc`"
    )


def test_the_readme_table_agrees_with_the_table_of_settings() -> None:
    # Given README's short table of the settings people change
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| Key | Default | Meaning |")
    documented = dict(re.findall(r"^\| `([A-Za-z]+)` \| ([^|]+?) \|", text[start : text.index("\n\n", start)], re.M))
    by_key = {s.key: s for s in SETTINGS if s.context}

    # Then each key is one the stack reads, shown with the table's default
    assert documented
    for key, default in documented.items():
        assert key in by_key, f"README names {key}, which no setting has"
        assert default == _shown(by_key[key], by_key[key].stack_default), f"README: {key}'s default"


def _keys_asked(read: Callable[[Callable[[str], Any]], object]) -> list[str]:
    asked: list[str] = []

    def get(key: str) -> None:
        asked.append(key)

    read(get)
    return asked


def test_the_stack_reads_exactly_the_context_keys_of_the_table() -> None:
    asked = _keys_asked(StackConfig.from_context) + _keys_asked(ChannelsConfig.from_context)

    assert sorted(asked) == sorted(s.key for s in SETTINGS if s.context)


def test_organization_mode_reads_exactly_its_keys_of_the_table() -> None:
    # Without organization=true every other key is still asked for (to refuse one given by mistake)
    asked = _keys_asked(OrganizationConfig.from_context)

    assert sorted(asked) == sorted(s.key for s in ORGANIZATION_SETTINGS)


def _defaults(config: type[Any]) -> dict[str, object]:
    return {f.name: f.default for f in fields(config) if f.default is not MISSING}


def test_the_stacks_configs_hold_the_tables_fields_and_defaults() -> None:
    # Given the fields of the two configs the single-account stack reads
    defaults = {**_defaults(StackConfig), **_defaults(ChannelsConfig)}
    settings = {s.name: s for s in SETTINGS if s.context}

    # Then they are the table's settings with a context key, with the table's defaults
    assert set(defaults) == set(settings)
    for name, default in defaults.items():
        shown = getattr(default, "expression", default)  # the schedule, parsed
        assert shown == settings[name].stack_default, name


def test_the_function_reads_the_tables_variables_with_its_defaults() -> None:
    settings = {s.name: s for s in SETTINGS if s.env}

    assert _defaults(Settings) == {name: setting.default for name, setting in settings.items()}
    assert set(SETTINGS_ENV_NAMES) == {s.variable for s in settings.values()}


def test_organization_config_holds_the_tables_defaults() -> None:
    settings = {s.name: s for s in ORGANIZATION_SETTINGS if s is not ORG_MODE}
    defaults = _defaults(OrganizationConfig)

    assert {f.name for f in fields(OrganizationConfig)} == set(settings)
    assert defaults == {name: settings[name].default for name in defaults}


def test_the_typed_choices_are_the_tables() -> None:
    assert ARCHITECTURE.choices == ARCHITECTURES
    assert ORG_CALL_AS.choices == CALL_AS


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.env and s.low is not None], ids=lambda s: s.variable)
def test_each_mention_of_a_knob_in_the_docs_gives_the_tables_default_and_bounds(setting: Setting[Any]) -> None:
    # Given every place a page names the knob with its default in parentheses: `NAME` (default[, low-high]
    mentions = [
        match
        for page in sorted(DOCS.rglob("*.md"))
        for match in re.findall(rf"`{setting.variable}` \(([0-9.]+)(?:, ([0-9.]+)\u2013([0-9.]+))?", page.read_text())
    ]

    # Then each gives the table's default, and its bounds when it gives any
    for default, low, high in mentions:
        assert float(default) == float(setting.default)
        if low:
            assert (float(low), float(high)) == setting.bounds


def rewrite_documented_tables() -> None:
    """Rewrite each documented table from the table of settings."""
    for page, header, render in RENDERED.values():
        text = page.read_text(encoding="utf-8")
        start, end = _block(text, header)
        page.write_text(text[:start] + render() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    rewrite_documented_tables()
    sys.exit(0)
