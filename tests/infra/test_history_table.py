"""The history table: its settings, the function's grant and environment, its alarm, and `-c history=false`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.alarms import AlarmNames
from infra.application import STACK_NAME
from tests.infra.synthesis import Synthesized
from thumbprint_remediator.contract.metrics import METRIC_SERVICE_DIMENSION, METRICS_NAMESPACE
from thumbprint_remediator.contract.names import SERVICE_NAME

pytestmark = pytest.mark.xdist_group("cdk-assertions")

NAMES = AlarmNames.for_stack(STACK_NAME)
TABLE = "AWS::DynamoDB::Table"


def _table_resource(stack: Synthesized) -> dict[str, Any]:
    return stack.resources[stack.logical_id(TABLE)]  # type: ignore[no-any-return]


def _graphed(stack: Synthesized) -> dict[str, dict[str, Any]]:
    """Every engine metric the dashboard graphs, with its options (stat, period)."""
    parts = stack.only("AWS::CloudWatch::Dashboard")["DashboardBody"]["Fn::Join"][1]
    body = json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in parts))
    return {
        metric[1]: metric[-1]
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if metric[0] == METRICS_NAMESPACE
    }


def _role_policies(stack: Synthesized) -> dict[str, Any]:
    return {policy["PolicyName"]: policy for policy in stack.only("AWS::IAM::Role")["Policies"]}


def test_table_is_on_demand_and_keyed_by_two_strings_anyone_can_recreate(default_stack: Synthesized) -> None:
    # Given the default deployment / When synthesized
    table = default_stack.only(TABLE)

    # Then it bills per request and its keys are the documented pk (hash) and sk (range), both strings
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in table
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda attribute: attribute["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    # and no index: the adapter reads one item by its key
    assert "GlobalSecondaryIndexes" not in table
    assert "LocalSecondaryIndexes" not in table


def test_table_is_encrypted_with_the_stack_key_recoverable_to_a_point_in_time_and_expires_old_items(
    default_stack: Synthesized,
) -> None:
    table = default_stack.only(TABLE)

    # Then the same customer managed key as the topic, the log group and the queue
    assert table["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]},
    }
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_cdk_destroy_deletes_the_table_with_the_stack_and_its_key(default_stack: Synthesized) -> None:
    # Given the table and the key it is encrypted with
    table = _table_resource(default_stack)
    key = default_stack.resources[default_stack.logical_id("AWS::KMS::Key")]

    # Then both go with the stack: a table kept past its key's deletion could never be read again
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert key["DeletionPolicy"] == "Delete"
    assert table["Properties"].get("DeletionProtectionEnabled", False) is False


def test_function_finds_the_table_by_name_in_its_environment(default_stack: Synthesized) -> None:
    environment = default_stack.only("AWS::Lambda::Function")["Environment"]["Variables"]

    assert environment["HISTORY_TABLE"] == {"Ref": default_stack.logical_id(TABLE)}


def test_history_unavailable_alarm_fires_on_any_count_in_a_schedule_period_and_notifies_the_topic(
    default_stack: Synthesized, overridden_stack: Synthesized
) -> None:
    for stack, period in ((default_stack, 86400), (overridden_stack, 6 * 3600)):
        # Given the alarm, under the daily default schedule and under rate(6 hours)
        alarms = stack.template.find_resources(
            "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": NAMES.history_unavailable}}
        )
        assert len(alarms) == 1, f"no alarm named {NAMES.history_unavailable}"
        alarm = next(iter(alarms.values()))["Properties"]

        # Then one provider swept without history in one schedule period is enough
        assert (alarm["Namespace"], alarm["MetricName"]) == (METRICS_NAMESPACE, "HistoryUnavailable")
        assert alarm["Dimensions"] == [{"Name": METRIC_SERVICE_DIMENSION, "Value": SERVICE_NAME}]
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Sum",
            "GreaterThanThreshold",
            0,
        )
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == (period, 1)
        # A sweep with its history emits no count: that is no failure.
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": stack.logical_id("AWS::SNS::Topic")}]


def test_dashboard_shows_changes_and_drift_per_day_and_sweeps_without_history(
    overridden_stack: Synthesized,
) -> None:
    # Given a schedule of rate(6 hours) / When the dashboard is built
    graphed = _graphed(overridden_stack)

    # Then changes and drift add up per day, whatever the schedule
    for metric in ("ProvidersChanged", "ProvidersDrifted"):
        assert (graphed[metric]["stat"], graphed[metric]["period"]) == ("Sum", 86400)
    assert (graphed["HistoryUnavailable"]["stat"], graphed["HistoryUnavailable"]["period"]) == ("Sum", 6 * 3600)


def test_history_false_leaves_no_table_grant_variable_alarm_or_widget(
    default_stack: Synthesized, stateless_stack: Synthesized
) -> None:
    # Given the same deployment with and without -c history=false
    with_history = default_stack.template.to_json()
    stateless = stateless_stack.template.to_json()
    environment = stateless_stack.only("AWS::Lambda::Function")["Environment"]["Variables"]
    alarm_names = {
        alarm["Properties"]["AlarmName"]
        for alarm in stateless_stack.template.find_resources("AWS::CloudWatch::Alarm").values()
    }
    key_arns = json.dumps(stateless_stack.only("AWS::KMS::Key")["KeyPolicy"])

    # Then the table and everything that refers to it are gone, and nothing else changed in kind
    assert stateless_stack.template.find_resources(TABLE) == {}
    assert "History" not in _role_policies(stateless_stack)
    assert "dynamodb:" not in json.dumps(stateless_stack.only("AWS::IAM::Role"))
    assert "HISTORY_TABLE" not in environment
    assert NAMES.history_unavailable not in alarm_names
    assert alarm_names == {NAMES.errors, NAMES.dead_man, NAMES.dead_letters}
    assert NAMES.history_unavailable not in key_arns
    assert not {"ProvidersChanged", "ProvidersDrifted", "HistoryUnavailable"} & set(_graphed(stateless_stack))
    assert "HistoryTableName" not in stateless["Outputs"]
    assert "HistoryTableName" in with_history["Outputs"]
    assert {resource["Type"] for resource in with_history["Resources"].values()} - {
        resource["Type"] for resource in stateless["Resources"].values()
    } == {TABLE}
