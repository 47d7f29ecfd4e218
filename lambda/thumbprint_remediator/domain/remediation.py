"""What to do about one assessed provider, and what a write's outcome means: pure decisions, no I/O.

The sweep (sweep.py) carries them out: `decide` says whether to write, `remerge` what to write again after
someone else changed the provider, `judge_write` what the report says once IAM has answered (or not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from thumbprint_remediator.domain.rules import Assessment, merge_thumbprints, normalize_thumbprint
from thumbprint_remediator.domain.status import Action

# How often an update refused as a concurrent modification is re-read, re-merged and sent again.
CONFLICT_ATTEMPTS = 3
# Pauses between read-backs that still show the old list (IAM is eventually consistent).
READ_BACK_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class Remediation:
    """The outcome for one provider: the action the report shows, the list IAM holds after, and why."""

    action: Action
    after: tuple[str, ...] | None  # the list IAM holds after; None where no read could tell
    reason: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Write:
    """The decision to send `thumbprints` (the whole new list) to IAM."""

    thumbprints: tuple[str, ...]


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to a write: refused (with IAM's error), sent without an answer, and the read-back."""

    proposed: tuple[str, ...]
    current: tuple[str, ...]  # the list IAM held when it was last read before the write
    refused: str | None = None
    unanswered: str | None = None  # the update was sent; IAM's answer did not arrive
    read_back: tuple[str, ...] | None = None
    read_error: str | None = None


def decide(
    before: tuple[str, ...],
    assessment: Assessment,
    *,
    dry_run: bool,
    seconds_left: float | None,
    write_window: float,
    hold: str | None = None,
) -> Remediation | Write:
    """Write, or say why not. `seconds_left` until the sweep's deadline (None: no deadline); `hold`: why this
    provider is never written (its skip tag), though it is judged like any other."""
    proposed = assessment.proposed_thumbprints
    if hold is not None:
        due = "" if proposed is None else f"; a write would pin {', '.join(proposed)}"
        return Remediation(Action.NONE, before, f"not written: {hold}{due}")
    if proposed is None:
        if assessment.block_reason:
            return Remediation(Action.BLOCKED, before, assessment.block_reason)
        return Remediation(Action.NONE, before)
    if dry_run:
        return Remediation(Action.WOULD_UPDATE, proposed, "dry run: the list shown as after was not written")
    if seconds_left is not None and seconds_left < write_window:
        return deadline_before_write(before)
    return Write(proposed)


def deadline_before_write(current: tuple[str, ...]) -> Remediation:
    return Remediation(Action.BLOCKED, current, "not updated: the sweep's time budget ran out before the write")


def remerge(
    current: Sequence[str], live: Sequence[str], presented_chains: Sequence[Sequence[str]]
) -> tuple[str, ...] | None:
    """After a concurrent modification: the list to send now, merged with what IAM holds; None when that
    already holds every live thumbprint (the other writer fixed it)."""
    held = {normalize_thumbprint(value) for value in current}
    if all(normalize_thumbprint(value) in held for value in live):
        return None
    return merge_thumbprints(current, live, presented_chains)


def already_fixed(current: tuple[str, ...]) -> Remediation:
    return Remediation(
        Action.NONE,
        current,
        "someone else changed the provider at the same moment; it now holds every live thumbprint",
    )


def judge_write(outcome: WriteOutcome) -> Remediation:  # noqa: PLR0911 - a decision table: each return is one outcome of a write
    """The report's account of a write, from IAM's answer and the read-back."""
    if outcome.refused is not None:
        return Remediation(Action.UPDATE_FAILED, outcome.current, "IAM refused the update", outcome.refused)
    landed = outcome.read_back is not None and matches(outcome.read_back, outcome.proposed)
    if outcome.unanswered is not None:
        if landed and outcome.read_back is not None:
            return Remediation(
                Action.UPDATED,
                outcome.read_back,
                "IAM's answer to the update did not arrive; a fresh read shows the merged list landed",
            )
        if outcome.read_back is None:
            return Remediation(
                Action.UPDATE_UNKNOWN,
                None,
                "sent, outcome unknown: IAM did not answer and the provider could not be read afresh",
                f"{outcome.unanswered}; read: {outcome.read_error}",
            )
        return Remediation(
            Action.UPDATE_UNKNOWN,
            outcome.read_back,
            "sent, outcome unknown: IAM did not answer; the list shown as after is a fresh read",
            outcome.unanswered,
        )
    if outcome.read_back is None:
        return Remediation(
            Action.UPDATE_FAILED, None, "the update was sent but could not be read back", outcome.read_error
        )
    if not landed:
        return Remediation(
            Action.UPDATE_FAILED,
            outcome.read_back,
            "read-back differs from what was written",
            f"wrote {list(outcome.proposed)}, IAM now holds {list(outcome.read_back)}",
        )
    return Remediation(Action.UPDATED, outcome.read_back, "wrote the merged list and read it back")


def matches(read_back: Sequence[str], proposed: Sequence[str]) -> bool:
    """Whether a read-back shows exactly the list that was written (IAM may reorder or recase)."""
    return sorted(normalize_thumbprint(v) for v in read_back) == sorted(normalize_thumbprint(v) for v in proposed)
