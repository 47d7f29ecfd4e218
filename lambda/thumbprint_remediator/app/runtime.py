"""Wiring: build the adapters once per cold start and run one invocation (a sweep or an organization step)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import boto3
from msgspec import UnsetType

from thumbprint_remediator.app.channels import Channels, build_channels, check_change, evaluate_for_config
from thumbprint_remediator.app.channels import publish as publish_channels
from thumbprint_remediator.app.ports import Log
from thumbprint_remediator.app.remember import remember_told_marks
from thumbprint_remediator.app.request import AggregateRequest, ListAccountsRequest, SweepRequest
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.app.sweep import Sweeper
from thumbprint_remediator.app.tell import Delivery, tell
from thumbprint_remediator.aws.accounts import MemberRoles, OrganizationAccounts
from thumbprint_remediator.aws.clients import Clients
from thumbprint_remediator.aws.cloudtrail import ChangeRequest
from thumbprint_remediator.aws.config_rule import ConfigRuleRequest
from thumbprint_remediator.aws.history import HistoryTable
from thumbprint_remediator.aws.inventory import IamOidcProviders
from thumbprint_remediator.aws.org_store import OrganizationStore
from thumbprint_remediator.aws.publisher import AlertPublisher
from thumbprint_remediator.aws.roles import IamRoles
from thumbprint_remediator.aws.security_hub import HubTarget
from thumbprint_remediator.contract.deadlines import REPORT_SLACK_SECONDS, alert_reserve_seconds, aws_attempt_seconds
from thumbprint_remediator.domain.errors import AccountAccessError, InventoryError
from thumbprint_remediator.domain.memory import Receipt
from thumbprint_remediator.domain.organization import (
    MEMBER_ROLE_REMEDY,
    aggregate,
    map_run_result,
    plan_sweeps,
    told_marks,
    with_missing_accounts,
)
from thumbprint_remediator.domain.report import Finding, build_report, compact_report, finished
from thumbprint_remediator.domain.rules import failed_assessment
from thumbprint_remediator.domain.views import (
    AccountError,
    ChangeNotChecked,
    CompactReport,
    ConfigRuleOutcome,
    OrganizationReport,
    Report,
    StoredOrganizationResult,
    to_builtins,
)
from thumbprint_remediator.report.alerts import (
    AlertContext,
    alert_view,
    render_alert,
    render_organization_alert,
    should_notify_organization,
)
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber
from thumbprint_remediator.tls.trust import TrustEvaluator

# Kept free at the end of the Lambda's time for the alert and the return: the SNS client's worst case.
LAMBDA_RESERVE_SECONDS = alert_reserve_seconds()


@dataclass(frozen=True)
class Runtime:
    """What every invocation of a warm function reuses: the sweeper, and the STS and Organizations clients."""

    sweeper: Sweeper
    member_roles: MemberRoles
    organization: OrganizationAccounts
    session: boto3.Session
    channels: Channels | None = None  # events, Security Hub, Config: fed from the finished report


def build_sweeper(settings: Settings, log: Log, session: boto3.Session | None = None) -> Sweeper:
    """Clients, trust store and prober, created once and reused by every sweep."""
    clients = Clients(session or boto3.Session())
    return Sweeper(
        settings=settings,
        inventory=IamOidcProviders(client=clients.iam(), write_client=clients.iam_writer()),
        prober=OidcProber(
            ProbeLimits(
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                host_budget=settings.host_budget,
                sample_addresses=settings.sample_addresses,
                samples_per_address=settings.samples_per_address,
            )
        ),
        trust=TrustEvaluator.from_system(settings.extra_ca_bundle),
        publisher=AlertPublisher(settings.topic_arn, client=clients.sns()) if settings.topic_arn else None,
        log=log,
        iam_attempt_seconds=aws_attempt_seconds(),
        # One attempt per history call (the "write" bounds): it is best effort, and must fit the provider's budget.
        history=HistoryTable(settings.history_table, clients.client("dynamodb", "write"))
        if settings.history_table
        else None,
        # Who can use each provider: the account's roles, one ListRoles pass per sweep (POSTURE=false: none).
        roles=IamRoles(client=clients.iam()) if settings.posture else None,
    )


def build_runtime(settings: Settings, log: Log, session: boto3.Session | None = None) -> Runtime:
    """The sweeper plus what organization sweeps need; once per cold start."""
    session = session or boto3.Session()
    clients = Clients(session)
    return Runtime(
        sweeper=build_sweeper(settings, log, session),
        member_roles=MemberRoles(clients.sts(), session.region_name),
        organization=OrganizationAccounts(clients.organizations()),
        session=session,
        channels=build_channels(settings, log, session),
    )


def account_of(context: Any, session: boto3.Session | None = None) -> str | None:
    """The account the function runs in: from its ARN, else from STS."""
    function_arn = getattr(context, "invoked_function_arn", None)
    if isinstance(function_arn, str) and function_arn.count(":") >= 4:
        return function_arn.split(":")[4]
    identity = Clients(session).sts().get_caller_identity()
    return str(identity["Account"])


def alert_context(settings: Settings, session: boto3.Session, context: Any) -> AlertContext:
    """Where the alert's reader can look further: the region and function from the Lambda context (the session's
    region without one), the stack, dashboard and log group the stack named in the environment."""
    function_arn = getattr(context, "invoked_function_arn", None)
    parts = function_arn.split(":") if isinstance(function_arn, str) else []
    function_name = getattr(context, "function_name", None)
    log_group = getattr(context, "log_group_name", None)
    return AlertContext(
        region=parts[3] if len(parts) > 3 and parts[3] else session.region_name,
        partition=partition_of(context),
        stack_name=settings.stack_name,
        function_name=function_name if isinstance(function_name, str) else None,
        dashboard_name=settings.dashboard_name,
        log_group_name=settings.log_group_name or (log_group if isinstance(log_group, str) else None),
    )


def partition_of(context: Any) -> str:
    """The partition the function runs in (aws, aws-cn, aws-us-gov), from its ARN."""
    function_arn = getattr(context, "invoked_function_arn", None)
    if isinstance(function_arn, str) and function_arn.startswith("arn:") and function_arn.count(":") >= 4:
        return function_arn.split(":")[1]
    return "aws"


def deadline_of(context: Any) -> float | None:
    """A time.monotonic() deadline from the Lambda context's remaining time, minus a reserve."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds_left = float(remaining()) / 1000
    return time.monotonic() + max(seconds_left - LAMBDA_RESERVE_SECONDS, 1.0)


def end_of(context: Any) -> float | None:
    """A time.monotonic() value by which every call must be over: the invocation's end, less the time to return."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return time.monotonic() + float(remaining()) / 1000 - REPORT_SLACK_SECONDS


def _warn_if_too_short(sweeper: Sweeper, context: Any) -> None:
    """Say so when the invocation's time cannot probe one provider: its findings will all be out of time."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    needed = sweeper.settings.minimum_timeout_seconds
    if remaining is not None and float(remaining()) / 1000 < needed:
        sweeper.log.warning(
            "function timeout too short to probe a provider",
            extra={"seconds_left": float(remaining()) / 1000, "seconds_needed": needed},
        )


def run_sweep(runtime: Runtime, request: SweepRequest, context: Any) -> Report | CompactReport:
    """Sweep the function's own account, or the account of `request.account_role_arn` through STS."""
    _warn_if_too_short(runtime.sweeper, context)
    if request.account_role_arn is None:
        account = account_of(context, runtime.session)
        sweeper = runtime.sweeper
        render = partial(render_alert, context=alert_context(sweeper.settings, runtime.session, context))
        swept = sweeper.pipeline(request, account=account, deadline=deadline_of(context), render=render)
        report, receipts = swept.report, swept.receipts
        if runtime.channels is not None:  # the own account only: a member's findings belong to its own hub
            covered = None if request.providers is None else [row.arn for row in report.findings]
            target = _hub_target(runtime, account, context)
            report = publish_channels(runtime.channels, report, target, covered, end_of(context))
    else:
        report, receipts = _sweep_member_account(runtime, request, deadline_of(context))
    if request.report != "compact":
        return report
    # News this sweep told nobody travels with the compact report, to be marked told by the organization's alert.
    return compact_report(report, request.compact_bytes, receipts)


def run_change_check(runtime: Runtime, change: ChangeRequest, context: Any) -> Report | ChangeNotChecked:
    """The immediate check of one provider a CloudTrail event names; its findings go to the channels too."""
    account = account_of(context, runtime.session)
    links = alert_context(runtime.sweeper.settings, runtime.session, context)
    report = check_change(runtime.sweeper, change, account=account, deadline=deadline_of(context), links=links)
    if runtime.channels is not None and isinstance(report, Report):
        target = _hub_target(runtime, account, context)
        report = publish_channels(runtime.channels, report, target, [change.provider_arn], end_of(context))
    return report


def run_config_rule(runtime: Runtime, request: ConfigRuleRequest, context: Any) -> ConfigRuleOutcome:
    """The Config rule's evaluation: a dry-run sweep, reported with PutEvaluations."""
    channels = runtime.channels or build_channels(runtime.sweeper.settings, runtime.sweeper.log, runtime.session)
    account = account_of(context, runtime.session)
    return evaluate_for_config(
        runtime.sweeper, channels, request, account=account, deadline=deadline_of(context), end=end_of(context)
    )


def _hub_target(runtime: Runtime, account: str | None, context: Any) -> HubTarget:
    return HubTarget(account=account or "", region=runtime.session.region_name or "", partition=partition_of(context))


def _sweep_member_account(
    runtime: Runtime, request: SweepRequest, deadline: float | None
) -> tuple[Report, tuple[Receipt, ...]]:
    """Assume the member role (fresh credentials each invocation), then sweep with an IAM client built on them.
    A role that cannot be assumed, or cannot list the providers, is that account's finding, not a failure.
    With the report, the receipts of the news it did not tell (the organization's alert tells it)."""
    assert request.account_role_arn is not None
    account = request.target_account
    receipts: tuple[Receipt, ...] = ()
    try:
        session = runtime.member_roles.session_for(request.account_role_arn, request.external_id)
        clients = Clients(session)
        inventory = IamOidcProviders(client=clients.iam(), write_client=clients.iam_writer())
        # The member's roles too, through the same role (it grants iam:ListRoles when posture is on).
        roles = IamRoles(client=clients.iam()) if runtime.sweeper.roles is not None else None
        sweeper = replace(runtime.sweeper, inventory=inventory, roles=roles)
        swept = sweeper.pipeline(request, account=account, deadline=deadline)
        report, receipts = swept.report, swept.receipts
    except AccountAccessError as error:
        report = _unswept_account(runtime, request, account, "member_role_unavailable", str(error), MEMBER_ROLE_REMEDY)
    except InventoryError as error:
        remedy = "the member role must allow iam:ListOpenIDConnectProviders: redeploy the StackSet, check SCPs"
        report = _unswept_account(runtime, request, account, "member_role_cannot_list", str(error), remedy)
    unswept = None if isinstance(report.error, UnsetType) else report.error
    return finished(report, role_arn=request.account_role_arn, error=unswept), receipts


def _unswept_account(
    runtime: Runtime, request: SweepRequest, account: str | None, code: str, message: str, remedy: str
) -> Report:
    """The report of an account that could not be swept at all (its role cannot be assumed or cannot list the
    providers): one account-level finding and an `error`, told like any other report."""
    sweeper = runtime.sweeper
    sweep_id = uuid.uuid4().hex[:12]
    assessment = failed_assessment(code, message, remedy)
    finding = Finding(
        arn=request.account_role_arn or "",
        url=f"account {account or 'unknown'} (member role)",
        status=assessment.status,
        problems=assessment.problems,
        error=message,
    )
    report = build_report(
        account=account,
        dry_run=sweeper.settings.dry_run if request.dry_run is None else request.dry_run,
        started_at=sweeper.clock(),
        duration_ms=0,
        findings=[finding],
        sweep_id=sweep_id,
        error=AccountError(code=code, message=message, remedy=remedy),
    )
    sweeper.log.error(
        "account not swept", extra={"sweep_id": sweep_id, "account": account, "error": to_builtins(report)["error"]}
    )
    delivery = Delivery(sweeper.publisher, sweeper.log, request.notify or sweeper.settings.notify_on, render_alert)
    return finished(report, alert=tell(report, (), delivery).alert)


def list_accounts(runtime: Runtime, request: ListAccountsRequest, context: Any) -> dict[str, Any]:
    """The organization sweep's work list: every active account below the target roots or OUs. With a store,
    the work list and the accounts left out go to S3 and only their keys and counts come back."""
    accounts = runtime.organization.under(request.parents)
    plan = plan_sweeps(
        accounts,
        own_account=account_of(context, runtime.session),
        partition=partition_of(context),
        role_name=request.role_name,
        external_id=request.external_id,
        only=request.accounts,
    )
    reasons = Counter(str(item["reason"]) for item in plan["not_swept"])
    runtime.sweeper.log.info(
        "organization accounts listed",
        extra={
            "parents": list(request.parents),
            "accounts": len(plan["accounts"]),
            "not_swept": len(plan["not_swept"]),
            "not_swept_reasons": dict(reasons.most_common(10)),
            "not_swept_first": [item["account_id"] for item in plan["not_swept"][:20]],
        },
    )
    if request.store is None:
        return plan
    store = _store(runtime, request.store.bucket)
    return {
        "work_list_key": store.put_work_list(request.store.execution, plan["accounts"]),
        "not_swept_key": store.put_not_swept(request.store.execution, plan["not_swept"]),
        "accounts": len(plan["accounts"]),
        "not_swept": len(plan["not_swept"]),
    }


def aggregate_organization(
    runtime: Runtime, request: AggregateRequest, context: Any = None
) -> OrganizationReport | StoredOrganizationResult:
    """One organization report from every account's outcome, and one alert when due. With a store, the results
    come from the Distributed Map's result files, the full report is stored next to them, and what comes back is
    the summary, the report's key and the alert's outcome: the same few fields for any number of accounts."""
    log = runtime.sweeper.log
    render = partial(
        render_organization_alert, context=alert_context(runtime.sweeper.settings, runtime.session, context)
    )
    notify_on, workers = request.notify or runtime.sweeper.settings.notify_on, runtime.sweeper.settings.max_workers
    delivery = Delivery(
        runtime.sweeper.publisher, log, notify_on, render, "organization sweep", should_notify_organization
    )
    if request.store is None:
        report = aggregate(request.results, request.not_swept, execution=request.execution)
        marks = told_marks(request.results)
        tree = to_builtins(report)
        log.info("organization sweep finished", extra={"execution": request.execution, "summary": tree["summary"]})
        told = tell(report, marks, delivery)
        remember_told_marks(runtime.sweeper.history, told.news, runtime.sweeper.clock(), log, workers)
        return finished(report, alert=told.alert)
    location = request.store
    assert location.manifest_key is not None  # the request parser insists on it
    store = _store(runtime, location.bucket)
    work_list = store.read_list(location.work_list_key) if location.work_list_key else []
    not_swept = store.read_list(location.not_swept_key) if location.not_swept_key else []
    results = [map_run_result(entry) for entry in store.map_run_entries(location.manifest_key)]
    report = aggregate(with_missing_accounts(results, work_list), not_swept, execution=request.execution)
    tree = to_builtins(report)
    report_key = store.put_report(location.execution, tree)
    log.info(
        "organization sweep finished",
        extra={"execution": request.execution, "summary": tree["summary"], "report": store.location(report_key)},
    )
    view = alert_view(tree, store.location(report_key))
    told = tell(report, told_marks(results), delivery, carried=view)
    remember_told_marks(runtime.sweeper.history, told.news, runtime.sweeper.clock(), log, workers)
    return StoredOrganizationResult(summary=report.summary, report_key=report_key, alert=told.alert)


def _store(runtime: Runtime, bucket: str) -> OrganizationStore:
    # Once per ListAccounts or Aggregate step (once per execution each), not per account.
    return OrganizationStore(Clients(runtime.session).client("s3"), bucket)
