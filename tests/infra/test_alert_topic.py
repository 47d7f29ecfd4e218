"""The alerts topic: KMS-encrypted, TLS only, e-mail subscriptions, and only the function (and our alarms) publish."""

from __future__ import annotations

from typing import Any

import pytest

from infra.alarms import AlarmNames
from infra.application import STACK_NAME
from tests.infra.synthesis import ALERT_EMAILS, Synthesized

pytestmark = pytest.mark.xdist_group("cdk-assertions")

ACCOUNT = {"Ref": "AWS::AccountId"}


def _alarm_arn(name: str) -> dict[str, Any]:
    parts = ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"}, ":", ACCOUNT, f":alarm:{name}"]
    return {"Fn::Join": ["", parts]}


OUR_ALARMS = {
    "StringEquals": {"aws:SourceAccount": ACCOUNT},
    "ArnEquals": {
        "aws:SourceArn": [
            _alarm_arn(AlarmNames.for_stack(STACK_NAME).errors),
            _alarm_arn(AlarmNames.for_stack(STACK_NAME).dead_man),
            _alarm_arn(AlarmNames.for_stack(STACK_NAME).dead_letters),
            _alarm_arn(AlarmNames.for_stack(STACK_NAME).history_unavailable),
        ]
    },
}


def _topic_statements(stack: Synthesized) -> dict[str, dict[str, Any]]:
    policy = stack.only("AWS::SNS::TopicPolicy")
    return {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}


def test_topic_is_encrypted_with_a_rotated_customer_managed_key(default_stack: Synthesized) -> None:
    topic = default_stack.only("AWS::SNS::Topic")
    key = default_stack.only("AWS::KMS::Key")

    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [default_stack.logical_id("AWS::KMS::Key"), "Arn"]}
    assert key["EnableKeyRotation"] is True


def test_topic_refuses_publishing_without_tls(default_stack: Synthesized) -> None:
    tls_only = _topic_statements(default_stack)["AllowPublishThroughSSLOnly"]

    assert tls_only["Effect"] == "Deny"
    assert tls_only["Principal"] == "*"
    assert tls_only["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_the_function_role_may_publish(default_stack: Synthesized) -> None:
    deny = _topic_statements(default_stack)["OnlyTheSweepFunctionPublishes"]

    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Action"] == "sns:Publish"
    assert deny["Condition"] == {
        "StringNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [default_stack.logical_id("AWS::IAM::Role"), "Arn"]}},
        "Null": {"aws:PrincipalServiceName": "true"},
    }


def test_our_alarms_and_no_others_may_publish_and_use_the_key(default_stack: Synthesized) -> None:
    publish = _topic_statements(default_stack)["AllowOurAlarmsToPublish"]
    key_statements = default_stack.only("AWS::KMS::Key")["KeyPolicy"]["Statement"]
    (use_key,) = [statement for statement in key_statements if statement.get("Sid") == "AllowOurAlarmsToUseTheKey"]

    for statement in (publish, use_key):
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert statement["Condition"] == OUR_ALARMS
    assert publish["Action"] == "sns:Publish"
    assert use_key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_every_alert_address_is_subscribed_by_email(default_stack: Synthesized) -> None:
    subscriptions = default_stack.template.find_resources("AWS::SNS::Subscription")
    topic_ref = {"Ref": default_stack.logical_id("AWS::SNS::Topic")}

    assert sorted(
        (item["Properties"]["Protocol"], item["Properties"]["Endpoint"]) for item in subscriptions.values()
    ) == [("email", email) for email in sorted(ALERT_EMAILS)]
    assert all(item["Properties"]["TopicArn"] == topic_ref for item in subscriptions.values())
