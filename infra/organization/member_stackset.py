"""The StackSet that puts the member role in every account of the target OUs, now and as accounts join."""

from __future__ import annotations

import json
from typing import Final

from aws_cdk import Aws, Stack
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.organization.config import OrganizationConfig
from infra.organization.member_role import (
    PARAMETER_CENTRAL_ACCOUNT,
    PARAMETER_CENTRAL_ROLE,
    PARAMETER_EXTERNAL_ID,
    PARAMETER_ORGANIZATION,
    member_role_template,
)

# One account's failed stack instance must not stop the others: the sweep reports that account instead.
FAILURE_TOLERANCE_PERCENTAGE: Final = 100
MAX_CONCURRENT_PERCENTAGE: Final = 100


class MemberRoleStackSet(Construct):
    """Service-managed StackSet, auto-deployed to the target OUs (and accounts that join them later)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        organization: OrganizationConfig,
        central_role: iam.IRole,
        posture: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        targets = cloudformation.CfnStackSet.DeploymentTargetsProperty(
            organizational_unit_ids=list(organization.target_ous),
            accounts=list(organization.target_accounts) if organization.target_accounts else None,
            account_filter_type="INTERSECTION" if organization.target_accounts else None,
        )
        self.stack_set = cloudformation.CfnStackSet(
            self,
            "StackSet",
            stack_set_name=f"{Stack.of(self).stack_name}-MemberRole",
            description="The role the central OIDC thumbprint sweep assumes in each member account",
            permission_model="SERVICE_MANAGED",
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            call_as=organization.call_as,
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                failure_tolerance_percentage=FAILURE_TOLERANCE_PERCENTAGE,
                max_concurrent_percentage=MAX_CONCURRENT_PERCENTAGE,
                region_concurrency_type="PARALLEL",
            ),
            parameters=[
                cloudformation.CfnStackSet.ParameterProperty(parameter_key=key, parameter_value=value)
                for key, value in (
                    (PARAMETER_CENTRAL_ACCOUNT, Aws.ACCOUNT_ID),
                    (PARAMETER_CENTRAL_ROLE, central_role.role_arn),
                    (PARAMETER_ORGANIZATION, organization.organization_id),
                    (PARAMETER_EXTERNAL_ID, organization.external_id),
                )
            ],
            # IAM is global: one region per account is enough.
            stack_instances_group=[
                cloudformation.CfnStackSet.StackInstancesProperty(deployment_targets=targets, regions=[Aws.REGION])
            ],
            template_body=json.dumps(
                member_role_template(organization.member_role_name, posture=posture), separators=(",", ":")
            ),
        )
