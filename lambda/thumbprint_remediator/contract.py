"""The contract shared by the Lambda code and the CDK app.

Environment variable names, the IAM actions the function needs, metric names and the skip tag are
defined here once. `infra/` imports this module (and only this module) from the Lambda code, so it
must stay free of heavy imports.
"""

from __future__ import annotations

from typing import Final

# Environment variables the function reads (see settings.Settings.from_env).
ENV_TOPIC_ARN: Final = "TOPIC_ARN"
ENV_DRY_RUN: Final = "DRY_RUN"
ENV_EXPIRY_WARNING_DAYS: Final = "EXPIRY_WARNING_DAYS"
ENV_EXTRA_CA_BUNDLE: Final = "EXTRA_CA_BUNDLE"
ENV_NOTIFY_ON: Final = "NOTIFY_ON"
ENV_CONNECT_TIMEOUT: Final = "CONNECT_TIMEOUT_SECONDS"
ENV_READ_TIMEOUT: Final = "READ_TIMEOUT_SECONDS"
ENV_HOST_BUDGET: Final = "HOST_BUDGET_SECONDS"
ENV_MAX_WORKERS: Final = "MAX_WORKERS"
# Backend sampling: addresses (A and AAAA) captured per endpoint, and extra handshakes per address.
ENV_SAMPLE_ADDRESSES: Final = "SAMPLE_ADDRESSES"
ENV_SAMPLES_PER_ADDRESS: Final = "SAMPLES_PER_ADDRESS"

SETTINGS_ENV_NAMES: Final = (
    ENV_TOPIC_ARN,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_NOTIFY_ON,
    ENV_CONNECT_TIMEOUT,
    ENV_READ_TIMEOUT,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_SAMPLE_ADDRESSES,
    ENV_SAMPLES_PER_ADDRESS,
)

# Powertools variables the stack sets; read by Powertools itself, not by our settings.
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
SERVICE_NAME: Final = "oidc-thumbprint-remediator"
METRICS_NAMESPACE: Final = "OidcThumbprintRemediator"

NOTIFY_CHOICES: Final = ("always", "problems", "never")
# What a sweep returns: the whole report, or only what needs attention (an organization sweep's per-account result).
REPORT_CHOICES: Final = ("full", "compact")

# The handler, as the Lambda runtime names it (module.function, relative to the asset root).
HANDLER: Final = "handler.lambda_handler"

# Tag that excludes a provider from sweeps: key with value "true".
SKIP_TAG_KEY: Final = "oidc-thumbprint-remediator:skip"
# Tag (value "true") declaring that a provider's issuer uses a private CA: the sweep then follows a
# rotation to a chain trusted through EXTRA_CA_BUNDLE even when none of the old pins can be tied to it.
PRIVATE_CA_TAG_KEY: Final = "oidc-thumbprint-remediator:private-ca"

# IAM actions the sweep calls on OIDC providers; granted on oidc-provider/* only.
OIDC_PROVIDER_ACTIONS: Final = (
    "iam:GetOpenIDConnectProvider",
    "iam:ListOpenIDConnectProviderTags",
    "iam:UpdateOpenIDConnectProviderThumbprint",
)
# Listing cannot be scoped to a resource in IAM: it needs Resource "*".
ACCOUNT_LEVEL_ACTIONS: Final = ("iam:ListOpenIDConnectProviders",)
# Publishing alerts, granted on the alerts topic only.
ALERT_ACTIONS: Final = ("sns:Publish",)
# The resource pattern for OIDC_PROVIDER_ACTIONS; format with partition and account.
OIDC_PROVIDER_ARN_PATTERN: Final = "arn:{partition}:iam::{account}:oidc-provider/*"

# Organization mode. The central function assumes the member role (deployed by a StackSet in every member
# account, holding OIDC_PROVIDER_ACTIONS and ACCOUNT_LEVEL_ACTIONS only) and lists the organization's accounts.
ASSUME_ROLE_ACTIONS: Final = ("sts:AssumeRole",)
# Listing accounts and OUs cannot be scoped to a resource in Organizations: they need Resource "*".
ORGANIZATION_READ_ACTIONS: Final = (
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
)
MEMBER_ROLE_ARN_PATTERN: Final = "arn:{partition}:iam::{account}:role/{role_name}"
DEFAULT_MEMBER_ROLE_NAME: Final = "OidcThumbprintRemediatorMember"
# The session name the member account's CloudTrail shows for every call of a sweep.
MEMBER_ROLE_SESSION_NAME: Final = "oidc-thumbprint-sweep"

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
