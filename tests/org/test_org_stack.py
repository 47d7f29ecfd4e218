"""Organization mode's CDK app: the StackSet, the member role's trust and permissions, the state machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.organization.config import DEFAULT_MAX_CONCURRENCY
from infra.organization.member_role import member_role_template
from infra.schedule_expression import DAY, HOUR
from tests.declared_permissions import declared_on
from tests.org.synthesis import ORGANIZATION_ID, TARGET_OUS, SynthesizedOrganization
from thumbprint_remediator.aws import accounts, history, inventory, org_store, roles
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME

pytestmark = pytest.mark.xdist_group("cdk-assertions")

PARTITION = {"Ref": "AWS::Partition"}
ACCOUNT = {"Ref": "AWS::AccountId"}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return sorted([action] if isinstance(action, str) else action)


def _parameters(stack_set: dict[str, Any]) -> dict[str, Any]:
    return {entry["ParameterKey"]: entry["ParameterValue"] for entry in stack_set["Parameters"]}


# --- the StackSet ---------------------------------------------------------------------------------------------
def test_stackset_deploys_the_member_role_to_the_target_ous_and_to_accounts_that_join(
    organization_stack: SynthesizedOrganization,
) -> None:
    stack_set = organization_stack.only("AWS::CloudFormation::StackSet")

    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["CallAs"] == "SELF"
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert stack_set["StackInstancesGroup"] == [
        {"DeploymentTargets": {"OrganizationalUnitIds": list(TARGET_OUS)}, "Regions": [{"Ref": "AWS::Region"}]}
    ]
    # One account's failed instance never stops the others
    assert stack_set["OperationPreferences"]["FailureTolerancePercentage"] == 100
    assert json.loads(stack_set["TemplateBody"]) == member_role_template(DEFAULT_MEMBER_ROLE_NAME)


def test_stackset_tells_each_member_role_whom_to_trust(organization_stack: SynthesizedOrganization) -> None:
    parameters = _parameters(organization_stack.only("AWS::CloudFormation::StackSet"))

    assert parameters == {
        "CentralAccountId": ACCOUNT,
        "CentralRoleArn": {"Fn::GetAtt": [organization_stack.logical_id("AWS::IAM::Role", "SweepRole"), "Arn"]},
        "OrganizationId": ORGANIZATION_ID,
        "ExternalId": f"oidc-thumbprint-remediator-{ORGANIZATION_ID}",
    }


def test_explicit_accounts_narrow_the_stackset_and_a_delegated_admin_deploys_it(
    narrowed_organization_stack: SynthesizedOrganization,
) -> None:
    stack_set = narrowed_organization_stack.only("AWS::CloudFormation::StackSet")

    assert stack_set["CallAs"] == "DELEGATED_ADMIN"
    assert stack_set["StackInstancesGroup"][0]["DeploymentTargets"] == {
        "OrganizationalUnitIds": list(TARGET_OUS),
        "Accounts": ["111111111111", "222222222222"],
        "AccountFilterType": "INTERSECTION",
    }
    assert json.loads(stack_set["TemplateBody"]) == member_role_template("ThumbprintSweepMember")
    assert _parameters(stack_set)["ExternalId"] == "corp-oidc-sweep"


# --- the member role (the StackSet's template) ------------------------------------------------------------------
def test_member_role_trusts_only_the_central_function_role_in_the_organization_with_the_external_id() -> None:
    role = member_role_template("Member")["Resources"]["MemberRole"]["Properties"]

    assert role["RoleName"] == "Member"
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${CentralAccountId}:root"}}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": {"Ref": "CentralRoleArn"}},
        "StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}, "sts:ExternalId": {"Ref": "ExternalId"}},
    }


def test_member_role_holds_exactly_the_oidc_provider_permissions_the_engine_declares() -> None:
    role = member_role_template("Member")["Resources"]["MemberRole"]["Properties"]

    [policy] = role["Policies"]
    scoped, listing = policy["PolicyDocument"]["Statement"]
    assert _actions(scoped) == declared_on(inventory, "oidc-providers")
    assert scoped["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/*"}
    # posture (on by default) lists the account's roles, which IAM cannot scope to a resource either
    assert _actions(listing) == declared_on(inventory, "any") + declared_on(roles, "any")
    assert listing["Resource"] == "*"
    assert all(statement["Effect"] == "Allow" for statement in (scoped, listing))
    assert "ManagedPolicyArns" not in role


def test_member_role_without_posture_cannot_list_roles() -> None:
    role = member_role_template("Member", posture=False)["Resources"]["MemberRole"]["Properties"]

    [policy] = role["Policies"]
    _, listing = policy["PolicyDocument"]["Statement"]
    assert _actions(listing) == declared_on(inventory, "any")


def test_member_template_passes_cfn_lint(tmp_path: Path) -> None:
    template = tmp_path / "member-role.json"
    template.write_text(json.dumps(member_role_template(DEFAULT_MEMBER_ROLE_NAME)))

    result = _cfn_lint(template)

    assert result == []


# --- the central function's extra permissions ----------------------------------------------------------------
def test_central_function_may_assume_only_the_member_role_and_list_the_organization(
    organization_stack: SynthesizedOrganization,
) -> None:
    policies = {
        key: value["Properties"]
        for key, value in organization_stack.of_type("AWS::IAM::Policy").items()
        if key.startswith("OrganizationAccess")
    }
    [policy] = policies.values()

    assert policy["Roles"] == [{"Ref": organization_stack.logical_id("AWS::IAM::Role", "SweepRole")}]
    assume, listing = policy["PolicyDocument"]["Statement"]
    assert _actions(assume) == declared_on(accounts, "member-roles") == ["sts:AssumeRole"]
    assert assume["Resource"] == {"Fn::Join": ["", ["arn:", PARTITION, f":iam::*:role/{DEFAULT_MEMBER_ROLE_NAME}"]]}
    # And only in accounts of this organization: a same-named role elsewhere cannot be assumed
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORGANIZATION_ID}}
    assert _actions(listing) == declared_on(accounts, "any")
    assert listing["Resource"] == "*"


def test_function_keeps_its_single_account_permissions_and_no_schedule_invokes_it_directly(
    organization_stack: SynthesizedOrganization,
) -> None:
    role = organization_stack.resources[organization_stack.logical_id("AWS::IAM::Role", "SweepRole")]["Properties"]

    assert sorted(policy["PolicyName"] for policy in role["Policies"]) == [
        "Alerts",
        "DeadLetters",
        "History",
        "Logging",
        "OidcProviders",
        "Tracing",
    ]
    assert organization_stack.of_type("AWS::Lambda::Permission") == {}


def test_every_member_accounts_history_lives_in_one_table_of_the_central_account(
    organization_stack: SynthesizedOrganization,
) -> None:
    # Given the central function and the one history table beside it
    role = organization_stack.resources[organization_stack.logical_id("AWS::IAM::Role", "SweepRole")]["Properties"]
    table_id = organization_stack.logical_id("AWS::DynamoDB::Table")
    table = organization_stack.only("AWS::DynamoDB::Table")
    function = organization_stack.only("AWS::Lambda::Function")
    (items, key) = next(policy for policy in role["Policies"] if policy["PolicyName"] == "History")["PolicyDocument"][
        "Statement"
    ]

    # Then the function finds it by name and may only read and put items in it, and use the key through DynamoDB
    assert function["Environment"]["Variables"]["HISTORY_TABLE"] == {"Ref": table_id}
    assert _actions(items) == declared_on(history, "history-table") == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert items["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    assert _actions(key) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["dynamodb.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    # and the table is encrypted with the stack key (not the bucket's), on demand, recoverable
    assert table["SSESpecification"]["KMSMasterKeyId"] == key["Resource"]
    assert (table["BillingMode"], table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]) == (
        "PAY_PER_REQUEST",
        True,
    )
    # and no member role can reach it: the StackSet's template names no DynamoDB action
    assert "dynamodb:" not in json.dumps(organization_stack.of_type("AWS::CloudFormation::StackSet"))


# --- the state machine -----------------------------------------------------------------------------------------
def test_state_machine_lists_sweeps_each_account_then_aggregates(organization_stack: SynthesizedOrganization) -> None:
    definition = organization_stack.definition()
    states = definition["States"]

    assert definition["StartAt"] == "ListAccounts"
    assert (states["ListAccounts"]["Next"], states["SweepAccounts"]["Next"], states["Aggregate"]["End"]) == (
        "SweepAccounts",
        "Aggregate",
        True,
    )
    assert definition["TimeoutSeconds"] == DAY  # the schedule's interval: runs never overlap
    function = "${" + organization_stack.logical_id("AWS::Lambda::Function") + ".Arn}"
    for name in ("ListAccounts", "Aggregate"):
        assert states[name]["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke"
        assert states[name]["Parameters"]["FunctionName"] == function
    bucket = "${" + organization_stack.logical_id("AWS::S3::Bucket") + "}"
    assert states["ListAccounts"]["Parameters"]["Payload"] == {
        "list_accounts": {
            "parents": list(TARGET_OUS),
            "role_name": DEFAULT_MEMBER_ROLE_NAME,
            "external_id": f"oidc-thumbprint-remediator-{ORGANIZATION_ID}",
            "store": {"bucket": bucket, "execution.$": "$$.Execution.Name"},
        }
    }
    # Between the steps travel keys and counts, never the accounts themselves
    assert states["ListAccounts"]["ResultSelector"] == {
        "work_list_key.$": "$.Payload.work_list_key",
        "not_swept_key.$": "$.Payload.not_swept_key",
        "accounts.$": "$.Payload.accounts",
        "not_swept.$": "$.Payload.not_swept",
    }
    assert states["Aggregate"]["Parameters"]["Payload"] == {
        "aggregate": {
            "store": {
                "bucket": bucket,
                "execution.$": "$$.Execution.Name",
                "manifest_key.$": "$.results.manifest_key",
                "work_list_key.$": "$.work_list_key",
                "not_swept_key.$": "$.not_swept_key",
            },
            "execution.$": "$$.Execution.Id",
        }
    }
    assert set(states["Aggregate"]["ResultSelector"]) == {"summary.$", "report_key.$", "alert.$"}


def test_distributed_map_reads_the_work_list_and_writes_results_to_the_bucket(
    organization_stack: SynthesizedOrganization,
) -> None:
    sweep_accounts = organization_stack.definition()["States"]["SweepAccounts"]
    bucket = "${" + organization_stack.logical_id("AWS::S3::Bucket") + "}"

    assert sweep_accounts["Type"] == "Map"
    assert sweep_accounts["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert sweep_accounts["ItemReader"] == {
        "Resource": "arn:${AWS::Partition}:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": bucket, "Key.$": "$.work_list_key"},
    }
    assert sweep_accounts["ResultWriter"] == {
        "Resource": "arn:${AWS::Partition}:states:::s3:putObject",
        "Parameters": {"Bucket": bucket, "Prefix": "results"},
    }
    assert "ItemsPath" not in sweep_accounts
    # The Map's output is the manifest's key, beside the work list's: the state stays the same size
    assert sweep_accounts["ResultSelector"] == {"manifest_key.$": "$.ResultWriterDetails.Key"}
    assert sweep_accounts["ResultPath"] == "$.results"
    assert sweep_accounts["ToleratedFailurePercentage"] == 100


def test_map_sweeps_each_account_with_bounded_concurrency_and_catches_its_failure(
    organization_stack: SynthesizedOrganization,
) -> None:
    sweep_accounts = organization_stack.definition()["States"]["SweepAccounts"]

    assert sweep_accounts["MaxConcurrency"] == 40
    processor = sweep_accounts["ItemProcessor"]
    sweep = processor["States"]["SweepAccount"]
    assert sweep["Parameters"]["Payload.$"] == "$.sweep"
    assert sweep["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "AccountFailed"}]
    assert processor["States"]["AccountFailed"]["Parameters"] == {
        "account_id.$": "$.account_id",
        "name.$": "$.name",
        "error.$": "$.caught",
    }
    assert processor["States"]["AccountSwept"]["Parameters"] == {
        "account_id.$": "$.account_id",
        "name.$": "$.name",
        "report.$": "$.outcome.report",
    }


# --- the bucket ------------------------------------------------------------------------------------------------
def test_the_bucket_is_encrypted_with_the_stacks_key_closed_to_the_public_and_expires_its_objects(
    organization_stack: SynthesizedOrganization,
) -> None:
    bucket = organization_stack.only("AWS::S3::Bucket")
    key_id = organization_stack.logical_id("AWS::KMS::Key", "OrganizationSweepStore")

    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert organization_stack.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    [expiry] = bucket["LifecycleConfiguration"]["Rules"]
    assert expiry["Status"] == "Enabled"
    assert 1 <= expiry["ExpirationInDays"] <= 90


def test_the_bucket_admits_only_tls_and_only_the_stacks_two_roles(organization_stack: SynthesizedOrganization) -> None:
    statements = organization_stack.only("AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    function_role = organization_stack.logical_id("AWS::IAM::Role", "SweepRole")
    machine_role = organization_stack.logical_id("AWS::IAM::Role", "StateMachineRole2")

    tls = next(statement for statement in statements if "aws:SecureTransport" in json.dumps(statement))
    assert (tls["Effect"], tls["Action"], tls["Condition"]) == (
        "Deny",
        "s3:*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    [only] = [statement for statement in statements if statement.get("Sid") == "OnlyTheStacksRoles"]
    assert (only["Effect"], only["Principal"]) == ("Deny", {"AWS": "*"})
    assert {"s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*"} <= set(only["Action"])
    assert only["Condition"] == {
        "ArnNotEquals": {
            "aws:PrincipalArn": [{"Fn::GetAtt": [function_role, "Arn"]}, {"Fn::GetAtt": [machine_role, "Arn"]}]
        }
    }


def test_the_function_reads_and_writes_only_the_buckets_objects(organization_stack: SynthesizedOrganization) -> None:
    policies = organization_stack.of_type("AWS::IAM::Policy")
    [access] = [policy for key, policy in policies.items() if "StoreFunctionAccess" in key]
    bucket = organization_stack.logical_id("AWS::S3::Bucket")

    statements = access["Properties"]["PolicyDocument"]["Statement"]
    assert [statement["Action"] for statement in statements] == [
        ["s3:GetObject", "s3:PutObject"],
        ["kms:Decrypt", "kms:GenerateDataKey"],
    ]
    assert statements[0]["Action"] == declared_on(org_store, "organization-objects")  # what the adapter calls
    assert statements[0]["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/*"]]}


def test_every_invocation_retries_lambda_throttling_and_service_errors_but_not_a_failed_sweep(
    organization_stack: SynthesizedOrganization,
) -> None:
    states = organization_stack.definition()["States"]
    tasks = [
        states["ListAccounts"],
        states["Aggregate"],
        states["SweepAccounts"]["ItemProcessor"]["States"]["SweepAccount"],
    ]

    for task in tasks:
        retried = {error for retry in task["Retry"] for error in retry["ErrorEquals"]}
        assert retried == {
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
        }
        assert all(retry["MaxAttempts"] <= 6 and retry["BackoffRate"] == 2 for retry in task["Retry"])


def test_concurrency_and_schedule_come_from_context(narrowed_organization_stack: SynthesizedOrganization) -> None:
    definition = narrowed_organization_stack.definition()

    assert definition["States"]["SweepAccounts"]["MaxConcurrency"] == 25
    assert definition["TimeoutSeconds"] == 12 * HOUR
    assert definition["States"]["ListAccounts"]["Parameters"]["Payload"]["list_accounts"]["accounts"] == [
        "111111111111",
        "222222222222",
    ]


def test_state_machine_is_traced_and_logs_every_event(organization_stack: SynthesizedOrganization) -> None:
    machine = organization_stack.only("AWS::StepFunctions::StateMachine")
    log_group = organization_stack.resources[organization_stack.logical_id("AWS::Logs::LogGroup", "OrganizationSweep")]

    assert machine["StateMachineType"] == "STANDARD"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert log_group["Properties"]["RetentionInDays"] == 90
    assert log_group["Properties"]["LogGroupName"].startswith("/aws/vendedlogs/states/")


def test_both_log_groups_are_encrypted_with_the_stack_key(organization_stack: SynthesizedOrganization) -> None:
    # The stack's key (the alerts key); the sweep bucket has a key of its own.
    key_id = organization_stack.logical_id("AWS::KMS::Key", "AlertsKey")
    key = {"Fn::GetAtt": [key_id, "Arn"]}
    log_groups = organization_stack.of_type("AWS::Logs::LogGroup")
    key_policy = json.dumps(organization_stack.resources[key_id]["Properties"]["KeyPolicy"])

    assert len(log_groups) == 2  # the function's and the state machine's
    for log_group in log_groups.values():
        assert log_group["Properties"]["KmsKeyId"] == key
        # the key admits CloudWatch Logs for this group by its ARN (the encryption context)
        assert f':log-group:{log_group["Properties"]["LogGroupName"]}"' in key_policy


def test_the_function_runs_as_many_sweeps_at_once_as_the_map_starts(
    organization_stack: SynthesizedOrganization, narrowed_organization_stack: SynthesizedOrganization
) -> None:
    for stack, concurrency in ((organization_stack, DEFAULT_MAX_CONCURRENCY), (narrowed_organization_stack, 25)):
        function = stack.only("AWS::Lambda::Function")
        assert function["ReservedConcurrentExecutions"] == concurrency
        assert stack.definition()["States"]["SweepAccounts"]["MaxConcurrency"] == concurrency


def test_schedule_starts_the_state_machine(organization_stack: SynthesizedOrganization) -> None:
    rule = organization_stack.only("AWS::Events::Rule")

    assert rule["ScheduleExpression"] == "rate(1 day)"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": organization_stack.logical_id("AWS::StepFunctions::StateMachine")}
    assert target["Input"] == "{}"


def test_a_failed_or_timed_out_organization_sweep_alarms_on_the_topic(
    organization_stack: SynthesizedOrganization,
) -> None:
    alarms = organization_stack.of_type("AWS::CloudWatch::Alarm")
    failed = next(alarm["Properties"] for key, alarm in alarms.items() if key.startswith("OrganizationSweepFailed"))

    assert len(alarms) == 5  # errors, dead man, dead letters, history unavailable, and this one
    assert failed["AlarmActions"] == [{"Ref": organization_stack.logical_id("AWS::SNS::Topic")}]
    assert {metric["Id"] for metric in failed["Metrics"] if "MetricStat" in metric} == {"failed", "timedOut"}
    # The topic lets this alarm publish, like the other four
    topic_policy = json.dumps(organization_stack.only("AWS::SNS::TopicPolicy"))
    assert "OrganizationSweepFailed" in topic_policy


# --- the gates ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack_fixture", ["organization_stack", "narrowed_organization_stack"])
def test_organization_template_passes_cfn_lint(stack_fixture: str, request: pytest.FixtureRequest) -> None:
    stack: SynthesizedOrganization = request.getfixturevalue(stack_fixture)

    assert _cfn_lint(stack.template_path) == []


def _cfn_lint(path: Path) -> list[str]:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", "--regions", "us-east-1", "eu-west-1", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.stderr == "", result.stderr
    return [
        f"{match['Level']} {match['Rule']['Id']}: {match['Message']}"
        for match in json.loads(result.stdout or "[]")
        if match["Level"] == "Error" or match["Rule"]["Id"] != "W3005"  # CDK's DependsOn next to a GetAtt
    ]
