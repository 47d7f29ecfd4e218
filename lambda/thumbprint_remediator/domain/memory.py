"""What a provider's history says about this sweep: changes since the last sweep, drift, remembered tops,
continuity of a private CA, pruning, placeholder pins, and whether a standing problem is due a reminder.

A record holds two kinds of state, which move differently:
- what sweeps *observed* (chains, IAM's list as last seen, the skip tag, problems and when first seen): every
  sweep that saves history moves it on, whether or not it tells anyone;
- what has been *told* (the `untold` outbox of changes, each problem's `last_reminded`, `expiry_days_told`):
  it moves on only when an alert carrying it was accepted by SNS (`told`), so a sweep that tells nobody (a
  dry run, AWS Config, the CLI, `notify: never`, a failed publish) never uses up news. Changes it observed wait
  in `untold` for the next alert that is delivered.

Pure: no I/O. The sweep builds an Observation from what it saw, hands in the previous record and `now`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from thumbprint_remediator.domain.models import CertificateInfo, Endpoint, ProbeResult, Trust, TrustResult
from thumbprint_remediator.domain.rules import Problem

# Chains kept per record: the most recently seen first; older ones drop off (bounds the item far below 400 KB).
MAX_CHAINS: Final = 24
MAX_PINS_TRACKED: Final = 16
# Pruning needs this many sweeps since an entry was last presented, besides PRUNE_AFTER_DAYS.
PRUNE_MIN_SWEEPS: Final = 3
# Changes waiting for a delivered alert, per record: the newest kept, the count of older ones dropped.
MAX_UNTOLD: Final = 20
EXPIRY_REMINDER_DAYS: Final = (30, 14, 7, 3, 1, 0)
STANDING_REMINDER: Final = timedelta(days=7)
_PLACEHOLDER = re.compile(r"^(?:0{40}|f{40}|(?:af){20}|(?:fa){20}|([0-9a-f])\1{39})$")
_EXPIRY_CODES: Final = frozenset({"certificate_expiring", "certificate_expired"})


@dataclass(frozen=True)
class CertificateSeen:
    sha1: str
    subject: str
    issuer: str
    not_after: str  # ISO 8601


@dataclass(frozen=True)
class ChainSeen:
    """One presented chain of one endpoint, as a sweep saw it, leaf first."""

    endpoint: str
    address: str
    certificates: tuple[CertificateSeen, ...]
    trust: str
    anchor: str | None  # the last SHA-1 of the verified path (the CA it verified through)
    verified: bool
    first_seen: datetime
    last_seen: datetime

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.endpoint, tuple(c.sha1 for c in self.certificates)

    @property
    def top(self) -> str | None:
        return self.certificates[-1].sha1 if self.certificates else None


@dataclass(frozen=True)
class PinSeen:
    """When a thumbprint was last presented as part of a verified chain, and sweeps since then."""

    sha1: str
    last_presented: datetime | None
    sweeps_unpresented: int


@dataclass(frozen=True)
class ProblemSeen:
    code: str
    first_seen: datetime
    last_reminded: datetime | None  # when a delivered alert last carried it; None: never told


@dataclass(frozen=True)
class UntoldChange:
    """A change a sweep observed that no delivered alert has carried yet."""

    kind: str
    detail: str
    observed_at: datetime


@dataclass(frozen=True)
class HistoryRecord:
    """A provider's memory between sweeps."""

    arn: str
    first_seen: datetime
    last_seen: datetime
    sweeps: int = 0
    chains: tuple[ChainSeen, ...] = ()
    pins_seen: tuple[str, ...] = ()  # IAM's list as the last sweep left it
    pins_written: tuple[str, ...] | None = None  # the last list the tool itself wrote
    pins_written_at: datetime | None = None
    jwks_host: str | None = None
    pins: tuple[PinSeen, ...] = ()
    problems: tuple[ProblemSeen, ...] = ()
    expiry_days_left: int | None = None  # as last observed
    expiry_days_told: int | None = None  # as the last delivered alert carried it (the reminder days count from it)
    skip_tagged: bool = False  # the provider carried the skip tag when last observed
    untold: tuple[UntoldChange, ...] = ()  # the outbox: changes no delivered alert has carried yet, oldest first
    untold_dropped: int = 0  # older untold changes dropped to bound the record
    version: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "sweeps": self.sweeps,
            "chains": [
                {
                    "endpoint": c.endpoint,
                    "address": c.address,
                    "certificates": [
                        {"sha1": x.sha1, "subject": x.subject, "issuer": x.issuer, "not_after": x.not_after}
                        for x in c.certificates
                    ],
                    "trust": c.trust,
                    "anchor": c.anchor,
                    "verified": c.verified,
                    "first_seen": _iso(c.first_seen),
                    "last_seen": _iso(c.last_seen),
                }
                for c in self.chains
            ],
            "pins_seen": list(self.pins_seen),
            "pins_written": None if self.pins_written is None else list(self.pins_written),
            "pins_written_at": None if self.pins_written_at is None else _iso(self.pins_written_at),
            "jwks_host": self.jwks_host,
            "pins": [
                {
                    "sha1": p.sha1,
                    "last_presented": None if p.last_presented is None else _iso(p.last_presented),
                    "sweeps_unpresented": p.sweeps_unpresented,
                }
                for p in self.pins
            ],
            "problems": [
                {
                    "code": p.code,
                    "first_seen": _iso(p.first_seen),
                    "last_reminded": None if p.last_reminded is None else _iso(p.last_reminded),
                }
                for p in self.problems
            ],
            "expiry_days_left": self.expiry_days_left,
            "expiry_days_told": self.expiry_days_told,
            "skip_tagged": self.skip_tagged,
            "untold": [{"kind": c.kind, "detail": c.detail, "observed_at": _iso(c.observed_at)} for c in self.untold],
            "untold_dropped": self.untold_dropped,
        }


def record_from_dict(data: Mapping[str, Any], version: int = 0) -> HistoryRecord:
    """Parse a stored record; raise KeyError, TypeError or ValueError when it is malformed."""
    if not isinstance(data, Mapping):
        raise TypeError("a record is an object")
    written = data.get("pins_written")
    written_at = data.get("pins_written_at")
    expiry = data.get("expiry_days_left")
    # Records written before the outbox have no told state of their own: what they remember was reminded.
    expiry_told = data.get("expiry_days_told", expiry)
    return HistoryRecord(
        arn=_text(data["arn"]),
        first_seen=_time(data["first_seen"]),
        last_seen=_time(data["last_seen"]),
        sweeps=_int(data["sweeps"]),
        chains=tuple(
            ChainSeen(
                endpoint=_text(c["endpoint"]),
                address=_text(c["address"]),
                certificates=tuple(
                    CertificateSeen(_text(x["sha1"]), _text(x["subject"]), _text(x["issuer"]), _text(x["not_after"]))
                    for x in c["certificates"]
                ),
                trust=_text(c["trust"]),
                anchor=None if c["anchor"] is None else _text(c["anchor"]),
                verified=bool(c["verified"]),
                first_seen=_time(c["first_seen"]),
                last_seen=_time(c["last_seen"]),
            )
            for c in data["chains"]
        ),
        pins_seen=tuple(_text(p) for p in data["pins_seen"]),
        pins_written=None if written is None else tuple(_text(p) for p in written),
        pins_written_at=None if written_at is None else _time(written_at),
        jwks_host=None if data.get("jwks_host") is None else _text(data["jwks_host"]),
        pins=tuple(
            PinSeen(
                _text(p["sha1"]),
                None if p["last_presented"] is None else _time(p["last_presented"]),
                _int(p["sweeps_unpresented"]),
            )
            for p in data["pins"]
        ),
        problems=tuple(
            ProblemSeen(
                _text(p["code"]),
                _time(p["first_seen"]),
                None if p["last_reminded"] is None else _time(p["last_reminded"]),
            )
            for p in data["problems"]
        ),
        expiry_days_left=None if expiry is None else _int(expiry),
        expiry_days_told=None if expiry_told is None else _int(expiry_told),
        skip_tagged=_bool(data.get("skip_tagged", False)),
        untold=tuple(
            UntoldChange(_text(c["kind"]), _text(c["detail"]), _time(c["observed_at"])) for c in data.get("untold", [])
        ),
        untold_dropped=_int(data.get("untold_dropped", 0)),
        version=version,
    )


@dataclass(frozen=True)
class Observation:
    """What this sweep saw of one provider (and what it wrote)."""

    now: datetime
    pins_before: tuple[str, ...]  # IAM's list as read at the start of the sweep
    pins_after: tuple[str, ...]  # IAM's list as the sweep leaves it
    written: bool  # the tool changed the list in this sweep
    chains: tuple[ChainSeen, ...]
    jwks_host: str | None
    complete: bool  # every endpoint answered and every sample verified
    problem_codes: tuple[str, ...] = ()
    expiry_days_left: int | None = None
    skip_tagged: bool = False  # the provider carries the skip tag (observed, never written)


@dataclass(frozen=True)
class Change:
    # new_chain, rotated_intermediate, jwks_host_changed, pins_added, pins_removed, drift, skip_tag_added,
    # skip_tag_removed, problem_came_and_went
    kind: str
    detail: str


def observed_chains(
    probe: ProbeResult,
    trusts: Mapping[Endpoint, TrustResult],
    sample_trusts: Mapping[Endpoint, Sequence[TrustResult | None]],
    now: datetime,
) -> tuple[tuple[ChainSeen, ...], bool]:
    """Each presented chain (captures and sampled backends) with its verdict, and whether the observation is
    complete: every endpoint answered and every chain verified."""
    chains: list[ChainSeen] = []
    complete = True
    for capture in probe.hosts:
        if capture.failure is not None or not capture.presented_chain:
            complete = False
            continue
        verdicts = sample_trusts.get(capture.endpoint, ())
        samples = [
            (
                capture.samples[0].address if capture.samples else "",
                capture.presented_chain,
                trusts.get(capture.endpoint),
            )
        ]
        for index, sample in enumerate(capture.samples[1:], start=1):
            if sample.failure is not None or not sample.presented_chain:
                complete = False
                continue
            samples.append((sample.address, sample.presented_chain, verdicts[index] if index < len(verdicts) else None))
        for address, chain, trust in samples:
            verified = _verified(chain, trust)
            complete = complete and verified
            chains.append(
                ChainSeen(
                    endpoint=str(capture.endpoint),
                    address=address,
                    certificates=tuple(_certificate(c) for c in chain),
                    trust=trust.trust.value if trust is not None else Trust.UNTRUSTED.value,
                    anchor=trust.verified_path[-1] if trust is not None and trust.verified_path else None,
                    verified=verified,
                    first_seen=now,
                    last_seen=now,
                )
            )
    return tuple(_unique_chains(chains)), complete


def remembered_tops(record: HistoryRecord | None, now: datetime, days: int) -> tuple[str, ...]:
    """Tops of verified chains seen within `days`: they stay live though today's samples missed them."""
    if record is None:
        return ()
    since = now - timedelta(days=days)
    return tuple(dict.fromkeys(c.top for c in record.chains if c.verified and c.top and c.last_seen >= since))


def private_continuity(
    record: HistoryRecord | None, pinned: Collection[str], trusts: Mapping[Endpoint, TrustResult]
) -> bool:
    """A chain verifying only through EXTRA_CA_BUNDLE is a rotation, not interception, when every such
    endpoint verified through a bundle CA under which a chain holding one of the provider's pins was itself
    verified before. A provider whose pins were seen only in public chains gets no such continuity."""
    if record is None:
        return False
    private = [t for t in trusts.values() if t.trust is Trust.PRIVATE and t.verified_path]
    if not private:
        return False
    pins = set(pinned)
    anchors = {
        c.anchor
        for c in record.chains
        if c.verified and c.trust == Trust.PRIVATE.value and c.anchor and pins & {x.sha1 for x in c.certificates}
    }
    return all(t.verified_path[-1] in anchors for t in private)


def placeholder_pins(pins: Iterable[str], chains: Iterable[ChainSeen]) -> tuple[tuple[str, str], ...]:
    """Pins that can never match a real top certificate: filler values, and leaf certificates' thumbprints."""
    leaves = {c.certificates[0].sha1 for c in chains if len(c.certificates) > 1}
    found: list[tuple[str, str]] = []
    for pin in dict.fromkeys(pins):
        if _PLACEHOLDER.match(pin):
            found.append((pin, "placeholder value"))
        elif pin in leaves:
            found.append((pin, "thumbprint of a leaf certificate"))
    return tuple(found)


def changes_since(previous: HistoryRecord | None, observation: Observation) -> tuple[Change, ...]:
    """What changed since the last sweep (nothing on a first sweep: there is nothing to compare with)."""
    if previous is None:
        return ()
    found: list[Change] = []
    known = {c.key for c in previous.chains}
    known_tops: dict[str, set[str]] = {}
    for c in previous.chains:
        if c.top:
            known_tops.setdefault(c.endpoint, set()).add(c.top)
    for chain in observation.chains:
        if chain.key in known or not chain.verified:
            continue
        tops = known_tops.get(chain.endpoint, set())
        if tops and chain.top not in tops:
            found.append(
                Change(
                    "rotated_intermediate",
                    f"{chain.endpoint}: new top certificate {chain.top} ({chain.certificates[-1].subject})",
                )
            )
        else:
            found.append(Change("new_chain", f"{chain.endpoint}: new chain from {chain.address or 'the endpoint'}"))
    if previous.jwks_host != observation.jwks_host and observation.jwks_host is not None:
        found.append(Change("jwks_host_changed", f"JWKS host {previous.jwks_host} -> {observation.jwks_host}"))
    drifted = drift(previous, observation.pins_before)
    if drifted is not None:
        found.append(drifted)
    if observation.skip_tagged != previous.skip_tagged:
        found.append(
            Change("skip_tag_added", "tagged to be skipped: the tool still watches it but no longer writes it")
            if observation.skip_tagged
            else Change("skip_tag_removed", "the skip tag was removed: the tool writes it again when due")
        )
    # The tool's own changes in this sweep; changes made outside it are the drift above.
    found.extend(own_changes(observation))
    found.extend(came_and_went(previous, observation))
    return tuple(found)


def came_and_went(previous: HistoryRecord, observation: Observation) -> tuple[Change, ...]:
    """Problems an earlier sweep saw that no delivered alert carried, gone by this sweep: news all the same, as a
    change (the alert of this sweep must name them, since its told-mark empties the outbox)."""
    return tuple(
        Change("problem_came_and_went", f"{p.code} seen from {_iso(p.first_seen)} until this sweep; no alert told it")
        for p in previous.problems
        if p.last_reminded is None and p.code not in observation.problem_codes
    )


def own_changes(observation: Observation) -> tuple[Change, ...]:
    """What the tool itself changed in this sweep: the pins it added and removed."""
    before, after = set(observation.pins_before), set(observation.pins_after)
    added, removed = sorted(after - before), sorted(before - after)
    return (
        *([Change("pins_added", ", ".join(added))] if added else []),
        *([Change("pins_removed", ", ".join(removed))] if removed else []),
    )


# How a drift change starts; drift_added reads back what it added.
DRIFT_PREFIX: Final = "changed outside the tool: "


def drift(previous: HistoryRecord | None, pins_now: Sequence[str]) -> Change | None:
    """The list IAM holds now differs from the one the last sweep left, and the tool did not change it."""
    if previous is None or set(pins_now) == set(previous.pins_seen):
        return None
    added = sorted(set(pins_now) - set(previous.pins_seen))
    removed = sorted(set(previous.pins_seen) - set(pins_now))
    parts = [f"added {', '.join(added)}" if added else "", f"removed {', '.join(removed)}" if removed else ""]
    return Change("drift", DRIFT_PREFIX + "; ".join(p for p in parts if p))


def drift_added(detail: str) -> tuple[str, ...]:
    """The pins a `drift` change's detail (as `drift` words it) says were added outside the tool."""
    if not detail.startswith(DRIFT_PREFIX):
        return ()
    for part in detail[len(DRIFT_PREFIX) :].split("; "):
        if part.startswith("added "):
            return tuple(pin.strip() for pin in part[len("added ") :].split(",") if pin.strip())
    return ()


def prune_candidates(
    previous: HistoryRecord | None,
    observation: Observation,
    live: Collection[str],
    prune_after_days: int,
    min_sweeps: int = PRUNE_MIN_SWEEPS,
) -> tuple[str, ...]:
    """Pins no verified chain presented for `prune_after_days` across at least `min_sweeps` sweeps. Never while
    the observation is incomplete, never a live or recently presented pin, never the last entry."""
    if previous is None or not observation.complete:
        return ()
    presented_now = {c.sha1 for chain in observation.chains if chain.verified for c in chain.certificates}
    since = observation.now - timedelta(days=prune_after_days)
    tracked = {p.sha1: p for p in previous.pins}
    candidates: list[str] = []
    for pin in observation.pins_before:
        seen = tracked.get(pin)
        if seen is None or pin in live or pin in presented_now:
            continue
        if seen.last_presented is not None and seen.last_presented >= since:
            continue
        # Never presented since tracking began: the window counts from the record's first sweep.
        if seen.last_presented is None and previous.first_seen >= since:
            continue
        if seen.sweeps_unpresented + 1 < min_sweeps:
            continue
        candidates.append(pin)
    if candidates and len(candidates) >= len(set(observation.pins_before)):
        candidates = candidates[:-1]  # keep one entry: IAM requires a non-empty list
    return tuple(candidates)


def reminder_due(previous: HistoryRecord | None, observation: Observation) -> str | None:
    """Why this finding is worth an e-mail under NOTIFY_ON=changes, or None when it is old news.

    Measured against what was *told*, not what was last observed: a problem no delivered alert carried is still
    new, and changes an earlier sweep saw but told nobody are still news. Without history every problem is new.
    A standing expiry is reminded when its days left cross 30, 14, 7, 3, 1 or 0 since the last told count;
    other standing problems once a week."""
    codes = set(observation.problem_codes)
    if previous is None:
        return "no history: every problem is new" if codes else None
    known = {p.code: p for p in previous.problems if p.last_reminded is not None}
    new = sorted(codes - known.keys())
    if new:
        return f"new problem: {', '.join(new)}"
    if previous.untold:
        kinds = ", ".join(dict.fromkeys(change.kind for change in previous.untold))
        return f"not yet told: {kinds} (seen by a sweep that sent no alert)"
    if codes & _EXPIRY_CODES and observation.expiry_days_left is not None:
        before = previous.expiry_days_told
        for threshold in EXPIRY_REMINDER_DAYS:
            if observation.expiry_days_left <= threshold and (before is None or before > threshold):
                return f"reminder: {observation.expiry_days_left} days left"
    for code in sorted(codes - _EXPIRY_CODES):
        reminded = known[code].last_reminded
        if reminded is not None and observation.now - reminded >= STANDING_REMINDER:
            return f"weekly reminder: {code}"
    return None


def next_record(
    previous: HistoryRecord | None, arn: str, observation: Observation, changes: Sequence[Change] = ()
) -> HistoryRecord:
    """The record this sweep leaves, telling nobody yet: chains merged (newest first, capped), pins tracked,
    problems remembered (a new one as never told), and this sweep's `changes` added to the untold outbox.
    `told` turns it into the record of a sweep whose alert was delivered."""
    now = observation.now
    base = previous or HistoryRecord(arn=arn, first_seen=now, last_seen=now)
    merged: dict[tuple[str, tuple[str, ...]], ChainSeen] = {c.key: c for c in base.chains}
    for chain in observation.chains:
        old = merged.get(chain.key)
        merged[chain.key] = chain if old is None else replace(chain, first_seen=old.first_seen)
    chains = sorted(merged.values(), key=lambda c: c.last_seen, reverse=True)[:MAX_CHAINS]
    presented = {c.sha1 for chain in observation.chains if chain.verified for c in chain.certificates}
    tracked = {p.sha1: p for p in base.pins}
    pins = []
    for pin in dict.fromkeys(observation.pins_after):
        old_pin = tracked.get(pin)
        if pin in presented:
            pins.append(PinSeen(pin, now, 0))
        elif old_pin is None:
            pins.append(PinSeen(pin, None, 1))
        else:
            pins.append(replace(old_pin, sweeps_unpresented=old_pin.sweeps_unpresented + 1))
    known = {p.code: p for p in base.problems}
    problems = tuple(
        known[code] if code in known else ProblemSeen(code, now, None)
        for code in dict.fromkeys(observation.problem_codes)
    )
    # A first sweep has nothing to compare with, but what the tool itself wrote is news all the same. (A problem
    # that came and went between alerts is among `changes`: see came_and_went.)
    fresh = list(changes) if previous is not None else list(own_changes(observation))
    untold = (*base.untold, *(UntoldChange(change.kind, change.detail, now) for change in fresh))
    dropped = max(len(untold) - MAX_UNTOLD, 0)
    return replace(
        base,
        last_seen=now,
        sweeps=base.sweeps + 1,
        chains=tuple(chains),
        pins_seen=observation.pins_after,
        pins_written=observation.pins_after if observation.written else base.pins_written,
        pins_written_at=now if observation.written else base.pins_written_at,
        jwks_host=observation.jwks_host or base.jwks_host,
        pins=tuple(pins[:MAX_PINS_TRACKED]),
        problems=problems,
        expiry_days_left=observation.expiry_days_left,
        skip_tagged=observation.skip_tagged,
        untold=untold[dropped:],
        untold_dropped=base.untold_dropped + dropped,
    )


@dataclass(frozen=True)
class Receipt:
    """What one provider's record becomes once an alert carrying its news is delivered: `told`, saved on top of
    the version this sweep saved (so a sweep in between wins, and its news is told again rather than lost)."""

    arn: str
    told: HistoryRecord
    saved_version: int
    reminded: bool  # the news was due: standing problems count as reminded now


def told(record: HistoryRecord, now: datetime, reminded: bool) -> HistoryRecord:
    """`record` once an alert carrying it was delivered: the outbox is empty, every problem counts as told (and as
    reminded now when the alert was due for it, or when it had never been told), the expiry days as told."""
    problems = tuple(
        replace(p, last_reminded=now) if reminded or p.last_reminded is None else p for p in record.problems
    )
    return replace(record, untold=(), untold_dropped=0, problems=problems, expiry_days_told=record.expiry_days_left)


def _verified(chain: Sequence[CertificateInfo], trust: TrustResult | None) -> bool:
    """A chain history may build on: it verified, nothing suggests interception, its top is pinnable, and it was
    sent in the order IAM requires (a misordered or padded chain makes STS reject the JWT: not a good chain)."""
    return (
        trust is not None
        and trust.trust is not Trust.UNTRUSTED
        and not trust.interception_suspected
        and not trust.chain_defects
        and chain[-1].sha1 in trust.pinnable
    )


def _certificate(certificate: CertificateInfo) -> CertificateSeen:
    return CertificateSeen(
        sha1=certificate.sha1,
        subject=str(certificate.subject)[:256],
        issuer=str(certificate.issuer)[:256],
        not_after=_iso(certificate.not_after),
    )


def _unique_chains(chains: Iterable[ChainSeen]) -> list[ChainSeen]:
    seen: dict[tuple[str, tuple[str, ...]], ChainSeen] = {}
    for chain in chains:
        seen.setdefault(chain.key, chain)
    return list(seen.values())


def _iso(value: datetime) -> str:
    return value.isoformat()


def _time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(_text(value))
    if parsed.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return parsed


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def worded_as_continuity(problem: Problem) -> Problem:
    """The `private_ca_rotation_followed` note when history, not the tag, justified following the rotation."""
    if problem.code != "private_ca_rotation_followed":
        return problem
    endpoint = f"{problem.endpoint}: " if problem.endpoint else ""
    return replace(
        problem,
        message=f"{endpoint}the chain verifies only through EXTRA_CA_BUNDLE; followed as a rotation because history "
        "shows the pinned certificate verified through the same bundle CA",
        remedy="none needed",
    )
