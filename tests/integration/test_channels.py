"""The channels through the real handler: moto in server mode for EventBridge (to SQS), Security Hub and IAM;
Config's PutEvaluations (which moto implements only in TestMode) kept by the sandbox's fault proxy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws import ACCOUNT_ID
from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.faults import FaultProxy
from thumbprint_remediator.contract.names import (
    CONFIG_RESOURCE_TYPE,
    ENV_DRY_RUN,
    ENV_FINDING_EVENTS,
    ENV_FUNCTION_ROLE_ARN,
    ENV_SECURITY_HUB,
    FINDING_EVENT_DETAIL_TYPE,
    FINDING_EVENT_SOURCE,
    SKIP_TAG_KEY,
    SUMMARY_EVENT_DETAIL_TYPE,
)
from thumbprint_remediator.contract.permissions import FINDING_EVENT_ACTIONS
from thumbprint_remediator.domain.errors import RequestError

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/OidcThumbprintRemediator-SweepRole"
OUTSIDER = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/PlatformAdmin/alice"  # the fixture's caller
# The "only critical" rule pattern docs/channels.md gives, as it gives it: the test routes with that very text.
_CHANNELS_PAGE = (Path(__file__).resolve().parents[2] / "docs" / "channels.md").read_text(encoding="utf-8")
ONLY_CRITICAL: dict[str, Any] = json.loads(_CHANNELS_PAGE.split("```json\n", 1)[1].split("\n```", 1)[0])


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["arn"] == arn)


@pytest.fixture
def event_queues(sandbox: Sandbox) -> Iterator[dict[str, str]]:
    """Two rules on the emulated default bus: everything the tool sends, and only critical findings."""
    everything = sandbox.account.route_events_to_queue("all-oidc", {"source": [FINDING_EVENT_SOURCE]})
    critical = sandbox.account.route_events_to_queue("critical-oidc", ONLY_CRITICAL)
    yield {"all": everything, "critical": critical}
    sandbox.account.remove_event_route("all-oidc", everything)
    sandbox.account.remove_event_route("critical-oidc", critical)


# --- events for routing ------------------------------------------------------------------------------------------
def test_rules_on_the_default_bus_receive_findings_and_the_summary(
    sandbox: Sandbox, event_queues: dict[str, str]
) -> None:
    # Given a healthy, a stale and an untrusted provider, and rules routing the tool's events to queues
    healthy = sandbox.add_provider("healthy")
    stale = sandbox.add_provider("healthy", pinned="stale")
    untrusted = sandbox.add_provider("untrusted_root", pinned="stale")
    # When the scheduled sweep runs with events on
    report = sandbox.invoke(None, {ENV_FINDING_EVENTS: "true"})
    # Then every finding that needs attention, and the summary, reach the catch-all queue
    received = sandbox.account.receive_events(event_queues["all"])
    findings = [e for e in received if e["detail-type"] == FINDING_EVENT_DETAIL_TYPE]
    summaries = [e for e in received if e["detail-type"] == SUMMARY_EVENT_DETAIL_TYPE]
    assert sorted(e["detail"]["finding"]["arn"] for e in findings) == sorted([stale.arn, untrusted.arn])
    assert all(e["source"] == FINDING_EVENT_SOURCE and e["resources"] for e in findings)
    assert [s["detail"]["sweep_id"] for s in summaries] == [report["sweep_id"]]
    assert summaries[0]["detail"]["summary"]["providers"] == 3
    assert healthy.arn not in {e["detail"]["finding"]["arn"] for e in findings}
    # And the "only critical" rule gets the untrusted provider only
    critical = sandbox.account.receive_events(event_queues["critical"])
    assert [e["detail"]["finding"]["arn"] for e in critical] == [untrusted.arn]
    assert report["channels"]["events"] == {"sent": 3, "failed": 0}


def test_events_off_sends_nothing(sandbox: Sandbox, event_queues: dict[str, str]) -> None:
    sandbox.add_provider("healthy", pinned="stale")
    report = sandbox.invoke(None, {ENV_FINDING_EVENTS: "false"})
    assert sandbox.account.receive_events(event_queues["all"]) == []
    assert "channels" not in report


# --- Security Hub ------------------------------------------------------------------------------------------------
def _our_findings(client: Any, arn: str) -> list[dict[str, Any]]:
    found = client.get_findings(MaxResults=100)["Findings"]
    return [f for f in found if f["Resources"][0]["Id"] == arn]


def test_security_hub_finding_is_created_updated_then_archived_when_fixed(sandbox: Sandbox, security_hub: Any) -> None:
    # Given a stale provider and a dry-run deployment (so the problem stays until fixed by hand)
    provider = sandbox.add_provider("healthy", pinned="stale")
    environment = {ENV_SECURITY_HUB: "true", ENV_DRY_RUN: "true"}
    # When a sweep runs, the problem is one active finding on the provider's ARN
    first = sandbox.invoke(None, environment)
    (created,) = _our_findings(security_hub, provider.arn)
    assert created["RecordState"] == "ACTIVE"
    assert created["FindingProviderFields"]["Severity"]["Label"] in {"MEDIUM", "HIGH"}
    problem = next(p for p in _finding(first, provider.arn)["problems"] if p["status"] != "ok")
    assert created["Remediation"]["Recommendation"]["Text"] == problem["remedy"][:512]
    # When the next sweep runs, the same finding (same Id) is updated, not duplicated
    sandbox.invoke(None, environment)
    (updated,) = _our_findings(security_hub, provider.arn)
    assert updated["Id"] == created["Id"]
    assert updated["CreatedAt"] == created["CreatedAt"]
    assert updated["UpdatedAt"] >= created["UpdatedAt"]
    # When the list is fixed and the next sweep runs, the finding is archived and resolved
    sandbox.account.set_thumbprints(provider.arn, provider.live_thumbprints)
    last = sandbox.invoke(None, environment)
    (archived,) = _our_findings(security_hub, provider.arn)
    assert (archived["Id"], archived["RecordState"]) == (created["Id"], "ARCHIVED")
    assert archived["Workflow"] == {"Status": "RESOLVED"}
    assert last["channels"]["security_hub"] == {"enabled": True, "imported": 0, "archived": 1}


def test_security_hub_not_enabled_is_one_line_in_the_report_not_a_failed_sweep(sandbox: Sandbox) -> None:
    # Given Security Hub switched on in the function but not enabled in the account
    provider = sandbox.add_provider("healthy", pinned="stale")
    # When the sweep runs
    report = sandbox.invoke(None, {ENV_SECURITY_HUB: "true"})
    # Then the sweep did its job and the report says, once, why nothing reached Security Hub
    assert _finding(report, provider.arn)["action"] == "updated"
    outcome = report["channels"]["security_hub"]
    assert outcome["enabled"] is False
    assert "not enabled" in outcome["message"]


# --- AWS Config ------------------------------------------------------------------------------------------------
def _config_event(invoking: str) -> dict[str, Any]:
    return {
        "version": "1.0",
        "invokingEvent": invoking,
        "ruleParameters": "{}",
        "resultToken": "result-token-1",
        "eventLeftScope": False,
        "configRuleName": "oidc-provider-thumbprints",
        "accountId": ACCOUNT_ID,
    }


SCHEDULED = '{"messageType": "ScheduledNotification", "notificationCreationTime": "2026-12-01T10:00:00.000Z"}'


def test_config_rule_evaluates_a_mixed_account_in_dry_run(sandbox: Sandbox) -> None:
    # Given a healthy, a stale and an untrusted provider
    healthy = sandbox.add_provider("healthy")
    stale = sandbox.add_provider("healthy", pinned="stale")
    untrusted = sandbox.add_provider("untrusted_root", pinned="stale")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.keep("PutEvaluations", {"FailedEvaluations": []})
        # When Config's periodic evaluation invokes the function
        outcome = sandbox.invoke(_config_event(SCHEDULED), AWS_ENDPOINT_URL=proxy.url)
        calls = proxy.kept("PutEvaluations")
        updates = proxy.calls_of("UpdateOpenIDConnectProviderThumbprint")
    # Then one PutEvaluations call with the result token judges every provider as the sweep did
    (call,) = calls
    assert isinstance(call, dict)
    assert call["ResultToken"] == "result-token-1"
    verdicts = {e["ComplianceResourceId"]: e for e in call["Evaluations"]}
    assert verdicts[healthy.arn]["ComplianceType"] == "COMPLIANT"
    assert verdicts[stale.arn]["ComplianceType"] == "NON_COMPLIANT"
    assert "stale" in verdicts[stale.arn]["Annotation"]
    assert verdicts[untrusted.arn]["ComplianceType"] == "NON_COMPLIANT"
    assert "untrusted" in verdicts[untrusted.arn]["Annotation"]
    assert all(e["ComplianceResourceType"] == CONFIG_RESOURCE_TYPE for e in call["Evaluations"])
    assert all(len(e["Annotation"]) <= 256 for e in call["Evaluations"])
    # And the Config path wrote nothing and alerted no one
    assert updates == []
    assert sandbox.thumbprints(stale) == list(stale.pinned)
    assert sandbox.alerts() == []
    assert outcome["failed_evaluations"] == 0


def test_config_change_notification_for_a_deleted_provider_is_not_applicable(sandbox: Sandbox) -> None:
    arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/gone.example"
    invoking = (
        '{"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": "2026-12-01T10:00:00Z",'
        f' "configurationItem": {{"resourceType": "AWS::IAM::OIDCProvider", "resourceId": "{arn}", "ARN": "{arn}",'
        ' "configurationItemStatus": "ResourceDeleted", "configurationItemCaptureTime": "2026-12-01T09:59:00Z"}}'
    )
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.keep("PutEvaluations", {"FailedEvaluations": []})
        sandbox.invoke(_config_event(invoking), AWS_ENDPOINT_URL=proxy.url)
        (call,) = proxy.kept("PutEvaluations")
    assert isinstance(call, dict)
    assert [(e["ComplianceResourceId"], e["ComplianceType"]) for e in call["Evaluations"]] == [(arn, "NOT_APPLICABLE")]


# --- the immediate check -----------------------------------------------------------------------------------------
def test_an_outside_update_to_a_stale_list_is_alerted_naming_the_principal(
    sandbox: Sandbox, change_event: Callable[..., dict[str, Any]]
) -> None:
    # Given a healthy provider, and someone else replacing its list with a stale one through the IAM API
    provider = sandbox.add_provider("healthy")
    stale = [stale_thumbprint("outside")]
    sandbox.account.set_thumbprints(provider.arn, stale)
    event = change_event("UpdateOpenIDConnectProviderThumbprint", provider.arn)
    event["detail"]["requestParameters"]["thumbprintList"] = stale
    # When CloudTrail's event reaches the function
    report = sandbox.invoke(event, {ENV_FUNCTION_ROLE_ARN: ROLE_ARN})
    # Then that one provider is checked and repaired, and the alert names who changed it
    assert [f["arn"] for f in report["findings"]] == [provider.arn]
    finding = report["findings"][0]
    assert finding["action"] == "updated"
    assert set(provider.live_thumbprints) <= set(sandbox.thumbprints(provider))  # merged, as every sweep does
    assert report["change"]["outside_tool"] is True
    (alert,) = sandbox.alerts()
    assert OUTSIDER in alert.body
    assert "Changed outside the tool" in alert.body


def test_the_tools_own_update_does_not_trigger_a_check(
    sandbox: Sandbox, change_event: Callable[..., dict[str, Any]]
) -> None:
    # Given a provider, and the CloudTrail event of an update made by the function's own role
    provider = sandbox.add_provider("healthy", pinned="stale")
    event = change_event("UpdateOpenIDConnectProviderThumbprint", provider.arn, ROLE_ARN)
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        # When it reaches the function
        report = sandbox.invoke(event, {ENV_FUNCTION_ROLE_ARN: ROLE_ARN}, AWS_ENDPOINT_URL=proxy.url)
        iam_calls = [call.action for call in proxy.calls]
    # Then nothing is read, probed, written or alerted: no loop
    assert report["checked"] is False
    assert report["change"]["by_tool"] is True
    assert iam_calls == []
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    assert sandbox.alerts() == []


def test_a_tag_change_by_someone_else_is_a_change_outside_the_tool_and_is_told(
    sandbox: Sandbox, change_event: Callable[..., dict[str, Any]]
) -> None:
    # Given a healthy provider that someone else tags to be skipped
    provider = sandbox.add_provider("healthy", tags={SKIP_TAG_KEY: "true"})
    # When the immediate check runs on the TagOpenIDConnectProvider event
    report = sandbox.invoke(change_event("TagOpenIDConnectProvider", provider.arn))
    # Then it is a change made outside the tool, named in an alert with who did it
    (finding,) = report["findings"]
    assert (finding["status"], report["change"]["outside_tool"]) == ("skipped", True)
    outside = next(p for p in finding["problems"] if p["code"] == "changed_outside_tool")
    assert "TagOpenIDConnectProvider" in outside["message"]
    assert "no longer writes it" in outside["message"]
    (alert,) = sandbox.alerts()
    assert "TagOpenIDConnectProvider" in alert.body


def test_a_provider_deleted_since_the_event_is_a_clean_finding(
    sandbox: Sandbox, change_event: Callable[..., dict[str, Any]]
) -> None:
    arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/deleted.example"
    report = sandbox.invoke(change_event("CreateOpenIDConnectProvider", arn))
    (finding,) = report["findings"]
    assert (finding["arn"], finding["status"], finding["action"]) == (arn, "ok", "none")
    assert sandbox.alerts() == []


def test_a_foreign_event_is_refused_and_changes_nothing(
    sandbox: Sandbox, change_event: Callable[..., dict[str, Any]]
) -> None:
    provider = sandbox.add_provider("healthy", pinned="stale")
    event = {**change_event("UpdateOpenIDConnectProviderThumbprint", provider.arn), "source": "aws.s3"}
    with pytest.raises(RequestError, match="unsupported event"):
        sandbox.invoke(event)
    assert sandbox.thumbprints(provider) == list(provider.pinned)
    assert sandbox.alerts() == []


def test_a_refused_channel_is_recorded_and_the_sweep_still_succeeds(sandbox: Sandbox) -> None:
    # Given EventBridge refusing the function's PutEvents (an SCP, say)
    provider = sandbox.add_provider("healthy", pinned="stale")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.deny("PutEvents", "explicit deny in a service control policy")
        # When the sweep runs with events on
        report = sandbox.invoke(None, {ENV_FINDING_EVENTS: "true"}, AWS_ENDPOINT_URL=proxy.url)
    # Then the provider is repaired and alerted as usual, and the report says what the channel answered
    assert _finding(report, provider.arn)["action"] == "updated"
    assert report["alert"]["sent"] is True
    assert "AccessDenied" in report["channels"]["events"]["error"]


def test_the_event_channel_calls_only_what_its_adapter_declares(sandbox: Sandbox) -> None:
    # Given a sweep with events on, every AWS call seen by the proxy
    sandbox.add_provider("healthy", pinned="stale")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        sandbox.invoke(None, {ENV_FINDING_EVENTS: "true"}, AWS_ENDPOINT_URL=proxy.url)
        json_calls = {call.action for call in proxy.calls if call.body}
    # Then the JSON-protocol calls (EventBridge) are exactly the adapter's declared actions
    assert json_calls == {action.split(":", 1)[1] for action in FINDING_EVENT_ACTIONS}
