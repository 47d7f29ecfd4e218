"""One invocation as a pipeline: observe (IAM, the endpoints, history) → judge (the pure rules) → act (the IAM write
protocol) → tell (one delivery step) → remember (history; news told only once SNS accepted its alert). The
orchestration, nothing more: each step is its own unit (domain.rules, act, tell, remember)."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from thumbprint_remediator.app.act import ThumbprintWrites, WriteGate
from thumbprint_remediator.app.ports import (
    HistoryStore,
    Inventory,
    Log,
    Prober,
    Publisher,
    RoleLister,
    RoleListing,
    SharingProber,
    SweepScope,
    TrustVerifier,
)
from thumbprint_remediator.app.remember import HistoryKeeper, remember_told
from thumbprint_remediator.app.request import SweepRequest, select_providers
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.app.tell import Delivery, tell
from thumbprint_remediator.contract.deadlines import (
    TIME_BUDGET_EXHAUSTED,
    aws_attempt_seconds,
    drain_reserve_seconds,
    provider_seconds,
    write_window_seconds,
)
from thumbprint_remediator.contract.names import PRIVATE_CA_TAG_KEY, SKIP_TAG_KEY
from thumbprint_remediator.domain import memory
from thumbprint_remediator.domain.errors import HistoryUnavailable, ProviderReadError
from thumbprint_remediator.domain.models import Endpoint, ProbeResult, ProviderConfig, TrustResult
from thumbprint_remediator.domain.posture import (
    ProviderPosture,
    RolesSeen,
    judge_posture,
    news_key,
    quota_problem,
    severity_of,
)
from thumbprint_remediator.domain.remediation import Remediation, Write, decide
from thumbprint_remediator.domain.report import Finding, build_report, describe_host, finished, problem_view
from thumbprint_remediator.domain.rules import (
    Assessment,
    assess,
    failed_assessment,
    has_true_tag,
    is_skipped,
    normalize_thumbprint,
    presented_chains,
)
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import PostureSummary, Report, to_builtins
from thumbprint_remediator.report.alerts import render_alert


def _host_of(url: str) -> str | None:
    """The host (and port) of a URL, for remembering the JWKS host."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].lower() or None


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Swept:
    """A sweep's report, and the receipts to commit if (and only if) an alert carrying it is delivered."""

    report: Report
    receipts: tuple[memory.Receipt, ...] = ()


@dataclass(frozen=True)
class Observed:
    """What observing one provider found: IAM's configuration, its history, its endpoints and their verdicts."""

    provider: ProviderConfig
    skip_tagged: bool
    record: memory.HistoryRecord | None
    history_error: HistoryUnavailable | None
    probe: ProbeResult
    trusts: dict[Endpoint, TrustResult]
    sample_trusts: dict[Endpoint, tuple[TrustResult | None, ...]]
    now: datetime


@dataclass(frozen=True)
class Judged:
    """What the rules made of it: the assessment, the observation history keeps, what to prune, what to do, and
    who can use the provider (None when posture is off)."""

    assessment: Assessment
    observation: memory.Observation
    prune: tuple[str, ...]
    decision: Write | Remediation
    posture: ProviderPosture | None = None


class RolesObserved:
    """Observe, once per sweep: the account's roles, listed in one bounded ListRoles pass beside the probes and
    shared by every provider's judgement, which waits for it (at most until the sweep's deadline)."""

    def __init__(
        self, lister: RoleLister, deadline: float | None, monotonic: Callable[[], float], log: Log, sweep_id: str
    ) -> None:
        self._monotonic, self._log, self._sweep_id = monotonic, log, sweep_id
        self._started = monotonic()
        self._finished: float | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roles")
        self._future = self._pool.submit(self._list, lister, deadline)

    def _list(self, lister: RoleLister, deadline: float | None) -> RoleListing:
        listing = lister.list_trust_policies(deadline)
        self._finished = self._monotonic()
        self._log.info(
            "roles listed",
            extra={
                "sweep_id": self._sweep_id,
                "roles": len(listing.roles),
                "complete": listing.complete,
                "failure": listing.failure,
                "calls": listing.calls,
                "duration_ms": round((self._finished - self._started) * 1000),
            },
        )
        return listing

    def seen(self, timeout: float | None) -> RolesSeen:
        """The roles, once listed; waits at most `timeout` seconds (None: until listed)."""
        try:
            listing = self._future.result(timeout=None if timeout is None else max(timeout, 0.0))
        except TimeoutError:
            return RolesSeen((), complete=False, failure="the roles were not listed before the sweep's deadline")
        except Exception as error:  # a bug in the listing costs the posture, not the sweep; logged with its trace
            self._log.exception("listing roles failed unexpectedly", extra={"sweep_id": self._sweep_id})
            return RolesSeen((), complete=False, failure=f"unexpected error: {type(error).__name__}: {error}")
        return RolesSeen(listing.roles, complete=listing.complete, failure=listing.failure)

    def summary(self, provider_count: int) -> PostureSummary:
        """What the pass cost and found, and the account-level posture problems (the providers' quota)."""
        done = self._future.done() and not self._future.cancelled() and self._future.exception() is None
        listing = self._future.result() if done else None
        quota = quota_problem(provider_count)
        ended = self._finished if self._finished is not None else self._monotonic()
        return PostureSummary(
            roles=len(listing.roles) if listing else 0,
            complete=bool(listing and listing.complete),
            failure=(listing.failure if listing else "the roles were not listed before the sweep's deadline"),
            calls=listing.calls if listing else 0,
            duration_ms=round((ended - self._started) * 1000),
            problems=[] if quota is None else [problem_view(quota)],
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Sweeper:
    """Everything a sweep needs, wired once per cold start."""

    settings: Settings
    inventory: Inventory
    prober: Prober
    trust: TrustVerifier
    publisher: Publisher | None
    log: Log
    clock: Callable[[], datetime] = utc_now
    # The longest one IAM attempt can take (clients.py's timeouts): the write window and the drain derive from it.
    iam_attempt_seconds: float = aws_attempt_seconds()
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    # None: stateless, as without HISTORY_TABLE.
    history: HistoryStore | None = None
    # Who can use each provider (settings.posture): the account's roles; None lists none.
    roles: RoleLister | None = None

    @property
    def finish_reserve_seconds(self) -> float:
        """Kept between the sweep's deadline and the report's: await writes in flight, read them afresh."""
        return drain_reserve_seconds(self.iam_attempt_seconds)

    @property
    def write_window_seconds(self) -> float:
        """A write starts only this long before the sweep's deadline: one update and one read-back."""
        return write_window_seconds(self.iam_attempt_seconds)

    @property
    def writes(self) -> ThumbprintWrites:
        """Act: the IAM write protocol against this sweeper's inventory."""
        return ThumbprintWrites(self.inventory, self.iam_attempt_seconds, self.sleep)

    @property
    def keeper(self) -> HistoryKeeper:
        """Remember: the providers' history."""
        return HistoryKeeper(self.history, self.log, self.iam_attempt_seconds)

    def run(
        self,
        request: SweepRequest,
        *,
        account: str | None,
        deadline: float | None = None,
        progress: Callable[[Finding, int, int], None] | None = None,
        render: Callable[[Mapping[str, Any]], Any] = render_alert,
    ) -> Report:
        """Sweep, alert when due, and return the report (`pipeline`, its untold news left out)."""
        return self.pipeline(request, account=account, deadline=deadline, progress=progress, render=render).report

    def pipeline(
        self,
        request: SweepRequest,
        *,
        account: str | None,
        deadline: float | None = None,
        progress: Callable[[Finding, int, int], None] | None = None,
        render: Callable[[Mapping[str, Any]], Any] = render_alert,
    ) -> Swept:
        """One sweep from end to end: observe, judge and act provider by provider, remembering what each showed;
        tell; remember what was told. The finished report, with the receipts of the news still untold (none once
        an alert carrying it was delivered), for whoever tells it later. `deadline` (a `monotonic()` value) is
        when the report must be ready, the alert's time being reserved after it; probing and writing stop
        `finish_reserve_seconds` earlier, so that writes still in flight can be awaited or read afresh."""
        # observe, judge, act (each provider's observation remembered, its news untold)
        swept = self.sweep(request, account=account, deadline=deadline, progress=progress)
        # tell
        delivery = Delivery(self.publisher, self.log, request.notify or self.settings.notify_on, render)
        told = tell(swept.report, swept.receipts, delivery)
        # remember what was told
        report = remember_told(swept.report, told, self.history, self.log, self.settings.max_workers)
        return Swept(report, () if told.alert.sent else swept.receipts)

    def sweep(
        self,
        request: SweepRequest,
        *,
        account: str | None,
        deadline: float | None = None,
        progress: Callable[[Finding, int, int], None] | None = None,
    ) -> Swept:
        """Observe, judge, act and remember what was observed, provider by provider; tell nobody. The news stays
        untold until `tell` delivers an alert carrying it."""
        started_at, started = self.clock(), self.monotonic()
        sweep_id = uuid.uuid4().hex[:12]
        dry_run = self.settings.dry_run if request.dry_run is None else request.dry_run
        # All providers, or the requested ones: an unknown one is an error before anything is probed.
        every_arn = self.inventory.list_arns()
        arns = select_providers(every_arn, request.providers)
        self.log.info(
            "sweep started",
            extra={"sweep_id": sweep_id, "providers": len(arns), "dry_run": dry_run, "source": request.source},
        )
        gate = WriteGate(None if deadline is None else deadline - self.finish_reserve_seconds, self.monotonic)
        roles = self._observe_roles(gate, sweep_id) if arns else None
        try:
            findings = self._sweep_all(arns, dry_run, gate, progress, sweep_id, roles)
        finally:
            if roles is not None:
                roles.close()
        report = build_report(
            account=account,
            dry_run=dry_run,
            started_at=started_at,
            duration_ms=round((self.monotonic() - started) * 1000),
            findings=findings,
            sweep_id=sweep_id,
            history_enabled=self.history is not None,
        )
        if roles is not None:
            report = finished(report, posture=roles.summary(len(every_arn)))
        self.log.info("sweep finished", extra={"sweep_id": sweep_id, "summary": to_builtins(report.summary)})
        receipts = tuple(finding.receipt for finding in findings if finding.receipt is not None)
        return Swept(report, receipts)

    def _observe_roles(self, gate: WriteGate, sweep_id: str) -> RolesObserved | None:
        """The sweep's one ListRoles pass, started beside the probes, within the sweep's time budget."""
        if not self.settings.posture or self.roles is None:
            return None
        left = gate.seconds_left()
        deadline = None if left is None else self.monotonic() + left
        return RolesObserved(self.roles, deadline, self.monotonic, self.log, sweep_id)

    def _sweep_all(
        self,
        arns: list[str],
        dry_run: bool,
        gate: WriteGate,
        progress: Callable[[Finding, int, int], None] | None,
        sweep_id: str,
        roles: RolesObserved | None = None,
    ) -> list[Finding]:
        if not arns:
            return []
        # One scope per sweep: each endpoint captured once, whichever providers share it.
        scope = self.prober.sweep_pool() if isinstance(self.prober, SharingProber) else None
        try:
            return self._sweep_scoped(arns, dry_run, gate, progress, sweep_id, scope, roles)
        finally:
            if scope is not None:
                scope.close()

    def _sweep_scoped(
        self,
        arns: list[str],
        dry_run: bool,
        gate: WriteGate,
        progress: Callable[[Finding, int, int], None] | None,
        sweep_id: str,
        scope: SweepScope | None,
        roles: RolesObserved | None = None,
    ) -> list[Finding]:
        now = self.clock()  # one instant per sweep, so that shared chains get one verdict
        pool = ThreadPoolExecutor(max_workers=min(self.settings.max_workers, len(arns)), thread_name_prefix="sweep")
        futures: dict[Future[Finding], str] = {
            pool.submit(self._sweep_one, arn, dry_run, gate, sweep_id, scope, now, roles): arn for arn in arns
        }
        if progress is not None:
            counter = itertools.count(1)  # next() is atomic under the GIL: a safe shared count

            def report_progress(done: Future[Finding]) -> None:
                if not done.cancelled() and not gate.closed:
                    progress(done.result(), next(counter), len(futures))

            for future in futures:
                future.add_done_callback(report_progress)
        wait(futures, timeout=gate.seconds_left(), return_when=ALL_COMPLETED)
        # The deadline: nothing starts from now on, and no worker may write any more. A write in flight gets
        # one IAM attempt to be answered; what is still pending after that is read afresh below.
        gate.close()
        pool.shutdown(wait=False, cancel_futures=True)
        pending = [future for future in futures if not future.done()]
        if pending:
            wait(pending, timeout=self.iam_attempt_seconds, return_when=ALL_COMPLETED)
        findings = []
        for future, arn in futures.items():
            if future.done() and not future.cancelled():
                findings.append(future.result())
            elif (sent := gate.sent(arn)) is not None:
                findings.append(self._log_finding(self._unanswered_write(arn, *sent), sweep_id))
            else:
                findings.append(
                    self._error_finding(
                        arn,
                        TIME_BUDGET_EXHAUSTED,
                        "the sweep's time budget ran out before this provider finished",
                        "raise the function timeout or lower HOST_BUDGET_SECONDS; the next sweep retries it",
                    )
                )
        return findings

    def _unanswered_write(self, arn: str, provider: ProviderConfig, proposed: tuple[str, ...]) -> Finding:
        """A write still unanswered when the drain ended: say so, with what a fresh read shows IAM holds."""
        remediation = self.writes.unanswered(arn, provider, proposed)
        return Finding(
            arn=arn,
            url=provider.url,
            status=Status.STALE,
            action=remediation.action,
            thumbprints_before=provider.thumbprints,
            thumbprints_after=remediation.after,
            error=remediation.error,
            action_reason=remediation.reason,
        )

    def _sweep_one(
        self,
        arn: str,
        dry_run: bool,
        gate: WriteGate,
        sweep_id: str,
        scope: SweepScope | None = None,
        now: datetime | None = None,
        roles: RolesObserved | None = None,
    ) -> Finding:
        """Assess and, when due and safe, repair one provider. Never raises."""
        try:
            return self._log_finding(self._provider_pipeline(arn, dry_run, gate, scope, now, roles), sweep_id)
        except Exception as error:  # a bug must cost one provider, not the sweep; logged with its trace
            self.log.exception("provider sweep failed unexpectedly", extra={"arn": arn, "sweep_id": sweep_id})
            return self._log_finding(
                self._error_finding(
                    arn, "internal_error", f"unexpected error: {type(error).__name__}: {error}", "report this bug"
                ),
                sweep_id,
            )

    def _provider_pipeline(
        self,
        arn: str,
        dry_run: bool,
        gate: WriteGate,
        scope: SweepScope | None = None,
        sweep_now: datetime | None = None,
        roles: RolesObserved | None = None,
    ) -> Finding:
        """One provider: observe, judge, act, remember what was observed (its news untold until an alert is)."""
        observed = self._observe(arn, gate, scope, sweep_now)
        if isinstance(observed, Finding):
            return observed  # not observed: out of time, or IAM would not say
        judged = self._judge(observed, dry_run, gate, roles)
        remediation = self._act(observed, judged, gate)
        return self._remember(observed, judged, remediation, dry_run, gate)

    def _observe(
        self, arn: str, gate: WriteGate, scope: SweepScope | None, sweep_now: datetime | None
    ) -> Observed | Finding:
        """IAM's configuration, the provider's history, its endpoints and their verdicts; or the finding of why
        it cannot be observed."""
        needed = provider_seconds(self.settings.host_budget, self.iam_attempt_seconds, history=self.history is not None)
        left = gate.seconds_left()
        if left is not None and left < needed:
            return self._error_finding(
                arn,
                TIME_BUDGET_EXHAUSTED,
                "not probed: the sweep's time budget would run out before this provider could finish",
                "raise the function timeout or lower HOST_BUDGET_SECONDS; the next sweep retries it",
            )
        try:
            provider = self.inventory.get(arn)
        except ProviderReadError as error:
            return self._error_finding(
                arn,
                f"iam_{error.code}",
                f"cannot read the provider: {error.detail}",
                "NoSuchEntity: it was deleted, nothing to do; AccessDenied: grant the function "
                "iam:GetOpenIDConnectProvider (check SCPs and permission boundaries)",
            )
        # Skip means "do not write", never "do not watch": a tagged provider is observed, judged and remembered
        # like any other, so drift, interception or a stale list on it are still told.
        skip_tagged = is_skipped(provider, SKIP_TAG_KEY)
        record, history_error = self.keeper.load(arn)
        probe, trusts, sample_trusts, now = self._probe_and_verify(provider, scope, sweep_now)
        return Observed(provider, skip_tagged, record, history_error, probe, trusts, sample_trusts, now)

    def _judge(self, observed: Observed, dry_run: bool, gate: WriteGate, roles: RolesObserved | None = None) -> Judged:
        """The pure rules on what was observed: status and problems, what history keeps, what to write; and who can
        use the provider, once the sweep's roles are listed."""
        provider, record, probe, now = observed.provider, observed.record, observed.probe, observed.now
        trusts, sample_trusts = observed.trusts, observed.sample_trusts
        declared_private = has_true_tag(provider, PRIVATE_CA_TAG_KEY)
        pinned = [normalize_thumbprint(value) for value in provider.thumbprints]
        continuity = not declared_private and memory.private_continuity(record, pinned, trusts)
        assessment = assess(
            provider,
            probe,
            trusts,
            self.settings.expiry_warning_days,
            now,
            declared_private=declared_private or continuity,
            sample_trusts=sample_trusts,
            remembered_live=memory.remembered_tops(record, now, self.settings.remember_chains_days),
        )
        if continuity:
            assessment = replace(assessment, problems=tuple(map(memory.worded_as_continuity, assessment.problems)))
        posture = None if roles is None else judge_posture(provider, roles.seen(gate.seconds_left()))
        # A posture problem that needs a person is news once per role and statement (memory.reminder_due).
        posture_news = tuple(
            news_key(problem)
            for problem in (posture.problems if posture else ())
            if severity_of(problem.code, problem.severity) in ("critical", "warning")
        )
        chains_seen, complete = memory.observed_chains(probe, trusts, sample_trusts, now)
        observation = memory.Observation(
            now=now,
            pins_before=tuple(pinned),
            pins_after=tuple(pinned),
            written=False,
            chains=chains_seen,
            jwks_host=probe.jwks_uri and _host_of(str(probe.jwks_uri)),
            complete=complete,
            problem_codes=tuple(p.code for p in assessment.problems if p.status is not Status.OK) + posture_news,
            expiry_days_left=assessment.nearest_expiry.days_left if assessment.nearest_expiry else None,
            skip_tagged=observed.skip_tagged,
        )
        prune = memory.prune_candidates(
            record, observation, assessment.live_thumbprints, self.settings.prune_after_days
        )
        if prune and assessment.proposed_thumbprints is not None:
            kept = tuple(value for value in assessment.proposed_thumbprints if value not in prune)
            assessment = replace(assessment, proposed_thumbprints=kept or assessment.proposed_thumbprints)
        decision = decide(
            provider.thumbprints,
            assessment,
            dry_run=dry_run,
            seconds_left=gate.seconds_left(),
            write_window=self.write_window_seconds,
            hold=f"tagged {SKIP_TAG_KEY}=true" if observed.skip_tagged else None,
        )
        return Judged(assessment, observation, prune, decision, posture)

    def _act(self, observed: Observed, judged: Judged, gate: WriteGate) -> Remediation:
        """The decision carried out: a write through the IAM write protocol, or what was decided instead."""
        if not isinstance(judged.decision, Write):
            return judged.decision
        chains = presented_chains(observed.probe)
        live = judged.assessment.live_thumbprints
        return self.writes.write(observed.provider, judged.decision.thumbprints, live, chains, gate)

    def _remember(
        self, observed: Observed, judged: Judged, remediation: Remediation, dry_run: bool, gate: WriteGate
    ) -> Finding:
        """Save what was observed (its news untold), and the provider's finding with what history says."""
        provider, assessment, now = observed.provider, judged.assessment, observed.now
        before = provider.thumbprints
        # A dry run's `after` is the list a write would pin: IAM still holds `before`, and history must say so.
        held = before if remediation.action == Action.WOULD_UPDATE else remediation.after
        history, receipt = self.keeper.remember(
            provider.arn,
            observed.record,
            observed.history_error,
            judged.observation,
            held,
            judged.prune,
            dry_run,
            gate,
        )
        healthy_but_held = observed.skip_tagged and Status(assessment.status).healthy
        return Finding(
            arn=provider.arn,
            url=provider.url,
            status=Status.SKIPPED if healthy_but_held else assessment.status,
            action=remediation.action,
            problems=assessment.problems + (judged.posture.problems if judged.posture else ()),
            thumbprints_before=before,
            thumbprints_after=remediation.after,
            hosts=tuple(
                describe_host(
                    capture,
                    observed.trusts.get(capture.endpoint),
                    now,
                    observed.sample_trusts.get(capture.endpoint, ()),
                )
                for capture in observed.probe.hosts
            ),
            error=remediation.error,
            action_reason=remediation.reason,
            thumbprint_reliance=assessment.thumbprint_reliance,
            nearest_expiry=assessment.nearest_expiry,
            history=history,
            receipt=receipt,
            trusted_by=judged.posture.trusted_by if judged.posture else None,
        )

    def _probe_and_verify(
        self, provider: ProviderConfig, scope: SweepScope | None, sweep_now: datetime | None
    ) -> tuple[ProbeResult, dict[Endpoint, TrustResult], dict[Endpoint, tuple[TrustResult | None, ...]], datetime]:
        """Probe the provider (sharing the sweep's endpoints) and verify each captured and sampled chain."""
        probe = scope.probe(provider.url) if scope is not None else self.prober.probe(provider.url)
        now = sweep_now or self.clock()
        pinned = {normalize_thumbprint(value) for value in provider.thumbprints}
        if scope is None:
            trusts = {capture.endpoint: self.trust.evaluate(capture, pinned, now) for capture in probe.hosts}
            return probe, trusts, {}, now
        trusts = {capture.endpoint: scope.evaluate(self.trust, capture, pinned, now) for capture in probe.hosts}
        sample_trusts = {
            capture.endpoint: scope.evaluate_samples(self.trust, capture, pinned, now)
            for capture in probe.hosts
            if len(capture.samples) > 1
        }
        return probe, trusts, sample_trusts, now

    def _error_finding(self, arn: str, code: str, message: str, remedy: str) -> Finding:
        assessment = failed_assessment(code, message, remedy)
        return Finding(
            arn=arn,
            url=arn.split(":oidc-provider/", 1)[-1],
            status=assessment.status,
            problems=assessment.problems,
            error=message,
        )

    def _log_finding(self, finding: Finding, sweep_id: str) -> Finding:
        self.log.info(
            "provider assessed",
            extra={
                "sweep_id": sweep_id,
                "arn": finding.arn,
                "url": finding.url,
                "status": finding.status,
                "action": finding.action,
                "problems": [problem.code for problem in finding.problems],
                "thumbprints_before": None if finding.thumbprints_before is None else list(finding.thumbprints_before),
                "thumbprints_after": None if finding.thumbprints_after is None else list(finding.thumbprints_after),
            },
        )
        return finding
