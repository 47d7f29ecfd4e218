"""Deadlines and the IAM write path through the real handler: moto in server mode behind the fault proxy.

moto never raises ConcurrentModification, never serves a stale read and never hangs: the fault proxy
(sandbox/faults.py) does, in front of it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.environment import Sandbox
from sandbox.faults import FaultProxy
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.aws.clients import worst_case_seconds
from thumbprint_remediator.contract.deadlines import (
    ALERT_MAX_ATTEMPTS,
    AWS_READ_TIMEOUT_SECONDS,
    DEFAULT_HOST_BUDGET_SECONDS,
    TIME_BUDGET_EXHAUSTED,
)
from thumbprint_remediator.contract.metrics import METRIC_SWEEP_COMPLETED
from thumbprint_remediator.contract.names import ENV_HOST_BUDGET
from thumbprint_remediator.domain.errors import AlertDeliveryError

UPDATE = "UpdateOpenIDConnectProviderThumbprint"


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.account.endpoint_url) as running:
        yield running


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["arn"] == arn)


def _sweep_completed(output: str) -> list[float]:
    emf = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    return [value for entry in emf for value in entry.get(METRIC_SWEEP_COMPLETED, [])]


def test_a_hung_sns_endpoint_costs_at_most_the_alert_reserve_and_the_report_survives(
    sandbox: Sandbox, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a stale provider and an SNS endpoint that accepts connections but never answers
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    release = threading.Event()
    proxy.before("Publish", lambda _: release.wait(120), times=None)
    outcome: dict[str, Any] = {}

    def invoke() -> None:
        try:
            outcome["report"] = sandbox.invoke(None, AWS_ENDPOINT_URL=proxy.url)
        except AlertDeliveryError as error:
            outcome["error"] = error

    # When the sweep runs
    worker = threading.Thread(target=invoke, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=worst_case_seconds("alert") + 20)
    elapsed = time.monotonic() - started
    release.set()
    # Then the invocation fails visibly within the alert's reserve, carrying and logging the full report
    assert not worker.is_alive(), f"publish still blocked after {elapsed:.0f} s"
    error = outcome["error"]
    assert _finding(error.report, provider.arn)["action"] == "updated"
    assert error.report["alert"]["sent"] is False
    assert any(r.getMessage().startswith("alert delivery failed") for r in caplog.records)
    assert 1 <= len(proxy.calls_of("Publish")) <= ALERT_MAX_ATTEMPTS


def test_a_timeout_too_short_to_probe_is_not_a_completed_sweep(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given the host budget a deployment has by default and a 60 s function (what `-c timeout=60` deployed)
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    report = sandbox.invoke(None, {ENV_HOST_BUDGET: "20"}, timeout_seconds=60)
    # Then nothing was probed, and the metric the dead-man alarm watches says the sweep did not complete
    assert _finding(report, provider.arn)["problems"][0]["code"] == TIME_BUDGET_EXHAUSTED
    assert provider.issuer.connections == 0
    assert _sweep_completed(capsys.readouterr().out) == [0.0]
    assert any(r.getMessage() == "function timeout too short to probe a provider" for r in caplog.records)


def test_the_smallest_accepted_timeout_probes_and_fixes_a_provider(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a function with the shortest timeout synth accepts for the default host budget
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    timeout = Settings(host_budget=DEFAULT_HOST_BUDGET_SECONDS).minimum_timeout_seconds
    # When the sweep runs
    report = sandbox.invoke(None, {ENV_HOST_BUDGET: "20"}, timeout_seconds=timeout)
    # Then the provider was probed and fixed, and the sweep completed
    assert _finding(report, provider.arn)["action"] == "updated"
    assert _sweep_completed(capsys.readouterr().out) == [1.0]


def test_a_slow_update_at_the_deadline_never_lands_after_the_report(sandbox: Sandbox, proxy: FaultProxy) -> None:
    # Given an update that reaches IAM 17 s after it is sent, and a function with 30 s left
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    proxy.before(UPDATE, lambda _: time.sleep(17), times=None)
    report = sandbox.invoke(None, {ENV_HOST_BUDGET: "0.5"}, timeout_seconds=30, AWS_ENDPOINT_URL=proxy.url)
    # When the invocation has returned, and long enough for any write still in flight to land
    at_return = sandbox.thumbprints(provider)
    finding = _finding(report, provider.arn)
    watch_until = time.monotonic() + 20
    while proxy.calls_of(UPDATE) and time.monotonic() < watch_until and sandbox.thumbprints(provider) == at_return:
        time.sleep(0.5)
    # Then IAM still holds what it held at the return, which is what the report says
    assert sandbox.thumbprints(provider) == at_return
    said = finding["thumbprints_after"] if finding["action"] != "none" else list(provider.pinned)
    assert at_return == said


def test_an_update_answered_too_late_is_judged_by_a_fresh_read(sandbox: Sandbox, proxy: FaultProxy) -> None:
    # Given an update IAM applies at once but answers only after the client's read timeout
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    proxy.slow_answer(UPDATE, AWS_READ_TIMEOUT_SECONDS + 2, OpenIDConnectProviderArn=provider.arn)
    # When swept
    report = sandbox.invoke(None, AWS_ENDPOINT_URL=proxy.url)
    # Then it was sent once (no blind retry of a write), and the fresh read shows it landed
    finding = _finding(report, provider.arn)
    assert len(proxy.calls_of(UPDATE)) == 1
    assert finding["action"] == "updated"
    assert "did not arrive" in finding["action_reason"]
    assert finding["thumbprints_after"] == sandbox.thumbprints(provider)


def test_a_concurrent_modification_is_retried_after_a_fresh_read(sandbox: Sandbox, proxy: FaultProxy) -> None:
    # Given IAM refusing the first update as a concurrent modification
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    proxy.concurrent_modification(UPDATE, times=1, OpenIDConnectProviderArn=provider.arn)
    # When swept
    report = sandbox.invoke(None, AWS_ENDPOINT_URL=proxy.url)
    # Then the list was re-read and sent again, and IAM holds the merged list the finding shows
    finding = _finding(report, provider.arn)
    assert finding["action"] == "updated"
    assert [call.fault for call in proxy.calls_of(UPDATE)] == ["ConcurrentModification", None]
    assert len(proxy.calls_of("GetOpenIDConnectProvider")) >= 3  # before, re-read, read-back
    assert finding["thumbprints_after"] == sandbox.thumbprints(provider)
    assert sandbox.thumbprints(provider) == [provider.live_thumbprints[0], *provider.pinned]


def test_a_stale_read_back_is_retried_before_it_is_called_a_failure(sandbox: Sandbox, proxy: FaultProxy) -> None:
    # Given IAM serving the old list on the first two reads after the update (eventual consistency)
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    proxy.stale_read_back(provider.arn, times=2)
    # When swept
    report = sandbox.invoke(None, AWS_ENDPOINT_URL=proxy.url)
    # Then the read-back was retried until it showed the list written
    finding = _finding(report, provider.arn)
    assert finding["action"] == "updated"
    assert len(proxy.calls_of("GetOpenIDConnectProvider")) == 1 + 3
    assert finding["thumbprints_after"] == sandbox.thumbprints(provider)
