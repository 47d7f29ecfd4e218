"""The sweep function as deployed: runtime, architecture, limits, tracing, logs, dead letters and its environment."""

from __future__ import annotations

import pytest

from infra.application import STACK_NAME
from tests.infra.synthesis import Synthesized
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.metrics import METRICS_NAMESPACE
from thumbprint_remediator.contract.names import (
    ENV_DASHBOARD_NAME,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_FINDING_EVENTS,
    ENV_HISTORY_TABLE,
    ENV_LOG_GROUP_NAME,
    ENV_NOTIFY_ON,
    ENV_POSTURE,
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_SECURITY_HUB,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
    HANDLER,
    SERVICE_NAME,
)
from thumbprint_remediator.contract.settings import SETTINGS_ENV_NAMES

pytestmark = pytest.mark.xdist_group("cdk-assertions")

FAKE_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:alerts"
PARTITION = {"Ref": "AWS::Partition"}
ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}


def test_function_runs_python_313_on_arm64_with_explicit_limits(default_stack: Synthesized) -> None:
    # Given the default context / When synthesized
    function = default_stack.only("AWS::Lambda::Function")

    # Then
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == HANDLER
    assert function["Timeout"] == 300
    assert function["MemorySize"] == 512
    assert function["TracingConfig"] == {"Mode": "Active"}


def test_function_logs_to_its_own_log_group_with_retention(default_stack: Synthesized) -> None:
    function = default_stack.only("AWS::Lambda::Function")
    log_group_id = default_stack.logical_id("AWS::Logs::LogGroup")

    assert function["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    assert default_stack.only("AWS::Logs::LogGroup")["RetentionInDays"] == 90


def test_log_group_is_encrypted_with_the_stack_key_which_admits_cloudwatch_logs_for_it_only(
    default_stack: Synthesized,
) -> None:
    # Given the function's log group and the stack's key
    log_group = default_stack.only("AWS::Logs::LogGroup")
    key_statements = default_stack.only("AWS::KMS::Key")["KeyPolicy"]["Statement"]
    logs_service = {"Fn::Join": ["", ["logs.", REGION, ".amazonaws.com"]]}

    # Then the group is encrypted with that key
    assert log_group["KmsKeyId"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]}
    # and the key lets CloudWatch Logs use it only in the encryption context of that very log group
    (for_logs,) = [statement for statement in key_statements if statement["Principal"] == {"Service": logs_service}]
    assert for_logs["Effect"] == "Allow"
    assert "kms:Decrypt*" in for_logs["Action"]
    assert "kms:GenerateDataKey*" in for_logs["Action"]
    assert for_logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        PARTITION,
                        ":logs:",
                        REGION,
                        ":",
                        ACCOUNT,
                        f":log-group:{log_group['LogGroupName']}",
                    ],
                ]
            }
        }
    }


def test_failed_scheduled_sweep_lands_in_an_encrypted_tls_only_dead_letter_queue_kept_14_days(
    default_stack: Synthesized,
) -> None:
    # Given the function and its dead-letter queue
    function = default_stack.only("AWS::Lambda::Function")
    queue_id = default_stack.logical_id("AWS::SQS::Queue")
    queue = default_stack.only("AWS::SQS::Queue")
    (queue_policy,) = default_stack.only("AWS::SQS::QueuePolicy")["PolicyDocument"]["Statement"]

    # Then the asynchronous invocation that failed every attempt is kept there
    assert function["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]}
    # and the queue refuses every request without TLS
    assert (queue_policy["Effect"], queue_policy["Action"], queue_policy["Principal"]) == (
        "Deny",
        "sqs:*",
        {"AWS": "*"},
    )
    assert queue_policy["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_one_sweep_at_a_time_runs_in_the_account(default_stack: Synthesized, overridden_stack: Synthesized) -> None:
    # Given any configuration / Then a second concurrent invocation is throttled, never run beside the first
    for stack in (default_stack, overridden_stack):
        assert stack.only("AWS::Lambda::Function")["ReservedConcurrentExecutions"] == 1


def test_failed_sweep_is_retried_once_and_dropped_after_an_hour(default_stack: Synthesized) -> None:
    invoke_config = default_stack.only("AWS::Lambda::EventInvokeConfig")

    assert invoke_config["MaximumRetryAttempts"] == 1
    assert invoke_config["MaximumEventAgeInSeconds"] == 3600


def test_environment_uses_only_names_from_the_contract(default_stack: Synthesized) -> None:
    # Given
    environment = default_stack.only("AWS::Lambda::Function")["Environment"]["Variables"]
    powertools = {ENV_POWERTOOLS_SERVICE_NAME, ENV_POWERTOOLS_METRICS_NAMESPACE}

    # Then: the stack sets settings the engine reads, Powertools' two, and nothing else
    assert set(environment) - powertools <= set(SETTINGS_ENV_NAMES)
    assert environment == {
        ENV_TOPIC_ARN: {"Ref": default_stack.logical_id("AWS::SNS::Topic")},
        ENV_DRY_RUN: "false",
        ENV_EXPIRY_WARNING_DAYS: "30",
        ENV_NOTIFY_ON: "changes",
        ENV_FINDING_EVENTS: "true",  # events for routing: on by default
        ENV_SECURITY_HUB: "false",
        ENV_POSTURE: "true",  # who can use each provider: on by default
        ENV_HISTORY_TABLE: {"Ref": default_stack.logical_id("AWS::DynamoDB::Table")},  # on by default
        ENV_STACK_NAME: STACK_NAME,
        ENV_DASHBOARD_NAME: {"Fn::Join": ["", [f"{STACK_NAME}-", REGION]]},
        ENV_LOG_GROUP_NAME: f"/aws/lambda/{STACK_NAME}-Sweep",
        ENV_POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ENV_POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    }


def test_engine_settings_read_the_environment_the_stack_sets(default_stack: Synthesized) -> None:
    # Given the environment as Lambda would resolve it
    environment = dict(default_stack.only("AWS::Lambda::Function")["Environment"]["Variables"])
    environment[ENV_TOPIC_ARN] = FAKE_TOPIC_ARN
    environment[ENV_HISTORY_TABLE] = "OidcThumbprintRemediator-History"  # a Ref to the table, resolved
    environment[ENV_DASHBOARD_NAME] = f"{STACK_NAME}-eu-west-1"  # joined with the region, resolved

    # When the Lambda code reads it
    settings = Settings.from_env(environment)

    # Then every value arrives where the engine expects it
    assert settings.topic_arn == FAKE_TOPIC_ARN
    assert settings.dry_run is False
    assert settings.expiry_warning_days == 30
    assert settings.notify_on == "changes"
    assert settings.extra_ca_bundle is None
    assert settings.history_table == "OidcThumbprintRemediator-History"
    assert (settings.stack_name, settings.dashboard_name) == (STACK_NAME, f"{STACK_NAME}-eu-west-1")
    assert settings.log_group_name == f"/aws/lambda/{STACK_NAME}-Sweep"


def test_the_function_is_told_the_stack_dashboard_and_log_group_its_alerts_link_to(default_stack: Synthesized) -> None:
    # Given the names the function is given, and the resources the stack creates under them
    environment = default_stack.only("AWS::Lambda::Function")["Environment"]["Variables"]
    dashboard = default_stack.only("AWS::CloudWatch::Dashboard")
    log_group = default_stack.only("AWS::Logs::LogGroup")

    # Then the alert's links name exactly the dashboard and the log group this stack deployed
    assert environment[ENV_DASHBOARD_NAME] == dashboard["DashboardName"]
    assert environment[ENV_LOG_GROUP_NAME] == log_group["LogGroupName"]
    assert environment[ENV_STACK_NAME] == STACK_NAME
