"""docs/policies/: the deployer's policy and the CloudFormation execution policy, held to what the stacks create.

CloudFormation creates each resource with the execution role's permissions. REQUIRED says, per resource type,
what its create, update and delete need (after the resource types' handler permissions); the tests hold that
every type the synthesized templates hold is listed, that the execution policy grants all of it, and nothing
more: a new resource type fails here until the policy covers it.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.synthesis import PROJECT_ROOT, Synthesized, synthesize
from tests.org.synthesis import SynthesizedOrganization

POLICIES = PROJECT_ROOT / "docs" / "policies"
# Every stack's role, and the forwarder stack's, is named after its stack by CloudFormation.
STACK_ROLES = "arn:aws:iam::*:role/OidcThumbprintRemediator*"
# What the execution role needs whatever the template: the bootstrap version check and the function's asset.
BASE = {"ssm:GetParameters"}

REQUIRED: dict[str, tuple[str, ...]] = {
    "AWS::CloudFormation::StackSet": (
        "cloudformation:CreateStackSet",
        "cloudformation:UpdateStackSet",
        "cloudformation:DeleteStackSet",
        "cloudformation:DescribeStackSet",
        "cloudformation:DescribeStackSetOperation",
        "cloudformation:ListStackSetOperations",
        "cloudformation:ListStackSetOperationResults",
        "cloudformation:CreateStackInstances",
        "cloudformation:UpdateStackInstances",
        "cloudformation:DeleteStackInstances",
        "cloudformation:ListStackInstances",
        "cloudformation:DescribeStackInstance",
        "cloudformation:TagResource",
        "cloudformation:UntagResource",
        "organizations:DescribeOrganization",
        "organizations:ListDelegatedAdministrators",
        "organizations:ListAWSServiceAccessForOrganization",
    ),
    "AWS::CloudWatch::Alarm": (
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
        "cloudwatch:ListTagsForResource",
    ),
    "AWS::CloudWatch::Dashboard": (
        "cloudwatch:PutDashboard",
        "cloudwatch:GetDashboard",
        "cloudwatch:DeleteDashboards",
    ),
    "AWS::Config::ConfigRule": (
        "config:PutConfigRule",
        "config:DeleteConfigRule",
        "config:DescribeConfigRules",
        "config:TagResource",
        "config:UntagResource",
        "config:ListTagsForResource",
    ),
    "AWS::DynamoDB::Table": (
        "dynamodb:CreateTable",
        "dynamodb:UpdateTable",
        "dynamodb:DeleteTable",
        "dynamodb:DescribeTable",
        "dynamodb:UpdateTimeToLive",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:UpdateContinuousBackups",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
        "dynamodb:ListTagsOfResource",
        "kms:DescribeKey",
        "kms:CreateGrant",
    ),
    "AWS::Events::Rule": (
        "events:PutRule",
        "events:DeleteRule",
        "events:DescribeRule",
        "events:EnableRule",
        "events:DisableRule",
        "events:PutTargets",
        "events:RemoveTargets",
        "events:ListTargetsByRule",
        "iam:PassRole",
    ),
    "AWS::IAM::Policy": (
        "iam:PutRolePolicy",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
    ),
    "AWS::IAM::Role": (
        "iam:CreateRole",
        "iam:GetRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:PutRolePolicy",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:ListRolePolicies",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:TagRole",
        "iam:UntagRole",
    ),
    "AWS::KMS::Key": (
        "kms:CreateKey",
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:PutKeyPolicy",
        "kms:EnableKeyRotation",
        "kms:DisableKeyRotation",
        "kms:GetKeyRotationStatus",
        "kms:UpdateKeyDescription",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:ListResourceTags",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
    ),
    "AWS::Lambda::EventInvokeConfig": (
        "lambda:PutFunctionEventInvokeConfig",
        "lambda:UpdateFunctionEventInvokeConfig",
        "lambda:GetFunctionEventInvokeConfig",
        "lambda:DeleteFunctionEventInvokeConfig",
    ),
    "AWS::Lambda::Function": (
        "lambda:CreateFunction",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:DeleteFunction",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:GetRuntimeManagementConfig",
        "lambda:ListTags",
        "lambda:TagResource",
        "lambda:UntagResource",
        "iam:PassRole",
        "s3:GetObject",
        "s3:GetObjectVersion",
    ),
    "AWS::Lambda::Permission": (
        "lambda:AddPermission",
        "lambda:RemovePermission",
        "lambda:GetPolicy",
    ),
    "AWS::Logs::LogGroup": (
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DescribeLogGroups",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:AssociateKmsKey",
        "logs:DisassociateKmsKey",
        "logs:ListTagsForResource",
        "logs:TagResource",
        "logs:UntagResource",
    ),
    "AWS::S3::Bucket": (
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:PutEncryptionConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:PutBucketVersioning",
        "s3:GetBucketVersioning",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketTagging",
        "s3:GetBucketTagging",
    ),
    "AWS::S3::BucketPolicy": (
        "s3:PutBucketPolicy",
        "s3:GetBucketPolicy",
        "s3:DeleteBucketPolicy",
    ),
    "AWS::SNS::Subscription": (
        "sns:Subscribe",
        "sns:Unsubscribe",
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:ListSubscriptionsByTopic",
    ),
    "AWS::SNS::Topic": (
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:ListTagsForResource",
        "sns:TagResource",
        "sns:UntagResource",
        "sns:ListSubscriptionsByTopic",
    ),
    "AWS::SNS::TopicPolicy": (
        "sns:SetTopicAttributes",
        "sns:GetTopicAttributes",
    ),
    "AWS::SQS::Queue": (
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
        "sqs:SetQueueAttributes",
        "sqs:ListQueueTags",
        "sqs:TagQueue",
        "sqs:UntagQueue",
    ),
    "AWS::SQS::QueuePolicy": (
        "sqs:SetQueueAttributes",
        "sqs:GetQueueAttributes",
    ),
    "AWS::StepFunctions::StateMachine": (
        "states:CreateStateMachine",
        "states:UpdateStateMachine",
        "states:DeleteStateMachine",
        "states:DescribeStateMachine",
        "states:ListTagsForResource",
        "states:TagResource",
        "states:UntagResource",
        "iam:PassRole",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ),
}


def _statements(name: str) -> list[dict[str, Any]]:
    document = json.loads((POLICIES / name).read_text())
    assert document["Version"] == "2012-10-17"
    return document["Statement"]  # type: ignore[no-any-return]


def _granted(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in statement["Action"] if statement["Effect"] == "Allow"}


def _types(*template_dirs: Path) -> set[str]:
    types: set[str] = set()
    for directory in template_dirs:
        for path in directory.glob("*.template.json"):
            types |= {resource["Type"] for resource in json.loads(path.read_text())["Resources"].values()}
    return types - {"AWS::CDK::Metadata"}


@pytest.mark.impure
def test_the_execution_policy_grants_what_every_template_creates(
    default_stack: Synthesized, organization_template: SynthesizedOrganization, tmp_path: Path
) -> None:
    # Given every template a deploy can create: the default, every channel with the us-east-1 forwarder, the
    # organization's
    channels = tmp_path / "channels"
    synthesize({"changeCheck": "true", "securityHub": "true", "configRule": "true", "region": "eu-west-1"}, channels)
    types = _types(default_stack.template_path.parent, organization_template.template_path.parent, channels)
    # Then each resource type is one whose needs are known, and the policy grants them all
    assert types <= set(REQUIRED), f"add what CloudFormation needs for {sorted(types - set(REQUIRED))}"
    granted = _granted(_statements("cloudformation-execution.json"))
    for resource_type in sorted(types):
        missing = set(REQUIRED[resource_type]) - granted
        assert not missing, f"{resource_type} needs {sorted(missing)}"
    # And nothing that no template needs
    needed = {action for resource_type in types for action in REQUIRED[resource_type]} | BASE
    assert granted <= needed, f"granted but no resource type needs it: {sorted(granted - needed)}"


def test_the_execution_policy_names_no_wildcard_action_and_scopes_iam_to_these_stacks() -> None:
    statements = _statements("cloudformation-execution.json")

    for statement in statements:
        assert all("*" not in action for action in statement["Action"]), statement["Sid"]
        if any(action.startswith("iam:") for action in statement["Action"]):
            assert statement["Resource"] == [STACK_ROLES], statement["Sid"]
    (pass_role,) = [statement for statement in statements if "iam:PassRole" in statement["Action"]]
    assert pass_role["Action"] == ["iam:PassRole"]
    assert "iam:PassedToService" in pass_role["Condition"]["StringEquals"]


def test_the_deployer_only_assumes_the_cdk_bootstrap_roles() -> None:
    (statement,) = _statements("deployer.json")

    assert statement["Action"] == ["sts:AssumeRole"]
    for role in ("deploy", "file-publishing", "lookup"):
        arn = f"arn:aws:iam::123456789012:role/cdk-hnb659fds-{role}-role-123456789012-eu-west-1"
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in statement["Resource"]), role
    assert not any(fnmatch.fnmatchcase("arn:aws:iam::123456789012:role/Admin", p) for p in statement["Resource"])
