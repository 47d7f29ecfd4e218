"""Every problem told: nothing but a delivered alert uses up news. Through the real handler, on moto in server mode,
with a DynamoDB history table, NOTIFY_ON=changes and real TLS issuers on 127.0.0.1.

Each test lets a sweep that tells nobody (AWS Config, a manual dry run, the workstation CLI, a failed publish) see
the news first, and checks that the next scheduled sweep still e-mails it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from sandbox.aws import Alert
from sandbox.environment import Sandbox, applied_environment, stale_thumbprint
from sandbox.faults import FaultProxy
from sandbox.matrix.silence import CONFIG_EVENT
from thumbprint_remediator.cli.main import main as cli_main
from thumbprint_remediator.contract.deadlines import TIME_BUDGET_EXHAUSTED
from thumbprint_remediator.contract.names import (
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_NOTIFY_ON,
    ENV_TOPIC_ARN,
    SKIP_TAG_KEY,
)
from thumbprint_remediator.domain.errors import AlertDeliveryError


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(finding for finding in report["findings"] if finding["arn"] == arn)


def _history(table: str, **more: str) -> dict[str, str]:
    return {ENV_HISTORY_TABLE: table, ENV_NOTIFY_ON: "changes", **more}


def _scheduled(sandbox: Sandbox, table: str) -> dict[str, Any]:
    return sandbox.invoke(None, _history(table))


def _one_alert(sandbox: Sandbox) -> Alert:
    alerts = sandbox.alerts()
    assert len(alerts) == 1, [alert.subject for alert in alerts]
    return alerts[0]


def _config_sweep(sandbox: Sandbox, table: str) -> None:
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.keep("PutEvaluations", {"FailedEvaluations": []})
        sandbox.invoke(CONFIG_EVENT, _history(table), AWS_ENDPOINT_URL=proxy.url)


def _manual_quiet_dry_run(sandbox: Sandbox, table: str) -> None:
    report = sandbox.invoke({"dry_run": True, "notify": "never"}, _history(table))
    assert report["alert"]["sent"] is False


def _cli_dry_run(sandbox: Sandbox, table: str) -> None:
    environment = {**sandbox.account.environment(), **sandbox.trust_environment}
    bundle = sandbox.trust_environment.get(ENV_EXTRA_CA_BUNDLE)
    with applied_environment(environment):
        arguments = ["sweep", "--history-table", table, "--json", *(["--extra-ca-bundle", bundle] if bundle else [])]
        assert cli_main(arguments) in (0, 1)


QUIET_SWEEPS: dict[str, Callable[[Sandbox, str], None]] = {
    "config_rule": _config_sweep,
    "manual_dry_run_notify_never": _manual_quiet_dry_run,
    "cli_dry_run": _cli_dry_run,
}


@pytest.mark.parametrize("quiet", sorted(QUIET_SWEEPS))
def test_a_sweep_that_tells_nobody_leaves_drift_and_interception_for_the_next_alert(
    sandbox: Sandbox, history_table: str, quiet: str
) -> None:
    # Given two healthy providers the tool has seen once (nothing to tell)
    drifted = sandbox.add_provider("healthy")
    intercepted = sandbox.add_provider("healthy")
    assert _scheduled(sandbox, history_table)["alert"]["sent"] is False
    # When someone adds a pin to one, the other starts presenting an intercepting chain,
    outsider = stale_thumbprint("outsider")
    sandbox.account.set_thumbprints(drifted.arn, [*drifted.pinned, outsider])
    sandbox.fleet.present(intercepted.issuer, sandbox.pki.chain("private"))
    # and a sweep that tells nobody sees it first
    QUIET_SWEEPS[quiet](sandbox, history_table)
    assert sandbox.alerts() == []
    # Then the next scheduled sweep still e-mails both
    report = _scheduled(sandbox, history_table)
    assert report["alert"]["sent"] is True
    alert = _one_alert(sandbox)
    assert outsider in alert.body
    assert "drift" in alert.body
    assert intercepted.url in alert.body
    assert "interception_suspected" in [p["code"] for p in _finding(report, intercepted.arn)["problems"]]
    untold = _finding(report, drifted.arn)["history"]["untold"]
    assert [change["kind"] for change in untold] == ["drift"]
    # And once told, the sweep after that has nothing new to say
    assert _scheduled(sandbox, history_table)["alert"]["sent"] is False
    assert sandbox.alerts() == []


def test_a_problem_only_a_quiet_sweep_saw_is_told_by_the_sweep_that_finds_it_gone(
    sandbox: Sandbox, history_table: str
) -> None:
    # Given two providers the tool has seen; an AWS Config evaluation (it tells nobody) saw one intercepted
    intercepted = sandbox.add_provider("healthy")
    drifted = sandbox.add_provider("healthy")
    assert _scheduled(sandbox, history_table)["alert"]["sent"] is False
    sandbox.fleet.present(intercepted.issuer, sandbox.pki.chain("private"))
    _config_sweep(sandbox, history_table)
    # When the interception has ended by the next scheduled sweep, whose alert is due for the other's drift
    sandbox.fleet.present(intercepted.issuer, sandbox.pki.chain("public"))
    outsider = stale_thumbprint("outsider")
    sandbox.account.set_thumbprints(drifted.arn, [*drifted.pinned, outsider])
    report = _scheduled(sandbox, history_table)
    # Then that alert names the problem nobody was told of, as a change, before its told-mark empties the outbox
    finding = _finding(report, intercepted.arn)
    changes = finding["history"]["since_last_sweep"]
    assert {change["kind"] for change in changes} == {"problem_came_and_went"}
    assert any(change["detail"].startswith("interception_suspected seen from ") for change in changes)
    assert report["alert"]["sent"] is True
    text = _one_alert(sandbox).body.split("Full report (JSON)", 1)[0]
    block = text[text.index(f"] {intercepted.url}") :].split("\n\n", 1)[0]
    assert "interception_suspected seen from" in block
    assert "(problem_came_and_went)" in block
    # And once told, the sweep after that has nothing new to say
    assert _scheduled(sandbox, history_table)["alert"]["sent"] is False


@pytest.mark.parametrize("quiet", sorted(QUIET_SWEEPS))
def test_a_dry_run_that_would_update_remembers_no_write_and_the_next_sweep_no_drift(
    sandbox: Sandbox, history_table: str, quiet: str
) -> None:
    # Given a stale provider that sweeps telling nobody (dry runs) saw twice: each would update it
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    QUIET_SWEEPS[quiet](sandbox, history_table)
    QUIET_SWEEPS[quiet](sandbox, history_table)
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    # When a scheduled sweep writes it
    report = _scheduled(sandbox, history_table)
    finding = _finding(report, provider.arn)
    assert finding["action"] == "updated"
    # Then history tells the one write that happened: no write the dry runs only proposed, no drift
    assert [change["kind"] for change in finding["history"]["since_last_sweep"]] == ["pins_added"]
    assert "untold" not in finding["history"]
    assert "changed outside the tool" not in _one_alert(sandbox).body


def test_the_config_annotation_names_the_drift_it_found(sandbox: Sandbox, history_table: str) -> None:
    provider = sandbox.add_provider("healthy")
    _scheduled(sandbox, history_table)
    outsider = stale_thumbprint("outsider")
    sandbox.account.set_thumbprints(provider.arn, [*provider.pinned, outsider])
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.keep("PutEvaluations", {"FailedEvaluations": []})
        sandbox.invoke(CONFIG_EVENT, _history(history_table), AWS_ENDPOINT_URL=proxy.url)
        (call,) = proxy.kept("PutEvaluations")
    assert isinstance(call, dict)
    (evaluation,) = call["Evaluations"]
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "drift" in evaluation["Annotation"]
    assert outsider in evaluation["Annotation"]


def test_a_failed_alert_is_told_again_by_the_retry(sandbox: Sandbox, history_table: str) -> None:
    # Given a new problem (certificates expiring in 10 days) and a topic SNS refuses
    provider = sandbox.add_provider("expiring_soon")
    missing_topic = sandbox.topic_arn + "-missing"
    # When the sweep cannot deliver its alert, the invocation fails visibly
    with pytest.raises(AlertDeliveryError):
        sandbox.invoke(None, _history(history_table, **{ENV_TOPIC_ARN: missing_topic}))
    assert sandbox.alerts() == []
    # Then Lambda's retry of the same event tells it
    report = _scheduled(sandbox, history_table)
    assert report["alert"]["sent"] is True
    assert "certificate_expiring" in _finding(report, provider.arn)["history"]["news"]
    assert provider.url in _one_alert(sandbox).body
    # And only once: the sweep after that is quiet
    assert _scheduled(sandbox, history_table)["alert"]["sent"] is False


def test_a_write_whose_alert_failed_is_told_by_the_next_sweep(sandbox: Sandbox, history_table: str) -> None:
    # Given a stale provider the tool fixes in a sweep whose alert SNS refuses
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    with pytest.raises(AlertDeliveryError) as raised:
        sandbox.invoke(None, _history(history_table, **{ENV_TOPIC_ARN: sandbox.topic_arn + "-missing"}))
    assert _finding(raised.value.report, provider.arn)["action"] == "updated"
    # When the next sweep finds nothing left to fix
    report = _scheduled(sandbox, history_table)
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("ok", "none")
    # Then it still tells the write nobody was told of
    assert report["alert"]["sent"] is True
    assert "pins_added" in [change["kind"] for change in finding["history"]["untold"]]
    assert provider.live_thumbprints[0] in _one_alert(sandbox).body


def test_a_foreign_skip_tag_and_pin_cannot_silence_a_provider(sandbox: Sandbox, history_table: str) -> None:
    # Given a healthy provider the tool has seen
    provider = sandbox.add_provider("healthy")
    assert _scheduled(sandbox, history_table)["alert"]["sent"] is False
    # When someone else tags it to be skipped and replaces its pins with a foreign one
    foreign = stale_thumbprint("foreign")
    sandbox.account.iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=provider.arn, Tags=[{"Key": SKIP_TAG_KEY, "Value": "true"}]
    )
    sandbox.account.set_thumbprints(provider.arn, [foreign])
    report = _scheduled(sandbox, history_table)
    # Then the sweep still watches it: stale, drift and the new skip tag are told, and nothing is written
    finding = _finding(report, provider.arn)
    assert (finding["status"], finding["action"]) == ("stale", "none")
    kinds = [change["kind"] for change in finding["history"]["since_last_sweep"]]
    assert {"drift", "skip_tag_added"} <= set(kinds)
    assert report["alert"]["sent"] is True
    body = _one_alert(sandbox).body
    assert foreign in body
    assert "skip" in body
    assert sandbox.thumbprints(provider) == [foreign]
    # And the skip tag is news once, not at every sweep
    again = _finding(_scheduled(sandbox, history_table), provider.arn)
    assert again["history"]["since_last_sweep"] == []


def test_the_alert_states_the_nearest_expiry_date(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("expiring_soon")
    report = sandbox.invoke(None)
    expiry = _finding(report, provider.arn)["nearest_expiry"]
    when = datetime.fromisoformat(expiry["not_after"])
    body = _one_alert(sandbox).body
    line = next(line for line in body.splitlines() if "Nearest expiry:" in line)
    assert f"Nearest expiry: {when:%Y-%m-%d %H:%M} UTC ({expiry['days_left']} days)" in line
    assert "chars]" not in line


def test_a_provider_that_could_not_be_read_has_unknown_thumbprints_not_an_empty_list(sandbox: Sandbox) -> None:
    # Given a provider IAM refuses to describe
    provider = sandbox.add_provider("healthy")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.deny("GetOpenIDConnectProvider", "not allowed")
        report = sandbox.invoke(None, AWS_ENDPOINT_URL=proxy.url)
    # Then the report says unknown (null), never "IAM holds nothing"
    finding = _finding(report, provider.arn)
    assert finding["status"] == "error"
    assert (finding["thumbprints_before"], finding["thumbprints_after"]) == (None, None)
    body = _one_alert(sandbox).body
    block = body[body.index(provider.url) :]
    assert re.search(r"Thumbprints: unknown", block)
    assert "(none)" not in block.split("\n\n", 1)[0]


def test_a_provider_left_out_of_time_has_unknown_thumbprints(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")
    report = sandbox.invoke(None, timeout_seconds=15 + 4)  # less than the handler's reserves: nothing is probed
    finding = _finding(report, provider.arn)
    assert [p["code"] for p in finding["problems"]] == [TIME_BUDGET_EXHAUSTED]
    assert (finding["thumbprints_before"], finding["thumbprints_after"]) == (None, None)


def test_an_organization_sweep_tells_a_members_drift_once_its_alert_is_delivered(
    sandbox: Sandbox, history_table: str
) -> None:
    # Given a provider swept as the organization sweeps an account: compact, telling nobody
    provider = sandbox.add_provider("healthy")
    member = {"notify": "never", "report": "compact"}
    sandbox.invoke(member, _history(history_table))
    # When someone adds a pin, and the next member sweep sees it
    outsider = stale_thumbprint("outsider")
    sandbox.account.set_thumbprints(provider.arn, [*provider.pinned, outsider])
    compact = sandbox.invoke(member, _history(history_table))
    (finding,) = compact["findings"]
    assert any(change.startswith("drift: ") and outsider in change for change in finding["changes"])
    assert finding["told_mark"]["version"] >= 2
    # Then an organization alert that could not be delivered leaves it untold...
    results = [{"account_id": "123456789012", "name": "prod", "report": compact}]
    with pytest.raises(AlertDeliveryError):
        sandbox.invoke(
            {"aggregate": {"results": results}},
            _history(history_table, **{ENV_TOPIC_ARN: sandbox.topic_arn + "-missing"}),
        )
    again = sandbox.invoke(member, _history(history_table))
    assert any(outsider in change for change in again["findings"][0]["changes"])
    # ...and the delivered one carries it and uses it up
    results = [{"account_id": "123456789012", "name": "prod", "report": again}]
    organization = sandbox.invoke({"aggregate": {"results": results}}, _history(history_table))
    assert organization["alert"]["sent"] is True
    assert outsider in _one_alert(sandbox).body
    quiet = sandbox.invoke(member, _history(history_table))
    assert quiet["findings"] == []
