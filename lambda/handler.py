"""Lambda entry point: parse the event, run one sweep (or one step of an organization sweep), emit metrics."""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from aws_lambda_powertools import Logger, Metrics, Tracer

from thumbprint_remediator.app.request import (
    AggregateRequest,
    ListAccountsRequest,
    SweepRequest,
    parse_invocation,
    require_providers_in_scope,
)
from thumbprint_remediator.app.runtime import (
    Runtime,
    account_of,
    aggregate_organization,
    build_runtime,
    list_accounts,
    partition_of,
    run_change_check,
    run_config_rule,
    run_sweep,
)
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.aws.cloudtrail import ChangeRequest
from thumbprint_remediator.aws.config_rule import ConfigRuleRequest
from thumbprint_remediator.aws.telemetry import record_channels, record_sweep
from thumbprint_remediator.contract.metrics import METRICS_NAMESPACE
from thumbprint_remediator.contract.names import SERVICE_NAME
from thumbprint_remediator.domain.errors import AlertDeliveryError
from thumbprint_remediator.domain.views import ChangeNotChecked, CompactReport, Report, to_builtins

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)


@cache
def _runtime() -> Runtime:
    """Settings, clients and trust store: once per cold start."""
    return build_runtime(Settings.from_env(), logger)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    invocation = parse_invocation(event)  # invalid payloads fail here, before any AWS call
    if isinstance(invocation, ListAccountsRequest):
        return list_accounts(_runtime(), invocation, context)
    if isinstance(invocation, AggregateRequest):
        return to_builtins(aggregate_organization(_runtime(), invocation, context))
    if isinstance(invocation, ConfigRuleRequest):
        return to_builtins(run_config_rule(_runtime(), invocation, context))
    if isinstance(invocation, SweepRequest):
        # A provider ARN of another account or partition is refused before any AWS call, too.
        require_providers_in_scope(invocation, account=_own_account(context), partition=partition_of(context))
    try:
        if isinstance(invocation, ChangeRequest):
            checked = run_change_check(_runtime(), invocation, context)
            if isinstance(checked, ChangeNotChecked):
                return to_builtins(checked)
            report: Report | CompactReport = checked
        else:
            report = run_sweep(_runtime(), invocation, context)
    except AlertDeliveryError as error:
        # The report the error carries is JSON values (it is logged and quoted): decoded once, for the metrics.
        record_sweep(metrics, msgspec.convert(error.report, Report))
        raise
    record_sweep(metrics, report)
    record_channels(metrics, report)
    return to_builtins(report)  # the one place a sweep's report becomes JSON values


def _own_account(context: Any) -> str | None:
    """The function's account from its ARN (no AWS call); None when the context carries none."""
    return account_of(context) if getattr(context, "invoked_function_arn", None) else None
