"""History through the real handler, on moto's DynamoDB in server mode: what changed, drift, continuity,
pruning, remembered chains, and a table that fails in every way the sweep must survive."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.environment import Sandbox, applied_environment, stale_thumbprint
from sandbox.faults import FaultProxy, FaultRule
from thumbprint_remediator.aws.clients import Clients
from thumbprint_remediator.aws.history import HistoryTable, partition_key
from thumbprint_remediator.cli.main import main as cli_main
from thumbprint_remediator.contract.metrics import METRIC_HISTORY_UNAVAILABLE
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_HISTORY_TABLE,
    ENV_NOTIFY_ON,
    HISTORY_PARTITION_KEY,
    HISTORY_SORT_KEY,
)
from thumbprint_remediator.domain.errors import HistoryUnavailable
from thumbprint_remediator.domain.memory import HistoryRecord, PinSeen


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(finding for finding in report["findings"] if finding["arn"] == arn)


def _kinds(finding: dict[str, Any]) -> list[str]:
    return [change["kind"] for change in finding["history"]["since_last_sweep"]]


def _sweep(sandbox: Sandbox, table: str, **overrides: str) -> dict[str, Any]:
    return sandbox.invoke(None, {ENV_HISTORY_TABLE: table, ENV_NOTIFY_ON: "changes", **overrides})


def _table(sandbox: Sandbox, name: str) -> HistoryTable:
    return HistoryTable(name, sandbox.account.client("dynamodb"))


def test_a_second_identical_sweep_sends_no_email_under_changes(sandbox: Sandbox, history_table: str) -> None:
    # Given a provider with a standing problem (its certificates expire in 10 days)
    provider = sandbox.add_provider("expiring_soon")
    first = _sweep(sandbox, history_table)
    assert first["alert"]["sent"] is True  # a new problem is news
    sandbox.alerts()
    # When the same sweep runs again
    second = _sweep(sandbox, history_table)
    # Then nothing changed, no e-mail went out, and the finding says why
    finding = _finding(second, provider.arn)
    assert finding["status"] == "expiring"
    assert finding["history"]["since_last_sweep"] == []
    assert finding["history"]["news"] is None
    assert second["alert"]["sent"] is False
    assert sandbox.alerts() == []
    # ...while `problems` would have repeated it
    assert _sweep(sandbox, history_table, **{ENV_NOTIFY_ON: "problems"})["alert"]["sent"] is True


def test_an_intermediate_rotation_shows_as_a_change(sandbox: Sandbox, history_table: str) -> None:
    provider = sandbox.add_provider("healthy")
    _sweep(sandbox, history_table)
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("rotated"))
    report = _sweep(sandbox, history_table)
    finding = _finding(report, provider.arn)
    assert "rotated_intermediate" in _kinds(finding)
    assert finding["action"] == "updated"
    assert report["alert"]["sent"] is True
    assert report["history"]["changed"] == 1


def test_drift_made_behind_the_tools_back_is_reported(sandbox: Sandbox, history_table: str) -> None:
    # Given a healthy provider the tool has seen once
    provider = sandbox.add_provider("healthy")
    _sweep(sandbox, history_table)
    sandbox.alerts()
    # When someone adds a thumbprint with the IAM API
    outsider = stale_thumbprint("outsider")
    sandbox.account.set_thumbprints(provider.arn, [*provider.pinned, outsider])
    report = _sweep(sandbox, history_table)
    # Then the next sweep reports drift naming it, and mails it
    finding = _finding(report, provider.arn)
    assert finding["history"]["drift"] is True
    drift = next(change for change in finding["history"]["since_last_sweep"] if change["kind"] == "drift")
    assert outsider in drift["detail"]
    assert report["history"]["drifted"] == 1
    assert report["alert"]["sent"] is True
    # And a sweep after that, with the list left alone, reports none
    assert _finding(_sweep(sandbox, history_table), provider.arn)["history"]["drift"] is False


def test_a_private_rotation_under_the_same_bundle_root_is_followed_without_the_tag(
    sandbox: Sandbox, history_table: str
) -> None:
    # Given a private-CA provider (no tag) whose pinned intermediate history saw verify through the bundle root
    provider = sandbox.add_provider("private_ca")
    assert _finding(_sweep(sandbox, history_table), provider.arn)["status"] == "ok"
    # When its issuer rotates to another intermediate under the same root
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("private_rotated"))
    stateless = sandbox.invoke(None, {ENV_DRY_RUN: "true"})
    report = _sweep(sandbox, history_table)
    # Then without history it looks like interception, with history it is a rotation and is updated
    assert _finding(stateless, provider.arn)["action"] == "blocked"
    finding = _finding(report, provider.arn)
    assert finding["action"] == "updated", finding
    assert any("history shows" in problem["message"] for problem in finding["problems"])
    assert sandbox.pki.chain("private_rotated").top_thumbprint in sandbox.thumbprints(provider)


def test_a_public_pinned_provider_intercepted_through_the_bundle_stays_blocked(
    sandbox: Sandbox, history_table: str
) -> None:
    provider = sandbox.add_provider("healthy")
    _sweep(sandbox, history_table)
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("private"))
    finding = _finding(_sweep(sandbox, history_table), provider.arn)
    assert finding["action"] == "blocked"
    assert "interception_suspected" in [problem["code"] for problem in finding["problems"]]
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def _seed(sandbox: Sandbox, table: str, arn: str, pins: dict[str, datetime | None], now: datetime) -> None:
    record = HistoryRecord(
        arn=arn,
        first_seen=now - timedelta(days=365),
        last_seen=now - timedelta(days=1),
        sweeps=40,
        pins_seen=tuple(pins),
        pins=tuple(PinSeen(pin, when, 30) for pin, when in pins.items()),
    )
    _table(sandbox, table).save(record, None)


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_an_entry_unseen_for_the_window_is_pruned_and_a_seen_one_is_not(
    sandbox: Sandbox, history_table: str, dry_run: bool
) -> None:
    # Given a stale provider whose record says one pin was last presented 120 days ago, another 10 days ago
    dead, recent = stale_thumbprint("dead"), stale_thumbprint("recent")
    provider = sandbox.add_provider("healthy", pinned=[dead, recent])
    now = datetime.now(UTC)
    _seed(
        sandbox, history_table, provider.arn, {dead: now - timedelta(days=120), recent: now - timedelta(days=10)}, now
    )
    # When the sweep writes the live thumbprint
    report = _sweep(sandbox, history_table, **{ENV_DRY_RUN: "true" if dry_run else "false"})
    history = _finding(report, provider.arn)["history"]
    # Then the dead pin goes (or would), the recently presented one stays
    if dry_run:
        assert history["would_prune"] == [dead]
        assert "pruned" not in history
        assert sandbox.thumbprints(provider) == [dead, recent]
    else:
        assert history["pruned"] == [dead]
        assert "would_prune" not in history
        assert sandbox.thumbprints(provider) == [*provider.live_thumbprints, recent]


def test_the_alternate_chain_of_a_two_chain_host_stays_pinned_across_sweeps_that_each_see_one(
    sandbox: Sandbox, history_table: str
) -> None:
    # Given a host presenting the public chain, pinned with four other entries (IAM's limit is five)
    public = sandbox.pki.chain("public").top_thumbprint
    rotated = sandbox.pki.chain("rotated").top_thumbprint
    fillers = [stale_thumbprint(f"filler-{index}") for index in range(4)]
    provider = sandbox.add_provider("healthy", pinned=[*fillers, public])
    _sweep(sandbox, history_table)
    # When the next sweep sees only its other chain and must write
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("rotated"))
    _sweep(sandbox, history_table)
    # Then the chain it did not see today stays pinned (a filler went instead)
    after = sandbox.thumbprints(provider)
    assert rotated in after
    assert public in after
    assert len(after) == 5
    # And a sweep that sees the first chain again finds nothing to do
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("public"))
    assert _finding(_sweep(sandbox, history_table), provider.arn)["action"] == "none"


def test_without_a_table_the_sweep_is_stateless_and_says_so(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")
    report = sandbox.invoke(None)
    assert report["history"]["enabled"] is False
    assert "history" not in _finding(report, provider.arn)


def _assert_unavailable(report: dict[str, Any], arn: str, reason: str) -> None:
    finding = _finding(report, arn)
    assert finding["history"]["state"] == "unavailable"
    assert reason in finding["history"]["reason"]
    assert finding["history"]["reason"].startswith("history unavailable for this provider")
    assert report["history"]["unavailable"] >= 1


def test_a_table_deleted_mid_run_leaves_a_completed_sweep_that_says_so(sandbox: Sandbox, history_table: str) -> None:
    provider = sandbox.add_provider("healthy", pinned="stale")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        # The table disappears after the record was read and before it is written
        proxy.before("PutItem", lambda _: sandbox.account.delete_history_table(history_table))
        report = _sweep(sandbox, history_table, AWS_ENDPOINT_URL=proxy.url)
    assert _finding(report, provider.arn)["action"] == "updated"
    _assert_unavailable(report, provider.arn, "ResourceNotFoundException")
    # The record was read, so the comparisons stand beside the reason it was not saved
    assert _finding(report, provider.arn)["history"].keys() == {
        "state",
        "reason",
        "first_sweep",
        "since_last_sweep",
        "drift",
        "news",
        "placeholder_pins",
        "pruned",
        "prune_pending",
    }
    # And the e-mail says so
    (alert,) = sandbox.alerts()
    assert "history unavailable for this provider" in alert.body


def test_a_throttled_table_leaves_a_completed_sweep_that_says_so(
    sandbox: Sandbox, history_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = sandbox.add_provider("healthy")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.add(FaultRule("GetItem", "ProvisionedThroughputExceededException", 400, "Rate of requests exceeds"))
        capsys.readouterr()
        report = _sweep(sandbox, history_table, AWS_ENDPOINT_URL=proxy.url)
    assert _finding(report, provider.arn)["status"] == "ok"
    _assert_unavailable(report, provider.arn, "ProvisionedThroughputExceededException")
    # Nothing was read, so nothing is compared: the reason and the placeholder pins only
    assert _finding(report, provider.arn)["history"].keys() == {"state", "reason", "placeholder_pins"}
    # The metric the alarm watches counts it (EMF on the function's stdout)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [entry.get(METRIC_HISTORY_UNAVAILABLE) for entry in metrics if "SweepCompleted" in entry] == [[1.0]]
    # A healthy provider is no news even so: the metric and its alarm watch the table, not the e-mail
    assert report["alert"]["sent"] is False


@pytest.mark.parametrize(
    ("stored", "reason"),
    [("{not json", "corrupt history item"), (json.dumps({"arn": "x" * 70_000}), "exceeds")],
    ids=["corrupt", "oversized"],
)
def test_a_corrupt_or_oversized_item_leaves_a_completed_sweep_that_says_so(
    sandbox: Sandbox, history_table: str, stored: str, reason: str
) -> None:
    provider = sandbox.add_provider("healthy")
    sandbox.account.client("dynamodb").put_item(
        TableName=history_table,
        Item={
            HISTORY_PARTITION_KEY: {"S": partition_key(provider.arn)},
            HISTORY_SORT_KEY: {"S": "state"},
            "version": {"N": "1"},
            "record": {"S": stored},
        },
    )
    report = _sweep(sandbox, history_table)
    assert _finding(report, provider.arn)["status"] == "ok"
    _assert_unavailable(report, provider.arn, reason)
    # And the damaged item is replaced, so that the next sweep has history again
    assert "replaced by a fresh record" in _finding(report, provider.arn)["history"]["reason"]
    assert _finding(_sweep(sandbox, history_table), provider.arn)["history"]["state"] == "on"


def test_a_write_from_an_overlapping_sweep_loses_its_condition_and_changes_nothing(
    sandbox: Sandbox, history_table: str
) -> None:
    # Given a record at version 1, read by two sweeps
    table = HistoryTable(history_table, Clients(_session(sandbox)).client("dynamodb"))
    now = datetime.now(UTC)
    record = HistoryRecord(arn="arn:aws:iam::123456789012:oidc-provider/x", first_seen=now, last_seen=now)
    assert table.save(record, None) == 1
    # When one writes version 2 and the other writes on top of version 1
    assert table.save(record, 1) == 2
    with pytest.raises(HistoryUnavailable, match="conditional check lost"):
        table.save(record, 1)
    with pytest.raises(HistoryUnavailable, match="conditional check lost"):
        table.save(record, None)
    # Then the stored record is the first writer's
    loaded = table.load(record.arn)
    assert loaded is not None
    assert loaded.version == 2


def _session(sandbox: Sandbox) -> Any:
    import boto3  # noqa: PLC0415

    from sandbox.aws import CREDENTIALS, REGION  # noqa: PLC0415

    class _Session(boto3.Session):
        def client(self, *args: Any, **kwargs: Any) -> Any:
            # Forwards whatever service the code under test names: no one overload of the stubs fits.
            return super().client(*args, endpoint_url=sandbox.account.endpoint_url, **kwargs)  # type: ignore[call-overload]

    return _Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


def test_the_cli_prints_a_providers_timeline_and_its_records_as_json(
    sandbox: Sandbox, history_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a provider swept twice, rotating in between
    provider = sandbox.add_provider("healthy")
    _sweep(sandbox, history_table)
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("rotated"))
    _sweep(sandbox, history_table)
    capsys.readouterr()
    # When the CLI shows it by URL, as a table and as JSON
    with applied_environment(sandbox.account.environment()):
        assert cli_main(["history", provider.url, "--table", history_table]) == 0
        table = capsys.readouterr().out
        assert cli_main(["history", "--table", history_table, "--json"]) == 0
        records = json.loads(capsys.readouterr().out)
    # Then both chains' tops are in the timeline, and the JSON holds the written pins
    for name in ("public", "rotated"):
        assert sandbox.pki.chain(name).top_thumbprint[:10] in table
    (entry,) = [entry for entry in records if entry["arn"] == provider.arn]
    assert entry["record"]["pins_written"] == sandbox.thumbprints(provider)
