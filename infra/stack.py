"""The stack: alerts topic, sweep function, schedule, alarms and dashboard, and what an operator needs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, ArnFormat, Aws, CfnOutput, Stack
from constructs import Construct

from infra.alarms import AlarmNames, SweepAlarms
from infra.alerts import AlertTopic
from infra.channels import ChannelsConfig, SweepChannels, channel_policies
from infra.config import StackConfig
from infra.dashboard import SweepDashboard
from infra.function import SweepFunction
from infra.history import HistoryTable
from infra.schedule import SweepSchedule


class ThumbprintRemediatorStack(Stack):
    """One per account and region: sweeps every IAM OIDC provider on a schedule and e-mails the findings."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        channels: ChannelsConfig | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Keeps IAM OIDC identity-provider thumbprints in step with their live TLS chains",
            **kwargs,
        )
        alarm_names = AlarmNames.for_stack(self.stack_name)
        alarm_arns = [
            self.format_arn(
                service="cloudwatch", resource="alarm", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
            )
            for name in alarm_names.watched(history=config.history)
        ]
        self.alerts = AlertTopic(self, "Alerts", emails=config.alert_emails, alarm_arns=alarm_arns)
        channels = channels or ChannelsConfig()
        self.history = HistoryTable(self, "History", key=self.alerts.key) if config.history else None
        self.sweep = SweepFunction(
            self,
            "Sweep",
            config=config,
            alerts=self.alerts,
            extra_policies=channel_policies(channels),
            history=self.history,
        )
        self.channels = SweepChannels(
            self, "Channels", channels=channels, function=self.sweep.function, role=self.sweep.role
        )
        self.alerts.restrict_publishing_to(self.sweep.role)
        self.schedule = SweepSchedule(self, "Schedule", config=config, function=self.sweep.function)
        self.alarms = SweepAlarms(
            self,
            "Alarms",
            function=self.sweep.function,
            dead_letters=self.sweep.dead_letters,
            topic=self.alerts.topic,
            schedule=config.schedule,
            names=alarm_names,
            history=config.history,
        )
        self.dashboard = SweepDashboard(
            self, "Dashboard", config=config, function=self.sweep.function, alarms=self.alarms
        )
        if not config.alert_emails:
            Annotations.of(self).add_warning_v2(
                "oidc-thumbprint-remediator:noAlertEmails",
                "No alertEmails given: findings and alarms reach the topic but nobody is subscribed. "
                "Deploy with -c alertEmails=you@example.com or subscribe to the TopicArn output.",
            )

        function_name = self.sweep.function.function_name
        CfnOutput(self, "FunctionName", value=function_name, description="The sweep function")
        CfnOutput(self, "TopicArn", value=self.alerts.topic.topic_arn, description="Findings and alarms")
        if self.history:
            CfnOutput(
                self,
                "HistoryTableName",
                value=self.history.table_name,
                description="What each provider presented, sweep after sweep (the function's HISTORY_TABLE)",
            )
        CfnOutput(
            self,
            "LogGroupName",
            value=self.sweep.log_group.log_group_name,
            description="The function's logs: aws logs tail <name> --follow",
        )
        CfnOutput(
            self,
            "DeadLetterQueueUrl",
            value=self.sweep.dead_letters.queue_url,
            description="Scheduled sweeps that failed every attempt, kept 14 days: read, then purge to clear the alarm",
        )
        CfnOutput(
            self,
            "InvokeCommand",
            description="Run a sweep now (a dry run: nothing is changed); the report lands in report.json",
            value=(
                f"aws lambda invoke --region {Aws.REGION} --function-name {function_name} "
                "--cli-binary-format raw-in-base64-out --payload '{\"dry_run\": true}' report.json"
            ),
        )
        CfnOutput(
            self,
            "DashboardUrl",
            description="The sweep metrics over time",
            value=(
                f"https://{Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region={Aws.REGION}"
                f"#dashboards:name={self.dashboard.dashboard.dashboard_name}"
            ),
        )
