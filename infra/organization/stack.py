"""The organization stack: the core every stack shares (infra/core.py), plus the member role StackSet and the fan-out.

Deployed once, in the management account (or a StackSets delegated administrator). The function is the same
asset and holds the same permissions for its own account; it also may assume the member role in other
accounts and list the organization's accounts. The schedule starts the state machine instead of the function.
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import Acknowledgment, Aws, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.alarms import ERRORS_PERIOD
from infra.config import StackConfig
from infra.core import CoreWording, RemediatorCore, StackOutput
from infra.organization.config import OrganizationConfig
from infra.organization.fan_out import OrganizationSweep
from infra.organization.member_stackset import MemberRoleStackSet
from thumbprint_remediator.contract.names import MEMBER_ROLE_ARN_PATTERN
from thumbprint_remediator.contract.permissions import ASSUME_ROLE_ACTIONS, ORGANIZATION_READ_ACTIONS

SWEEP_FAILED_ALARM_SUFFIX: Final = "OrganizationSweepFailed"
WORDING: Final = CoreWording(
    topic="The organization's alert, alarms",
    history="What each member account's providers presented, sweep after sweep",
    log_group="The function's logs",
    dashboard="The sweep metrics over time (per-account sweeps)",
    no_subscriber=(
        "No alertEmails given: the organization's alert and the alarms reach the topic but nobody is "
        "subscribed. Deploy with -c alertEmails=you@example.com or subscribe to the TopicArn output."
    ),
)


class OrganizationStack(Stack):
    """One per organization: sweeps every member account's IAM OIDC providers and alerts once for all."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        organization: OrganizationConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Keeps the IAM OIDC identity-provider thumbprints of every account of an organization in step",
            **kwargs,
        )
        sweep_failed_name = f"{self.stack_name}-{SWEEP_FAILED_ALARM_SUFFIX}"
        # The Map sweeps up to maxConcurrency accounts at once, each a different account's providers.
        # Every member account's history lives here, in the central account, beside the function that sweeps them.
        self.core = RemediatorCore(
            self,
            config=config,
            wording=WORDING,
            extra_alarm_names=[sweep_failed_name],
            reserved_concurrency=organization.max_concurrency,
        )
        self.alerts, self.history, self.sweep = self.core.alerts, self.core.history, self.core.sweep
        self.organization_access = _organization_access(self, self.sweep.role, organization)
        self.fan_out = OrganizationSweep(
            self,
            "OrganizationSweep",
            config=config,
            organization=organization,
            function=self.sweep.function,
            key=self.alerts.key,
        )
        self.fan_out.node.add_dependency(self.organization_access)
        self.member_roles = MemberRoleStackSet(
            self, "MemberRoles", organization=organization, central_role=self.sweep.role, posture=config.posture
        )
        self.alarms = self.core.add_alarms()
        machine = self.fan_out.state_machine
        self.sweep_failed = cloudwatch.Alarm(
            self,
            "OrganizationSweepFailed",
            alarm_name=sweep_failed_name,
            alarm_description=(
                "The organization sweep did not finish (listing the accounts or the aggregated alert failed, or it "
                "ran past its time). Open the execution in the Step Functions console."
            ),
            metric=cloudwatch.MathExpression(
                expression="FILL(failed, 0) + FILL(timedOut, 0)",
                using_metrics={
                    "failed": machine.metric_failed(statistic="Sum", period=ERRORS_PERIOD),
                    "timedOut": machine.metric_timed_out(statistic="Sum", period=ERRORS_PERIOD),
                },
                period=ERRORS_PERIOD,
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.sweep_failed.add_alarm_action(actions.SnsAction(self.alerts.topic))
        self.dashboard = self.core.add_dashboard()
        self.core.add_outputs(
            [
                StackOutput("StateMachineArn", machine.state_machine_arn, "The organization sweep"),
                StackOutput(
                    "StartCommand",
                    description="Run the organization sweep now; follow it in the Step Functions console",
                    value=(
                        f"aws stepfunctions start-execution --region {Aws.REGION} "
                        f"--state-machine-arn {machine.state_machine_arn}"
                    ),
                ),
                StackOutput(
                    "SweepBucketName",
                    value=self.fan_out.store.bucket.bucket_name,
                    description=(
                        "The organization sweep's work lists, results and full reports (reports/<execution>.json)"
                    ),
                ),
                StackOutput(
                    "StackSetName",
                    value=self.member_roles.stack_set.attr_stack_set_id,
                    description="The StackSet that deploys the member role; its stack instances show where it is",
                ),
            ]
        )


def _organization_access(scope: Construct, role: iam.IRole, organization: OrganizationConfig) -> iam.Policy:
    """What the function needs beyond its own account: the member role everywhere, and the account list."""
    member_roles = MEMBER_ROLE_ARN_PATTERN.format(
        partition=Aws.PARTITION, account="*", role_name=organization.member_role_name
    )
    policy = iam.Policy(
        scope,
        "OrganizationAccess",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="AssumeTheMemberRole",
                actions=list(ASSUME_ROLE_ACTIONS),
                resources=[member_roles],
                # Only roles of accounts in this organization: a same-named role elsewhere is out of reach.
                conditions={"StringEquals": {"aws:ResourceOrgID": organization.organization_id}},
            ),
            iam.PolicyStatement(
                sid="ListTheOrganizationsAccounts",
                actions=list(ORGANIZATION_READ_ACTIONS),
                resources=["*"],
            ),
        ],
    )
    resource = policy.node.default_child
    assert resource is not None  # an L2 Policy always has its CfnPolicy
    Validations.of(resource).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/{organization.member_role_name}]",
            reason=(
                "The function sweeps every account of the organization, including accounts that join later: the "
                "account is the wildcard, the role name is fixed, and each member role's trust policy admits only this "
                "role, from inside the organization, with the external id."
            ),
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason=(
                "organizations:ListAccountsForParent and ListOrganizationalUnitsForParent accept no resource but '*' "
                "when called for arbitrary OUs of the organization."
            ),
        ),
    )
    return policy
