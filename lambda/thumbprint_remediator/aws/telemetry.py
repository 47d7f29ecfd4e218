"""CloudWatch metrics (EMF) from a sweep report. Names come from the contract the dashboard reads."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from msgspec import UNSET, UnsetType

from thumbprint_remediator.contract.deadlines import TIME_BUDGET_EXHAUSTED
from thumbprint_remediator.contract.metrics import (
    METRIC_CHANGES_OUTSIDE_TOOL,
    METRIC_CHANNEL_FAILED,
    METRIC_HISTORY_UNAVAILABLE,
    METRIC_MIN_DAYS_TO_EXPIRY,
    METRIC_PROVIDERS_BLOCKED,
    METRIC_PROVIDERS_CHANGED,
    METRIC_PROVIDERS_CHECKED,
    METRIC_PROVIDERS_DRIFTED,
    METRIC_PROVIDERS_EXPIRING,
    METRIC_PROVIDERS_FAILED,
    METRIC_PROVIDERS_STALE,
    METRIC_PROVIDERS_UNREACHABLE,
    METRIC_PROVIDERS_UPDATED,
    METRIC_SECURITY_HUB_NOT_ENABLED,
    METRIC_SWEEP_COMPLETED,
)
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import (
    ChannelsOutcome,
    CompactReport,
    CompactSummary,
    Report,
    Summary,
)

_COUNTS: tuple[tuple[str, Status | Action], ...] = (
    (METRIC_PROVIDERS_STALE, Status.STALE),
    (METRIC_PROVIDERS_UPDATED, Action.UPDATED),
    (METRIC_PROVIDERS_BLOCKED, Action.BLOCKED),
    (METRIC_PROVIDERS_UNREACHABLE, Status.UNREACHABLE),
    (METRIC_PROVIDERS_EXPIRING, Status.EXPIRING),
)
# ProvidersFailed: a provider with a failed status (every critical one) or a failed write. A provider has
# one status and one action, and a failed write needs a status that does not block it: nothing counts twice.
_FAILED: tuple[Status | Action, ...] = (
    *(status for status in Status if status.failed),
    *(action for action in Action if action.failed),
)


def record_sweep(metrics: Metrics, report: Report | CompactReport) -> None:
    summary = report.summary
    # Every provider is checked, a skip-tagged one too (skip stops writes, not watching).
    metrics.add_metric(name=METRIC_PROVIDERS_CHECKED, unit=MetricUnit.Count, value=summary.providers)
    for name, counted in _COUNTS:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=_count(summary, counted))
    failed = sum(_count(summary, label) for label in _FAILED)
    metrics.add_metric(name=METRIC_PROVIDERS_FAILED, unit=MetricUnit.Count, value=failed)
    if isinstance(summary.min_days_to_expiry, int):
        metrics.add_metric(name=METRIC_MIN_DAYS_TO_EXPIRY, unit=MetricUnit.Count, value=summary.min_days_to_expiry)
    metrics.add_metric(name=METRIC_SWEEP_COMPLETED, unit=MetricUnit.Count, value=sweep_completed(report))
    history = report.history
    if history.enabled:
        for name, count in (
            (METRIC_HISTORY_UNAVAILABLE, history.unavailable),
            (METRIC_PROVIDERS_CHANGED, history.changed),
            (METRIC_PROVIDERS_DRIFTED, history.drifted),
        ):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count or 0)


def _count(summary: Summary | CompactSummary, label: Status | Action) -> int:
    """The summary's count of a status or an action: each is a field named by its value (0 where a compact
    summary leaves it out)."""
    count = getattr(summary, label.value)
    return count if isinstance(count, int) else 0


def sweep_completed(report: Report | CompactReport) -> int:
    """1 when every provider was swept; 0 when the time budget left one out, so that a function whose timeout
    is too short never feeds the dead-man alarm a completed sweep."""
    out_of_time = any(
        # A full report's problems are objects; a compact one's are their codes.
        (problem if isinstance(problem, str) else problem.code) == TIME_BUDGET_EXHAUSTED
        for finding in report.findings
        for problem in finding.problems
    )
    return 0 if out_of_time else 1


def record_channels(metrics: Metrics, report: Report | CompactReport) -> None:
    """Channel outcomes: failed deliveries, Security Hub not enabled, changes made outside the tool."""
    channels = report.channels
    if isinstance(channels, UnsetType):
        channels = ChannelsOutcome()
    outcomes = [outcome for outcome in (channels.events, channels.security_hub) if not isinstance(outcome, UnsetType)]
    failed = sum(1 for outcome in outcomes if not isinstance(outcome.error, UnsetType) or outcome.failed)
    if outcomes:
        metrics.add_metric(name=METRIC_CHANNEL_FAILED, unit=MetricUnit.Count, value=failed)
    if not isinstance(channels.security_hub, UnsetType) and channels.security_hub.enabled is False:
        metrics.add_metric(name=METRIC_SECURITY_HUB_NOT_ENABLED, unit=MetricUnit.Count, value=1)
    change = report.change if isinstance(report, Report) else UNSET
    if not isinstance(change, UnsetType) and change.outside_tool:
        metrics.add_metric(name=METRIC_CHANGES_OUTSIDE_TOOL, unit=MetricUnit.Count, value=1)
