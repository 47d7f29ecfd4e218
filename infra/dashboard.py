"""A CloudWatch dashboard of the engine's metrics over time, next to the function's health and the alarms."""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.alarms import SweepAlarms, sweep_metric
from infra.config import StackConfig
from infra.schedule_expression import DAY, MINUTE
from thumbprint_remediator.contract.metrics import (
    DASHBOARD_METRICS,
    METRIC_HISTORY_UNAVAILABLE,
    METRIC_MIN_DAYS_TO_EXPIRY,
    METRIC_PROVIDERS_CHANGED,
    METRIC_PROVIDERS_DRIFTED,
    METRIC_PROVIDERS_UPDATED,
    METRIC_SWEEP_COMPLETED,
)

# Counts describe one sweep, so a period's worst sweep is shown; updates add up.
_STATISTICS: Final = {METRIC_PROVIDERS_UPDATED: "Sum", METRIC_MIN_DAYS_TO_EXPIRY: "Minimum"}
_WIDTH: Final = 24
# Changes and drift are counted per day whatever the schedule: a day is what an operator compares.
_HISTORY_PERIOD: Final = Duration.days(1)


def dashboard_name(stack: Stack) -> str:
    """The dashboard's name, fixed so the function can be told it (its alerts link to the dashboard) without a
    dependency cycle: the stack's name and the region, since a dashboard's name is unique across the account."""
    return f"{stack.stack_name}-{Aws.REGION}"


class SweepDashboard(Construct):
    """Providers checked, stale, updated, blocked and unreachable, and the minimum days to expiry."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        function: lambda_.IFunction,
        alarms: SweepAlarms,
    ) -> None:
        super().__init__(scope, construct_id)
        period = Duration.seconds(min(max(config.schedule.longest_interval_seconds, MINUTE), DAY))

        def metric(name: str) -> cloudwatch.Metric:
            return sweep_metric(name, _STATISTICS.get(name, "Maximum"), period)

        counts = [name for name in DASHBOARD_METRICS if name != METRIC_MIN_DAYS_TO_EXPIRY]
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name(Stack.of(self)), default_interval=Duration.days(30)
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms.all, width=_WIDTH, height=3)
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="OIDC providers per sweep",
                left=[metric(name) for name in counts],
                left_y_axis=cloudwatch.YAxisProps(min=0, label="providers", show_units=False),
                width=_WIDTH // 2,
            ),
            cloudwatch.GraphWidget(
                title="Minimum days to certificate expiry",
                left=[metric(METRIC_MIN_DAYS_TO_EXPIRY)],
                left_y_axis=cloudwatch.YAxisProps(min=0, label="days", show_units=False),
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=config.expiry_warning_days,
                        label="expiry warning",
                        color=cloudwatch.Color.ORANGE,
                    )
                ],
                width=_WIDTH // 2,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Sweeps completed and function errors",
                left=[
                    sweep_metric(METRIC_SWEEP_COMPLETED, "Sum", period),
                    function.metric_errors(period=period, statistic="Sum"),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
                width=_WIDTH // 2,
            ),
            cloudwatch.GraphWidget(
                title="Sweep duration",
                left=[function.metric_duration(period=period, statistic="Maximum")],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=config.timeout_seconds * 1000, label="timeout", color=cloudwatch.Color.RED
                    )
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, label="ms", show_units=False),
                width=_WIDTH // 2,
            ),
        )
        if config.history:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Providers changed and drifted per day",
                    left=[
                        sweep_metric(METRIC_PROVIDERS_CHANGED, "Sum", _HISTORY_PERIOD),
                        sweep_metric(METRIC_PROVIDERS_DRIFTED, "Sum", _HISTORY_PERIOD),
                    ],
                    left_y_axis=cloudwatch.YAxisProps(min=0, label="providers", show_units=False),
                    width=_WIDTH // 2,
                ),
                cloudwatch.GraphWidget(
                    title="Providers swept without history",
                    left=[sweep_metric(METRIC_HISTORY_UNAVAILABLE, "Sum", period)],
                    left_y_axis=cloudwatch.YAxisProps(min=0, label="providers", show_units=False),
                    width=_WIDTH // 2,
                ),
            )
