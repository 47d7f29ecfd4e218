"""One sweep: inventory, probe, assess, remediate, report, alert. The orchestration, nothing more."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from thumbprint_remediator import contract
from thumbprint_remediator.alerts import render_alert, should_notify
from thumbprint_remediator.errors import (
    AlertDeliveryError,
    ProviderReadError,
    ProviderUpdateError,
    PublishError,
    RequestError,
)
from thumbprint_remediator.models import Endpoint, HostCapture, ProbeResult, ProviderConfig, TrustResult
from thumbprint_remediator.report import Finding, build_report, describe_host
from thumbprint_remediator.request import SweepRequest, provider_key
from thumbprint_remediator.rules import (
    Assessment,
    assess,
    failed_assessment,
    has_true_tag,
    is_skipped,
    normalize_thumbprint,
)
from thumbprint_remediator.settings import Settings


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


class Publisher(Protocol):
    topic_arn: str

    def publish(self, alert: Any) -> str: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def error(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    # Reserved at the end of the time budget for the alert and the return.
    finish_reserve_seconds: float = 10.0

    def run(
        self,
        request: SweepRequest,
        *,
        account: str | None,
        deadline: float | None = None,
        progress: Callable[[Finding, int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Sweep, alert when due, and return the report. `deadline` is a time.monotonic() value."""
        started_at, started = self.clock(), time.monotonic()
        sweep_id = uuid.uuid4().hex[:12]
        dry_run = self.settings.dry_run if request.dry_run is None else request.dry_run
        arns = self._select(self.inventory.list_arns(), request.providers)
        self.log.info(
            "sweep started",
            extra={"sweep_id": sweep_id, "providers": len(arns), "dry_run": dry_run, "source": request.source},
        )
        findings = self._sweep_all(arns, dry_run, deadline, progress, sweep_id)
        report = build_report(
            account=account,
            dry_run=dry_run,
            started_at=started_at,
            duration_ms=round((time.monotonic() - started) * 1000),
            findings=findings,
            sweep_id=sweep_id,
        )
        self.log.info("sweep finished", extra={"sweep_id": sweep_id, "summary": report["summary"]})
        self._notify(report, request.notify or self.settings.notify_on)
        return report

    def report_unswept_account(
        self, request: SweepRequest, *, account: str | None, code: str, message: str, remedy: str
    ) -> dict[str, Any]:
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
        )
        report["error"] = {"code": code, "message": message, "remedy": remedy}
        self.log.error("account not swept", extra={"sweep_id": sweep_id, "account": account, "error": report["error"]})
        self._notify(report, request.notify or self.settings.notify_on)
        return report

    def _select(self, arns: list[str], wanted: Sequence[str] | None) -> list[str]:
        """All providers, or the requested ones; an unknown one is an error before anything is probed."""
        if wanted is None:
            return arns
        by_key = {provider_key(arn): arn for arn in arns}
        unknown = [identifier for identifier in wanted if provider_key(identifier) not in by_key]
        if unknown:
            raise RequestError(f"no such OIDC provider in this account: {', '.join(unknown)}")
        return list(dict.fromkeys(by_key[provider_key(identifier)] for identifier in wanted))

    def _sweep_all(
        self,
        arns: list[str],
        dry_run: bool,
        deadline: float | None,
        progress: Callable[[Finding, int, int], None] | None,
        sweep_id: str,
    ) -> list[Finding]:
        if not arns:
            return []
        # One scope per sweep: each endpoint captured once, whichever providers share it.
        scope = self.prober.sweep_pool() if isinstance(self.prober, SharingProber) else None
        try:
            return self._sweep_scoped(arns, dry_run, deadline, progress, sweep_id, scope)
        finally:
            if scope is not None:
                scope.close()

    def _sweep_scoped(
        self,
        arns: list[str],
        dry_run: bool,
        deadline: float | None,
        progress: Callable[[Finding, int, int], None] | None,
        sweep_id: str,
        scope: SweepScope | None,
    ) -> list[Finding]:
        now = self.clock()  # one instant per sweep, so that shared chains get one verdict
        pool = ThreadPoolExecutor(max_workers=min(self.settings.max_workers, len(arns)), thread_name_prefix="sweep")
        futures: dict[Future[Finding], str] = {
            pool.submit(self._sweep_one, arn, dry_run, deadline, sweep_id, scope, now): arn for arn in arns
        }
        if progress is not None:
            counter = itertools.count(1)  # next() is atomic under the GIL: a safe shared count

            def report_progress(done: Future[Finding]) -> None:
                if not done.cancelled():
                    progress(done.result(), next(counter), len(futures))

            for future in futures:
                future.add_done_callback(report_progress)
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0)
        wait(futures, timeout=timeout, return_when=ALL_COMPLETED)
        pool.shutdown(wait=False, cancel_futures=True)
        findings = []
        for future, arn in futures.items():
            if future.done() and not future.cancelled():
                findings.append(future.result())
            else:
                findings.append(
                    self._error_finding(
                        arn,
                        "time_budget_exhausted",
                        "the sweep's time budget ran out before this provider finished",
                        "raise the function timeout or lower HOST_BUDGET_SECONDS; the next sweep retries it",
                    )
                )
        return findings

    def _sweep_one(
        self,
        arn: str,
        dry_run: bool,
        deadline: float | None,
        sweep_id: str,
        scope: SweepScope | None = None,
        now: datetime | None = None,
    ) -> Finding:
        """Assess and, when due and safe, repair one provider. Never raises."""
        try:
            return self._log_finding(self._assess_and_fix(arn, dry_run, deadline, scope, now), sweep_id)
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
        deadline: float | None,
        scope: SweepScope | None = None,
        sweep_now: datetime | None = None,
    ) -> Finding:
        needed = 2 * self.settings.host_budget + self.finish_reserve_seconds
        if deadline is not None and time.monotonic() + needed > deadline:
            return self._error_finding(
                arn,
                "time_budget_exhausted",
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
        if is_skipped(provider, contract.SKIP_TAG_KEY):
            return Finding(
                arn=arn,
                url=provider.url,
                status="skipped",
                thumbprints_before=before,
                thumbprints_after=before,
                action_reason=f"tagged {contract.SKIP_TAG_KEY}=true",
            )

        probe, trusts, sample_trusts, now = self._probe_and_verify(provider, scope, sweep_now)
        assessment = assess(
            provider,
            probe,
            trusts,
            self.settings.expiry_warning_days,
            now,
            declared_private=has_true_tag(provider, contract.PRIVATE_CA_TAG_KEY),
            sample_trusts=sample_trusts,
        )
        action, after, reason, failure = self._remediate(provider, assessment, dry_run, deadline)
        return Finding(
            arn=arn,
            url=provider.url,
            status=assessment.status,
            action=action,
            problems=assessment.problems,
            thumbprints_before=before,
            thumbprints_after=after,
            hosts=tuple(
                describe_host(capture, trusts.get(capture.endpoint), now, sample_trusts.get(capture.endpoint, ()))
                for capture in probe.hosts
            ),
            error=failure,
            action_reason=reason,
            thumbprint_reliance=assessment.thumbprint_reliance,
            nearest_expiry=assessment.nearest_expiry,
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

    def _remediate(
        self, provider: ProviderConfig, assessment: Assessment, dry_run: bool, deadline: float | None
    ) -> tuple[str, tuple[str, ...], str | None, str | None]:
        """Write the proposed list, then read it back. Returns (action, after, reason, error)."""
        before = provider.thumbprints
        proposed = assessment.proposed_thumbprints
        if proposed is None:
            if assessment.block_reason:
                return "blocked", before, assessment.block_reason, None
            return "none", before, None, None
        if dry_run:
            return "would_update", proposed, "dry run: the list shown as after was not written", None
        if deadline is not None and time.monotonic() + self.finish_reserve_seconds / 2 > deadline:
            return "blocked", before, "not updated: the sweep's time budget ran out before the write", None
        try:
            self.inventory.update_thumbprints(provider.arn, proposed)
            written = self.inventory.get(provider.arn).thumbprints
        except ProviderUpdateError as error:
            return "update_failed", before, "IAM refused the update", error.detail
        except ProviderReadError as error:
            return "update_failed", proposed, "the update was sent but could not be read back", error.detail
        if sorted(normalize_thumbprint(v) for v in written) != sorted(proposed):
            return (
                "update_failed",
                written,
                "read-back differs from what was written",
                f"wrote {list(proposed)}, IAM now holds {list(written)}",
            )
        return "updated", written, "wrote the merged list and read it back", None

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
                "thumbprints_before": list(finding.thumbprints_before),
                "thumbprints_after": list(finding.thumbprints_after),
            },
        )
        return finding

    def _notify(self, report: dict[str, Any], notify_on: str) -> None:
        """Publish the alert when due. On failure the full report is logged and carried by the error."""
        due = self.publisher is not None and should_notify(report, notify_on)
        deliver_alert(self.publisher if due else None, report, notify_on, render_alert, self.log, "sweep")


def deliver_alert(
    publisher: Publisher | None,
    report: dict[str, Any],
    notify_on: str,
    render: Callable[[dict[str, Any]], Any],
    log: Log,
    what: str,
) -> None:
    """Publish `render(report)` unless `publisher` is None, and record the outcome in report["alert"].

    If SNS refuses, nothing is lost: the full report is logged, and AlertDeliveryError carries it (and
    says it) so the invocation fails visibly and the errors alarm fires.
    """
    if publisher is None:
        report["alert"] = {"sent": False, "notify_on": notify_on}
        return
    alert = render(report)
    try:
        message_id = publisher.publish(alert)
    except PublishError as error:
        report["alert"] = {"sent": False, "notify_on": notify_on, "error": str(error)}
        log.error(f"alert delivery failed ({what}); full report follows", extra={"report": report})
        raise AlertDeliveryError(
            f"{error}. The {what} itself completed; report: {json.dumps(report, default=str)}", report
        ) from error
    report["alert"] = {"sent": True, "notify_on": notify_on, "message_id": message_id, "subject": alert.subject}
