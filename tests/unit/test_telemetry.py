"""The sweep's metrics: ProvidersFailed counts what the alert calls failed, once per provider."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from aws_lambda_powertools import Metrics

from tests.unit.builders import NOW
from thumbprint_remediator.aws.telemetry import record_sweep
from thumbprint_remediator.domain.report import build_report
from thumbprint_remediator.domain.views import Summary


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    # Powertools shares one metric set between instances: start and end empty.
    recorder = Metrics(namespace="Test", service="test")
    recorder.clear_metrics()
    yield recorder
    recorder.clear_metrics()


def test_providers_failed_counts_critical_statuses_and_failed_writes(metrics: Metrics) -> None:
    # Given one provider of each critical status, a stale and an expiring one, and two whose write failed
    summary = Summary(
        providers=11,
        error=1,
        unreachable=1,
        expired=1,
        untrusted=1,
        invalid_discovery=1,
        stale=3,
        expiring=1,
        ok=1,
        skipped=1,
        updated=1,
        would_update=0,
        blocked=5,
        update_failed=1,
        update_unknown=1,
        min_days_to_expiry=0,
    )
    # When the sweep is recorded
    empty = build_report(
        account="123456789012", dry_run=False, started_at=NOW, duration_ms=0, findings=[], sweep_id="s"
    )
    record_sweep(metrics, msgspec.structs.replace(empty, summary=summary))
    # Then the five critical statuses and the two failed writes are failed; a blocked write is its status's
    values = {name: entry["Value"] for name, entry in metrics.metric_set.items()}
    assert values["ProvidersFailed"] == [7.0]
    assert values["ProvidersChecked"] == [11.0]  # a skip-tagged provider is checked too (never written)
    assert values["MinDaysToExpiry"] == [0.0]
