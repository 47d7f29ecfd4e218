"""Least privilege: the function's role holds exactly the actions its adapters declare (read from the adapters
themselves, not from the contract infra reads), on the narrowest resources."""

from __future__ import annotations

from typing import Any

import pytest

from tests.declared_permissions import declared_by, declared_on
from tests.infra.synthesis import Synthesized
from thumbprint_remediator.aws import finding_events, history, inventory, publisher, roles

pytestmark = pytest.mark.xdist_group("cdk-assertions")

PARTITION = {"Ref": "AWS::Partition"}
ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return sorted([action] if isinstance(action, str) else action)


def _policies(stack: Synthesized) -> dict[str, list[dict[str, Any]]]:
    role = stack.only("AWS::IAM::Role")
    return {policy["PolicyName"]: policy["PolicyDocument"]["Statement"] for policy in role["Policies"]}


def test_role_is_assumed_by_lambda_only_and_has_no_managed_policies(default_stack: Synthesized) -> None:
    role = default_stack.only("AWS::IAM::Role")

    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role
    # Every permission is inline in the role: no policy resource anyone could extend.
    assert default_stack.template.find_resources("AWS::IAM::Policy") == {}
    assert default_stack.template.find_resources("AWS::IAM::ManagedPolicy") == {}


def test_oidc_provider_actions_are_scoped_to_oidc_providers_of_this_account(default_stack: Synthesized) -> None:
    scoped, listing = _policies(default_stack)["OidcProviders"]

    assert _actions(scoped) == declared_on(inventory, "oidc-providers")
    assert scoped["Resource"] == {"Fn::Join": ["", ["arn:", PARTITION, ":iam::", ACCOUNT, ":oidc-provider/*"]]}
    assert "Condition" not in scoped
    # IAM has no resource type for listing: "*" is all it accepts (the providers, and the roles posture judges).
    assert _actions(listing) == sorted(declared_on(inventory, "any") + declared_on(roles, "any"))
    assert listing["Resource"] == "*"


def test_function_may_publish_to_the_alerts_topic_and_use_its_key_through_sns_only(
    default_stack: Synthesized,
) -> None:
    publish, key = _policies(default_stack)["Alerts"]

    assert _actions(publish) == declared_on(publisher, "alerts-topic")
    assert publish["Resource"] == {"Ref": default_stack.logical_id("AWS::SNS::Topic")}
    assert _actions(key) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]}
    assert key["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["sns.", REGION, ".amazonaws.com"]]}}
    }


def test_function_may_send_to_its_dead_letter_queue_and_use_its_key_through_sqs_only(
    default_stack: Synthesized,
) -> None:
    send, key = _policies(default_stack)["DeadLetters"]

    assert _actions(send) == ["sqs:SendMessage"]  # sent by Lambda itself with the role: no adapter
    assert send["Resource"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::SQS::Queue"), "Arn"]}
    assert _actions(key) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]}
    assert key["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["sqs.", REGION, ".amazonaws.com"]]}}
    }


def test_logging_and_tracing_get_only_what_they_need(default_stack: Synthesized) -> None:
    policies = _policies(default_stack)
    (logging,) = policies["Logging"]
    (tracing,) = policies["Tracing"]

    assert _actions(logging) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logging["Resource"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::Logs::LogGroup"), "Arn"]}
    assert _actions(tracing) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    assert tracing["Resource"] == "*"


def test_role_grants_exactly_these_actions_and_nothing_else(default_stack: Synthesized) -> None:
    granted = {
        action
        for statements in _policies(default_stack).values()
        for statement in statements
        for action in _actions(statement)
    }
    assert all(
        statement["Effect"] == "Allow" for statements in _policies(default_stack).values() for statement in statements
    )

    assert granted == {
        # events for routing, the history table and posture (iam:ListRoles): on by default
        *declared_by(inventory, publisher, finding_events, history, roles),
        "sqs:SendMessage",  # the dead-letter queue, which Lambda itself sends to with the role
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_function_may_read_and_write_only_the_history_table_and_use_its_key_through_dynamodb_only(
    default_stack: Synthesized,
) -> None:
    # Given the role's history policy
    items, key = _policies(default_stack)["History"]

    # Then it holds exactly the adapter's declared actions (one item read, one conditional put), on the table only
    assert _actions(items) == declared_on(history, "history-table") == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert items["Resource"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::DynamoDB::Table"), "Arn"]}
    assert "Condition" not in items
    # and the stack's key only as DynamoDB uses it on the function's behalf
    assert _actions(key) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]}
    assert key["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["dynamodb.", REGION, ".amazonaws.com"]]}}
    }
    # and no other statement names a DynamoDB action
    elsewhere = [
        action
        for name, statements in _policies(default_stack).items()
        if name != "History"
        for statement in statements
        for action in _actions(statement)
        if action.startswith("dynamodb:")
    ]
    assert elsewhere == []


def test_only_eventbridge_rule_may_invoke_the_function(default_stack: Synthesized) -> None:
    permission = default_stack.only("AWS::Lambda::Permission")

    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::Events::Rule"), "Arn"]}
