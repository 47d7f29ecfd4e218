"""CloudWatch metric names (EMF) the function emits and the stack graphs and alarms on."""

from __future__ import annotations

from typing import Final

# Powertools' namespace for every metric the function emits (POWERTOOLS_METRICS_NAMESPACE).
METRICS_NAMESPACE: Final = "OidcThumbprintRemediator"

# CloudWatch metrics (EMF, namespace METRICS_NAMESPACE, no dimensions besides `service`).
METRIC_PROVIDERS_CHECKED: Final = "ProvidersChecked"
METRIC_PROVIDERS_STALE: Final = "ProvidersStale"
METRIC_PROVIDERS_UPDATED: Final = "ProvidersUpdated"
METRIC_PROVIDERS_BLOCKED: Final = "ProvidersBlocked"
METRIC_PROVIDERS_UNREACHABLE: Final = "ProvidersUnreachable"
METRIC_PROVIDERS_EXPIRING: Final = "ProvidersExpiring"
METRIC_PROVIDERS_FAILED: Final = "ProvidersFailed"
METRIC_MIN_DAYS_TO_EXPIRY: Final = "MinDaysToExpiry"
METRIC_SWEEP_COMPLETED: Final = "SweepCompleted"
# A channel (events, Security Hub, Config) that could not take a sweep's results; SecurityHubNotEnabled on its own.
METRIC_CHANNEL_FAILED: Final = "ChannelDeliveryFailed"
METRIC_SECURITY_HUB_NOT_ENABLED: Final = "SecurityHubNotEnabled"
METRIC_CHANGES_OUTSIDE_TOOL: Final = "ChangesOutsideTool"
# History: sweeps (or providers) that ran without it, providers whose chains or pins changed, and drift (a list
# changed by someone other than the tool).
METRIC_HISTORY_UNAVAILABLE: Final = "HistoryUnavailable"
METRIC_PROVIDERS_CHANGED: Final = "ProvidersChanged"
METRIC_PROVIDERS_DRIFTED: Final = "ProvidersDrifted"

DASHBOARD_METRICS: Final = (
    METRIC_PROVIDERS_CHECKED,
    METRIC_PROVIDERS_STALE,
    METRIC_PROVIDERS_UPDATED,
    METRIC_PROVIDERS_BLOCKED,
    METRIC_PROVIDERS_UNREACHABLE,
    METRIC_MIN_DAYS_TO_EXPIRY,
)
# Powertools Metrics adds this dimension (value SERVICE_NAME) to every metric it emits.
METRIC_SERVICE_DIMENSION: Final = "service"
