"""Names the function and the stack share: environment variables, the service, tags, ARN patterns, events and
the history table's schema. Defined once; `infra/` reads them."""

from __future__ import annotations

from typing import Final

# Environment variables the function reads (app/settings.py); the table of settings is contract/settings.py.
ENV_TOPIC_ARN: Final = "TOPIC_ARN"
ENV_DRY_RUN: Final = "DRY_RUN"
ENV_EXPIRY_WARNING_DAYS: Final = "EXPIRY_WARNING_DAYS"
ENV_EXTRA_CA_BUNDLE: Final = "EXTRA_CA_BUNDLE"
ENV_NOTIFY_ON: Final = "NOTIFY_ON"
ENV_CONNECT_TIMEOUT: Final = "CONNECT_TIMEOUT_SECONDS"
ENV_READ_TIMEOUT: Final = "READ_TIMEOUT_SECONDS"
ENV_HOST_BUDGET: Final = "HOST_BUDGET_SECONDS"
ENV_MAX_WORKERS: Final = "MAX_WORKERS"
# Channels beyond the e-mail: each switched by its own variable.
ENV_FINDING_EVENTS: Final = "FINDING_EVENTS"
ENV_SECURITY_HUB: Final = "SECURITY_HUB"
ENV_POSTURE: Final = "POSTURE"
# The function's own role: CloudTrail events whose session was issued by it are the tool's own changes.
ENV_FUNCTION_ROLE_ARN: Final = "FUNCTION_ROLE_ARN"
# Backend sampling: addresses (A and AAAA) captured per endpoint, and extra handshakes per address.
ENV_SAMPLE_ADDRESSES: Final = "SAMPLE_ADDRESSES"
ENV_SAMPLES_PER_ADDRESS: Final = "SAMPLES_PER_ADDRESS"
# History: the DynamoDB table that remembers what each provider presented (unset: stateless), and its windows.
ENV_HISTORY_TABLE: Final = "HISTORY_TABLE"
ENV_PRUNE_AFTER_DAYS: Final = "PRUNE_AFTER_DAYS"
ENV_REMEMBER_CHAINS_DAYS: Final = "REMEMBER_CHAINS_DAYS"
# Where the alert sends its reader: the stack, its dashboard and the function's log group (all set by the stack).
ENV_STACK_NAME: Final = "STACK_NAME"
ENV_DASHBOARD_NAME: Final = "DASHBOARD_NAME"
ENV_LOG_GROUP_NAME: Final = "LOG_GROUP_NAME"

# Powertools variables the stack sets; read by Powertools itself, not by our settings.
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
SERVICE_NAME: Final = "oidc-thumbprint-remediator"

# `changes` (with a history table): what changed, new problems, and reminders of standing ones; without a table it
# is `problems`.
NOTIFY_CHOICES: Final = ("always", "changes", "problems", "never")
# What a sweep returns: the whole report, or only what needs attention (an organization sweep's per-account result).
REPORT_CHOICES: Final = ("full", "compact")

# The handler, as the Lambda runtime names it (module.function, relative to the asset root).
HANDLER: Final = "handler.lambda_handler"

# Tag that excludes a provider from sweeps: key with value "true".
SKIP_TAG_KEY: Final = "oidc-thumbprint-remediator:skip"
# Tag (value "true") declaring that a provider's issuer uses a private CA: the sweep then follows a
# rotation to a chain trusted through EXTRA_CA_BUNDLE even when none of the old pins can be tied to it.
PRIVATE_CA_TAG_KEY: Final = "oidc-thumbprint-remediator:private-ca"

# The resource pattern for OIDC_PROVIDER_ACTIONS; format with partition and account.
OIDC_PROVIDER_ARN_PATTERN: Final = "arn:{partition}:iam::{account}:oidc-provider/*"

# Organization mode. The central function assumes the member role (deployed by a StackSet in every member
# account, holding OIDC_PROVIDER_ACTIONS and ACCOUNT_LEVEL_ACTIONS only) and lists the organization's accounts
# (ASSUME_ROLE_ACTIONS and ORGANIZATION_READ_ACTIONS, declared by accounts.py).
MEMBER_ROLE_ARN_PATTERN: Final = "arn:{partition}:iam::{account}:role/{role_name}"
DEFAULT_MEMBER_ROLE_NAME: Final = "OidcThumbprintRemediatorMember"
# The session name the member account's CloudTrail shows for every call of a sweep.
MEMBER_ROLE_SESSION_NAME: Final = "oidc-thumbprint-sweep"

# --- Channels. Each adapter declares its actions beside itself (see Permissions below). ---
# The immediate check: the IAM API calls on OIDC providers whose CloudTrail events start a one-provider sweep.
CHANGE_EVENT_NAMES: Final = (
    "CreateOpenIDConnectProvider",
    "UpdateOpenIDConnectProviderThumbprint",
    "AddClientIDToOpenIDConnectProvider",
    "RemoveClientIDFromOpenIDConnectProvider",
    "TagOpenIDConnectProvider",
    "UntagOpenIDConnectProvider",
)
CLOUDTRAIL_DETAIL_TYPE: Final = "AWS API Call via CloudTrail"
CHANGE_EVENT_SOURCE: Final = "aws.iam"
# IAM is global: its CloudTrail events reach EventBridge in this region only.
IAM_EVENTS_REGION: Final = "us-east-1"
# Events for routing, on the default bus.
FINDING_EVENT_SOURCE: Final = SERVICE_NAME
FINDING_EVENT_DETAIL_TYPE: Final = "OIDC Provider Finding"
SUMMARY_EVENT_DETAIL_TYPE: Final = "OIDC Sweep Summary"
# The product ARN a customer's own findings are imported under; format with partition, region and account.
SECURITY_HUB_PRODUCT_ARN_PATTERN: Final = "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
# The history table's key schema (both strings) and its TTL attribute (epoch seconds): anyone can create a
# compatible table for a workstation run.
HISTORY_PARTITION_KEY: Final = "pk"
HISTORY_SORT_KEY: Final = "sk"
HISTORY_TTL_ATTRIBUTE: Final = "expires_at"
CONFIG_RESOURCE_TYPE: Final = "AWS::IAM::OIDCProvider"
