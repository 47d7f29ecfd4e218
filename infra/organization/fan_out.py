"""The organization sweep: a Step Functions state machine on the schedule.

ListAccounts (the function lists the target OUs' accounts and writes the work list to the stack's bucket) ->
SweepAccounts (a Distributed Map: it reads the work list with an ItemReader, runs one child workflow per account,
at most `maxConcurrency` at once, the function sweeping the account through its member role; whatever ends an
account's sweep is caught into that account's result; a ResultWriter writes the results to the bucket) ->
Aggregate (the function reads the results, stores the one organization report and publishes one alert). Every
state between them holds pointers and counts, whatever the number of accounts.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, CfnResource, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import StackConfig
from infra.function import LOG_RETENTION
from infra.log_groups import encrypted_log_group
from infra.organization.config import OrganizationConfig
from infra.organization.store import RESULTS_PREFIX, SweepStore
from infra.schedule import DELIVERY_RETRY_ATTEMPTS

# Lambda's own throttling and transient service errors: retried with backoff, never a sweep that ran and failed.
THROTTLING_ERRORS: Final = ("Lambda.TooManyRequestsException",)
THROTTLING_RETRY_ATTEMPTS: Final = 6
# The state names are part of what the tests and docs/organizations.md describe.
LIST_ACCOUNTS: Final = "ListAccounts"
SWEEP_ACCOUNTS: Final = "SweepAccounts"
SWEEP_ACCOUNT: Final = "SweepAccount"
ACCOUNT_SWEPT: Final = "AccountSwept"
ACCOUNT_FAILED: Final = "AccountFailed"
AGGREGATE: Final = "Aggregate"
# The catch per account turns every failure into a result; this only keeps a child that fails anyway (a service
# fault around the catch) from failing the whole sweep: Aggregate reports it as that account's failure.
TOLERATED_FAILURE_PERCENTAGE: Final = 100


class OrganizationSweep(Construct):
    """The state machine, its log group, and the schedule that starts it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        organization: OrganizationConfig,
        function: lambda_.IFunction,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        list_body: dict[str, object] = {
            "parents": list(organization.target_ous),
            "role_name": organization.member_role_name,
            "external_id": organization.external_id,
        }
        if organization.target_accounts:
            list_body["accounts"] = list(organization.target_accounts)
        self.store = SweepStore(self, "Store")
        bucket = self.store.bucket
        list_body["store"] = {"bucket": bucket.bucket_name, "execution": sfn.JsonPath.string_at("$$.Execution.Name")}
        list_accounts = tasks.LambdaInvoke(
            self,
            LIST_ACCOUNTS,
            comment="List every active account below the target OUs; write the work list to the bucket",
            lambda_function=function,
            payload=sfn.TaskInput.from_object({"list_accounts": list_body}),
            result_selector={
                "work_list_key": sfn.JsonPath.string_at("$.Payload.work_list_key"),
                "not_swept_key": sfn.JsonPath.string_at("$.Payload.not_swept_key"),
                "accounts": sfn.JsonPath.number_at("$.Payload.accounts"),
                "not_swept": sfn.JsonPath.number_at("$.Payload.not_swept"),
            },
        )
        _retry_throttling(list_accounts)

        sweep_account = tasks.LambdaInvoke(
            self,
            SWEEP_ACCOUNT,
            comment="Sweep one account through its member role; no alert, a compact report",
            lambda_function=function,
            payload=sfn.TaskInput.from_json_path_at("$.sweep"),
            result_selector={"report": sfn.JsonPath.object_at("$.Payload")},
            result_path="$.outcome",
        )
        _retry_throttling(sweep_account)
        account_swept = sfn.Pass(
            self,
            ACCOUNT_SWEPT,
            parameters={
                "account_id": sfn.JsonPath.string_at("$.account_id"),
                "name": sfn.JsonPath.string_at("$.name"),
                "report": sfn.JsonPath.object_at("$.outcome.report"),
            },
        )
        # Whatever ended this account's sweep (a timeout, a crash, retries exhausted) is this account's result.
        account_failed = sfn.Pass(
            self,
            ACCOUNT_FAILED,
            parameters={
                "account_id": sfn.JsonPath.string_at("$.account_id"),
                "name": sfn.JsonPath.string_at("$.name"),
                "error": sfn.JsonPath.object_at("$.caught"),
            },
        )
        sweep_account.add_catch(account_failed, errors=[sfn.Errors.ALL], result_path="$.caught")
        sweep_accounts = sfn.DistributedMap(
            self,
            SWEEP_ACCOUNTS,
            comment="Each account of the work list once, in its own child workflow, at most maxConcurrency at a time",
            item_reader=sfn.S3JsonItemReader(bucket=bucket, key=sfn.JsonPath.string_at("$.work_list_key")),
            item_selector={
                "account_id": sfn.JsonPath.string_at("$$.Map.Item.Value.account_id"),
                "name": sfn.JsonPath.string_at("$$.Map.Item.Value.name"),
                "sweep": sfn.JsonPath.object_at("$$.Map.Item.Value.sweep"),
            },
            max_concurrency=organization.max_concurrency,
            map_execution_type=sfn.StateMachineType.STANDARD,
            tolerated_failure_percentage=TOLERATED_FAILURE_PERCENTAGE,
            result_writer_v2=sfn.ResultWriterV2(bucket=bucket, prefix=RESULTS_PREFIX),
            # The results stay in the bucket: the state keeps only where they are.
            result_selector={"manifest_key": sfn.JsonPath.string_at("$.ResultWriterDetails.Key")},
            result_path="$.results",
        )
        sweep_accounts.item_processor(sweep_account.next(account_swept))

        aggregate = tasks.LambdaInvoke(
            self,
            AGGREGATE,
            comment="One organization report and one alert, published by the central account",
            lambda_function=function,
            payload=sfn.TaskInput.from_object(
                {
                    "aggregate": {
                        "store": {
                            "bucket": bucket.bucket_name,
                            "execution": sfn.JsonPath.string_at("$$.Execution.Name"),
                            "manifest_key": sfn.JsonPath.string_at("$.results.manifest_key"),
                            "work_list_key": sfn.JsonPath.string_at("$.work_list_key"),
                            "not_swept_key": sfn.JsonPath.string_at("$.not_swept_key"),
                        },
                        "execution": sfn.JsonPath.execution_id,
                    }
                }
            ),
            result_selector={
                "summary": sfn.JsonPath.object_at("$.Payload.summary"),
                "report_key": sfn.JsonPath.string_at("$.Payload.report_key"),
                "alert": sfn.JsonPath.object_at("$.Payload.alert"),
            },
        )
        _retry_throttling(aggregate)

        self.log_group = encrypted_log_group(
            self,
            "Logs",
            key=key,
            # Log deliveries share one size-limited resource policy per account, unless under this prefix.
            log_group_name=f"/aws/vendedlogs/states/{Stack.of(self).stack_name}-OrganizationSweep",
            retention=LOG_RETENTION,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Sweeps the OIDC providers of every account of the organization, then alerts once",
            definition_body=sfn.DefinitionBody.from_chainable(list_accounts.next(sweep_accounts).next(aggregate)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            # A run never overlaps the next one.
            timeout=Duration.seconds(config.schedule.shortest_interval_seconds),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        assert function.role is not None  # the sweep function always has its own role
        self.store_access = self.store.grant_sweep(function.role, self.state_machine.role)
        _acknowledge_wildcards(self.state_machine, function)
        bucket_resource = bucket.node.default_child
        assert isinstance(bucket_resource, CfnResource)
        _acknowledge_distributed_map(self.state_machine, Stack.of(self).get_logical_id(bucket_resource))
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Sweeps the organization's IAM OIDC providers: {config.schedule.expression}",
            schedule=events.Schedule.expression(config.schedule.expression),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object({}),
                    retry_attempts=DELIVERY_RETRY_ATTEMPTS,
                    max_event_age=Duration.seconds(config.max_event_age_seconds),
                )
            ],
        )


def _retry_throttling(task: tasks.LambdaInvoke) -> None:
    task.add_retry(
        errors=list(THROTTLING_ERRORS),
        interval=Duration.seconds(2),
        max_attempts=THROTTLING_RETRY_ATTEMPTS,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )


def _acknowledge_distributed_map(state_machine: sfn.StateMachine, bucket_id: str) -> None:
    """What CDK grants a Distributed Map: the bucket's objects (ItemReader, ResultWriter), its own child runs."""
    default = state_machine.role.node.try_find_child("DefaultPolicy")
    default_resource = default.node.default_child if default is not None else None
    child_runs = state_machine.node.try_find_child("DistributedMapPolicy")
    child_resource = child_runs.node.default_child if child_runs is not None else None
    assert isinstance(default_resource, CfnResource)
    assert isinstance(child_resource, CfnResource)
    machine_id = Stack.of(state_machine).get_logical_id(state_machine.node.default_child)  # type: ignore[arg-type]
    name = f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine_id}"}}]}}]}}'
    executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{name}"
    Validations.of(default_resource).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<{bucket_id}>/*]",
            reason=(
                "The ItemReader reads the work list and the ResultWriter writes the results under keys named by the "
                "execution: objects of the stack's own bucket, which holds nothing else."
            ),
        )
    )
    Validations.of(child_resource).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::{executions}:*]",
            reason="The Distributed Map describes and stops its own child workflow executions, named by the run.",
        ),
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::{executions}/*:*]",
            reason="The Distributed Map's map runs and their child executions are named below this state machine.",
        ),
    )


def _acknowledge_wildcards(state_machine: sfn.StateMachine, function: lambda_.IFunction) -> None:
    policy = state_machine.role.node.try_find_child("DefaultPolicy")
    resource = policy.node.default_child if policy is not None else None
    function_resource = function.node.default_child
    assert isinstance(resource, CfnResource)  # CDK puts the invoke, logging and tracing grants there
    assert isinstance(function_resource, CfnResource)
    function_id = Stack.of(function).get_logical_id(function_resource)
    Validations.of(resource).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]",
            reason=(
                "CDK grants lambda:InvokeFunction on the sweep function and its versions (ARN:*); the state "
                "machine invokes only this one function."
            ),
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason=(
                "Log delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) "
                "accept no resource but '*'; they carry the state machine's own logs and traces."
            ),
        ),
    )
