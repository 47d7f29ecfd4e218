"""Context → StackConfig: defaults, accepted forms, and an error naming the key for every bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, StackConfig


def _config(**context: Any) -> StackConfig:
    return StackConfig.from_context(context.get)


def _config_in(base_dir: Path, **context: Any) -> StackConfig:
    return StackConfig.from_context(context.get, base_dir=base_dir)


def test_defaults_match_the_readme() -> None:
    config = _config()

    assert config.alert_emails == ()
    assert config.schedule.expression == "rate(1 day)"
    assert config.dry_run is False
    assert config.expiry_warning_days == 30
    assert config.notify_on == "changes"
    assert config.extra_ca_bundle is None
    assert config.architecture == "arm64"
    assert config.memory_size == 512
    assert config.timeout_seconds == 300
    assert config.history is True


def test_command_line_strings_and_cdk_json_values_are_both_accepted() -> None:
    from_command_line = _config(
        alertEmails=" ops@example.com, secops@example.com ,ops@example.com",
        dryRun="TRUE",
        memorySize="1024",
        timeout="120",
    )
    from_cdk_json = _config(
        alertEmails=["ops@example.com", "secops@example.com"], dryRun=True, memorySize=1024, timeout=120
    )

    assert from_command_line == from_cdk_json
    assert from_command_line.alert_emails == ("ops@example.com", "secops@example.com")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("alertEmails", "ops@example.com,not-an-address", "alertEmails: 'not-an-address' is not an e-mail"),
        ("alertEmails", "ops@example.com;secops@example.com", "alertEmails"),
        ("schedule", "every day", "schedule: 'every day' is not a schedule expression"),
        ("schedule", "rate(7 days)", "dead-man alarm needs a sweep at least every 84 hours"),
        ("dryRun", "maybe", "dryRun: expected true or false"),
        ("expiryWarningDays", "thirty", "expiryWarningDays: expected a whole number"),
        ("expiryWarningDays", "-1", "expiryWarningDays: expected a whole number"),
        ("expiryWarningDays", "5000", "from 0 to 3650, got 5000"),
        ("notifyOn", "sometimes", "notifyOn: expected one of always, changes, problems, never"),
        ("architecture", "sparc", "architecture: expected one of arm64, x86_64"),
        ("memorySize", "64", "memorySize: expected a whole number from 128 to 10240"),
        ("memorySize", "1.5", "memorySize"),
        ("timeout", "30", "timeout: expected a whole number from 96 to 900"),
        ("timeout", "60", "timeout: expected a whole number from 96 to 900"),  # probes nothing
        ("timeout", "901", "timeout"),
        ("history", "maybe", "history: expected true or false"),
        ("extraCaBundle", "no/such/bundle.pem", "extraCaBundle: 'no/such/bundle.pem' is not a file"),
    ],
)
def test_bad_values_fail_synth_naming_the_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _config(**{key: value})

    assert message in str(raised.value)


def test_schedule_shorter_than_the_timeout_is_refused() -> None:
    with pytest.raises(ConfigError, match="sweeps would overlap"):
        _config(schedule="rate(5 minutes)", timeout="600")


def test_the_history_table_raises_the_smallest_timeout() -> None:
    # Given a timeout that probes a provider without history but not with it (each provider reads and writes
    # its record too)
    # Then it is refused with the table, and accepted without it
    with pytest.raises(ConfigError, match="with the history table"):
        _config(timeout="100")
    assert _config(timeout="100", history="false").timeout_seconds == 100


def test_extra_ca_bundle_must_hold_a_pem_certificate(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a certificate")

    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        _config_in(tmp_path, extraCaBundle="notes.txt")


def test_extra_ca_bundle_is_resolved_from_the_project_directory(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    bundle = tmp_path / "certs" / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")

    assert _config_in(tmp_path, extraCaBundle="certs/ca.pem").extra_ca_bundle == bundle.resolve()


@pytest.mark.parametrize(
    ("schedule", "timeout", "max_age"),
    [("rate(1 day)", "300", 3600), ("rate(10 minutes)", "300", 600), ("rate(2 minutes)", "110", 120)],
)
def test_a_late_sweep_is_dropped_once_the_next_one_is_due(schedule: str, timeout: str, max_age: int) -> None:
    assert _config(schedule=schedule, timeout=timeout).max_event_age_seconds == max_age
