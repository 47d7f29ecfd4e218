"""The history table: what each provider presented, sweep after sweep, so alerts can say what changed.

On-demand (a sweep makes a few reads and writes per provider, then nothing until the next), encrypted with
the stack's key, point-in-time recovery on, old observations expired by TTL. The key schema is the contract's
(`pk`, `sk`, both strings), so a table made by hand for a workstation run is the same shape.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from thumbprint_remediator.contract.names import HISTORY_PARTITION_KEY, HISTORY_SORT_KEY, HISTORY_TTL_ATTRIBUTE
from thumbprint_remediator.contract.permissions import HISTORY_ACTIONS

# What DynamoDB needs from a caller of a table encrypted with a customer managed key: the table key is
# generated and unwrapped on the caller's behalf, through DynamoDB only.
TABLE_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")


class HistoryTable(Construct):
    """One DynamoDB table for every provider's history; the sweep function reads and writes it."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=HISTORY_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=HISTORY_SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=HISTORY_TTL_ATTRIBUTE,
            # The stack's key goes with the stack (7 days' pending window): a table kept past it could never be
            # read again. History is a memory of what IAM and the issuers showed, not the truth itself; without
            # it the sweep runs statelessly. `cdk destroy` deletes it; DynamoDB keeps a system backup (PITR).
            removal_policy=RemovalPolicy.DESTROY,
            deletion_protection=False,
        )

    @property
    def table_name(self) -> str:
        return self.table.table_name

    def policy(self) -> iam.PolicyDocument:
        """Exactly the adapter's declared actions on this table, and the key through DynamoDB only."""
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(actions=list(HISTORY_ACTIONS), resources=[self.table.table_arn]),
                iam.PolicyStatement(
                    actions=list(TABLE_KEY_ACTIONS),
                    resources=[self.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Aws.REGION}.amazonaws.com"}},
                ),
            ]
        )
