"""The workstation CLI's pure parts: how a column fits a value, and which of the function's variables it reads."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.unit.builders import NOW
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.cli.configuration import NOT_READ, READ, checked, settings_for
from thumbprint_remediator.cli.table import fitted, summary_line
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_NOTIFY_ON,
    ENV_TOPIC_ARN,
)
from thumbprint_remediator.contract.settings import SETTINGS_ENV_NAMES
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.status import Status


def test_a_long_value_is_cut_in_the_middle_keeping_its_start_and_end() -> None:
    value = "oidc.eks.eu-west-1.amazonaws.com/id/5ECB2797CB1324A37FC79E3C46851CED"

    shown = fitted([value], 40)[value]

    assert len(shown) == 40
    assert shown.startswith("oidc.eks.eu-west-1")
    assert shown.endswith("3C46851CED")
    assert "\u2026" in shown


def test_values_a_cut_would_make_alike_are_shown_whole() -> None:
    alike = [
        "CN=Example Issuing CA 1 for the production fleet, O=Example",
        "CN=Example Issuing CA 1 for the staging fleet, O=Example",
    ]
    other = "CN=Some Other Certificate Authority With A Long Name, O=Example"

    shown = fitted([*alike, other, "short"], 24)

    assert [shown[value] for value in alike] == alike
    assert len(shown[other]) == 24
    assert shown["short"] == "short"
    assert len(set(shown.values())) == 4


def test_a_fitted_value_is_sanitized() -> None:
    value = "evil\x1b[2J\u202eexample"

    assert fitted([value], 80)[value] == "evil\\x1b[2J\\u202eexample"


def test_the_summary_counts_one_provider_in_the_singular() -> None:
    finding = Finding(arn="arn:aws:iam::123456789012:oidc-provider/a.example", url="a.example", status=Status.OK)
    report = build_report(account=None, dry_run=True, started_at=NOW, duration_ms=5, findings=[finding], sweep_id="s")

    assert summary_line(report).startswith("1 provider in 5 ms")


def test_every_variable_of_the_function_is_read_but_those_left_out_on_purpose() -> None:
    assert set(READ) | NOT_READ == set(SETTINGS_ENV_NAMES)
    assert not set(READ) & NOT_READ
    assert {ENV_DRY_RUN, ENV_TOPIC_ARN} <= NOT_READ


def test_flags_override_the_environment_and_the_rest_are_the_functions_defaults() -> None:
    environ = {ENV_MAX_WORKERS: "8", ENV_NOTIFY_ON: "always", ENV_DRY_RUN: "false"}

    configured = settings_for(environ, {ENV_NOTIFY_ON: "never"}, apply=False, topic_arn=None)

    assert configured.settings == Settings(max_workers=8, notify_on="never", dry_run=True)
    assert configured.from_environment == (ENV_MAX_WORKERS,)


def test_a_flags_check_is_the_functions_rule_without_the_variables_name() -> None:
    check = checked(ENV_MAX_WORKERS)

    assert check("16") == "16"
    with pytest.raises(argparse.ArgumentTypeError, match=r"^must be between 1 and 256, got '300'$"):
        check("300")


def test_each_setting_flag_names_the_field_its_variable_sets(tmp_path: Path) -> None:
    from thumbprint_remediator.cli.sweep import SETTING_FLAGS  # noqa: PLC0415 - imports the engine's wiring

    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    samples = {
        ENV_EXPIRY_WARNING_DAYS: "7",
        ENV_EXTRA_CA_BUNDLE: str(bundle),
        ENV_HOST_BUDGET: "3",
        ENV_MAX_WORKERS: "5",
        ENV_NOTIFY_ON: "never",
        ENV_HISTORY_TABLE: "oidc-history",
    }
    for setting in SETTING_FLAGS:
        read = Settings.from_env({setting.variable: samples[setting.variable]}, topic_required=False)
        changed = [name for name in vars(read) if getattr(read, name) != getattr(Settings(), name)]
        assert changed == [setting.field], setting.flag
