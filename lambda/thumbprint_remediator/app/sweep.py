"""One sweep: inventory, probe, assess, remediate, report, alert. The orchestration, nothing more."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from msgspec import UNSET

from thumbprint_remediator.app.request import SweepRequest, select_providers
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.aws.inventory import CONCURRENT_MODIFICATION, THROTTLING_CODES
from thumbprint_remediator.contract import deadlines
from thumbprint_remediator.contract.deadlines import (
    TIME_BUDGET_EXHAUSTED,
    aws_attempt_seconds,
    drain_reserve_seconds,
    provider_seconds,
)
from thumbprint_remediator.contract.names import PRIVATE_CA_TAG_KEY, SKIP_TAG_KEY
from thumbprint_remediator.domain import memory
from thumbprint_remediator.domain.errors import (
    AlertDeliveryError,
    HistoryUnavailable,
    ProviderReadError,
    ProviderUpdateError,
    ProviderUpdateUnknown,
    PublishError,
)
from thumbprint_remediator.domain.models import Endpoint, HostCapture, ProbeResult, ProviderConfig, TrustResult
from thumbprint_remediator.domain.remediation import (
    CONFLICT_ATTEMPTS,
    READ_BACK_DELAYS,
    Remediation,
    Write,
    WriteOutcome,
    already_fixed,
    deadline_before_write,
    decide,
    judge_write,
    matches,
    remerge,
)
from thumbprint_remediator.domain.report import Finding, build_report, describe_host, finished
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
from thumbprint_remediator.domain.views import (
    AccountError,
    AlertOutcome,
    ChangeEntry,
    FindingHistory,
    PlaceholderPin,
    Report,
    UntoldEntry,
    to_builtins,
)
from thumbprint_remediator.report.alerts import render_alert, should_notify


class Inventory(Protocol):
    def list_arns(self) -> list[str]: ...
    def get(self, arn: str) -> ProviderConfig: ...
    def update_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None: ...


class Prober(Protocol):
    def probe(self, provider_url: str) -> ProbeResult: ...


class TrustVerifier(Protocol):
    def evaluate(self, capture: HostCapture, pinned: Collection[str], now: datetime) -> TrustResult: ...


class SweepScope(Protocol):
    """What one sweep's providers share (endpoints.EndpointPool): captures, connections, verdicts."""

    def probe(self, provider_url: str) -> ProbeResult: ...
    def evaluate(
        self, verifier: TrustVerifier, capture: HostCapture, pinned: Collection[str], now: datetime
    ) -> TrustResult: ...
    def evaluate_samples(
        self, verifier: TrustVerifier, capture: HostCapture, pinned: Collection[str], now: datetime
    ) -> tuple[TrustResult | None, ...]: ...
    def close(self) -> None: ...


@runtime_checkable
class SharingProber(Protocol):
    """A prober that can share endpoints between the providers of a sweep."""

    def sweep_pool(self) -> SweepScope: ...


class HistoryStore(Protocol):
    """The providers' memory between sweeps (history.HistoryTable)."""

    def load(self, arn: str) -> memory.HistoryRecord | None: ...
    def save(self, record: memory.HistoryRecord, expected_version: int | None) -> int: ...


class Publisher(Protocol):
    topic_arn: str

    def publish(self, alert: Any) -> str: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def error(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


def _host_of(url: str) -> str | None:
    """The host (and port) of a URL, for remembering the JWKS host."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].lower() or None


def utc_now() -> datetime:
    return datetime.now(UTC)


class _WriteGate:
    """One sweep's deadline, shared by its workers: once closed (at the deadline) no worker starts a write, so
    no write can land after the report. It also remembers each provider's write in flight."""

    def __init__(self, deadline: float | None, monotonic: Callable[[], float]) -> None:
        self._deadline = deadline
        self._monotonic = monotonic
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sent: dict[str, tuple[ProviderConfig, tuple[str, ...]]] = {}

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def seconds_left(self) -> float | None:
        """Until the deadline (never negative); None without a deadline."""
        if self._deadline is None:
            return None
        return max(self._deadline - self._monotonic(), 0.0)

    def admits(self, seconds: float) -> bool:
        """Whether something taking `seconds` may start now and end before the deadline."""
        left = self.seconds_left()
        return not self.closed and (left is None or left >= seconds)

    def close(self) -> None:
        with self._lock:
            self._closed.set()

    def begin_write(self, arn: str, provider: ProviderConfig, proposed: tuple[str, ...], seconds: float) -> bool:
        """Record a write about to be sent, if it may start (atomically with `close`)."""
        with self._lock:
            if not self.admits(seconds):
                return False
            self._sent[arn] = (provider, proposed)
            return True

    def sent(self, arn: str) -> tuple[ProviderConfig, tuple[str, ...]] | None:
        with self._lock:
            return self._sent.get(arn)


@dataclass(frozen=True)
class Swept:
    """A sweep's report, and the receipts to commit if (and only if) an alert carrying it is delivered."""

    report: Report
    receipts: tuple[memory.Receipt, ...] = ()


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

    @property
    def finish_reserve_seconds(self) -> float:
        """Kept between the sweep's deadline and the report's: await writes in flight, read them afresh."""
        return drain_reserve_seconds(self.iam_attempt_seconds)

    @property
    def write_window_seconds(self) -> float:
        """A write starts only this long before the sweep's deadline: one update and one read-back."""
        return deadlines.write_window_seconds(self.iam_attempt_seconds)

    def run(
        self,
        request: SweepRequest,
        *,
        account: str | None,
        deadline: float | None = None,
        progress: Callable[[Finding, int, int], None] | None = None,
    ) -> Report:
        """Sweep, alert when due, and return the report. `deadline` (a `monotonic()` value) is when the report
        must be ready, the alert's time being reserved after it; probing and writing stop
        `finish_reserve_seconds` earlier, so that writes still in flight can be awaited or read afresh."""
        swept = self.sweep(request, account=account, deadline=deadline, progress=progress)
        return self.tell(swept, request.notify or self.settings.notify_on, render_alert, "sweep")

    def sweep(
        self,
        request: SweepRequest,
        *,
        account: str | None,
        deadline: float | None = None,
        progress: Callable[[Finding, int, int], None] | None = None,
    ) -> Swept:
        """Observe, judge, act and save what was observed; tell nobody. The news stays untold until `tell`
        delivers an alert carrying it."""
        started_at, started = self.clock(), self.monotonic()
        sweep_id = uuid.uuid4().hex[:12]
        dry_run = self.settings.dry_run if request.dry_run is None else request.dry_run
        # All providers, or the requested ones: an unknown one is an error before anything is probed.
        arns = select_providers(self.inventory.list_arns(), request.providers)
        self.log.info(
            "sweep started",
            extra={"sweep_id": sweep_id, "providers": len(arns), "dry_run": dry_run, "source": request.source},
        )
        gate = _WriteGate(None if deadline is None else deadline - self.finish_reserve_seconds, self.monotonic)
        findings = self._sweep_all(arns, dry_run, gate, progress, sweep_id)
        report = build_report(
            account=account,
            dry_run=dry_run,
            started_at=started_at,
            duration_ms=round((self.monotonic() - started) * 1000),
            findings=findings,
            sweep_id=sweep_id,
            history_enabled=self.history is not None,
        )
        self.log.info("sweep finished", extra={"sweep_id": sweep_id, "summary": to_builtins(report.summary)})
        receipts = tuple(finding.receipt for finding in findings if finding.receipt is not None)
        return Swept(report, receipts)

    def tell(
        self,
        swept: Swept,
        notify_on: str,
        render: Callable[[Mapping[str, Any]], Any] = render_alert,
        what: str = "sweep",
        due: bool | None = None,
    ) -> Report:
        """Publish the alert when due (`due`, else the notification policy decides), then remember that its news
        was told: only an alert SNS accepted moves the told state on. On failure the full report is logged and
        carried by the error, and nothing is marked told, so the next sweep tells again."""
        report = swept.report
        tree = to_builtins(report)
        if due is None:
            due = should_notify(tree, notify_on)
        publisher = self.publisher if due else None
        outcome = deliver_alert(publisher, tree, notify_on, render, self.log, what)
        report = finished(report, alert=outcome)
        if outcome.sent and swept.receipts and self.history is not None:
            committed = self._commit_told(self.history, swept.receipts, report.sweep_id)
            history = {**to_builtins(report.history), "told": committed, "told_failed": len(swept.receipts) - committed}
            report = finished(report, history=history)
        return report

    def _commit_told(self, store: HistoryStore, receipts: Sequence[memory.Receipt], sweep_id: str) -> int:
        """Mark each receipt's news told (conditionally on the version this sweep saved); how many were marked.
        A mark that fails leaves the news untold: the next delivered alert repeats it rather than lose it."""

        def commit(receipt: memory.Receipt) -> bool:
            try:
                store.save(receipt.told, receipt.saved_version)
            except HistoryUnavailable as error:
                self.log.warning(
                    "news not marked told: the next alert repeats it",
                    extra={"arn": receipt.arn, "sweep_id": sweep_id, "reason": error.detail},
                )
                return False
            return True

        workers = max(min(self.settings.max_workers, len(receipts)), 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="told") as pool:
            return sum(pool.map(commit, receipts))

    def report_unswept_account(
        self, request: SweepRequest, *, account: str | None, code: str, message: str, remedy: str
    ) -> Report:
        """The report of an account that could not be swept at all (its role cannot be assumed or cannot list
        the providers): one account-level finding and an `error`, alerted like any other report."""
        started_at = self.clock()
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
            dry_run=self.settings.dry_run if request.dry_run is None else request.dry_run,
            started_at=started_at,
            duration_ms=0,
            findings=[finding],
            sweep_id=sweep_id,
            error=AccountError(code=code, message=message, remedy=remedy),
        )
        self.log.error(
            "account not swept", extra={"sweep_id": sweep_id, "account": account, "error": to_builtins(report)["error"]}
        )
        return self.tell(Swept(report), request.notify or self.settings.notify_on)

    def _sweep_all(
        self,
        arns: list[str],
        dry_run: bool,
        gate: _WriteGate,
        progress: Callable[[Finding, int, int], None] | None,
        sweep_id: str,
    ) -> list[Finding]:
        if not arns:
            return []
        # One scope per sweep: each endpoint captured once, whichever providers share it.
        scope = self.prober.sweep_pool() if isinstance(self.prober, SharingProber) else None
        try:
            return self._sweep_scoped(arns, dry_run, gate, progress, sweep_id, scope)
        finally:
            if scope is not None:
                scope.close()

    def _sweep_scoped(
        self,
        arns: list[str],
        dry_run: bool,
        gate: _WriteGate,
        progress: Callable[[Finding, int, int], None] | None,
        sweep_id: str,
        scope: SweepScope | None,
    ) -> list[Finding]:
        now = self.clock()  # one instant per sweep, so that shared chains get one verdict
        pool = ThreadPoolExecutor(max_workers=min(self.settings.max_workers, len(arns)), thread_name_prefix="sweep")
        futures: dict[Future[Finding], str] = {
            pool.submit(self._sweep_one, arn, dry_run, gate, sweep_id, scope, now): arn for arn in arns
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
        outcome = WriteOutcome(proposed, provider.thumbprints, unanswered="no answer from IAM by the deadline")
        try:
            outcome = replace(outcome, read_back=self.inventory.get(arn).thumbprints)
        except ProviderReadError as error:
            outcome = replace(outcome, read_error=error.detail)
        remediation = judge_write(outcome)
        return Finding(
            arn=arn,
            url=provider.url,
            status="stale",
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
        gate: _WriteGate,
        sweep_id: str,
        scope: SweepScope | None = None,
        now: datetime | None = None,
    ) -> Finding:
        """Assess and, when due and safe, repair one provider. Never raises."""
        try:
            return self._log_finding(self._assess_and_fix(arn, dry_run, gate, scope, now), sweep_id)
        except Exception as error:  # a bug must cost one provider, not the sweep; logged with its trace
            self.log.exception("provider sweep failed unexpectedly", extra={"arn": arn, "sweep_id": sweep_id})
            return self._log_finding(
                self._error_finding(
                    arn, "internal_error", f"unexpected error: {type(error).__name__}: {error}", "report this bug"
                ),
                sweep_id,
            )

    def _assess_and_fix(
        self,
        arn: str,
        dry_run: bool,
        gate: _WriteGate,
        scope: SweepScope | None = None,
        sweep_now: datetime | None = None,
    ) -> Finding:
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
        before = provider.thumbprints
        # Skip means "do not write", never "do not watch": a tagged provider is observed, judged and remembered
        # like any other, so drift, interception or a stale list on it are still told.
        skip_tagged = is_skipped(provider, SKIP_TAG_KEY)
        record, history_error = self._load_history(arn)
        probe, trusts, sample_trusts, now = self._probe_and_verify(provider, scope, sweep_now)
        declared_private = has_true_tag(provider, PRIVATE_CA_TAG_KEY)
        pinned = [normalize_thumbprint(value) for value in before]
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
        chains_seen, complete = memory.observed_chains(probe, trusts, sample_trusts, now)
        observation = memory.Observation(
            now=now,
            pins_before=tuple(pinned),
            pins_after=tuple(pinned),
            written=False,
            chains=chains_seen,
            jwks_host=probe.jwks_uri and _host_of(str(probe.jwks_uri)),
            complete=complete,
            problem_codes=tuple(p.code for p in assessment.problems if p.status != "ok"),
            expiry_days_left=assessment.nearest_expiry.days_left if assessment.nearest_expiry else None,
            skip_tagged=skip_tagged,
        )
        prune = memory.prune_candidates(
            record, observation, assessment.live_thumbprints, self.settings.prune_after_days
        )
        if prune and assessment.proposed_thumbprints is not None:
            kept = tuple(value for value in assessment.proposed_thumbprints if value not in prune)
            assessment = replace(assessment, proposed_thumbprints=kept or assessment.proposed_thumbprints)
        decision = decide(
            before,
            assessment,
            dry_run=dry_run,
            seconds_left=gate.seconds_left(),
            write_window=self.write_window_seconds,
            hold=f"tagged {SKIP_TAG_KEY}=true" if skip_tagged else None,
        )
        remediation = (
            self._write(provider, decision.thumbprints, assessment, presented_chains(probe), gate)
            if isinstance(decision, Write)
            else decision
        )
        # A dry run's `after` is the list a write would pin: IAM still holds `before`, and history must say so.
        held = before if remediation.action == Action.WOULD_UPDATE else remediation.after
        history, receipt = self._remember(arn, record, history_error, observation, held, prune, dry_run, gate)
        healthy_but_held = skip_tagged and Status(assessment.status).healthy
        return Finding(
            arn=arn,
            url=provider.url,
            status=Status.SKIPPED if healthy_but_held else assessment.status,
            action=remediation.action,
            problems=assessment.problems,
            thumbprints_before=before,
            thumbprints_after=remediation.after,
            hosts=tuple(
                describe_host(capture, trusts.get(capture.endpoint), now, sample_trusts.get(capture.endpoint, ()))
                for capture in probe.hosts
            ),
            error=remediation.error,
            action_reason=remediation.reason,
            thumbprint_reliance=assessment.thumbprint_reliance,
            nearest_expiry=assessment.nearest_expiry,
            history=history,
            receipt=receipt,
        )

    def _load_history(self, arn: str) -> tuple[memory.HistoryRecord | None, HistoryUnavailable | None]:
        """The provider's record (None on a first sweep), or why there is none to use."""
        if self.history is None:
            return None, None
        try:
            return self.history.load(arn), None
        except HistoryUnavailable as error:
            self.log.warning("history unavailable", extra={"arn": arn, "reason": error.detail})
            return None, error

    def _remember(
        self,
        arn: str,
        record: memory.HistoryRecord | None,
        history_error: HistoryUnavailable | None,
        observation: memory.Observation,
        after: tuple[str, ...] | None,
        prune: tuple[str, ...],
        dry_run: bool,
        gate: _WriteGate,
    ) -> tuple[FindingHistory | None, memory.Receipt | None]:
        """Compare this sweep with the record, save what it observed (conditionally; its news still untold), and
        say what history tells; with the receipt that marks the news told once an alert carrying it is delivered."""
        store = self.history
        if store is None:
            return None, None
        pins_after = tuple(normalize_thumbprint(value) for value in after or ()) or observation.pins_before
        observation = replace(
            observation, pins_after=pins_after, written=set(pins_after) != set(observation.pins_before)
        )
        placeholders = [
            PlaceholderPin(thumbprint=value, why=why)
            for value, why in memory.placeholder_pins(observation.pins_before, observation.chains)
        ]
        if history_error is not None:
            reason = self._replace_damaged(store, arn, history_error, observation, gate)
            return FindingHistory(state="unavailable", reason=reason, placeholder_pins=placeholders), None
        changes = memory.changes_since(record, observation)
        news = memory.reminder_due(record, observation)
        observed = memory.next_record(record, arn, observation, changes)
        saved = self._save_record(store, arn, observed, record, gate)
        untold = record.untold if record is not None else ()
        history = FindingHistory(
            state="on" if isinstance(saved, int) else "unavailable",
            reason=UNSET if isinstance(saved, int) else saved,
            first_sweep=record is None,
            since_last_sweep=[ChangeEntry(kind=change.kind, detail=change.detail) for change in changes],
            drift=any(change.kind == "drift" for change in changes),
            news=news,
            untold=[
                UntoldEntry(kind=change.kind, detail=change.detail, observed_at=change.observed_at.isoformat())
                for change in untold
            ]
            if untold
            else UNSET,
            untold_dropped=record.untold_dropped if record is not None and record.untold_dropped else UNSET,
            placeholder_pins=placeholders,
            would_prune=list(prune) if dry_run else UNSET,
            pruned=UNSET if dry_run else [value for value in prune if value not in pins_after],
            prune_pending=[] if dry_run else [value for value in prune if value in pins_after],
        )
        if not isinstance(saved, int):
            return history, None  # not saved: the next sweep compares with the old record and finds it all again
        told = memory.told(observed, observation.now, reminded=news is not None)
        receipt = (
            None
            if told == observed
            else memory.Receipt(arn=arn, told=told, saved_version=saved, reminded=news is not None)
        )
        return history, receipt

    def _replace_damaged(
        self,
        store: HistoryStore,
        arn: str,
        history_error: HistoryUnavailable,
        observation: memory.Observation,
        gate: _WriteGate,
    ) -> str:
        """Why history is unavailable; a damaged item would stay unusable forever, so this sweep's record replaces
        it (still conditionally) when time allows."""
        reason = f"history unavailable for this provider: {history_error.detail}"
        if history_error.damaged_version is None or not gate.admits(self.iam_attempt_seconds):
            return reason
        try:
            store.save(memory.next_record(None, arn, observation), history_error.damaged_version)
        except HistoryUnavailable as error:
            self.log.warning("damaged history not replaced", extra={"arn": arn, "reason": error.detail})
            return reason
        return reason + "; replaced by a fresh record from this sweep"

    def _save_record(
        self,
        store: HistoryStore,
        arn: str,
        new_record: memory.HistoryRecord,
        record: memory.HistoryRecord | None,
        gate: _WriteGate,
    ) -> int | str:
        """Save this sweep's record, conditionally on the version read; the new version when saved, else why not."""
        if not gate.admits(self.iam_attempt_seconds):
            return "history unavailable for this provider: not saved, the sweep's time budget ran out"
        try:
            return store.save(new_record, None if record is None else record.version)
        except HistoryUnavailable as error:
            self.log.warning("history not saved", extra={"arn": arn, "reason": error.detail})
            return f"history unavailable for this provider: {error.detail}"

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

    def _write(
        self,
        provider: ProviderConfig,
        proposed: tuple[str, ...],
        assessment: Assessment,
        chains: Sequence[Sequence[str]],
        gate: _WriteGate,
    ) -> Remediation:
        """Send the list (again after throttling; after a concurrent modification, re-read and re-merged first),
        then read it back until it shows the list (IAM is eventually consistent). Every step stays inside the
        gate's deadline."""
        arn, current = provider.arn, provider.thumbprints
        unanswered: str | None = None
        for attempt in range(CONFLICT_ATTEMPTS):
            if not gate.begin_write(arn, replace(provider, thumbprints=current), proposed, self.write_window_seconds):
                return deadline_before_write(current)
            try:
                self.inventory.update_thumbprints(arn, proposed)
            except ProviderUpdateUnknown as error:
                unanswered = error.detail
            except ProviderUpdateError as error:
                retryable = error.code == CONCURRENT_MODIFICATION or error.code in THROTTLING_CODES
                if not retryable or attempt + 1 == CONFLICT_ATTEMPTS:
                    return judge_write(WriteOutcome(proposed, current, refused=error.detail))
                self._pause(gate, 0.2 * 2**attempt)
                if error.code in THROTTLING_CODES:  # refused before it was applied: send the same list again
                    continue
                try:
                    current = self.inventory.get(arn).thumbprints
                except ProviderReadError as read_error:
                    return judge_write(WriteOutcome(proposed, current, refused=f"{error.detail}; {read_error.detail}"))
                remerged = remerge(current, assessment.live_thumbprints, chains)
                if remerged is None:
                    return already_fixed(current)
                proposed = remerged
                continue
            break
        return judge_write(self._read_back(arn, proposed, current, unanswered, gate))

    def _read_back(
        self, arn: str, proposed: tuple[str, ...], current: tuple[str, ...], unanswered: str | None, gate: _WriteGate
    ) -> WriteOutcome:
        outcome = WriteOutcome(proposed, current, unanswered=unanswered)
        for delay in (0.0, *READ_BACK_DELAYS):
            if delay and not self._pause(gate, delay):
                break
            try:
                written = self.inventory.get(arn).thumbprints
            except ProviderReadError as error:
                outcome = replace(outcome, read_back=None, read_error=error.detail)
                continue
            outcome = replace(outcome, read_back=written, read_error=None)
            if matches(written, proposed):
                break
        return outcome

    def _pause(self, gate: _WriteGate, seconds: float) -> bool:
        """Sleep `seconds` if one more IAM attempt still fits before the deadline afterwards."""
        if not gate.admits(seconds + self.iam_attempt_seconds):
            return False
        self.sleep(seconds)
        return True

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


def commit_told_marks(
    store: HistoryStore, marks: Sequence[tuple[str, int, bool]], now: datetime, log: Log
) -> tuple[int, int]:
    """After the organization's alert was delivered: mark each member finding's news told, from its record as its
    sweep saved it (arn, version, reminded). A record saved again since keeps its news untold (told again, never
    lost). Returns (marked, not marked)."""
    marked = 0
    for arn, version, reminded in marks:
        try:
            record = store.load(arn)
            if record is None or record.version != version:
                continue
            store.save(memory.told(record, now, reminded), version)
        except HistoryUnavailable as error:
            log.warning("news not marked told: the next alert repeats it", extra={"arn": arn, "reason": error.detail})
            continue
        marked += 1
    return marked, len(marks) - marked


def deliver_alert(
    publisher: Publisher | None,
    report: Mapping[str, Any],
    notify_on: str,
    render: Callable[[Mapping[str, Any]], Any],
    log: Log,
    what: str,
) -> AlertOutcome:
    """Publish `render(report)` (a report as JSON values) unless `publisher` is None; the outcome, for the
    report the function returns.

    If SNS refuses, nothing is lost: the full report is logged, and AlertDeliveryError carries it (and
    says it) so the invocation fails visibly and the errors alarm fires.
    """
    if publisher is None:
        return AlertOutcome(sent=False, notify_on=notify_on)
    alert = render(report)
    try:
        message_id = publisher.publish(alert)
    except PublishError as error:
        outcome = AlertOutcome(sent=False, notify_on=notify_on, error=str(error))
        carried = {**report, "alert": to_builtins(outcome)}
        log.error(f"alert delivery failed ({what}); full report follows", extra={"report": carried})
        raise AlertDeliveryError(
            f"{error}. The {what} itself completed; report: {json.dumps(carried, default=str)}", carried
        ) from error
    return AlertOutcome(sent=True, notify_on=notify_on, message_id=message_id, subject=alert.subject)
