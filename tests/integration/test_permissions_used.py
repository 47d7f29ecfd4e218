"""The IAM actions a sweep really calls, recorded from the function's own clients against the emulated account,
equal the actions its adapters declare (and infra grants): a call nobody declared, or a declaration no path
calls, fails here. Each scenario switches every single-account feature on; together they drive every path whose
calls differ (a stale list written, a provider read without tags, a Security Hub finding imported and one read
back, a Config rule invocation)."""

from __future__ import annotations

from typing import Any

from sandbox.aws_calls import CallRecorder
from sandbox.environment import Sandbox
from sandbox.faults import FaultProxy
from thumbprint_remediator.contract.names import ENV_DRY_RUN, ENV_FINDING_EVENTS, ENV_HISTORY_TABLE, ENV_SECURITY_HUB
from thumbprint_remediator.contract.permissions import Feature, declared_actions

SINGLE_ACCOUNT: tuple[Feature, ...] = (
    "sweep",
    "alerts",
    "history",
    "finding_events",
    "security_hub",
    "config_rule",
    "posture",
)
SCHEDULED = '{"messageType": "ScheduledNotification", "notificationCreationTime": "2026-12-01T10:00:00.000Z"}'


def _config_event() -> dict[str, Any]:
    return {
        "version": "1.0",
        "invokingEvent": SCHEDULED,
        "ruleParameters": "{}",
        "resultToken": "result-token-1",
        "eventLeftScope": False,
        "configRuleName": "oidc-provider-thumbprints",
        "accountId": "123456789012",
    }


def test_what_sweeps_call_is_exactly_what_the_adapters_declare(
    sandbox: Sandbox, history_table: str, security_hub: Any, aws_calls: CallRecorder
) -> None:
    # Given every single-account feature on, a stale provider (written), one whose CA nobody trusts (a finding
    # that stays), and a healthy one
    everything = {
        ENV_HISTORY_TABLE: history_table,
        ENV_FINDING_EVENTS: "true",
        ENV_SECURITY_HUB: "true",
    }
    stale = sandbox.add_provider("healthy", pinned="stale", tags={"team": "platform"})
    sandbox.add_provider("untrusted_root", pinned="stale")
    sandbox.add_provider("healthy")

    # When the schedule sweeps twice (the second reads back the finding the first imported; in the first, IAM
    # answers the stale provider's read without its tags, as older endpoints do), and Config invokes
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.without_tags(stale.arn)
        report = sandbox.invoke(None, everything, AWS_ENDPOINT_URL=proxy.url)
    sandbox.invoke(None, everything)
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.keep("PutEvaluations", {"FailedEvaluations": []})  # moto implements it in its TestMode only
        sandbox.invoke(_config_event(), everything, AWS_ENDPOINT_URL=proxy.url)

    # Then the scenes did what they are for
    assert next(f for f in report["findings"] if f["arn"] == stale.arn)["action"] == "updated"
    assert report["alert"]["sent"] is True
    # And the actions called are the declared ones, both ways
    called, declared = aws_calls.actions(), declared_actions(SINGLE_ACCOUNT)
    assert called - declared == set(), "called without a declaration (so without a grant)"
    assert declared - called == set(), "declared (so granted) but called by no sweep"
    assert {call.action for call in aws_calls.calls} - called <= {None}  # only ungated calls need no action


def test_a_dry_run_without_channels_calls_only_the_reads_and_the_alert(
    sandbox: Sandbox, aws_calls: CallRecorder
) -> None:
    # Given a stale provider and a dry-run deployment with every channel off
    sandbox.add_provider("healthy", pinned="stale")

    # When the schedule sweeps
    report = sandbox.invoke(None, {ENV_DRY_RUN: "true", ENV_FINDING_EVENTS: "false"})

    # Then nothing but the reads (the inventory, the roles: posture is on by default) and the alert was called: a
    # dry run writes nothing
    assert report["alert"]["sent"] is True
    reads = set(declared_actions(["sweep", "alerts", "posture"])) - {"iam:UpdateOpenIDConnectProviderThumbprint"}
    assert aws_calls.actions() <= reads
    assert "iam:UpdateOpenIDConnectProviderThumbprint" not in aws_calls.actions()
