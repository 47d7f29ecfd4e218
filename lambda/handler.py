"""Lambda entry point: parse the event, sweep, emit metrics, return the report."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from thumbprint_remediator import contract
from thumbprint_remediator.errors import AlertDeliveryError
from thumbprint_remediator.request import parse_event
from thumbprint_remediator.runtime import build_sweeper, run
from thumbprint_remediator.settings import Settings
from thumbprint_remediator.sweep import Sweeper
from thumbprint_remediator.telemetry import record_sweep

logger = Logger(service=contract.SERVICE_NAME)
metrics = Metrics(namespace=contract.METRICS_NAMESPACE, service=contract.SERVICE_NAME)
tracer = Tracer(service=contract.SERVICE_NAME)


@cache
def _sweeper() -> Sweeper:
    """Settings, clients and trust store: once per cold start."""
    return build_sweeper(Settings.from_env(), logger)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    request = parse_event(event)  # invalid payloads fail here, before any AWS call
    try:
        report = run(_sweeper(), request, context)
    except AlertDeliveryError as error:
        record_sweep(metrics, error.report)
        raise
    record_sweep(metrics, report)
    return report
