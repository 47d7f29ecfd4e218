"""The EventBridge rule that starts a sweep on the configured schedule."""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StackConfig

# Delivery retries (throttling, service errors) before the event is dropped; the dead-man alarm catches a drop.
DELIVERY_RETRY_ATTEMPTS: Final = 4


class SweepSchedule(Construct):
    """Invokes the function asynchronously with EventBridge's scheduled event."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, function: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"Sweeps the account's IAM OIDC providers: {config.schedule.expression}",
            schedule=events.Schedule.expression(config.schedule.expression),
            targets=[
                targets.LambdaFunction(
                    function,
                    retry_attempts=DELIVERY_RETRY_ATTEMPTS,
                    max_event_age=Duration.seconds(config.max_event_age_seconds),
                )
            ],
        )
