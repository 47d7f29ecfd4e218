"""Act: the IAM write protocol. Send the new list, retry what IAM refused without applying, read it back; never a
write that could land after the sweep's report."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from thumbprint_remediator.app.ports import Inventory
from thumbprint_remediator.contract.deadlines import write_window_seconds
from thumbprint_remediator.domain.errors import (
    ProviderReadError,
    ProviderUpdateError,
    ProviderUpdateUnknown,
    Throttled,
    WriteConflict,
)
from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.remediation import (
    CONFLICT_ATTEMPTS,
    READ_BACK_DELAYS,
    Remediation,
    WriteOutcome,
    already_fixed,
    deadline_before_write,
    judge_write,
    matches,
    remerge,
)


class WriteGate:
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
class ThumbprintWrites:
    """The write protocol against one account's providers, every step inside a gate's deadline."""

    inventory: Inventory
    # The longest one IAM attempt can take: the write window and each pause derive from it.
    iam_attempt_seconds: float
    sleep: Callable[[float], None] = time.sleep

    @property
    def window_seconds(self) -> float:
        """A write starts only this long before the deadline: one update and one read-back."""
        return write_window_seconds(self.iam_attempt_seconds)

    def write(
        self,
        provider: ProviderConfig,
        proposed: tuple[str, ...],
        live: Sequence[str],
        chains: Sequence[Sequence[str]],
        gate: WriteGate,
    ) -> Remediation:
        """Send the list (again after throttling; after a concurrent modification, re-read and re-merged with the
        `live` thumbprints first), then read it back until it shows the list (IAM is eventually consistent)."""
        arn, current = provider.arn, provider.thumbprints
        unanswered: str | None = None
        for attempt in range(CONFLICT_ATTEMPTS):
            if not gate.begin_write(arn, replace(provider, thumbprints=current), proposed, self.window_seconds):
                return deadline_before_write(current)
            try:
                self.inventory.update_thumbprints(arn, proposed)
            except ProviderUpdateUnknown as error:
                unanswered = error.detail
            except (Throttled, WriteConflict) as error:
                if attempt + 1 == CONFLICT_ATTEMPTS:
                    return judge_write(WriteOutcome(proposed, current, refused=error.detail))
                self._pause(gate, 0.2 * 2**attempt)
                if isinstance(error, Throttled):  # refused before it was applied: send the same list again
                    continue
                try:
                    current = self.inventory.get(arn).thumbprints
                except ProviderReadError as read_error:
                    return judge_write(WriteOutcome(proposed, current, refused=f"{error.detail}; {read_error.detail}"))
                remerged = remerge(current, live, chains)
                if remerged is None:
                    return already_fixed(current)
                proposed = remerged
                continue
            except ProviderUpdateError as error:
                return judge_write(WriteOutcome(proposed, current, refused=error.detail))
            break
        return judge_write(self._read_back(arn, proposed, current, unanswered, gate))

    def unanswered(self, arn: str, provider: ProviderConfig, proposed: tuple[str, ...]) -> Remediation:
        """A write still unanswered when the sweep's drain ended, judged by what a fresh read shows IAM holds."""
        outcome = WriteOutcome(proposed, provider.thumbprints, unanswered="no answer from IAM by the deadline")
        try:
            outcome = replace(outcome, read_back=self.inventory.get(arn).thumbprints)
        except ProviderReadError as error:
            outcome = replace(outcome, read_error=error.detail)
        return judge_write(outcome)

    def _read_back(
        self, arn: str, proposed: tuple[str, ...], current: tuple[str, ...], unanswered: str | None, gate: WriteGate
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

    def _pause(self, gate: WriteGate, seconds: float) -> bool:
        """Sleep `seconds` if one more IAM attempt still fits before the deadline afterwards."""
        if not gate.admits(seconds + self.iam_attempt_seconds):
            return False
        self.sleep(seconds)
        return True
