"""docs/configuration.md and docs/organizations.md list the settings the code reads, with the code's defaults."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from infra.channels import ChannelsConfig
from infra.config import StackConfig
from infra.organization.config import DEFAULT_MAX_CONCURRENCY
from tests.infra.synthesis import PROJECT_ROOT
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.names import (
    DEFAULT_MEMBER_ROLE_NAME,
    ENV_CONNECT_TIMEOUT,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_PRUNE_AFTER_DAYS,
    ENV_READ_TIMEOUT,
    ENV_REMEMBER_CHAINS_DAYS,
    ENV_SAMPLE_ADDRESSES,
    ENV_SAMPLES_PER_ADDRESS,
    SETTINGS_ENV_NAMES,
)

DOCS = PROJECT_ROOT / "docs"
# The context keys whose default is not a value of the config's dataclass: it comes from elsewhere, or is "none".
NOT_A_LITERAL_DEFAULT = {"alertEmails": "none", "extraCaBundle": "none", "region": "the CLI's region"}


def _context_table(page: Path) -> dict[str, str]:
    """`key` -> default, from the page's first table headed `| Context key | Default | Meaning |`."""
    text = page.read_text(encoding="utf-8")
    start = text.index("| Context key | Default | Meaning |")
    table = text[start : text.index("\n\n", start)]
    return dict(re.findall(r"^\| `([A-Za-z]+)` \| ([^|]+?) \|", table, flags=re.MULTILINE))


def _keys_read(*sources: str) -> set[str]:
    """The context keys these modules read with get("...")."""
    return {
        key for source in sources for key in re.findall(r'get\("([A-Za-z]+)"\)', (PROJECT_ROOT / source).read_text())
    }


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    expression = getattr(value, "expression", None)
    return f"`{expression if expression is not None else value}`"


def test_the_single_account_table_lists_every_key_the_stack_reads() -> None:
    documented = _context_table(DOCS / "configuration.md")

    assert set(documented) == _keys_read("infra/config.py", "infra/channels.py")


def test_the_single_account_table_shows_the_codes_defaults() -> None:
    # Given the defaults of the two configs, by the context key each field is read from
    defaults = {**vars(StackConfig()), **vars(ChannelsConfig())}
    by_key = {
        "alertEmails": "alert_emails",
        "schedule": "schedule",
        "dryRun": "dry_run",
        "expiryWarningDays": "expiry_warning_days",
        "notifyOn": "notify_on",
        "extraCaBundle": "extra_ca_bundle",
        "architecture": "architecture",
        "memorySize": "memory_size",
        "timeout": "timeout_seconds",
        "history": "history",
        "findingEvents": "finding_events",
        "changeCheck": "change_check",
        "securityHub": "security_hub",
        "configRule": "config_rule",
        "region": "region",
    }
    assert set(by_key.values()) == {f.name for f in (*fields(StackConfig), *fields(ChannelsConfig))}

    # Then each documented default is the code's
    for key, documented in _context_table(DOCS / "configuration.md").items():
        expected = NOT_A_LITERAL_DEFAULT.get(key) or _shown(defaults[by_key[key]])
        assert documented == expected, f"{key}: the page says {documented}, the code {expected}"


def test_the_organization_table_lists_every_key_organization_mode_reads() -> None:
    documented = _context_table(DOCS / "organizations.md")

    assert set(documented) == _keys_read("infra/organization/config.py")
    assert documented["maxConcurrency"] == f"`{DEFAULT_MAX_CONCURRENCY}`"
    assert documented["memberRoleName"] == f"`{DEFAULT_MEMBER_ROLE_NAME}`"


def test_every_variable_the_function_reads_is_named() -> None:
    pages = (DOCS / "configuration.md").read_text() + (DOCS / "history.md").read_text()

    for name in SETTINGS_ENV_NAMES:
        assert f"`{name}`" in pages, f"{name} is read by Settings.from_env but documented nowhere"


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (ENV_CONNECT_TIMEOUT, "connect_timeout"),
        (ENV_READ_TIMEOUT, "read_timeout"),
        (ENV_HOST_BUDGET, "host_budget"),
        (ENV_MAX_WORKERS, "max_workers"),
        (ENV_SAMPLE_ADDRESSES, "sample_addresses"),
        (ENV_SAMPLES_PER_ADDRESS, "samples_per_address"),
        (ENV_PRUNE_AFTER_DAYS, "prune_after_days"),
        (ENV_REMEMBER_CHAINS_DAYS, "remember_chains_days"),
    ],
)
def test_each_tuning_knobs_documented_default_is_the_codes(name: str, field: str) -> None:
    # Given where the page names the knob with its default in parentheses: `NAME` (default...
    pages = (DOCS / "configuration.md").read_text() + (DOCS / "history.md").read_text()
    documented = re.findall(rf"`{name}` \(([0-9.]+)", pages)

    assert documented, f"{name}'s default is not given as `{name}` (N...)"
    assert {float(value) for value in documented} == {float(getattr(Settings(), field))}
