"""What every deployment has, built once for both stacks: the alerts topic and its key, the history table, the
sweep function, the alarms, the dashboard and the outputs an operator reads.

The parts are built into the stack's own scope, not under a construct of their own, so each keeps the construct
path and logical ID it had when every stack built them itself: an update deploys in place, nothing is replaced.
The build comes in steps because each stack puts its own parts between them (the channels and the schedule; the
organization's access, fan-out and member roles), and the order of construction is the order of the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, ArnFormat, Aws, CfnOutput, Stack
from aws_cdk import aws_iam as iam

from infra.alarms import AlarmNames, SweepAlarms
from infra.alerts import AlertTopic
from infra.config import StackConfig
from infra.dashboard import SweepDashboard
from infra.function import SINGLE_SWEEP_CONCURRENCY, SweepFunction
from infra.history import HistoryTable


@dataclass(frozen=True)
class CoreWording:
    """What the shared outputs and the no-subscriber warning say, in each stack's own words."""

    topic: str
    history: str
    log_group: str
    dashboard: str
    no_subscriber: str


@dataclass(frozen=True)
class StackOutput:
    """One output a stack adds of its own, between the shared ones and the dashboard's URL."""

    construct_id: str
    value: str
    description: str


class RemediatorCore:
    """The shared parts of a stack, in the order a stack builds them: construction (topic, history, function),
    then `add_alarms`, `add_dashboard` and `add_outputs`, each after the stack's own parts that precede it."""

    def __init__(
        self,
        stack: Stack,
        *,
        config: StackConfig,
        wording: CoreWording,
        extra_alarm_names: Sequence[str] = (),
        reserved_concurrency: int = SINGLE_SWEEP_CONCURRENCY,
        extra_policies: Mapping[str, iam.PolicyDocument] | None = None,
    ) -> None:
        self._stack = stack
        self._config = config
        self._wording = wording
        self.alarm_names = AlarmNames.for_stack(stack.stack_name)
        # The key and topic policies name every alarm of the stack, the stack's own included.
        alarm_arns = [
            stack.format_arn(
                service="cloudwatch", resource="alarm", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
            )
            for name in (*self.alarm_names.watched(history=config.history), *extra_alarm_names)
        ]
        self.alerts = AlertTopic(stack, "Alerts", emails=config.alert_emails, alarm_arns=alarm_arns)
        self.history = HistoryTable(stack, "History", key=self.alerts.key) if config.history else None
        self.sweep = SweepFunction(
            stack,
            "Sweep",
            config=config,
            alerts=self.alerts,
            extra_policies=extra_policies,
            reserved_concurrency=reserved_concurrency,
            history=self.history,
        )
        self.alerts.restrict_publishing_to(self.sweep.role)
        self.alarms: SweepAlarms | None = None
        self.dashboard: SweepDashboard | None = None

    def add_alarms(self) -> SweepAlarms:
        """The function's alarms (errors, dead man, dead letters, history), each notifying the topic."""
        self.alarms = SweepAlarms(
            self._stack,
            "Alarms",
            function=self.sweep.function,
            dead_letters=self.sweep.dead_letters,
            topic=self.alerts.topic,
            schedule=self._config.schedule,
            names=self.alarm_names,
            history=self._config.history,
        )
        return self.alarms

    def add_dashboard(self) -> SweepDashboard:
        """The dashboard of the sweep metrics and the alarms; warns at synth when nobody is subscribed."""
        assert self.alarms is not None, "add_alarms comes first: the dashboard shows the alarms"
        self.dashboard = SweepDashboard(
            self._stack, "Dashboard", config=self._config, function=self.sweep.function, alarms=self.alarms
        )
        if not self._config.alert_emails:
            Annotations.of(self._stack).add_warning_v2(
                "oidc-thumbprint-remediator:noAlertEmails", self._wording.no_subscriber
            )
        return self.dashboard

    def add_outputs(self, stack_outputs: Sequence[StackOutput] = ()) -> None:
        """The function, topic, history table, log group and dead letters; the stack's own; the dashboard."""
        assert self.dashboard is not None, "add_dashboard comes first: the last output is its URL"
        stack = self._stack
        CfnOutput(stack, "FunctionName", value=self.sweep.function.function_name, description="The sweep function")
        CfnOutput(stack, "TopicArn", value=self.alerts.topic.topic_arn, description=self._wording.topic)
        if self.history:
            CfnOutput(stack, "HistoryTableName", value=self.history.table_name, description=self._wording.history)
        CfnOutput(stack, "LogGroupName", value=self.sweep.log_group.log_group_name, description=self._wording.log_group)
        CfnOutput(
            stack,
            "DeadLetterQueueUrl",
            value=self.sweep.dead_letters.queue_url,
            description="Scheduled sweeps that failed every attempt, kept 14 days: read, then purge to clear the alarm",
        )
        for output in stack_outputs:
            CfnOutput(stack, output.construct_id, value=output.value, description=output.description)
        CfnOutput(
            stack,
            "DashboardUrl",
            description=self._wording.dashboard,
            value=(
                f"https://{Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region={Aws.REGION}"
                f"#dashboards:name={self.dashboard.dashboard.dashboard_name}"
            ),
        )
