"""The organization sweep's bucket: the work list the Distributed Map reads, the results it writes, the reports.

Nothing in it is a credential (account ids, role ARNs, the external id, compact reports). It is encrypted with
the stack's own key, reachable only over TLS, closed to the public, its objects expire, and only the stack's
roles (the function's and the state machine's) may read or write objects in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Acknowledgment, ArnFormat, CfnResource, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from thumbprint_remediator.contract.permissions import ORGANIZATION_STORE_ACTIONS

# Work lists and results serve one execution; a report is read when its alert is, or soon after.
OBJECT_EXPIRY_DAYS: Final = 30
WORK_LIST_PREFIX: Final = "work-lists/"
RESULTS_PREFIX: Final = "results"
REPORTS_PREFIX: Final = "reports/"
_OBJECT_ACTIONS: Final = ("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject")


class SweepStore(Construct):
    """The bucket and its key; `admit_only` closes its objects to every principal but the stack's roles."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the organization sweep's work lists, results, reports and execution log",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,  # one data key per bucket, not one KMS request per object
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireSweepObjects",
                    expiration=Duration.days(OBJECT_EXPIRY_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.DESTROY,
        )
        bucket_resource = self.bucket.node.default_child
        assert bucket_resource is not None  # an L2 Bucket always has its CfnBucket
        no_access_logs = (
            "Only the stack's two roles may touch its objects (bucket policy) and every object expires; "
            "CloudTrail data events are the audit trail where one is wanted, not a second logging bucket."
        )
        Validations.of(bucket_resource).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason=no_access_logs))
        bucket_resource.add_metadata(  # type: ignore[attr-defined]
            "checkov", {"skip": [{"id": "CKV_AWS_18", "comment": no_access_logs}]}
        )

    def encrypt_log_group(self, log_group_name: str) -> None:
        """Let CloudWatch Logs use the key for one log group (the state machine's, which logs execution data)."""
        stack = Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsForTheSweepsLogGroup",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name=log_group_name,
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )

    def grant_sweep(self, function_role: iam.IRole, machine_role: iam.IRole) -> iam.Policy:
        """The function reads and writes the sweep's objects; the state machine's role (ItemReader, ResultWriter:
        CDK grants their S3 actions) uses the key; nobody else touches an object."""
        objects = self.bucket.arn_for_objects("*")
        policy = iam.Policy(
            self,
            "FunctionAccess",
            roles=[function_role],
            statements=[
                iam.PolicyStatement(sid="SweepObjects", actions=list(ORGANIZATION_STORE_ACTIONS), resources=[objects]),
                iam.PolicyStatement(
                    sid="SweepObjectsKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn]
                ),
            ],
        )
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SweepObjectsKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn]
            )
        )
        self.admit_only([function_role, machine_role])
        resource = policy.node.default_child
        assert resource is not None  # an L2 Policy always has its CfnPolicy
        Validations.of(resource).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{_logical_id(self.bucket)}.Arn>/*]",
                reason=(
                    "Object keys carry the execution's name (work lists, results, reports): the function reads and "
                    "writes objects of this one bucket only, which holds nothing but the sweep's own objects."
                ),
            )
        )
        return policy

    def admit_only(self, roles: Sequence[iam.IRole]) -> None:
        """Deny object reads and writes to every principal but `roles` (the account's admins included)."""
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheStacksRoles",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(_OBJECT_ACTIONS),
                resources=[self.bucket.arn_for_objects("*")],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn for role in roles]}},
            )
        )


def _logical_id(bucket: s3.Bucket) -> str:
    resource = bucket.node.default_child
    assert isinstance(resource, CfnResource)
    return Stack.of(bucket).get_logical_id(resource)
