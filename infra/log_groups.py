"""Log groups encrypted with the stack's KMS key, each named so the key policy can admit exactly it."""

from __future__ import annotations

from typing import Final

from aws_cdk import ArnFormat, Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

# What CloudWatch Logs needs from a customer managed key, as its user guide's key policy grants it.
LOGS_KEY_ACTIONS: Final = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")
LOGS_ENCRYPTION_CONTEXT: Final = "kms:EncryptionContext:aws:logs:arn"


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    log_group_name: str,
    retention: logs.RetentionDays,
) -> logs.LogGroup:
    """A log group encrypted with `key`; the key lets CloudWatch Logs of this region use it for this group only.

    The name is fixed (not generated) because the key policy must name the log group's ARN, and a generated
    name would make the key depend on the log group that depends on the key.
    """
    log_group_arn = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=list(LOGS_KEY_ACTIONS),
            resources=["*"],
            conditions={"ArnEquals": {LOGS_ENCRYPTION_CONTEXT: log_group_arn}},
        )
    )
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=log_group_name,
        encryption_key=key,
        retention=retention,
        removal_policy=RemovalPolicy.DESTROY,
    )
