"""The sweep function: its asset, its environment, its log group, its dead-letter queue and a role holding exactly
what it needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.alerts import AlertTopic
from infra.bundling import AssetSpec, function_code
from infra.config import StackConfig
from infra.dashboard import dashboard_name
from infra.history import HistoryTable
from infra.log_groups import encrypted_log_group
from thumbprint_remediator.contract.metrics import METRICS_NAMESPACE
from thumbprint_remediator.contract.names import (
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE_NAME,
    HANDLER,
    OIDC_PROVIDER_ARN_PATTERN,
    SERVICE_NAME,
)
from thumbprint_remediator.contract.permissions import (
    ACCOUNT_LEVEL_ACTIONS,
    ALERT_ACTIONS,
    DEAD_LETTER_ACTIONS,
    OIDC_PROVIDER_ACTIONS,
    POSTURE_ACTIONS,
)
from thumbprint_remediator.contract.settings import (
    DASHBOARD_NAME,
    DRY_RUN,
    EXPIRY_WARNING_DAYS,
    EXTRA_CA_BUNDLE,
    HISTORY_TABLE,
    LOG_GROUP_NAME,
    NOTIFY_ON,
    POSTURE,
    STACK_NAME,
    TOPIC_ARN,
)

LOG_RETENTION: Final = logs.RetentionDays.THREE_MONTHS
TRACING_ACTIONS: Final = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOGGING_ACTIONS: Final = ("logs:CreateLogStream", "logs:PutLogEvents")
# What SNS needs from a publisher on a KMS-encrypted topic.
TOPIC_KEY_ACTIONS: Final = ("kms:GenerateDataKey", "kms:Decrypt")
# One retry of a failed sweep: it is idempotent (only stale lists change, and are read back).
FUNCTION_RETRY_ATTEMPTS: Final = 1
# What SQS needs from a sender to a queue encrypted with a customer managed key.
QUEUE_KEY_ACTIONS: Final = ("kms:GenerateDataKey", "kms:Decrypt")
# A sweep that failed every attempt stays readable (and alarmed on) this long: SQS's maximum.
DEAD_LETTER_RETENTION: Final = Duration.days(14)
# One sweep at a time per account: two must never race on the same provider's thumbprint list.
SINGLE_SWEEP_CONCURRENCY: Final = 1

_ARCHITECTURES: Final = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


@dataclass(frozen=True)
class AlertLinks:
    """What the alert names so its reader can look further: the stack, its dashboard and the function's logs."""

    stack_name: str
    dashboard_name: str
    log_group_name: str


def function_environment(
    config: StackConfig,
    topic_arn: str,
    extra_ca_bundle_path: str | None,
    history_table_name: str | None = None,
    links: AlertLinks | None = None,
) -> dict[str, str]:
    """The variables the engine's Settings.from_env and Powertools read, named and spelled by the table of settings."""
    environment = {
        **TOPIC_ARN.environment(topic_arn),
        **DRY_RUN.environment(config.dry_run),
        **EXPIRY_WARNING_DAYS.environment(config.expiry_warning_days),
        **NOTIFY_ON.environment(config.notify_on),
        **POSTURE.environment(config.posture),
        ENV_POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ENV_POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    }
    if extra_ca_bundle_path:
        environment.update(EXTRA_CA_BUNDLE.environment(extra_ca_bundle_path))
    if history_table_name:
        environment.update(HISTORY_TABLE.environment(history_table_name))
    if links is not None:
        environment.update(STACK_NAME.environment(links.stack_name))
        environment.update(DASHBOARD_NAME.environment(links.dashboard_name))
        environment.update(LOG_GROUP_NAME.environment(links.log_group_name))
    return environment


class SweepFunction(Construct):
    """The Lambda function that sweeps every IAM OIDC provider of the account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        alerts: AlertTopic,
        extra_policies: Mapping[str, iam.PolicyDocument] | None = None,
        reserved_concurrency: int = SINGLE_SWEEP_CONCURRENCY,
        history: HistoryTable | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        links = AlertLinks(stack.stack_name, dashboard_name(stack), f"/aws/lambda/{stack.stack_name}-Sweep")
        self.log_group = encrypted_log_group(
            self, "Logs", key=alerts.key, log_group_name=links.log_group_name, retention=LOG_RETENTION
        )
        # Where Lambda keeps the event of an asynchronous (scheduled) invocation that failed every attempt.
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=alerts.key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Sweeps IAM OIDC providers and updates stale thumbprints",
            inline_policies={
                **_inline_policies(self.log_group, alerts, self.dead_letters, posture=config.posture),
                **({"History": history.policy()} if history else {}),
                **(extra_policies or {}),
            },
        )
        _acknowledge_wildcards(self.role)
        asset = AssetSpec(config.architecture, extra_ca_bundle=config.extra_ca_bundle)
        self.function = lambda_.Function(
            self,
            "Function",
            description="Checks IAM OIDC provider thumbprints against the live TLS chains and fixes stale ones",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=_ARCHITECTURES[config.architecture],
            handler=HANDLER,
            code=function_code(asset),
            memory_size=config.memory_size,
            timeout=Duration.seconds(config.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            # Immutable: CDK adds nothing behind our back; every permission is in the inline policies above.
            role=self.role.without_policy_updates(),
            environment=function_environment(
                config,
                alerts.topic.topic_arn,
                asset.extra_ca_bundle_path,
                history.table_name if history else None,
                links,
            ),
            retry_attempts=FUNCTION_RETRY_ATTEMPTS,
            max_event_age=Duration.seconds(config.max_event_age_seconds),
            dead_letter_queue=self.dead_letters,
            reserved_concurrent_executions=reserved_concurrency,
        )
        function_resource = self.function.node.default_child
        assert function_resource is not None  # an L2 Function always has its CfnFunction
        Validations.of(function_resource).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=(
                    "Python 3.13 is the runtime the engine, its pinned wheels (built for cp313) and its tests "
                    "target; moving to a newer runtime is a deliberate change made together with them."
                ),
            )
        )


def _inline_policies(
    log_group: logs.ILogGroup, alerts: AlertTopic, dead_letters: sqs.IQueue, *, posture: bool = True
) -> dict[str, iam.PolicyDocument]:
    oidc_providers = OIDC_PROVIDER_ARN_PATTERN.format(partition=Aws.PARTITION, account=Aws.ACCOUNT_ID)
    return {
        "OidcProviders": iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(actions=list(OIDC_PROVIDER_ACTIONS), resources=[oidc_providers]),
                iam.PolicyStatement(actions=list(ACCOUNT_LEVEL_ACTIONS), resources=["*"]),
                # Who can use each provider: ListRoles, which IAM cannot scope to a resource.
                *([iam.PolicyStatement(actions=list(POSTURE_ACTIONS), resources=["*"])] if posture else []),
            ]
        ),
        "Alerts": iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(actions=list(ALERT_ACTIONS), resources=[alerts.topic.topic_arn]),
                iam.PolicyStatement(
                    actions=list(TOPIC_KEY_ACTIONS),
                    resources=[alerts.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"sns.{Aws.REGION}.amazonaws.com"}},
                ),
            ]
        ),
        "DeadLetters": iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(actions=list(DEAD_LETTER_ACTIONS), resources=[dead_letters.queue_arn]),
                iam.PolicyStatement(
                    actions=list(QUEUE_KEY_ACTIONS),
                    resources=[alerts.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"sqs.{Aws.REGION}.amazonaws.com"}},
                ),
            ]
        ),
        "Logging": iam.PolicyDocument(
            statements=[iam.PolicyStatement(actions=list(LOGGING_ACTIONS), resources=[log_group.log_group_arn])]
        ),
        "Tracing": iam.PolicyDocument(statements=[iam.PolicyStatement(actions=list(TRACING_ACTIONS), resources=["*"])]),
    }


def _acknowledge_wildcards(role: iam.Role) -> None:
    resource = role.node.default_child
    assert resource is not None  # an L2 Role always has its CfnRole
    Validations.of(resource).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason=(
                "Only iam:ListOpenIDConnectProviders, iam:ListRoles (posture) and "
                "xray:PutTraceSegments/PutTelemetryRecords use '*': "
                "IAM defines no resource type for them, so '*' is the only resource they accept."
            ),
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:oidc-provider/*]",
            reason=(
                "The sweep exists to check every OIDC provider of the account, including ones created after "
                "deployment; the wildcard is limited to the oidc-provider resource type of this account."
            ),
        ),
    )
