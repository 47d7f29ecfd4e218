"""Every context key reaches the template: `-c dryRun=true`, `-c architecture=x86_64`, and the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match

from infra.bundling import EXTRA_CA_BUNDLE_NAME, TASK_ROOT
from tests.infra.synthesis import Synthesized
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.metrics import METRIC_SWEEP_COMPLETED
from thumbprint_remediator.contract.names import (
    ENV_DASHBOARD_NAME,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_LOG_GROUP_NAME,
    ENV_NOTIFY_ON,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
)

pytestmark = pytest.mark.xdist_group("cdk-assertions")


def _asset_hash(stack: Synthesized) -> str:
    s3_key = stack.only("AWS::Lambda::Function")["Code"]["S3Key"]
    return str(s3_key).removesuffix(".zip")


def test_dry_run_and_engine_settings_reach_the_environment(overridden_stack: Synthesized) -> None:
    environment = overridden_stack.only("AWS::Lambda::Function")["Environment"]["Variables"]

    assert environment[ENV_DRY_RUN] == "true"
    assert environment[ENV_EXPIRY_WARNING_DAYS] == "14"
    assert environment[ENV_NOTIFY_ON] == "always"
    assert environment[ENV_EXTRA_CA_BUNDLE] == f"{TASK_ROOT}/{EXTRA_CA_BUNDLE_NAME}"


def test_engine_reads_the_packaged_ca_bundle_path(overridden_stack: Synthesized, private_ca_bundle: Path) -> None:
    # Given the overridden environment, with /var/task standing for the unpacked asset
    environment = dict(overridden_stack.only("AWS::Lambda::Function")["Environment"]["Variables"])
    environment[ENV_TOPIC_ARN] = "arn:aws:sns:eu-west-1:123456789012:alerts"
    environment[ENV_EXTRA_CA_BUNDLE] = str(private_ca_bundle)
    environment[ENV_HISTORY_TABLE] = "OidcThumbprintRemediator-History"  # a Ref to the table, resolved
    # The alert's links: names CloudFormation joins with the region at deploy time, resolved as it would.
    for name, resolved in (
        (ENV_STACK_NAME, "OidcThumbprintRemediator"),
        (ENV_DASHBOARD_NAME, "OidcThumbprintRemediator-eu-west-1"),
        (ENV_LOG_GROUP_NAME, "/aws/lambda/OidcThumbprintRemediator-Sweep"),
    ):
        if not isinstance(environment.get(name, ""), str):
            environment[name] = resolved

    # When / Then
    settings = Settings.from_env(environment)
    assert settings.dry_run is True
    assert settings.extra_ca_bundle == str(private_ca_bundle)


def test_x86_64_changes_the_architecture_and_the_asset_hash(
    default_stack: Synthesized, overridden_stack: Synthesized
) -> None:
    assert overridden_stack.only("AWS::Lambda::Function")["Architectures"] == ["x86_64"]
    assert _asset_hash(overridden_stack) != _asset_hash(default_stack)


def test_memory_and_timeout_overrides_reach_the_function(overridden_stack: Synthesized) -> None:
    function = overridden_stack.only("AWS::Lambda::Function")

    assert (function["MemorySize"], function["Timeout"]) == (1024, 120)


def test_schedule_override_drives_the_rule_the_dead_man_period_and_the_event_age(
    overridden_stack: Synthesized,
) -> None:
    rule = overridden_stack.only("AWS::Events::Rule")
    dead_man = overridden_stack.template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": METRIC_SWEEP_COMPLETED}}
    )
    (alarm,) = [item["Properties"] for item in dead_man.values()]

    assert rule["ScheduleExpression"] == "rate(6 hours)"
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (6 * 3600, 2)
    assert rule["Targets"][0]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 3600


def test_without_alert_emails_there_is_no_subscription_and_synth_warns(overridden_stack: Synthesized) -> None:
    warnings = Annotations.from_stack(overridden_stack.stack).find_warning(
        "*", Match.string_like_regexp("No alertEmails given")
    )

    assert overridden_stack.template.find_resources("AWS::SNS::Subscription") == {}
    assert len(warnings) == 1
