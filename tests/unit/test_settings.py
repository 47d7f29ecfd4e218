"""Settings read once from the environment, with errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.names import (
    ENV_CONNECT_TIMEOUT,
    ENV_DASHBOARD_NAME,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_HOST_BUDGET,
    ENV_LOG_GROUP_NAME,
    ENV_MAX_WORKERS,
    ENV_NOTIFY_ON,
    ENV_PRUNE_AFTER_DAYS,
    ENV_READ_TIMEOUT,
    ENV_REMEMBER_CHAINS_DAYS,
    ENV_SAMPLE_ADDRESSES,
    ENV_SAMPLES_PER_ADDRESS,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
)
from thumbprint_remediator.contract.settings import SETTINGS_ENV_NAMES
from thumbprint_remediator.domain.errors import SettingsError

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def test_defaults_with_only_the_topic() -> None:
    settings = Settings.from_env({ENV_TOPIC_ARN: TOPIC})
    assert settings == Settings(topic_arn=TOPIC)
    assert settings.dry_run is False
    assert settings.expiry_warning_days == 30
    assert settings.notify_on == "changes"


def test_every_variable_is_read(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = Settings.from_env(
        {
            ENV_TOPIC_ARN: TOPIC,
            ENV_DRY_RUN: "TRUE",
            ENV_EXPIRY_WARNING_DAYS: "45",
            ENV_EXTRA_CA_BUNDLE: str(bundle),
            ENV_NOTIFY_ON: "always",
            ENV_CONNECT_TIMEOUT: "2.5",
            ENV_READ_TIMEOUT: "3",
            ENV_HOST_BUDGET: "9",
            ENV_MAX_WORKERS: "8",
            ENV_SAMPLE_ADDRESSES: "2",
            ENV_SAMPLES_PER_ADDRESS: "0",
        }
    )
    assert settings == Settings(
        topic_arn=TOPIC,
        dry_run=True,
        expiry_warning_days=45,
        extra_ca_bundle=str(bundle),
        notify_on="always",
        connect_timeout=2.5,
        read_timeout=3.0,
        host_budget=9.0,
        max_workers=8,
        sample_addresses=2,
        samples_per_address=0,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (ENV_TOPIC_ARN, ""),
        (ENV_DRY_RUN, "maybe"),
        (ENV_EXPIRY_WARNING_DAYS, "thirty"),
        (ENV_EXPIRY_WARNING_DAYS, "-1"),
        (ENV_NOTIFY_ON, "sometimes"),
        (ENV_CONNECT_TIMEOUT, "0"),
        (ENV_MAX_WORKERS, "2.5"),
        (ENV_SAMPLE_ADDRESSES, "0"),
        (ENV_SAMPLE_ADDRESSES, "17"),
        (ENV_SAMPLES_PER_ADDRESS, "-1"),
        (ENV_SAMPLES_PER_ADDRESS, "1.5"),
        (ENV_EXTRA_CA_BUNDLE, "/nonexistent/bundle.pem"),
        (ENV_HISTORY_TABLE, "ab"),
        (ENV_HISTORY_TABLE, "arn:aws:dynamodb:us-east-1:123456789012:table/history"),
        (ENV_PRUNE_AFTER_DAYS, "0"),
        (ENV_REMEMBER_CHAINS_DAYS, "366"),
        (ENV_STACK_NAME, "1-starts-with-a-digit"),
        (ENV_DASHBOARD_NAME, "has spaces"),
        (ENV_LOG_GROUP_NAME, "/aws/lambda/x?y"),
    ],
)
def test_malformed_variable_is_named_in_the_error(variable: str, value: str) -> None:
    environ = {ENV_TOPIC_ARN: TOPIC, variable: value}
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(environ)


@pytest.mark.parametrize("variable", SETTINGS_ENV_NAMES)
def test_every_contract_name_is_read_and_validated(variable: str) -> None:
    # Given a malformed value under each name the contract declares (and infra sets)
    environ = {ENV_TOPIC_ARN: TOPIC, variable: "/nonexistent/%%"}
    # Then Settings rejects it, naming the variable: the name is really read
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(environ)


def test_history_settings_are_read_with_their_defaults_when_unset() -> None:
    # Given only the table's name
    settings = Settings.from_env({ENV_TOPIC_ARN: TOPIC, ENV_HISTORY_TABLE: "oidc-history"})
    # Then history is on with 90 and 30 days, and the smallest timeout counts its two calls
    assert (settings.history_table, settings.prune_after_days, settings.remember_chains_days) == (
        "oidc-history",
        90,
        30,
    )
    assert settings.minimum_timeout_seconds > Settings(topic_arn=TOPIC).minimum_timeout_seconds
    assert Settings.from_env({ENV_TOPIC_ARN: TOPIC}).history_table is None


def test_without_a_required_topic_the_same_rules_read_everything_else() -> None:
    # Given the workstation CLI's reading: no topic needed, every other variable read and bounded as for the function
    settings = Settings.from_env({ENV_MAX_WORKERS: "8"}, topic_required=False)
    assert (settings.topic_arn, settings.max_workers) == (None, 8)
    # Then a topic, when given, is still checked, and so is every bound
    with pytest.raises(SettingsError, match=ENV_TOPIC_ARN):
        Settings.from_env({ENV_TOPIC_ARN: "alerts"}, topic_required=False)
    with pytest.raises(SettingsError, match=f"{ENV_MAX_WORKERS} must be between 1 and 256"):
        Settings.from_env({ENV_MAX_WORKERS: "0"}, topic_required=False)


def test_the_alerts_links_are_read_when_the_stack_sets_them() -> None:
    environ = {
        ENV_TOPIC_ARN: TOPIC,
        ENV_STACK_NAME: "OidcThumbprintRemediator",
        ENV_DASHBOARD_NAME: "OidcThumbprintRemediator-eu-west-1",
        ENV_LOG_GROUP_NAME: "/aws/lambda/OidcThumbprintRemediator-Sweep",
    }
    settings = Settings.from_env(environ)
    assert settings.stack_name == "OidcThumbprintRemediator"
    assert settings.dashboard_name == "OidcThumbprintRemediator-eu-west-1"
    assert settings.log_group_name == "/aws/lambda/OidcThumbprintRemediator-Sweep"
    # And a run the stack did not deploy (a workstation) has none of them
    assert Settings.from_env({ENV_TOPIC_ARN: TOPIC}).dashboard_name is None
