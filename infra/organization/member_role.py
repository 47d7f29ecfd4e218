"""The member role's CloudFormation template, deployed by the StackSet in every member account.

Plain data, no CDK: the StackSet carries it as its TemplateBody, and the sandbox deploys the very same
template into emulated member accounts. The role holds only the OIDC-provider permissions the engine
declares (OIDC_PROVIDER_ACTIONS and ACCOUNT_LEVEL_ACTIONS, and POSTURE_ACTIONS unless posture is off) and trusts
only the central sweep
function's role, inside the organization, with the external id.
"""

from __future__ import annotations

from typing import Any, Final

from thumbprint_remediator.contract.names import OIDC_PROVIDER_ARN_PATTERN
from thumbprint_remediator.contract.permissions import (
    ACCOUNT_LEVEL_ACTIONS,
    ASSUME_ROLE_ACTIONS,
    OIDC_PROVIDER_ACTIONS,
    POSTURE_ACTIONS,
)
from thumbprint_remediator.contract.validators import ACCOUNT_ID_PATTERN, ORGANIZATION_ID_PATTERN

PARAMETER_CENTRAL_ACCOUNT: Final = "CentralAccountId"
PARAMETER_CENTRAL_ROLE: Final = "CentralRoleArn"
PARAMETER_ORGANIZATION: Final = "OrganizationId"
PARAMETER_EXTERNAL_ID: Final = "ExternalId"
ROLE_LOGICAL_ID: Final = "MemberRole"


def member_role_template(role_name: str, *, posture: bool = True) -> dict[str, Any]:
    """The template: four parameters, one role, its ARN as an output. With `posture` (the default, as the stack's)
    the role may also list the account's roles, for who can use each provider."""
    oidc_providers = {
        "Fn::Sub": OIDC_PROVIDER_ARN_PATTERN.format(partition="${AWS::Partition}", account="${AWS::AccountId}")
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "OIDC thumbprint remediator: the role the central sweep function assumes in this account",
        "Parameters": {
            PARAMETER_CENTRAL_ACCOUNT: {
                "Type": "String",
                "AllowedPattern": f"^{ACCOUNT_ID_PATTERN}$",
                "Description": "The account the central sweep function runs in",
            },
            PARAMETER_CENTRAL_ROLE: {
                "Type": "String",
                "AllowedPattern": f"^arn:aws[a-z-]*:iam::{ACCOUNT_ID_PATTERN}:role/.+$",
                "Description": "The central sweep function's role: the only principal that may assume this one",
            },
            PARAMETER_ORGANIZATION: {
                "Type": "String",
                "AllowedPattern": f"^{ORGANIZATION_ID_PATTERN}$",
                "Description": "The organization the central account must belong to",
            },
            PARAMETER_EXTERNAL_ID: {
                "Type": "String",
                "MinLength": 2,
                "MaxLength": 1224,
                "AllowedPattern": r"^[\w+=,.@:/-]+$",
                "Description": "The external id the central function presents",
            },
        },
        "Resources": {
            ROLE_LOGICAL_ID: {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role_name,
                    "Description": "Lets the central OIDC thumbprint sweep read and fix this account's OIDC providers",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "OnlyTheCentralSweepFunction",
                                "Effect": "Allow",
                                # The account, narrowed by aws:PrincipalArn: a role ARN as principal would turn
                                # into a dangling id if the central role were ever replaced.
                                "Principal": {
                                    "AWS": {
                                        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{{PARAMETER_CENTRAL_ACCOUNT}}}:root"
                                    }
                                },
                                "Action": list(ASSUME_ROLE_ACTIONS),
                                "Condition": {
                                    "ArnEquals": {"aws:PrincipalArn": {"Ref": PARAMETER_CENTRAL_ROLE}},
                                    "StringEquals": {
                                        "aws:PrincipalOrgID": {"Ref": PARAMETER_ORGANIZATION},
                                        "sts:ExternalId": {"Ref": PARAMETER_EXTERNAL_ID},
                                    },
                                },
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "OidcProviders",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": list(OIDC_PROVIDER_ACTIONS),
                                        "Resource": oidc_providers,
                                    },
                                    {
                                        # IAM has no resource type for listing: "*" is all it accepts.
                                        "Effect": "Allow",
                                        "Action": list(ACCOUNT_LEVEL_ACTIONS)
                                        + (list(POSTURE_ACTIONS) if posture else []),
                                        "Resource": "*",
                                    },
                                ],
                            },
                        }
                    ],
                },
            }
        },
        "Outputs": {"MemberRoleArn": {"Value": {"Fn::GetAtt": [ROLE_LOGICAL_ID, "Arn"]}}},
    }
