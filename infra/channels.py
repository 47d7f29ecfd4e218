"""The channels beyond the e-mail, each behind its own context key: the immediate check on every change
(with a us-east-1 forwarder when the stack lives elsewhere), Security Hub findings, an AWS Config rule, and events
for routing (on by default). Each channel's resources and grants appear only when its key is set; the grants are
exactly the actions the function's adapters declare (contract/permissions.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from aws_cdk import Annotations, Aws, Duration, Stack
from aws_cdk import aws_config as config
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import ConfigError, context_boolean
from thumbprint_remediator.contract.names import (
    CHANGE_EVENT_NAMES,
    CHANGE_EVENT_SOURCE,
    CLOUDTRAIL_DETAIL_TYPE,
    CONFIG_RESOURCE_TYPE,
    IAM_EVENTS_REGION,
    SECURITY_HUB_PRODUCT_ARN_PATTERN,
)
from thumbprint_remediator.contract.permissions import (
    CONFIG_RULE_ACTIONS,
    FINDING_EVENT_ACTIONS,
    SECURITY_HUB_IMPORT_ACTIONS,
    SECURITY_HUB_READ_ACTIONS,
)
from thumbprint_remediator.contract.settings import (
    CHANGE_CHECK,
    CONFIG_RULE,
    FINDING_EVENTS,
    FUNCTION_ROLE_ARN,
    REGION,
    SECURITY_HUB,
)

# Delivery retries before a change event is dropped; the next scheduled sweep catches what was missed.
CHANGE_DELIVERY_RETRY_ATTEMPTS: Final = 4
CHANGE_MAX_EVENT_AGE: Final = Duration.hours(1)
CONFIG_RULE_FREQUENCY: Final = config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
FORWARDER_STACK_NAME: Final = "OidcThumbprintRemediatorIamEvents"
CONFIG_PRINCIPAL: Final = "config.amazonaws.com"
# ASCII only, with fullmatch: no trailing newline, no other script's digit.
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")


@dataclass(frozen=True)
class ChannelsConfig:
    """`-c findingEvents=false`, `-c changeCheck=true`, `-c securityHub=true`, `-c configRule=true`, `-c region=...`."""

    finding_events: bool = FINDING_EVENTS.stack_default
    change_check: bool = CHANGE_CHECK.stack_default
    security_hub: bool = SECURITY_HUB.stack_default
    config_rule: bool = CONFIG_RULE.stack_default
    region: str | None = REGION.stack_default  # where the main stack is deployed, when known at synth

    @classmethod
    def from_context(cls, get: Callable[[str], Any], default_region: str | None = None) -> ChannelsConfig:
        region = _text(get(REGION.key)) or default_region or None
        if region is not None and not _REGION.fullmatch(region):
            raise ConfigError(f"{REGION.key}: expected an AWS region such as eu-west-1, got {region!r}")
        return cls(
            finding_events=context_boolean(FINDING_EVENTS, get),
            change_check=context_boolean(CHANGE_CHECK, get),
            security_hub=context_boolean(SECURITY_HUB, get),
            config_rule=context_boolean(CONFIG_RULE, get),
            region=region,
        )

    @property
    def needs_forwarder(self) -> bool:
        """IAM's CloudTrail events reach EventBridge in us-east-1 only: elsewhere they must be forwarded."""
        return self.change_check and self.region is not None and self.region != IAM_EVENTS_REGION


def change_event_pattern() -> events.EventPattern:
    """The six IAM calls on OIDC providers, as CloudTrail reports them to EventBridge."""
    return events.EventPattern(
        source=[CHANGE_EVENT_SOURCE],
        detail_type=[CLOUDTRAIL_DETAIL_TYPE],
        detail={"eventSource": ["iam.amazonaws.com"], "eventName": list(CHANGE_EVENT_NAMES)},
    )


def channel_policies(channels: ChannelsConfig) -> dict[str, iam.PolicyDocument]:
    """The inline policies the enabled channels add to the function's role: the adapters' actions, no more."""
    policies: dict[str, iam.PolicyDocument] = {}
    if channels.finding_events:
        default_bus = f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:event-bus/default"
        policies["FindingEvents"] = iam.PolicyDocument(
            statements=[iam.PolicyStatement(actions=list(FINDING_EVENT_ACTIONS), resources=[default_bus])]
        )
    if channels.security_hub:
        hub = f"arn:{Aws.PARTITION}:securityhub:{Aws.REGION}:{Aws.ACCOUNT_ID}:hub/default"
        product = SECURITY_HUB_PRODUCT_ARN_PATTERN.format(
            partition=Aws.PARTITION, region=Aws.REGION, account=Aws.ACCOUNT_ID
        )
        importing = list(SECURITY_HUB_IMPORT_ACTIONS)
        reading = list(SECURITY_HUB_READ_ACTIONS)
        policies["SecurityHub"] = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(actions=importing, resources=[product]),
                iam.PolicyStatement(actions=reading, resources=[hub]),
            ]
        )
    if channels.config_rule:
        policies["ConfigRule"] = iam.PolicyDocument(
            statements=[iam.PolicyStatement(actions=list(CONFIG_RULE_ACTIONS), resources=["*"])]
        )
    return policies


def channel_environment(channels: ChannelsConfig, role_arn: str) -> dict[str, str]:
    """The variables Settings.from_env reads for the channels, by the contract's names."""
    environment = {
        **FINDING_EVENTS.environment(channels.finding_events),
        **SECURITY_HUB.environment(channels.security_hub),
    }
    if channels.change_check:
        environment.update(FUNCTION_ROLE_ARN.environment(role_arn))
    return environment


class SweepChannels(Construct):
    """The enabled channels' resources in the main stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        channels: ChannelsConfig,
        function: lambda_.Function,
        role: iam.IRole,
    ) -> None:
        super().__init__(scope, construct_id)
        for name, value in channel_environment(channels, role.role_arn).items():
            function.add_environment(name, value)
        self.change_rule: events.Rule | None = None
        self.config_rule: config.CustomRule | None = None
        if channels.change_check:
            self.change_rule = events.Rule(
                self,
                "ChangeRule",
                description="Checks an IAM OIDC provider as soon as CloudTrail reports a change to it",
                event_pattern=change_event_pattern(),
                targets=[
                    targets.LambdaFunction(
                        function, retry_attempts=CHANGE_DELIVERY_RETRY_ATTEMPTS, max_event_age=CHANGE_MAX_EVENT_AGE
                    )
                ],
            )
            if channels.region is None:
                Annotations.of(self).add_warning_v2(
                    "oidc-thumbprint-remediator:changeCheckRegion",
                    "changeCheck: the stack's region is unknown at synth, so no us-east-1 forwarder was added. IAM's "
                    "events reach EventBridge in us-east-1 only: deploy there, or give -c region=<your region>.",
                )
        if channels.config_rule:
            self.config_rule = config.CustomRule(
                self,
                "ConfigRule",
                description="IAM OIDC provider thumbprints match the live TLS chains (dry-run assessment)",
                lambda_function=function,
                configuration_changes=True,
                periodic=True,
                maximum_execution_frequency=CONFIG_RULE_FREQUENCY,
                rule_scope=config.RuleScope.from_resources([config.ResourceType.of(CONFIG_RESOURCE_TYPE)]),
            )
            bind_config_invocation(function)


def config_rule_arns() -> str:
    """The narrowest source ARN CloudFormation can give Config's invoke permission: this account's Config rules in
    this region. Not the stack's own rule: its ARN ends in an ID Config assigns at creation
    (config-rule/config-rule-<id>), and Config checks the permission before it creates the rule, so a permission
    naming the rule would have to exist before the rule does (a dependency cycle)."""
    return f"arn:{Aws.PARTITION}:config:{Aws.REGION}:{Aws.ACCOUNT_ID}:config-rule/config-rule-*"


def bind_config_invocation(function: lambda_.Function) -> None:
    """Add config_rule_arns() as the SourceArn of the permission config.CustomRule gives Config (which names the
    account only, SourceAccount), so only a Config rule of this account and region may invoke the function."""
    permissions = [
        child
        for child in function.node.children
        if isinstance(child, lambda_.CfnPermission) and child.principal == CONFIG_PRINCIPAL
    ]
    if len(permissions) != 1:  # a CDK that grants it another way must not leave it unbound unnoticed
        raise RuntimeError(f"expected one invoke permission for {CONFIG_PRINCIPAL}, found {len(permissions)}")
    permissions[0].source_arn = config_rule_arns()


class IamEventsForwarderStack(Stack):
    """In us-east-1: forwards IAM's OIDC-provider CloudTrail events to the main stack's region's default bus."""

    def __init__(self, scope: Construct, construct_id: str, *, target_region: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Forwards IAM OIDC provider change events from us-east-1 to {target_region}",
            **kwargs,
        )
        bus = events.EventBus.from_event_bus_arn(
            self, "TargetBus", f"arn:{Aws.PARTITION}:events:{target_region}:{Aws.ACCOUNT_ID}:event-bus/default"
        )
        role = iam.Role(
            self,
            "ForwardRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Lets the forwarding rule put IAM change events on the main region's default bus",
            inline_policies={
                "Forward": iam.PolicyDocument(
                    statements=[iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn])]
                )
            },
        )
        self.rule = events.Rule(
            self,
            "ForwardRule",
            description=f"IAM OIDC provider changes, forwarded to {target_region}",
            event_pattern=change_event_pattern(),
            targets=[targets.EventBus(bus, role=role.without_policy_updates())],
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()
