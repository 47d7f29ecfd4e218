"""The whole sweep through the real handler: moto in server mode, real TLS issuers, SNS to SQS."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.pki import sha1_thumbprint
from sandbox.report_schema import validate_handler_output
from thumbprint_remediator.contract.metrics import (
    METRIC_PROVIDERS_CHECKED,
    METRIC_PROVIDERS_UPDATED,
    METRIC_SERVICE_DIMENSION,
    METRIC_SWEEP_COMPLETED,
    METRICS_NAMESPACE,
)
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_EXTRA_CA_BUNDLE,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_READ_TIMEOUT,
    ENV_TOPIC_ARN,
    SERVICE_NAME,
    SKIP_TAG_KEY,
)
from thumbprint_remediator.domain.errors import AlertDeliveryError, RequestError


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["arn"] == arn)


def test_healthy_provider_is_ok_untouched_and_not_alerted(sandbox: Sandbox) -> None:
    # Given a provider pinning its live thumbprint
    provider = sandbox.add_provider("healthy")
    # When the scheduled sweep runs
    report = sandbox.invoke(None)
    # Then it is ok, IAM is unchanged and no alert is sent (NOTIFY_ON=problems)
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("ok", "none")
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    assert finding["hosts"][0]["live_thumbprint"] == provider.live_thumbprints[0]
    assert finding["hosts"][0]["trust"] == "public"
    assert report["alert"]["sent"] is False
    assert sandbox.alerts() == []


def test_rotated_ca_is_updated_with_the_merged_list_read_back_from_iam(sandbox: Sandbox) -> None:
    # Given a provider whose issuer rotated to a new intermediate after it was registered
    provider = sandbox.add_provider("healthy")
    sandbox.fleet.rotate(provider.issuer, "rotated")
    new_top = sandbox.pki.chain("rotated").top_thumbprint
    # When the sweep runs
    report = sandbox.invoke(None)
    # Then the new thumbprint leads, the old one is kept, and IAM holds exactly that
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("stale", "updated")
    assert finding["thumbprints_after"] == [new_top, *provider.pinned]
    assert sandbox.thumbprints(provider) == [new_top, *provider.pinned]
    # And the alert SNS delivered says so
    [alert] = sandbox.alerts()
    assert alert.subject == "OIDC thumbprints: 1 updated (123456789012)"
    # as information: the fix is done, nothing is left open to page anyone for
    assert alert.attributes["severity"] == "info"
    assert (alert.attributes["fixed"], alert.attributes["open_critical"]) == ("1", "0")
    assert f"[STALE -> UPDATED] {provider.url}" in alert.body
    assert "DONE, FOR YOUR INFORMATION: 1 fixed by this sweep" in alert.body
    # and the queue received the report itself, schema-valid
    assert alert.report()["findings"][0]["thumbprints_after"] == [new_top, *provider.pinned]
    validate_handler_output(alert.report())
    assert report["summary"]["updated"] == 1


def test_dry_run_reports_would_update_and_changes_nothing(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    report = sandbox.invoke({"dry_run": True})
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("stale", "would_update")
    assert finding["thumbprints_after"][0] == provider.live_thumbprints[0]
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    assert report["dry_run"] is True


def test_dry_run_from_the_environment_is_honoured(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    report = sandbox.invoke(None, {ENV_DRY_RUN: "true"})
    assert _finding(report, provider.arn)["action"] == "would_update"
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def test_untrusted_chain_is_blocked_and_the_list_untouched(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("untrusted_root", pinned="stale")
    report = sandbox.invoke(None)
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("untrusted", "blocked")
    assert "does not verify" in finding["action_reason"]
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    [alert] = sandbox.alerts()
    assert alert.attributes["severity"] == "critical"


def test_private_ca_in_extra_bundle_is_trusted_and_pinned(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("private_ca", pinned="empty")
    report = sandbox.invoke(None)
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("stale", "updated")
    assert finding["hosts"][0]["trust"] == "private"
    assert finding["thumbprint_reliance"] == "required"
    assert sandbox.thumbprints(provider) == list(provider.live_thumbprints)


def test_private_ca_without_extra_bundle_is_blocked(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("private_ca", pinned="stale")
    report = sandbox.invoke(None, {ENV_EXTRA_CA_BUNDLE: ""})
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("untrusted", "blocked")
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def test_separate_jwks_host_gets_both_thumbprints(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("separate_jwks_host", pinned="stale")
    report = sandbox.invoke(None)
    finding = _finding(report, provider.arn)
    assert finding["action"] == "updated"
    assert [host["role"] for host in finding["hosts"]] == ["discovery", "jwks"]
    assert len(set(provider.live_thumbprints)) == 2
    assert sandbox.thumbprints(provider)[:2] == list(provider.live_thumbprints)


def test_five_entries_stay_five_and_no_live_entry_is_dropped(sandbox: Sandbox) -> None:
    # Given a full list: the root the server presents, and four entries matching nothing
    issuer = sandbox.fleet.add("root_sent")
    [presented] = issuer.chains.values()
    intermediate = sha1_thumbprint(presented[1])
    pinned = [stale_thumbprint(f"full-{i}") for i in range(4)] + [intermediate]
    provider = sandbox.register(issuer, pinned=pinned)
    # When swept (the live thumbprint is the root, not pinned yet)
    report = sandbox.invoke(None)
    # Then: live first, the presented intermediate kept, only a non-matching entry dropped
    after = sandbox.thumbprints(provider)
    assert _finding(report, provider.arn)["action"] == "updated"
    assert len(after) == 5
    assert after[:2] == [provider.live_thumbprints[0], intermediate]
    assert after[2:] == pinned[:3]


def test_skip_tag_stops_writes_but_not_watching(sandbox: Sandbox) -> None:
    # Given a stale provider tagged to be skipped, and a healthy one with the same tag
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale", tags={SKIP_TAG_KEY: "true"})
    healthy = sandbox.add_provider("healthy", tags={SKIP_TAG_KEY: "true"})
    report = sandbox.invoke(None)
    # Then the stale one is judged and told like any other, but never written
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("stale", "none")
    assert finding["action_reason"].startswith(f"not written: tagged {SKIP_TAG_KEY}=true")
    assert provider.live_thumbprints[0] in finding["action_reason"]  # what a write would pin
    assert provider.issuer.connections > 0
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    assert report["alert"]["sent"] is True
    # And the healthy one reads as skipped (healthy, left to whoever manages it)
    assert _finding(report, healthy.arn)["status"] == "skipped"
    assert healthy.issuer.connections > 0


def test_manual_payload_sweeps_only_the_named_providers(sandbox: Sandbox) -> None:
    named = sandbox.add_provider("rotated_intermediate", pinned="stale")
    other = sandbox.add_provider("rotated_intermediate", pinned="stale")
    report = sandbox.invoke({"providers": [f"https://{named.url}"], "notify": "never"})
    assert [f["arn"] for f in report["findings"]] == [named.arn]
    assert sandbox.thumbprints(other) == list(other.pinned)
    assert sandbox.alerts() == []


@pytest.mark.parametrize(
    "event",
    [
        {"dry_run": "false"},
        {"providers": ["arn:aws:iam::123456789012:oidc-provider/nope.example"]},
        {"providers": "all"},
        {"unexpected": True},
    ],
)
def test_bad_manual_payload_is_rejected_and_changes_nothing(sandbox: Sandbox, event: dict[str, Any]) -> None:
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    with pytest.raises(RequestError):
        sandbox.invoke(event)
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    assert provider.issuer.connections == 0
    assert sandbox.alerts() == []


def test_sns_failure_logs_and_returns_the_report_and_fails_the_invocation(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a topic that does not exist
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    missing_topic = sandbox.topic_arn + "-missing"
    # When the sweep runs, the invocation fails visibly...
    with pytest.raises(AlertDeliveryError) as raised:
        sandbox.invoke(None, {ENV_TOPIC_ARN: missing_topic})
    # ...carrying the full report, after the fix was applied
    report = raised.value.report
    assert _finding(report, provider.arn)["action"] == "updated"
    assert report["alert"]["sent"] is False
    assert provider.arn in str(raised.value)
    # and the full report was logged
    failure = next(r for r in caplog.records if r.getMessage().startswith("alert delivery failed"))
    logged_report = failure.report  # type: ignore[attr-defined]
    assert _finding(logged_report, provider.arn)["thumbprints_after"] == sandbox.thumbprints(provider)


def test_metrics_are_emitted_in_emf(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox.add_provider("healthy")
    sandbox.add_provider("rotated_intermediate", pinned="stale")
    sandbox.invoke(None)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    sweep = next(entry for entry in emf if METRIC_SWEEP_COMPLETED in entry)
    assert sweep[METRIC_PROVIDERS_CHECKED] == [2.0]
    assert sweep[METRIC_PROVIDERS_UPDATED] == [1.0]
    assert sweep["_aws"]["CloudWatchMetrics"][0]["Namespace"] == METRICS_NAMESPACE
    assert sweep[METRIC_SERVICE_DIMENSION] == SERVICE_NAME


def test_hung_hosts_cost_about_one_host_budget_not_one_each(sandbox: Sandbox) -> None:
    # Given eight hung issuers and a healthy one, probed eight at a time
    hung = [sandbox.add_provider("hung") for _ in range(8)]
    healthy = sandbox.add_provider("healthy")
    started = time.monotonic()
    report = sandbox.invoke(
        None,
        {ENV_HOST_BUDGET: "2", ENV_READ_TIMEOUT: "1", ENV_MAX_WORKERS: "16"},
    )
    elapsed = time.monotonic() - started
    # Then every provider has a finding and the sweep took less than 8 budgets
    assert {f["arn"]: f["status"] for f in report["findings"]} == {
        **{p.arn: "unreachable" for p in hung},
        healthy.arn: "ok",
    }
    # Probed one after another, 8 hung hosts cost at least 8 budgets (16 s) whatever the load; in parallel about
    # one budget, leaving a loaded machine 14 s. The figure itself (about one timeout) is the benchmark's.
    assert elapsed < 8 * 2


def test_time_budget_bounds_the_sweep_and_every_provider_still_has_a_finding(sandbox: Sandbox) -> None:
    # Given more hung providers than workers and a Lambda with little time left
    providers = [sandbox.add_provider("hung") for _ in range(6)]
    started = time.monotonic()
    report = sandbox.invoke(
        None,
        {ENV_HOST_BUDGET: "1.5", ENV_READ_TIMEOUT: "1", ENV_MAX_WORKERS: "1"},
        timeout_seconds=15 + 4,  # less than the reserves the handler keeps (contract/deadlines.py): probing is refused
    )
    elapsed = time.monotonic() - started
    assert len(report["findings"]) == len(providers)
    codes = {f["problems"][0]["code"] for f in report["findings"]}
    assert "time_budget_exhausted" in codes
    # Within the invocation's time, the one bound a Lambda has: probing six hung hosts one at a time would not
    # fit it, and a loaded machine still has its whole margin
    assert elapsed < 15 + 4
    assert threading.active_count() < 50


def test_one_log_line_per_provider_correlated_by_sweep(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    providers = [sandbox.add_provider("healthy"), sandbox.add_provider("rotated_intermediate", pinned="stale")]
    report = sandbox.invoke(None)
    lines = [r for r in caplog.records if r.getMessage() == "provider assessed"]
    assert sorted(r.arn for r in lines) == sorted(p.arn for p in providers)  # type: ignore[attr-defined]
    assert {r.sweep_id for r in lines} == {report["sweep_id"]}  # type: ignore[attr-defined]
    assert {r.status for r in lines} == {"ok", "stale"}  # type: ignore[attr-defined]
