"""The alerts topic: KMS-encrypted, TLS only, e-mail subscriptions; only the function and our alarms publish."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from thumbprint_remediator.contract.permissions import ALERT_ACTIONS

CLOUDWATCH: Final = "cloudwatch.amazonaws.com"
# As AWS documents for alarms publishing to a topic encrypted with a customer managed key.
CLOUDWATCH_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey*")


class AlertTopic(Construct):
    """Where findings and alarms go: one encrypted SNS topic with the operators' e-mail subscriptions."""

    def __init__(
        self, scope: Construct, construct_id: str, *, emails: Sequence[str], alarm_arns: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the OIDC thumbprint remediator's alerts topic, log groups and dead-letter queue",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="OIDC thumbprint remediator",
            master_key=self.key,
            enforce_ssl=True,
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        # Our alarms only, confused-deputy safe: this account, these alarm ARNs.
        from_our_alarms = {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnEquals": {"aws:SourceArn": list(alarm_arns)},
        }
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowOurAlarmsToUseTheKey",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=list(CLOUDWATCH_KEY_ACTIONS),
                resources=["*"],
                conditions=from_our_alarms,
            )
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowOurAlarmsToPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=list(ALERT_ACTIONS),
                resources=[self.topic.topic_arn],
                conditions=from_our_alarms,
            )
        )

    def restrict_publishing_to(self, role: iam.IRole) -> None:
        """Deny publishing to every IAM principal but `role` (service principals need the allow above)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheSweepFunctionPublishes",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(ALERT_ACTIONS),
                resources=[self.topic.topic_arn],
                conditions={
                    "StringNotEquals": {"aws:PrincipalArn": role.role_arn},
                    # Absent for AWS service principals, so CloudWatch's alarm notifications are not caught here.
                    "Null": {"aws:PrincipalServiceName": "true"},
                },
            )
        )
