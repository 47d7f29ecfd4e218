"""The channels beyond the e-mail, run on a finished report: events for routing, Security Hub findings; and the
immediate check of one changed provider and the Config rule's evaluation, both built on the one sweep.

A channel that fails is recorded in the report's `channels` and logged; it never fails the sweep (the e-mail alert
keeps its own, stricter rule).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Final, TypeVar

import boto3
import msgspec
from msgspec import UNSET, UnsetType

from thumbprint_remediator.app.ports import Log
from thumbprint_remediator.app.remember import remember_told
from thumbprint_remediator.app.request import SweepRequest, provider_key
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.app.sweep import Sweeper, Swept, utc_now
from thumbprint_remediator.app.tell import Delivery, tell
from thumbprint_remediator.aws.clients import CallWindow, Clients
from thumbprint_remediator.aws.cloudtrail import ChangeRequest
from thumbprint_remediator.aws.config_rule import ConfigEvaluations, ConfigRuleRequest, evaluations
from thumbprint_remediator.aws.finding_events import FindingEvents
from thumbprint_remediator.aws.security_hub import HubTarget, SecurityHubFindings
from thumbprint_remediator.contract.names import SKIP_TAG_KEY
from thumbprint_remediator.domain.errors import ChannelError, OutOfTimeError
from thumbprint_remediator.domain.impact import OUTSIDE_CHANGE_CODE
from thumbprint_remediator.domain.report import Finding, build_report, finished, problem_view, sanitized
from thumbprint_remediator.domain.rules import Problem
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import (
    ChangeNotChecked,
    ChannelsOutcome,
    ConfigRuleOutcome,
    EventsOutcome,
    FindingView,
    Report,
    SecurityHubOutcome,
    to_builtins,
)
from thumbprint_remediator.report.alerts import AlertContext, render_alert

# IAM calls that change a provider's tags: by someone else, a change made outside the tool whatever the status
# (a skip tag stops the tool's writes, so it must never arrive silently).
TAG_EVENTS: Final = frozenset({"TagOpenIDConnectProvider", "UntagOpenIDConnectProvider"})


@dataclass(frozen=True)
class Channels:
    """The adapters of the enabled channels, built once per cold start (None: switched off)."""

    events: FindingEvents | None
    security_hub: SecurityHubFindings | None
    config: ConfigEvaluations
    log: Log
    clock: Callable[[], datetime] = utc_now
    # Every channel call is admitted by it: set to the invocation's end before the channels run.
    window: CallWindow = field(default_factory=CallWindow)


def channel_client(session: boto3.Session, service: str, window: CallWindow) -> Any:
    """Every channel's client, bounded like the others (timeouts and retries from the client factory), and
    each of its calls admitted by `window`."""
    return Clients(session).client(service, "read", window)


def build_channels(settings: Settings, log: Log, session: boto3.Session) -> Channels:
    window = CallWindow()
    return Channels(
        events=FindingEvents(channel_client(session, "events", window)) if settings.finding_events else None,
        security_hub=(
            SecurityHubFindings(channel_client(session, "securityhub", window)) if settings.security_hub else None
        ),
        config=ConfigEvaluations(channel_client(session, "config", window)),
        log=log,
        window=window,
    )


def publish(
    channels: Channels,
    report: Report,
    target: HubTarget,
    covered: Collection[str] | None,
    end: float | None = None,
) -> Report:
    """Send the report to every enabled channel, no call past `end` (a time.monotonic() value); the report
    with each outcome in its `channels`."""
    channels.window.until(end)
    tree = to_builtins(report)
    events, hub = channels.events, channels.security_hub
    sent: EventsOutcome | UnsetType = UNSET
    hub_outcome: SecurityHubOutcome | UnsetType = UNSET
    if events is not None:
        sent = _attempt(channels, "events", lambda: events.publish(tree), EventsOutcome)
    if hub is not None:
        hub_outcome = _attempt(
            channels, "security_hub", lambda: hub.publish(report, target, covered, channels.clock()), SecurityHubOutcome
        )
        if hub_outcome.enabled is False and isinstance(hub_outcome.message, str):
            channels.log.warning(hub_outcome.message, extra={"sweep_id": report.sweep_id})
    if events is None and hub is None:
        return report
    return finished(report, channels=ChannelsOutcome(events=sent, security_hub=hub_outcome))


OutcomeT = TypeVar("OutcomeT", EventsOutcome, SecurityHubOutcome)


def _attempt(channels: Channels, name: str, send: Callable[[], OutcomeT], failed: Callable[..., OutcomeT]) -> OutcomeT:
    try:
        return send()
    except (ChannelError, OutOfTimeError) as error:
        channels.log.error("channel delivery failed", extra={"channel": name, "error": str(error)})
        return failed(error=str(error))


# --- the immediate check ---------------------------------------------------------------------------------------
def check_change(
    sweeper: Sweeper,
    change: ChangeRequest,
    *,
    account: str | None,
    deadline: float | None,
    links: AlertContext | None = None,
) -> Report | ChangeNotChecked:
    """Sweep the one provider a CloudTrail event names, unless the event needs no check (the tool's own change,
    a refused call). A change by anyone else that leaves the list stale or unverified is named in the alert, whose
    reader `links` sends further."""
    settings, log = sweeper.settings, sweeper.log
    by_tool = change.made_by(settings.function_role_arn)
    summary = change.view(by_tool=by_tool)
    reason = None
    if by_tool:
        reason = "made by this tool's own role: no check, so no loop"
    elif change.error_code is not None:
        reason = f"the call failed ({change.error_code}): nothing changed"
    if reason is not None:
        log.info("change event needs no check", extra={"change": to_builtins(summary), "reason": reason})
        return sanitized(ChangeNotChecked(change=summary, reason=reason))

    if provider_key(change.provider_arn) not in {provider_key(arn) for arn in sweeper.inventory.list_arns()}:
        swept = Swept(_deleted_report(change, account, sweeper.settings.dry_run, sweeper.clock()))
    else:
        request = SweepRequest(source="change", providers=(change.provider_arn,), notify="never")
        swept = sweeper.sweep(request, account=account, deadline=deadline)
    findings = []
    for finding in swept.report.findings:
        outside = _outside_change(change, finding)
        if outside is not None:
            findings.append(msgspec.structs.replace(finding, problems=[*finding.problems, problem_view(outside)]))
            summary = msgspec.structs.replace(summary, outside_tool=True)
        else:
            findings.append(finding)
    swept = replace(swept, report=finished(swept.report, findings=findings, change=summary, checked=True))
    if summary.outside_tool:
        log.warning("provider changed outside the tool", extra={"change": to_builtins(summary)})
    # One delivery step, as for every sweep: a change by someone else is always worth telling.
    delivery = Delivery(
        sweeper.publisher, log, settings.notify_on, partial(render_alert, context=links), "change check"
    )
    told = tell(swept.report, swept.receipts, delivery, worth_telling=summary.outside_tool)
    return remember_told(swept.report, told, sweeper.history, log, settings.max_workers)


def _outside_change(change: ChangeRequest, finding: FindingView) -> Problem | None:
    """The problem that names a change someone else made, or None when the provider was deleted since. A tag
    change is always named (a skip tag stops the tool's writes); a thumbprint or client-ID change is named with
    the state it left: stale, unverified, or verified but changed behind the tool's back."""
    if finding.action_reason and finding.action_reason.startswith("deleted since"):
        return None
    status = finding.status
    when = f" at {change.event_time}" if change.event_time else ""
    who = f"{change.event_name} by {change.principal.describe()}{when}"
    repaired = " The tool has since repaired it." if finding.action is Action.UPDATED else ""
    if change.event_name in TAG_EVENTS:
        held = (
            " It is now tagged to be skipped: the tool watches it but no longer writes it."
            if (finding.action_reason or "").startswith("not written: tagged")
            else ""
        )
        message = f"Changed outside the tool: {who} changed the provider's tags.{held}"
    elif status.unverified_after_change:
        state = "stale" if status is Status.STALE else "unverified"
        message = f"Changed outside the tool: {who} left the thumbprint list {state}.{repaired}"
    else:
        message = f"Changed outside the tool: {who}; the provider still verifies.{repaired}"
    return Problem(
        code=OUTSIDE_CHANGE_CODE,
        # A note unless the change left the provider in a state that is itself a problem.
        status=status if status.unverified_after_change else Status.OK,
        message=message,
        remedy=(
            "Ask the principal named here why the provider was changed; leave thumbprint lists to this tool, "
            f"or tag the provider {SKIP_TAG_KEY}=true if it is managed elsewhere"
        ),
    )


def _deleted_report(change: ChangeRequest, account: str | None, dry_run: bool, now: datetime) -> Report:
    """The provider was deleted since the event: nothing to check, a clean finding."""
    finding = Finding(
        arn=change.provider_arn,
        url=change.provider_arn.split(":oidc-provider/", 1)[-1],
        status=Status.OK,
        action_reason=f"deleted since {change.event_name}: nothing to check",
    )
    return build_report(
        account=account,
        dry_run=dry_run,
        started_at=now,
        duration_ms=0,
        findings=[finding],
        sweep_id=uuid.uuid4().hex[:12],
    )


# --- the Config rule ---------------------------------------------------------------------------------------------
def evaluate_for_config(
    sweeper: Sweeper,
    channels: Channels,
    request: ConfigRuleRequest,
    *,
    account: str | None,
    deadline: float | None,
    end: float | None = None,
) -> ConfigRuleOutcome:
    """Assess in dry-run (the Config path never writes nor alerts) and report the evaluations to Config, no call
    past `end` (a time.monotonic() value)."""
    report = None
    if not request.not_applicable:
        providers = None if request.provider_arn is None else (request.provider_arn,)
        if providers is not None and provider_key(providers[0]) not in {
            provider_key(arn) for arn in sweeper.inventory.list_arns()
        }:
            request = replace(request, not_applicable=True)
        else:
            sweep = SweepRequest(source="config", providers=providers, dry_run=True, notify="never")
            # Observed and remembered, never told: its news waits for the next alert that is delivered.
            report = sweeper.sweep(sweep, account=account, deadline=deadline).report
    ids = {request.provider_arn: request.resource_id} if request.provider_arn and request.resource_id else None
    results = evaluations(report, request, ids)
    channels.window.until(end)
    failed = channels.config.put(request.result_token, results)
    return ConfigRuleOutcome(
        config_rule=request.rule_name,
        evaluations=[
            {key: str(value) for key, value in item.items() if key != "OrderingTimestamp"} for item in results
        ],
        failed_evaluations=failed,
        summary=UNSET if report is None else report.summary,
        sweep_id=UNSET if report is None else report.sweep_id,
    )
