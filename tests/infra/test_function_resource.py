"""The sweep function as deployed: runtime, architecture, limits, tracing, logs and its environment."""

from __future__ import annotations

import pytest

from infra.contract import contract
from tests.infra.synthesis import Synthesized
from thumbprint_remediator.settings import Settings

pytestmark = pytest.mark.xdist_group("cdk-assertions")

FAKE_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:alerts"


def test_function_runs_python_313_on_arm64_with_explicit_limits(default_stack: Synthesized) -> None:
    # Given the default context / When synthesized
    function = default_stack.only("AWS::Lambda::Function")

    # Then
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == contract.HANDLER
    assert function["Timeout"] == 300
    assert function["MemorySize"] == 512
    assert function["TracingConfig"] == {"Mode": "Active"}


def test_function_logs_to_its_own_log_group_with_retention(default_stack: Synthesized) -> None:
    function = default_stack.only("AWS::Lambda::Function")
    log_group_id = default_stack.logical_id("AWS::Logs::LogGroup")

    assert function["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    assert default_stack.only("AWS::Logs::LogGroup")["RetentionInDays"] == 90


def test_failed_sweep_is_retried_once_and_dropped_after_an_hour(default_stack: Synthesized) -> None:
    invoke_config = default_stack.only("AWS::Lambda::EventInvokeConfig")

    assert invoke_config["MaximumRetryAttempts"] == 1
    assert invoke_config["MaximumEventAgeInSeconds"] == 3600


def test_environment_uses_only_names_from_the_contract(default_stack: Synthesized) -> None:
    # Given
    environment = default_stack.only("AWS::Lambda::Function")["Environment"]["Variables"]
    powertools = {contract.ENV_POWERTOOLS_SERVICE_NAME, contract.ENV_POWERTOOLS_METRICS_NAMESPACE}

    # Then: the stack sets settings the engine reads, Powertools' two, and nothing else
    assert set(environment) - powertools <= set(contract.SETTINGS_ENV_NAMES)
    assert environment == {
        contract.ENV_TOPIC_ARN: {"Ref": default_stack.logical_id("AWS::SNS::Topic")},
        contract.ENV_DRY_RUN: "false",
        contract.ENV_EXPIRY_WARNING_DAYS: "30",
        contract.ENV_NOTIFY_ON: "problems",
        contract.ENV_FINDING_EVENTS: "true",  # events for routing: on by default
        contract.ENV_SECURITY_HUB: "false",
        contract.ENV_POWERTOOLS_SERVICE_NAME: contract.SERVICE_NAME,
        contract.ENV_POWERTOOLS_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
    }


def test_engine_settings_read_the_environment_the_stack_sets(default_stack: Synthesized) -> None:
    # Given the environment as Lambda would resolve it
    environment = dict(default_stack.only("AWS::Lambda::Function")["Environment"]["Variables"])
    environment[contract.ENV_TOPIC_ARN] = FAKE_TOPIC_ARN

    # When the Lambda code reads it
    settings = Settings.from_env(environment)

    # Then every value arrives where the engine expects it
    assert settings.topic_arn == FAKE_TOPIC_ARN
    assert settings.dry_run is False
    assert settings.expiry_warning_days == 30
    assert settings.notify_on == "problems"
    assert settings.extra_ca_bundle is None
