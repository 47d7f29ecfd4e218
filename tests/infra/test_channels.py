"""The channels' context keys: each channel's resources and grants appear only when its key is set, the grants are
the adapters' declared actions, and the us-east-1 forwarder appears only when the stack lives elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from infra.application import build_app
from infra.channels import FORWARDER_STACK_NAME
from infra.config import ConfigError
from tests.declared_permissions import declared_by, declared_on
from tests.infra.nag import nag_findings
from tests.infra.synthesis import ALERT_EMAILS, CDK_JSON_CONTEXT, SKIP_BUNDLING, Synthesized, synthesize
from thumbprint_remediator.aws import config_rule, finding_events, history, inventory, publisher, roles, security_hub
from thumbprint_remediator.contract.names import (
    CHANGE_EVENT_NAMES,
    CONFIG_RESOURCE_TYPE,
    ENV_FINDING_EVENTS,
    ENV_FUNCTION_ROLE_ARN,
    ENV_POSTURE,
    ENV_SECURITY_HUB,
    IAM_EVENTS_REGION,
)

pytestmark = pytest.mark.xdist_group("cdk-assertions")

EVERY_CHANNEL = {"changeCheck": "true", "securityHub": "true", "configRule": "true", "findingEvents": "true"}
BASE_ACTIONS = {
    *declared_by(inventory, publisher, history),  # the history table: on by default
    *declared_by(roles),  # posture (who can use each provider): on by default
    "sqs:SendMessage",  # the dead-letter queue, which Lambda itself sends to with the role
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


@pytest.fixture(scope="module")
def every_channel_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Every channel on, the stack in eu-west-1: the forwarder stack joins the app."""
    context = {"alertEmails": ALERT_EMAILS[0], **EVERY_CHANNEL, "region": "eu-west-1"}
    return synthesize(context, tmp_path_factory.mktemp("cdk-channels-eu"))


@pytest.fixture(scope="module")
def every_channel_in_us_east_1(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    context = {"alertEmails": ALERT_EMAILS[0], **EVERY_CHANNEL, "region": "us-east-1"}
    return synthesize(context, tmp_path_factory.mktemp("cdk-channels-use1"))


@pytest.fixture(scope="module")
def no_channel(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize({"findingEvents": "false"}, tmp_path_factory.mktemp("cdk-channels-none"))


@pytest.fixture(scope="module")
def no_posture(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize({"findingEvents": "false", "posture": "false"}, tmp_path_factory.mktemp("cdk-no-posture"))


def _policies(stack: Synthesized) -> dict[str, list[dict[str, Any]]]:
    role = stack.only("AWS::IAM::Role")
    return {policy["PolicyName"]: policy["PolicyDocument"]["Statement"] for policy in role["Policies"]}


def _granted(stack: Synthesized) -> set[str]:
    return {
        action
        for statements in _policies(stack).values()
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }


def _environment(stack: Synthesized) -> dict[str, Any]:
    return stack.only("AWS::Lambda::Function")["Environment"]["Variables"]  # type: ignore[no-any-return]


def _forwarder(stack: Synthesized) -> Stack | None:
    child = stack.app.node.try_find_child(FORWARDER_STACK_NAME)
    return child if isinstance(child, Stack) else None


def test_grants_are_exactly_the_base_plus_each_adapters_declared_actions(every_channel_elsewhere: Synthesized) -> None:
    channel_actions = declared_by(finding_events, security_hub, config_rule)
    assert _granted(every_channel_elsewhere) == BASE_ACTIONS | channel_actions


def test_channel_grants_are_scoped_to_the_default_bus_the_hub_and_our_product(
    every_channel_elsewhere: Synthesized,
) -> None:
    policies = _policies(every_channel_elsewhere)
    (events,) = policies["FindingEvents"]
    assert [events["Action"]] == declared_on(finding_events, "default-event-bus")
    assert "event-bus/default" in str(events["Resource"])
    importing, reading = policies["SecurityHub"]
    assert [importing["Action"]] == declared_on(security_hub, "security-hub-product")
    assert sorted(reading["Action"]) == declared_on(security_hub, "security-hub")
    assert "/default" in str(importing["Resource"])
    assert ":product/" in str(importing["Resource"])
    assert ":hub/default" in str(reading["Resource"])
    (config,) = policies["ConfigRule"]
    assert ([config["Action"]], config["Resource"]) == (declared_on(config_rule, "any"), "*")  # no resource type


def test_no_channel_key_means_no_channel_resource_or_grant(no_channel: Synthesized) -> None:
    assert _granted(no_channel) == BASE_ACTIONS
    assert no_channel.template.find_resources("AWS::Config::ConfigRule") == {}
    assert len(no_channel.template.find_resources("AWS::Events::Rule")) == 1  # the schedule only
    environment = _environment(no_channel)
    assert environment[ENV_FINDING_EVENTS] == "false"
    assert environment[ENV_SECURITY_HUB] == "false"
    assert ENV_FUNCTION_ROLE_ARN not in environment
    assert _forwarder(no_channel) is None


def test_posture_grants_listroles_on_any_resource_unless_switched_off(
    no_channel: Synthesized, no_posture: Synthesized
) -> None:
    # Given the default stack, ListRoles is granted on "*" (IAM has no resource type for listing) and POSTURE is on
    statements = _policies(no_channel)["OidcProviders"]
    on_any = [statement for statement in statements if statement["Resource"] == "*"]
    assert [sorted(statement["Action"]) for statement in on_any] == [
        ["iam:ListOpenIDConnectProviders", "iam:ListRoles"]
    ]
    assert _environment(no_channel)[ENV_POSTURE] == "true"
    # And with -c posture=false, exactly that action goes, and the function is told so
    assert _granted(no_posture) == BASE_ACTIONS - declared_by(roles)
    assert _environment(no_posture)[ENV_POSTURE] == "false"


def test_events_are_on_by_default_without_other_channels(default_stack: Synthesized) -> None:
    assert set(_policies(default_stack)) >= {"FindingEvents"}
    assert not {"SecurityHub", "ConfigRule"} & set(_policies(default_stack))
    assert default_stack.template.find_resources("AWS::Config::ConfigRule") == {}
    assert _forwarder(default_stack) is None


def test_change_rule_listens_to_the_six_iam_calls_and_passes_the_role(every_channel_elsewhere: Synthesized) -> None:
    rules = every_channel_elsewhere.template.find_resources("AWS::Events::Rule")
    (change,) = [rule["Properties"] for rule in rules.values() if "EventPattern" in rule["Properties"]]
    pattern = change["EventPattern"]
    assert pattern["source"] == ["aws.iam"]
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    assert sorted(pattern["detail"]["eventName"]) == sorted(CHANGE_EVENT_NAMES)
    role = every_channel_elsewhere.logical_id("AWS::IAM::Role")
    assert _environment(every_channel_elsewhere)[ENV_FUNCTION_ROLE_ARN] == {"Fn::GetAtt": [role, "Arn"]}


def test_config_rule_evaluates_oidc_providers_periodically_and_on_change(every_channel_elsewhere: Synthesized) -> None:
    rule = every_channel_elsewhere.only("AWS::Config::ConfigRule")
    assert rule["Scope"] == {"ComplianceResourceTypes": [CONFIG_RESOURCE_TYPE]}
    kinds = {detail["MessageType"] for detail in rule["Source"]["SourceDetails"]}
    assert {"ConfigurationItemChangeNotification", "ScheduledNotification"} <= kinds
    principals = {
        permission["Properties"]["Principal"]
        for permission in every_channel_elsewhere.template.find_resources("AWS::Lambda::Permission").values()
    }
    assert "config.amazonaws.com" in principals


def test_config_may_invoke_the_function_only_for_a_config_rule_of_this_account_and_region(
    every_channel_elsewhere: Synthesized,
) -> None:
    # Given the stack with the Config rule  When its invoke permissions are read
    (config_permission,) = [
        permission["Properties"]
        for permission in every_channel_elsewhere.template.find_resources("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "config.amazonaws.com"
    ]
    # Then Config may invoke it for this account's rules in this region, not for any resource of any account
    assert config_permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    source = every_channel_elsewhere.stack.resolve(config_permission["SourceArn"])
    assert source == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":config:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":config-rule/config-rule-*",
            ],
        ]
    }
    # And the rule is still created after the permission it needs (Config checks it at creation)
    rule = every_channel_elsewhere.template.find_resources("AWS::Config::ConfigRule")
    permission_id = next(
        name
        for name, permission in every_channel_elsewhere.template.find_resources("AWS::Lambda::Permission").items()
        if permission["Properties"]["Principal"] == "config.amazonaws.com"
    )
    assert permission_id in next(iter(rule.values()))["DependsOn"]


def test_forwarder_stack_appears_in_us_east_1_only_when_the_stack_lives_elsewhere(
    every_channel_elsewhere: Synthesized, every_channel_in_us_east_1: Synthesized
) -> None:
    assert _forwarder(every_channel_in_us_east_1) is None
    forwarder = _forwarder(every_channel_elsewhere)
    assert forwarder is not None
    assert forwarder.region == IAM_EVENTS_REGION
    template = Template.from_stack(forwarder).to_json()
    (rule,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert sorted(rule["Properties"]["EventPattern"]["detail"]["eventName"]) == sorted(CHANGE_EVENT_NAMES)
    (target,) = rule["Properties"]["Targets"]
    assert ":events:eu-west-1:" in str(target["Arn"])
    assert "RoleArn" in target


def test_every_channel_is_cdk_nag_clean_in_both_stacks(every_channel_elsewhere: Synthesized) -> None:
    assert sorted(nag_findings(every_channel_elsewhere.app)) == []


@pytest.mark.impure
@pytest.mark.parametrize(
    ("key", "value"),
    [("securityHub", "maybe"), ("configRule", "2"), ("changeCheck", "yes please"), ("region", "Mars")],
)
def test_malformed_channel_keys_are_named(key: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=key):
        build_app({**CDK_JSON_CONTEXT, **SKIP_BUNDLING, key: value}, outdir=str(tmp_path), checks=False)
