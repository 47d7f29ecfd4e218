"""The schedule and who watches it: error, dead-man and dead-letter alarms and the dashboard, from the contract."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.alarms import AlarmNames
from infra.application import STACK_NAME
from tests.infra.synthesis import Synthesized
from thumbprint_remediator.contract.metrics import (
    DASHBOARD_METRICS,
    METRIC_MIN_DAYS_TO_EXPIRY,
    METRIC_PROVIDERS_UPDATED,
    METRIC_SERVICE_DIMENSION,
    METRIC_SWEEP_COMPLETED,
    METRICS_NAMESPACE,
)
from thumbprint_remediator.contract.names import SERVICE_NAME

pytestmark = pytest.mark.xdist_group("cdk-assertions")

NAMES = AlarmNames.for_stack(STACK_NAME)


def _alarm(stack: Synthesized, name: str) -> dict[str, Any]:
    alarms = stack.template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": name}})
    assert len(alarms) == 1, f"no alarm named {name}"
    return next(iter(alarms.values()))["Properties"]  # type: ignore[no-any-return]


def _dashboard_body(stack: Synthesized) -> dict[str, Any]:
    """The dashboard JSON with every CloudFormation intrinsic replaced by a placeholder."""
    parts = stack.only("AWS::CloudWatch::Dashboard")["DashboardBody"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in parts))  # type: ignore[no-any-return]


def test_rule_runs_daily_and_retries_delivery_within_the_hour(default_stack: Synthesized) -> None:
    rule = default_stack.only("AWS::Events::Rule")
    (target,) = rule["Targets"]

    assert rule["ScheduleExpression"] == "rate(1 day)"
    assert rule["State"] == "ENABLED"
    assert target["Arn"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::Lambda::Function"), "Arn"]}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}
    assert "Input" not in target  # the scheduled event itself: the handler reads it as a scheduled sweep


def test_errors_alarm_fires_on_any_function_error_and_notifies_the_topic(default_stack: Synthesized) -> None:
    alarm = _alarm(default_stack, NAMES.errors)

    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": default_stack.logical_id("AWS::Lambda::Function")}}
    ]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 1)
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": default_stack.logical_id("AWS::SNS::Topic")}]


def test_dead_man_alarm_fires_after_two_schedule_periods_without_a_completed_sweep(
    default_stack: Synthesized,
) -> None:
    alarm = _alarm(default_stack, NAMES.dead_man)
    topic = [{"Ref": default_stack.logical_id("AWS::SNS::Topic")}]

    assert (alarm["Namespace"], alarm["MetricName"]) == (METRICS_NAMESPACE, METRIC_SWEEP_COMPLETED)
    assert alarm["Dimensions"] == [{"Name": METRIC_SERVICE_DIMENSION, "Value": SERVICE_NAME}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "LessThanThreshold", 1)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (86400, 2, 2)
    assert alarm["TreatMissingData"] == "breaching"
    # CloudWatch caps period x evaluation periods at 7 days.
    assert alarm["Period"] * alarm["EvaluationPeriods"] <= 7 * 86400
    assert alarm["AlarmActions"] == topic
    assert alarm["OKActions"] == topic


def test_dashboard_graphs_every_engine_metric_over_time(default_stack: Synthesized) -> None:
    body = _dashboard_body(default_stack)
    graphed = {
        metric[1]: metric[-1]
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if metric[0] == METRICS_NAMESPACE
    }
    dimensions = {
        tuple(metric[2:4])
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if metric[0] == METRICS_NAMESPACE
    }

    assert set(DASHBOARD_METRICS) <= set(graphed)
    assert dimensions == {(METRIC_SERVICE_DIMENSION, SERVICE_NAME)}
    assert graphed[METRIC_MIN_DAYS_TO_EXPIRY]["stat"] == "Minimum"
    assert graphed[METRIC_PROVIDERS_UPDATED]["stat"] == "Sum"
    assert {options["period"] for options in graphed.values()} == {86400}


def test_dead_letter_alarm_fires_on_the_first_kept_failure_and_notifies_the_topic(default_stack: Synthesized) -> None:
    # Given the alarm on the function's dead-letter queue
    alarm = _alarm(default_stack, NAMES.dead_letters)
    queue_id = default_stack.logical_id("AWS::SQS::Queue")

    # Then one visible message, at any time of a period, is enough
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        0,
    )
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 1)
    # An idle queue reports no datapoint at all: that is no failure.
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": default_stack.logical_id("AWS::SNS::Topic")}]


def test_dashboard_shows_every_alarm_and_the_expiry_warning_line(default_stack: Synthesized) -> None:
    body = _dashboard_body(default_stack)
    (alarm_widget,) = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    annotations = [
        annotation
        for widget in body["widgets"]
        for annotation in widget["properties"].get("annotations", {}).get("horizontal", [])
    ]

    assert len(alarm_widget["properties"]["alarms"]) == len(
        default_stack.template.find_resources("AWS::CloudWatch::Alarm")
    )
    assert {(annotation["label"], annotation["value"]) for annotation in annotations} == {
        ("expiry warning", 30),
        ("timeout", 300 * 1000),
    }
