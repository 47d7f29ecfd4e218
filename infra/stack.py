"""The stack: alerts topic, sweep function, schedule, alarms and dashboard, and what an operator needs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from constructs import Construct

from infra.channels import ChannelsConfig, SweepChannels, channel_policies
from infra.config import StackConfig
from infra.core import CoreWording, RemediatorCore, StackOutput
from infra.schedule import SweepSchedule

WORDING = CoreWording(
    topic="Findings and alarms",
    history="What each provider presented, sweep after sweep (the function's HISTORY_TABLE)",
    log_group="The function's logs: aws logs tail <name> --follow",
    dashboard="The sweep metrics over time",
    no_subscriber=(
        "No alertEmails given: findings and alarms reach the topic but nobody is subscribed. "
        "Deploy with -c alertEmails=you@example.com or subscribe to the TopicArn output."
    ),
)


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
        channels = channels or ChannelsConfig()
        self.core = RemediatorCore(self, config=config, wording=WORDING, extra_policies=channel_policies(channels))
        self.alerts, self.history, self.sweep = self.core.alerts, self.core.history, self.core.sweep
        self.channels = SweepChannels(
            self, "Channels", channels=channels, function=self.sweep.function, role=self.sweep.role
        )
        self.schedule = SweepSchedule(self, "Schedule", config=config, function=self.sweep.function)
        self.alarms = self.core.add_alarms()
        self.dashboard = self.core.add_dashboard()
        self.core.add_outputs(
            [
                StackOutput(
                    "InvokeCommand",
                    description="Run a sweep now (a dry run: nothing is changed); the report lands in report.json",
                    value=(
                        f"aws lambda invoke --region {Aws.REGION} --function-name {self.sweep.function.function_name} "
                        "--cli-binary-format raw-in-base64-out --payload '{\"dry_run\": true}' report.json"
                    ),
                )
            ]
        )
