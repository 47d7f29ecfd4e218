"""Watching the watcher: alarms on function errors, on completed sweeps (dead man), on dead letters and on sweeps
that ran without their history."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.schedule_expression import MINUTE, ScheduleExpression
from thumbprint_remediator.contract.metrics import (
    METRIC_HISTORY_UNAVAILABLE,
    METRIC_SERVICE_DIMENSION,
    METRIC_SWEEP_COMPLETED,
    METRICS_NAMESPACE,
)
from thumbprint_remediator.contract.names import SERVICE_NAME

ERRORS_PERIOD = Duration.minutes(5)


@dataclass(frozen=True)
class AlarmNames:
    """Names fixed before the alarms exist, so the topic and key policies can name the alarms' ARNs."""

    errors: str
    dead_man: str
    dead_letters: str
    history_unavailable: str

    @classmethod
    def for_stack(cls, stack_name: str) -> AlarmNames:
        return cls(
            errors=f"{stack_name}-SweepErrors",
            dead_man=f"{stack_name}-NoCompletedSweep",
            dead_letters=f"{stack_name}-FailedSweepsKept",
            history_unavailable=f"{stack_name}-HistoryUnavailable",
        )

    def watched(self, *, history: bool) -> list[str]:
        """The names of the alarms a stack builds: the history alarm only beside a history table."""
        return [self.errors, self.dead_man, self.dead_letters, *([self.history_unavailable] if history else [])]


def sweep_metric(metric_name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
    """One of the engine's EMF metrics, as Powertools emits it: our namespace, dimension service."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={METRIC_SERVICE_DIMENSION: SERVICE_NAME},
        statistic=statistic,
        period=period,
    )


class SweepAlarms(Construct):
    """Every alarm notifies the alerts topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        dead_letters: sqs.IQueue,
        topic: sns.ITopic,
        schedule: ScheduleExpression,
        names: AlarmNames,
        history: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        notify = actions.SnsAction(topic)
        self.errors = cloudwatch.Alarm(
            self,
            "Errors",
            alarm_name=names.errors,
            alarm_description="The sweep function failed (an unexpected error or a timeout). Read its log group.",
            metric=function.metric_errors(period=ERRORS_PERIOD, statistic="Sum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.errors.add_alarm_action(notify)
        # One period per schedule interval, alarm when two in a row hold no completed sweep. Every window of
        # one interval holds a run, so this fires only on a real gap, and never on a partly elapsed period.
        interval = Duration.seconds(max(schedule.longest_interval_seconds, MINUTE))
        self.dead_man = cloudwatch.Alarm(
            self,
            "DeadMan",
            alarm_name=names.dead_man,
            alarm_description=(
                f"No sweep completed in two schedule periods ({schedule.expression}): the schedule, the function "
                "or its metrics are broken. Expected right after the first deployment until a sweep has run."
            ),
            metric=sweep_metric(METRIC_SWEEP_COMPLETED, "Sum", interval),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.dead_man.add_alarm_action(notify)
        self.dead_man.add_ok_action(notify)
        self.dead_letters = cloudwatch.Alarm(
            self,
            "DeadLetters",
            alarm_name=names.dead_letters,
            alarm_description=(
                "An asynchronous (scheduled) sweep failed every attempt; its event is kept 14 days in the dead-letter "
                "queue. Read the function's log group for why, then purge the queue to clear this alarm."
            ),
            metric=dead_letters.metric_approximate_number_of_messages_visible(
                period=ERRORS_PERIOD, statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.dead_letters.add_alarm_action(notify)
        self.history_unavailable: cloudwatch.Alarm | None = None
        if history:
            # The engine counts every provider it swept without its history (table unreachable, throttled, or an
            # item corrupt): the sweep went on statelessly, so alerts could not say what changed.
            self.history_unavailable = cloudwatch.Alarm(
                self,
                "HistoryUnavailable",
                alarm_name=names.history_unavailable,
                alarm_description=(
                    "A sweep ran without its history table for at least one provider (unreachable, throttled, or an "
                    "item unreadable): it went on statelessly. Read the function's log group for the provider and why."
                ),
                metric=sweep_metric(METRIC_HISTORY_UNAVAILABLE, "Sum", interval),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.history_unavailable.add_alarm_action(notify)

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        """Every alarm built here, for the dashboard's status widget."""
        alarms = [self.errors, self.dead_man, self.dead_letters]
        return [*alarms, self.history_unavailable] if self.history_unavailable else alarms
