"""What a provider can be and what a sweep can do to it: the one definition every module reads.

`Status` and `Action` are StrEnums, so a member is its JSON value (`Status.STALE == "stale"`) and the report,
the alert and every string comparison stay what they were. Each member carries what used to be re-declared
beside each use (rules, report, alerts, channels, Security Hub, telemetry, organization, CLI, matrix):

- `rank`: most serious first; a provider's status is the most serious of its problems.
- `blocks_write`: the chain or the probe cannot be relied on, so no thumbprint is written.
- `critical`: the alert's severity is `critical` (and Security Hub's label HIGH or above).
- `healthy`: nothing to read about it (unless history saw a change).
- `failed`: the tool could not keep this provider correct. The ProvidersFailed metric counts a provider
  whose status is critical or whose write failed or is unknown; the alert calls exactly those (and standing
  blocks and dry-run writes) critical, so a failed provider always makes a critical alert.
- `unverified_after_change`: after a change made outside the tool, the list it left is stale or unverified.
- `hub_severity`: the Security Hub severity label of a problem implying this status (None: a note).
- `judged`: the sweep saw what a problem of this status is about (a chain, the list) and judged it, so a problem
  it no longer finds there is gone. False where it could not look (`error`, `unreachable`, `invalid_discovery`):
  not seen is not fixed. `skipped` is judged: a skip-tagged provider is watched, only never written. Security
  Hub resolves a finding only on this evidence.

Pure: imports nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Status(StrEnum):
    """A provider's status, most serious first (definition order is the rank)."""

    ERROR = "error"  # the provider could not be read or assessed at all
    UNREACHABLE = "unreachable"  # a TLS endpoint could not be reached or did not complete a handshake
    # `expired` outranks `untrusted`: an expired certificate is the usual reason a chain stops verifying,
    # and it is the more precise thing to tell the operator.
    EXPIRED = "expired"  # a certificate in the chain is past its notAfter
    # a chain does not verify (path, dates or hostname), looks intercepted, or is not sent as an issuer
    # chain (misordered, duplicate or unrelated certificates: STS rejects the JWT)
    UNTRUSTED = "untrusted"
    INVALID_DISCOVERY = "invalid_discovery"  # discovery document or JWKS unusable
    STALE = "stale"  # a live thumbprint is missing from the provider's list (or the list is empty)
    EXPIRING = "expiring"  # a certificate in the verified path expires within the warning window
    OK = "ok"
    SKIPPED = "skipped"  # tagged to be left alone (never written), and judged healthy

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]

    @property
    def blocks_write(self) -> bool:
        return _STATUS_TRAITS[self].blocks_write

    @property
    def critical(self) -> bool:
        return _STATUS_TRAITS[self].critical

    @property
    def healthy(self) -> bool:
        return _STATUS_TRAITS[self].healthy

    @property
    def failed(self) -> bool:
        """Counted in ProvidersFailed: a critical status is a provider the tool could not keep correct."""
        return _STATUS_TRAITS[self].critical

    @property
    def unverified_after_change(self) -> bool:
        return _STATUS_TRAITS[self].unverified_after_change

    @property
    def hub_severity(self) -> str | None:
        return _STATUS_TRAITS[self].hub_severity

    @property
    def judged(self) -> bool:
        """The sweep saw and judged what this status is about: a problem it no longer finds there is gone."""
        return _STATUS_TRAITS[self].judged


class Action(StrEnum):
    """What the sweep did (or, in a dry run, would do) to a provider's thumbprint list."""

    NONE = "none"
    UPDATED = "updated"  # written and read back
    WOULD_UPDATE = "would_update"  # dry run: the list shown as after was not written
    BLOCKED = "blocked"  # a write was due but a blocking status (or the time budget) forbade it
    UPDATE_FAILED = "update_failed"  # IAM refused the write, or it could not be read back
    UPDATE_UNKNOWN = "update_unknown"  # the write may or may not have happened

    @property
    def critical(self) -> bool:
        """The alert is `critical`: a write is blocked, failed, unknown, or (dry run) left undone."""
        return self in _CRITICAL_ACTIONS

    @property
    def failed(self) -> bool:
        """The write was attempted and did not verifiably land."""
        return self in (Action.UPDATE_FAILED, Action.UPDATE_UNKNOWN)

    @property
    def attempted_write(self) -> bool:
        """A write was sent: news in itself, where a standing block or dry run is only reminded."""
        return self in (Action.UPDATED, Action.UPDATE_FAILED, Action.UPDATE_UNKNOWN)


class AccountState(StrEnum):
    """An account's state in an organization sweep, in the order the organization report lists accounts."""

    FAILED = "failed"  # the account's sweep failed, or its result could not be read
    ATTENTION = "attention"  # swept; a provider needs attention
    OK = "ok"
    NOT_SWEPT = "not_swept"  # left out: not found, not active, or over the sweep's limit


@dataclass(frozen=True)
class _StatusTraits:
    blocks_write: bool
    critical: bool
    healthy: bool
    unverified_after_change: bool
    hub_severity: str | None
    judged: bool


_STATUS_TRAITS: Final[dict[Status, _StatusTraits]] = {
    Status.ERROR: _StatusTraits(True, True, False, True, "HIGH", False),
    Status.UNREACHABLE: _StatusTraits(True, True, False, True, "HIGH", False),
    Status.EXPIRED: _StatusTraits(True, True, False, True, "CRITICAL", True),
    Status.UNTRUSTED: _StatusTraits(True, True, False, True, "HIGH", True),
    Status.INVALID_DISCOVERY: _StatusTraits(True, True, False, True, "HIGH", False),
    Status.STALE: _StatusTraits(False, False, False, True, "MEDIUM", True),
    Status.EXPIRING: _StatusTraits(False, False, False, False, "LOW", True),
    Status.OK: _StatusTraits(False, False, True, False, None, True),
    # Skip stops writes, not watching: a provider reads skipped only when its chains were judged healthy.
    Status.SKIPPED: _StatusTraits(False, False, True, False, None, True),
}
_STATUS_RANK: Final = {status: rank for rank, status in enumerate(Status)}
_CRITICAL_ACTIONS: Final = frozenset({Action.BLOCKED, Action.UPDATE_FAILED, Action.UPDATE_UNKNOWN, Action.WOULD_UPDATE})

# The counted actions of a summary: every action but `none`.
COUNTED_ACTIONS: Final = tuple(action for action in Action if action is not Action.NONE)
# How an attention-worthy finding is labelled in an alert's counts, most serious first: a failed or blocked
# write, a critical status, a write (made or due), then what only needs watching. A finding's label is its
# action, or its status when it has none.
ATTENTION_ORDER: Final[tuple[Status | Action, ...]] = (
    Action.UPDATE_FAILED,
    Action.UPDATE_UNKNOWN,
    Action.BLOCKED,
    *(status for status in Status if status.critical),
    Action.WOULD_UPDATE,
    Action.UPDATED,
    Status.STALE,
    Status.EXPIRING,
)

# What a summary counts as needing attention, most serious first. `stale` is left out: a stale provider is
# counted in the action it led to (updated, would_update, blocked, update_failed).
SUMMARY_ATTENTION: Final = tuple(label for label in ATTENTION_ORDER if label is not Status.STALE)


def most_serious(statuses: Iterable[str]) -> Status:
    """The most serious of `statuses` (strings or members); `ok` when there are none."""
    ranked = [Status(status) for status in statuses]
    return min(ranked, key=lambda status: status.rank) if ranked else Status.OK
