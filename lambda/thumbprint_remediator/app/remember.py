"""Remember: each provider's history between sweeps. What a sweep observed is saved as it sweeps (conditionally
on the version it read); its news is marked told only once an alert carrying it was accepted by SNS (`commit_told`,
conditionally on the version the sweep saved), so nothing but a delivered alert uses up news."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import msgspec
from msgspec import UNSET

from thumbprint_remediator.app.ports import HistoryStore, Log, TimeBudget
from thumbprint_remediator.app.tell import Told
from thumbprint_remediator.domain import memory
from thumbprint_remediator.domain.errors import HistoryUnavailable
from thumbprint_remediator.domain.report import finished
from thumbprint_remediator.domain.rules import normalize_thumbprint
from thumbprint_remediator.domain.views import (
    ChangeEntry,
    FindingHistory,
    PlaceholderPin,
    Report,
    UntoldEntry,
)


@dataclass(frozen=True)
class HistoryKeeper:
    """One account's history store as a sweep uses it; `store` None: stateless, as without HISTORY_TABLE."""

    store: HistoryStore | None
    log: Log
    # Every save must fit this long before the deadline: one attempt (the history client makes one).
    iam_attempt_seconds: float

    def load(self, arn: str) -> tuple[memory.HistoryRecord | None, HistoryUnavailable | None]:
        """The provider's record (None on a first sweep), or why there is none to use."""
        if self.store is None:
            return None, None
        try:
            return self.store.load(arn), None
        except HistoryUnavailable as error:
            self.log.warning("history unavailable", extra={"arn": arn, "reason": error.detail})
            return None, error

    def remember(
        self,
        arn: str,
        record: memory.HistoryRecord | None,
        history_error: HistoryUnavailable | None,
        observation: memory.Observation,
        after: tuple[str, ...] | None,
        prune: tuple[str, ...],
        dry_run: bool,
        budget: TimeBudget,
    ) -> tuple[FindingHistory | None, memory.Receipt | None]:
        """Compare this sweep with the record, save what it observed (conditionally; its news still untold), and
        say what history tells; with the receipt that marks the news told once an alert carrying it is delivered."""
        store = self.store
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
            reason = self._replace_damaged(store, arn, history_error, observation, budget)
            return FindingHistory(state="unavailable", reason=reason, placeholder_pins=placeholders), None
        changes = memory.changes_since(record, observation)
        news = memory.reminder_due(record, observation)
        observed = memory.next_record(record, arn, observation, changes)
        saved = self._save(store, arn, observed, record, budget)
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
        budget: TimeBudget,
    ) -> str:
        """Why history is unavailable; a damaged item would stay unusable forever, so this sweep's record replaces
        it (still conditionally) when time allows."""
        reason = f"history unavailable for this provider: {history_error.detail}"
        if history_error.damaged_version is None or not budget.admits(self.iam_attempt_seconds):
            return reason
        try:
            store.save(memory.next_record(None, arn, observation), history_error.damaged_version)
        except HistoryUnavailable as error:
            self.log.warning("damaged history not replaced", extra={"arn": arn, "reason": error.detail})
            return reason
        return reason + "; replaced by a fresh record from this sweep"

    def _save(
        self,
        store: HistoryStore,
        arn: str,
        new_record: memory.HistoryRecord,
        record: memory.HistoryRecord | None,
        budget: TimeBudget,
    ) -> int | str:
        """Save this sweep's record, conditionally on the version read; the new version when saved, else why not."""
        if not budget.admits(self.iam_attempt_seconds):
            return "history unavailable for this provider: not saved, the sweep's time budget ran out"
        try:
            return store.save(new_record, None if record is None else record.version)
        except HistoryUnavailable as error:
            self.log.warning("history not saved", extra={"arn": arn, "reason": error.detail})
            return f"history unavailable for this provider: {error.detail}"


def commit_told(
    store: HistoryStore, receipts: Sequence[memory.Receipt], log: Log, workers: int, sweep_id: str | None = None
) -> int:
    """After SNS accepted the alert carrying them: mark each receipt's news told, conditionally on the version its
    sweep saved; how many were marked. A mark that fails (or a record saved again since) leaves the news untold:
    the next delivered alert repeats it rather than lose it."""

    def commit(receipt: memory.Receipt) -> bool:
        try:
            store.save(receipt.told, receipt.saved_version)
        except HistoryUnavailable as error:
            where = {"arn": receipt.arn} if sweep_id is None else {"arn": receipt.arn, "sweep_id": sweep_id}
            log.warning("news not marked told: the next alert repeats it", extra={**where, "reason": error.detail})
            return False
        return True

    if not receipts:
        return 0
    with ThreadPoolExecutor(max_workers=max(min(workers, len(receipts)), 1), thread_name_prefix="told") as pool:
        return sum(pool.map(commit, receipts))


def remember_told(
    report: Report, told: Told[memory.Receipt], store: HistoryStore | None, log: Log, workers: int
) -> Report:
    """The report once told: with the alert's outcome, and the news the alert carried marked told (none unless SNS
    accepted it); its history says how many marks held."""
    parts: dict[str, Any] = {"alert": told.alert}
    if told.news and store is not None:
        committed = commit_told(store, told.news, log, workers, report.sweep_id)
        told_failed = len(told.news) - committed
        parts["history"] = msgspec.structs.replace(report.history, told=committed, told_failed=told_failed)
    return finished(report, **parts)


def remember_told_marks(
    store: HistoryStore | None, marks: Sequence[tuple[str, int, bool]], now: datetime, log: Log, workers: int
) -> None:
    """The members' news a delivered organization alert carried (`marks`: none otherwise) marked told, on the
    history records the member sweeps saved."""
    if store is None or not marks:
        return
    marked = commit_told(store, receipts_of(store, marks, now, log), log, workers)
    log.info("organization news marked told", extra={"marked": marked, "not_marked": len(marks) - marked})


def receipts_of(
    store: HistoryStore, marks: Sequence[tuple[str, int, bool]], now: datetime, log: Log
) -> list[memory.Receipt]:
    """The receipts of news another invocation's sweep saved and did not tell (arn, saved version, reminded: as a
    member account's compact report carries them), from its records as that sweep saved them. A record saved
    again since gives none: its news stays untold, to be told again, never lost."""
    receipts = []
    for arn, version, reminded in marks:
        try:
            record = store.load(arn)
        except HistoryUnavailable as error:
            log.warning("news not marked told: the next alert repeats it", extra={"arn": arn, "reason": error.detail})
            continue
        if record is not None and record.version == version:
            told = memory.told(record, now, reminded)
            receipts.append(memory.Receipt(arn=arn, told=told, saved_version=version, reminded=reminded))
    return receipts
