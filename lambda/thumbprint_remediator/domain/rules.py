"""The rules: what a provider's state is and what its thumbprint list should become.

Pure functions over what the inventory and the network showed. No I/O, no clock: `now` is passed in.
The IAM facts they encode are in docs/iam-rules.md (which certificate, which hosts, format,
the limit of 5, update-replaces).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from thumbprint_remediator.contract.names import PRIVATE_CA_TAG_KEY
from thumbprint_remediator.domain.models import (
    INTERCEPTION_BUNDLE_PIN_OFF_PATH,
    INTERCEPTION_PUBLIC_PIN,
    CertificateInfo,
    ChainRule,
    ChainSample,
    Endpoint,
    HostCapture,
    ProbeFailure,
    ProbeResult,
    ProviderConfig,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.status import Status, most_serious

MAX_THUMBPRINTS = 5  # IAM's limit per provider; moto does not enforce it on update, so we do
THUMBPRINT_PATTERN = re.compile(r"[0-9a-f]{40}")  # with fullmatch: no trailing newline

# Whether IAM relies on the thumbprint: a private CA or TLS 1.3 only (required), a public CA (fallback).
Reliance = Literal["required", "fallback", "unknown"]
RELIANCE_REQUIRED: Final = "required"
RELIANCE_FALLBACK: Final = "fallback"
RELIANCE_UNKNOWN: Final = "unknown"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a provider: what it is and what to do about it.

    A problem is identified by its code, its endpoint and its `instance`: what tells it from the other problems of
    its code on its endpoint, where a rule can raise several (the SHA-1 of the certificate it is about, or the
    address of the backend). Security Hub keys its findings by them, so two instances never share a finding.
    """

    code: str
    status: Status  # the provider status this problem implies (`ok` for notes)
    message: str
    remedy: str
    endpoint: str | None = None
    instance: str | None = None  # a certificate's SHA-1 or a backend's address; None: one per code and endpoint
    # Posture problems only (domain/posture): critical, warning or info; they imply no thumbprint status.
    severity: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        entry = {
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "remedy": self.remedy,
            "host": self.endpoint,
            "instance": self.instance,
        }
        if self.severity is not None:
            entry["severity"] = self.severity
        return entry


@dataclass(frozen=True)
class Expiry:
    """The certificate that expires first among those that matter."""

    endpoint: str
    subject: str
    not_after: datetime
    days_left: int


@dataclass(frozen=True)
class Assessment:
    """The verdict on one provider, before any write."""

    status: Status
    problems: tuple[Problem, ...]
    live_thumbprints: tuple[str, ...]
    proposed_thumbprints: tuple[str, ...] | None  # set when an update is warranted and safe
    block_reason: str | None  # set when an update is warranted but unsafe
    thumbprint_reliance: Reliance
    nearest_expiry: Expiry | None


def normalize_thumbprint(value: str) -> str:
    """Lowercase, without colons or spaces (as `openssl -fingerprint` prints them)."""
    return value.replace(":", "").replace(" ", "").strip().lower()


def is_valid_thumbprint(value: str) -> bool:
    return bool(THUMBPRINT_PATTERN.fullmatch(value))


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days from `now` until `not_after`, rounded down (negative once expired)."""
    return math.floor((not_after - now).total_seconds() / 86400)


def is_skipped(provider: ProviderConfig, tag_key: str) -> bool:
    return has_true_tag(provider, tag_key)


def has_true_tag(provider: ProviderConfig, tag_key: str) -> bool:
    value = provider.tag(tag_key)
    return value is not None and value.strip().lower() == "true"


def merge_thumbprints(
    existing: Sequence[str],
    live: Sequence[str],
    presented_chains: Sequence[Sequence[str]],
    limit: int = MAX_THUMBPRINTS,
) -> tuple[str, ...]:
    """The list to write: live thumbprints first, then the existing entries that match a presented certificate,
    then the others, each in their original order.

    `presented_chains` are the SHA-1s of each host's presented chain, leaf first. Over `limit`, the entries
    go in this order: those that match nothing presented, then those matching a leaf, then those matching
    the lowest certificates of a chain; the top and the certificate just below it are the last to go.
    Lowercase, no duplicates, at most `limit`."""
    live_entries = _unique(normalize_thumbprint(value) for value in live)
    if not live_entries:
        raise ValueError("a merge needs at least one live thumbprint")
    if len(live_entries) > limit:
        raise ValueError(f"{len(live_entries)} live thumbprints exceed IAM's limit of {limit}")
    candidates = [value for value in _unique(normalize_thumbprint(v) for v in existing) if value not in live_entries]
    ranks = _chain_ranks(presented_chains)
    best_first = sorted(candidates, key=lambda value: ranks.get(value, _NOT_PRESENTED))  # stable within a rank
    kept = set(best_first[: limit - len(live_entries)])
    # Written as before: presented matches, then the others, each in their original order.
    matching = [value for value in candidates if value in kept and value in ranks]
    others = [value for value in candidates if value in kept and value not in ranks]
    return (*live_entries, *matching, *others)


# A rank per existing entry, lowest kept first: the position below the top of a chain; a leaf after every CA.
_LEAF_RANK = 1_000
_NOT_PRESENTED = 2_000


def _chain_ranks(presented_chains: Sequence[Sequence[str]]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for chain in presented_chains:
        values = [normalize_thumbprint(value) for value in chain]
        for index, value in enumerate(values):
            below_top = len(values) - 1 - index
            rank = _LEAF_RANK if index == 0 and len(values) > 1 else below_top
            ranks[value] = min(rank, ranks.get(value, _NOT_PRESENTED))
    return ranks


def dropped_thumbprints(
    existing: Sequence[str], merged: Sequence[str], presented_chains: Sequence[Sequence[str]]
) -> tuple[tuple[str, str], ...]:
    """Each existing entry the merge left out, with why it was the one to go."""
    ranks = _chain_ranks(presented_chains)
    kept = set(merged)
    reasons = []
    for value in _unique(normalize_thumbprint(v) for v in existing):
        if value in kept:
            continue
        rank = ranks.get(value, _NOT_PRESENTED)
        if rank == _NOT_PRESENTED:
            why = "matches no certificate the provider presents"
        elif rank == _LEAF_RANK:
            why = "matches a leaf certificate, which IAM never checks"
        else:
            why = f"matches a certificate {rank} below the top of a presented chain"
        reasons.append((value, why))
    return tuple(reasons)


def assess(
    provider: ProviderConfig,
    probe: ProbeResult,
    trusts: Mapping[Endpoint, TrustResult],
    expiry_warning_days: int,
    now: datetime,
    *,
    declared_private: bool = False,
    sample_trusts: Mapping[Endpoint, Sequence[TrustResult | None]] | None = None,
    remembered_live: Sequence[str] = (),
) -> Assessment:
    """Decide a probed provider's status, its problems and, when safe, its new thumbprint list.

    `declared_private`: the operator tagged the provider as served by a private CA, so a chain
    trusted through EXTRA_CA_BUNDLE may replace pins that cannot be tied to it (see trust.py).
    `sample_trusts`: per endpoint, the verdict on each of its `samples` (same order); the primary
    sample is the capture itself, judged by `trusts`.
    `remembered_live`: tops of verified chains history saw recently (memory.remembered_tops); kept live
    beside today's while IAM's limit leaves room, never making the provider stale.
    """
    problems: list[Problem] = []
    relevant: list[tuple[Endpoint, CertificateInfo]] = []
    for capture in probe.hosts:
        trust = trusts.get(capture.endpoint)
        certificates = _certificates_that_matter(capture, trust)
        relevant.extend((capture.endpoint, certificate) for certificate in certificates)
        problems.extend(_certificate_problems(capture.endpoint, certificates, expiry_warning_days, now))
        problems.extend(_trust_problems(capture, trust, declared_private))
    problems.extend(_failure_problems(probe))

    pinned = _unique(normalize_thumbprint(value) for value in provider.thumbprints)
    # Only a live certificate tied to its verified path may ever be written, whatever else is decided.
    live = _unique(_pinnable_live_thumbprint(capture, trusts.get(capture.endpoint)) for capture in probe.hosts)
    problems.extend(_staleness_problems(probe.hosts, pinned, trusts))
    # Sampled backends: the live set is the union of the tops of every verified sample.
    backends = list(sampled_backends(probe, sample_trusts or {}))
    problems.extend(backend_problems(backends, pinned))
    live = _unique([*live, *verified_backend_tops(backends)])
    if len(live) > MAX_THUMBPRINTS:
        problems.append(_too_many_live(live))
    else:
        live = _unique([*live, *remembered_live])[:MAX_THUMBPRINTS]
    stale = any(problem.status is Status.STALE for problem in problems)

    proposed: tuple[str, ...] | None = None
    block_reason: str | None = None
    if stale:
        blockers = [problem for problem in problems if Status(problem.status).blocks_write]
        if not blockers and probe.jwks_uri is None:
            blockers.append(_problem("jwks_unknown", Status.INVALID_DISCOVERY, "the JWKS endpoint is unknown", ""))
        untied = [c.endpoint for c in probe.hosts if c.live_thumbprint and c.live_thumbprint not in live]
        if not blockers and untied:
            # Unreachable while chain-order defects block; kept so that no rule change can pin it.
            untied_problem = _problem(
                "live_certificate_untied",
                Status.UNTRUSTED,
                f"{untied[0]}: the last presented certificate is not tied to the verified path",
                "the server's operator must send the chain in order, leaf first, with nothing unrelated",
                untied[0],
            )
            problems.append(untied_problem)
            blockers.append(untied_problem)
        blockers.extend(problem for problem in problems if problem.code == "too_many_live_thumbprints")
        if blockers:
            block_reason = f"not updated: {blockers[0].message}"
        else:
            chains = presented_chains(probe)
            proposed = merge_thumbprints(provider.thumbprints, live, chains)
            dropped = dropped_thumbprints(provider.thumbprints, proposed, chains)
            if dropped:
                problems.append(
                    _problem(
                        "thumbprints_dropped",
                        Status.OK,
                        f"dropped {'; '.join(f'{value} ({why})' for value, why in dropped)} to stay within "
                        f"IAM's limit of {MAX_THUMBPRINTS}",
                        "none needed: the live thumbprints and the certificates nearest the top of each chain "
                        "were kept first",
                    )
                )

    return Assessment(
        status=most_serious(problem.status for problem in problems),
        problems=tuple(problems),
        live_thumbprints=live,
        proposed_thumbprints=proposed,
        block_reason=block_reason,
        thumbprint_reliance=_reliance(probe.hosts, trusts),
        nearest_expiry=_nearest_expiry(relevant, now),
    )


def presented_chains(probe: ProbeResult) -> tuple[tuple[str, ...], ...]:
    """Each host's presented chains (its capture's, then each sampled backend's) as SHA-1s, leaf first: what
    merge_thumbprints ranks by."""
    chains = (
        tuple(c.sha1 for c in chain)
        for capture in probe.hosts
        for chain in (capture.presented_chain, *(sample.presented_chain for sample in capture.samples))
        if chain
    )
    return tuple(dict.fromkeys(chains))


def sampled_backends(
    probe: ProbeResult, sample_trusts: Mapping[Endpoint, Sequence[TrustResult | None]]
) -> Iterator[tuple[HostCapture, ChainSample, TrustResult | None]]:
    """Each sample beyond an endpoint's first (which is the capture itself), with its verdict.

    An endpoint no sample could capture has only its failure to report: no samples are yielded.
    """
    for capture in probe.hosts:
        if not capture.presented_chain:
            continue
        verdicts = sample_trusts.get(capture.endpoint, ())
        for index, sample in enumerate(capture.samples[1:], start=1):
            yield capture, sample, verdicts[index] if index < len(verdicts) else None


def _verified(sample: ChainSample, trust: TrustResult | None) -> bool:
    """A sample that may be pinned: it verified, nothing suggests interception, its order breaks no rule of
    IAM's, and its top is tied to its verified path (the same rule as the capture's, see trust.py)."""
    return (
        trust is not None
        and trust.trust is not Trust.UNTRUSTED
        and not trust.interception_suspected
        and not trust.chain_defects
        and sample.live_thumbprint is not None
        and sample.live_thumbprint in trust.pinnable
    )


def verified_backend_tops(backends: Iterable[tuple[HostCapture, ChainSample, TrustResult | None]]) -> list[str]:
    """The top thumbprints of the verified samples: live too, so pinned beside the capture's own."""
    return [
        sample.live_thumbprint for _, sample, trust in backends if sample.live_thumbprint and _verified(sample, trust)
    ]


def _unverified_reason(trust: TrustResult | None) -> str | None:
    """Why a sample that answered may not be pinned, beyond the verifier's own error."""
    if trust is None or trust.trust is Trust.UNTRUSTED:
        return trust.error if trust else None
    if trust.interception_suspected:
        return "interception suspected"
    if trust.chain_defects:
        rules = ", ".join(dict.fromkeys(defect.rule.value for defect in trust.chain_defects))
        return f"the chain breaks IAM's order rule ({rules})"
    return "its last certificate is not tied to the verified path"


def _chain_text(chain: Sequence[CertificateInfo]) -> str:
    return " > ".join(certificate.sha1 for certificate in chain)


def backend_problems(
    backends: Sequence[tuple[HostCapture, ChainSample, TrustResult | None]], pinned: Sequence[str]
) -> list[Problem]:
    """What the samples beyond each endpoint's first show: untrusted or failed backends, chains
    that differ, live tops not pinned, and addresses the function could not reach (noted only)."""
    problems: list[Problem] = []
    by_endpoint: dict[Endpoint, list[tuple[HostCapture, ChainSample, TrustResult | None]]] = {}
    for item in backends:
        by_endpoint.setdefault(item[0].endpoint, []).append(item)
    for endpoint, items in by_endpoint.items():
        capture = items[0][0]
        problems.extend(_untrusted_backends(endpoint, capture, items))
        problems.extend(_failed_backends(endpoint, items))
        chains = {sample.presented_chain: sample.address for sample in capture.samples if sample.presented_chain}
        if len(chains) > 1:
            shown = "; ".join(f"{address} presents {_chain_text(chain)}" for chain, address in chains.items())
            problems.append(
                _problem(
                    "backends_differ",
                    Status.OK,
                    f"{endpoint}: its backends present {len(chains)} different chains: {shown}",
                    "none needed when every chain verifies: each verified top is pinned",
                    endpoint,
                )
            )
        primary_top = capture.live_thumbprint
        missing = list(
            dict.fromkeys(
                sample.live_thumbprint
                for _, sample, trust in items
                if sample.live_thumbprint
                and _verified(sample, trust)
                and sample.live_thumbprint != primary_top
                and sample.live_thumbprint not in pinned
            )
        )
        for thumbprint in missing:
            address = next(s.address for _, s, _ in items if s.live_thumbprint == thumbprint)
            problems.append(
                _problem(
                    "thumbprint_missing",
                    Status.STALE,
                    f"{endpoint}: live thumbprint {thumbprint} (presented by address {address}) is not pinned; "
                    "tokens fail whenever IAM reaches that backend and relies on the thumbprint",
                    "pin it: the sweep does when every sampled chain verifies and dry run is off",
                    endpoint,
                    thumbprint,
                )
            )
    return problems


def _untrusted_backends(
    endpoint: Endpoint, capture: HostCapture, items: Sequence[tuple[HostCapture, ChainSample, TrustResult | None]]
) -> list[Problem]:
    """One `backend_untrusted` per address (its instance), however many handshakes saw it and whatever chains it
    sent: each chain that is not the capture's own and may not be pinned, with why."""
    problems: list[Problem] = []
    addresses = list(dict.fromkeys(sample.address for sample in capture.samples))
    untrusted: dict[str, list[tuple[ChainSample, TrustResult | None]]] = {}
    for _, sample, trust in items:
        if (
            sample.presented_chain
            and not _verified(sample, trust)
            and sample.presented_chain != capture.presented_chain
        ):
            sent = untrusted.setdefault(sample.address, [])
            if all(seen.presented_chain != sample.presented_chain for seen, _ in sent):
                sent.append((sample, trust))
    verb = "presents" if len(untrusted) == 1 else "present"
    for address, sent in untrusted.items():
        shown = "; and ".join(
            f"{_chain_text(sample.presented_chain)}, which does not verify "
            f"({_unverified_reason(trust) or 'unknown reason'})"
            for sample, trust in sent
        )
        problems.append(
            _problem(
                "backend_untrusted",
                Status.UNTRUSTED,
                f"{endpoint}: {len(untrusted)} of {len(addresses)} addresses {verb} an untrusted chain: "
                f"{address} presents {shown}",
                "fix or drain that backend (or add its private CA to EXTRA_CA_BUNDLE); the sweep pins no "
                "thumbprint while one backend presents an unverified chain",
                endpoint,
                address,
            )
        )
    return problems


def _failed_backends(
    endpoint: Endpoint, items: Sequence[tuple[HostCapture, ChainSample, TrustResult | None]]
) -> list[Problem]:
    """One problem per address (its instance) and kind of failure, in the first failed handshake's words: a
    backend that answered and failed, or (a note) an address the function could not connect to."""
    problems: list[Problem] = []
    failed: dict[tuple[str, bool], tuple[ChainSample, ProbeFailure]] = {}
    for _, sample, _ in items:
        if sample.failure is not None:
            failed.setdefault((sample.address, sample.reachable), (sample, sample.failure))
    for sample, failure in failed.values():
        if not sample.reachable:
            problems.append(
                _problem(
                    "address_unreachable",
                    Status.OK,
                    f"{endpoint}: the function could not connect to address {sample.address} "
                    f"({failure.message}); not held against the issuer",
                    "none needed if the function has no route there (e.g. IPv6 outside a VPC); "
                    "otherwise check egress to that address",
                    endpoint,
                    sample.address,
                )
            )
        else:
            problems.append(
                _problem(
                    "backend_failed",
                    Status.UNREACHABLE,
                    f"address {sample.address}: {failure.message}",
                    "check that backend of the issuer; the other addresses answered",
                    endpoint,
                    sample.address,
                )
            )
    return problems


def _too_many_live(live: Sequence[str]) -> Problem:
    return _problem(
        "too_many_live_thumbprints",
        Status.STALE,
        f"the provider's endpoints present {len(live)} distinct verified top certificates, more than IAM's "
        f"limit of {MAX_THUMBPRINTS}: {', '.join(live)}",
        "the list cannot cover every backend; ask the issuer to serve fewer intermediates, or lower "
        "SAMPLE_ADDRESSES if some backends are retired",
    )


def failed_assessment(code: str, message: str, remedy: str) -> Assessment:
    """The assessment of a provider that could not be read or probed at all."""
    return Assessment(
        status=Status.ERROR,
        problems=(_problem(code, Status.ERROR, message, remedy),),
        live_thumbprints=(),
        proposed_thumbprints=None,
        block_reason=None,
        thumbprint_reliance=RELIANCE_UNKNOWN,
        nearest_expiry=None,
    )


def _pinnable_live_thumbprint(capture: HostCapture, trust: TrustResult | None) -> str | None:
    """The live (last presented) thumbprint, if it is in the verified path or tied to it by signature."""
    live = capture.live_thumbprint
    return live if live is not None and trust is not None and live in trust.pinnable else None


def _certificates_that_matter(capture: HostCapture, trust: TrustResult | None) -> tuple[CertificateInfo, ...]:
    """The presented certificates in the verified path; all presented ones when nothing verified."""
    if trust is None or trust.trust is Trust.UNTRUSTED or not trust.verified_path:
        return capture.presented_chain
    in_path = set(trust.verified_path)
    return tuple(c for c in capture.presented_chain if c.sha1 in in_path) or capture.presented_chain


def _certificate_problems(
    endpoint: Endpoint, certificates: Sequence[CertificateInfo], warning_days: int, now: datetime
) -> list[Problem]:
    problems = []
    # One problem per certificate: a chain that sends one twice (a defect of its own) still has one expiry.
    for certificate in {certificate.sha1: certificate for certificate in certificates}.values():
        left = days_left(certificate.not_after, now)
        when = certificate.not_after.strftime("%Y-%m-%d")
        if certificate.not_after <= now:
            problems.append(
                _problem(
                    "certificate_expired",
                    Status.EXPIRED,
                    f"{endpoint}: certificate '{certificate.subject}' expired on {when}",
                    "renew the certificate on the identity provider; IAM rejects tokens until then",
                    endpoint,
                    certificate.sha1,
                )
            )
        elif certificate.not_before > now:
            problems.append(
                _problem(
                    "certificate_not_yet_valid",
                    Status.UNTRUSTED,
                    f"{endpoint}: certificate '{certificate.subject}' is not valid before "
                    f"{certificate.not_before.strftime('%Y-%m-%d %H:%M')} UTC",
                    "check the identity provider's certificate dates and its clock",
                    endpoint,
                    certificate.sha1,
                )
            )
        elif left < warning_days:
            problems.append(
                _problem(
                    "certificate_expiring",
                    Status.EXPIRING,
                    f"{endpoint}: certificate '{certificate.subject}' expires on {when} ({left} days left)",
                    "renew it before it expires; the sweep will pin the new chain once it is live",
                    endpoint,
                    certificate.sha1,
                )
            )
    return problems


def _trust_problems(capture: HostCapture, trust: TrustResult | None, declared_private: bool) -> list[Problem]:
    endpoint = capture.endpoint
    problems = []
    if capture.presented_chain and trust is not None and trust.trust is Trust.UNTRUSTED:
        problems.append(
            _problem(
                "chain_untrusted",
                Status.UNTRUSTED,
                f"{endpoint}: the presented chain does not verify ({trust.error or 'unknown reason'})",
                "if the issuer uses a private CA, add that CA to EXTRA_CA_BUNDLE; otherwise suspect "
                "TLS interception and do not pin this chain",
                endpoint,
            )
        )
    if trust is not None and trust.interception_suspected:
        problems.append(_interception_problem(endpoint, trust, declared_private))
    if trust is not None:
        problems.extend(_chain_order_problems(capture, trust))
    if capture.accepts_tls12 is False:
        problems.append(
            _problem(
                "tls13_only",
                Status.OK,
                f"{endpoint}: accepts TLS 1.3 only, so IAM cannot verify it with its CA library and relies "
                "on the thumbprint",
                "keep the thumbprint right (this tool does), or enable TLS 1.2 on the endpoint",
                endpoint,
            )
        )
    return problems


_CHAIN_DEFECTS_NAMED = 3  # a hostile chain may carry hundreds; the rest are counted
_CHAIN_RULES: Mapping[ChainRule, tuple[str, str, str]] = {
    # code, what is wrong with the listed certificates, what the server's operator must change
    ChainRule.MISORDERED: (
        "chain_misordered",
        "the presented chain is out of order: {certificates} does not issue the certificate sent before it",
        "send the chain in order: the leaf, then its issuing CA, then each next issuer",
    ),
    ChainRule.DUPLICATE: (
        "chain_duplicate_certificate",
        "the presented chain repeats a certificate: {certificates} was already sent",
        "send each certificate of the chain once",
    ),
    ChainRule.UNRELATED: (
        "chain_unrelated_certificate",
        "the presented chain carries a certificate unrelated to its verified path: {certificates}",
        "remove the unrelated certificate from the server's chain file",
    ),
}


def _chain_order_problems(capture: HostCapture, trust: TrustResult) -> list[Problem]:
    """One problem per broken part of IAM's chain-order rule; each blocks the write (STS rejects the JWT)."""
    endpoint = capture.endpoint
    problems = []
    for rule, (code, wrong, fix) in _CHAIN_RULES.items():
        positions = [defect.position for defect in trust.chain_defects if defect.rule is rule]
        if not positions:
            continue
        named = [
            f"certificate {position + 1} of {len(capture.presented_chain)} "
            f"('{capture.presented_chain[position].subject}')"
            for position in positions[:_CHAIN_DEFECTS_NAMED]
            if position < len(capture.presented_chain)
        ]
        more = len(positions) - len(named)
        listed = ", ".join(named) + (f" and {more} more" if more > 0 else "")
        problems.append(
            _problem(
                code,
                Status.UNTRUSTED,
                f"{endpoint}: {wrong.format(certificates=listed)}; IAM requires the leaf first, then each "
                "certificate's issuer, with no duplicate or extra certificate, and STS rejects the JWT otherwise",
                f"the server's operator must fix it: {fix}; nothing is pinned until then",
                endpoint,
            )
        )
    return problems


def _interception_problem(endpoint: Endpoint, trust: TrustResult, declared_private: bool) -> Problem:
    """A private chain that continues none of the pins: blocked unless the operator declared the CA private."""
    if trust.interception_evidence == INTERCEPTION_PUBLIC_PIN:
        return _problem(
            "interception_suspected",
            Status.UNTRUSTED,
            f"{endpoint}: TLS interception suspected: the chain verifies only through EXTRA_CA_BUNDLE "
            "while the provider pins a certificate of the public PKI that is not on its verified path",
            "check for a TLS-inspecting proxy between the function and the issuer; the public pin is kept "
            f"(the {PRIVATE_CA_TAG_KEY} tag does not override it)",
            endpoint,
        )
    if declared_private:
        return _problem(
            "private_ca_rotation_followed",
            Status.OK,
            f"{endpoint}: the chain verifies only through EXTRA_CA_BUNDLE and continues none of the pins; "
            "followed because the provider is tagged as using a private CA",
            "none needed; remove the tag if the issuer's CA is public",
            endpoint,
        )
    if trust.interception_evidence == INTERCEPTION_BUNDLE_PIN_OFF_PATH:
        return _problem(
            "interception_suspected",
            Status.UNTRUSTED,
            f"{endpoint}: TLS interception suspected: the chain verifies only through EXTRA_CA_BUNDLE, but its "
            "verified path reaches neither the pinned CA of EXTRA_CA_BUNDLE nor any CA that issued it",
            "if a TLS-inspecting proxy sits in the path, exempt the issuer from inspection; if the issuer's private "
            f"PKI moved to a new root, tag the provider {PRIVATE_CA_TAG_KEY}=true; the pins are kept until then",
            endpoint,
        )
    return _problem(
        "interception_suspected",
        Status.UNTRUSTED,
        f"{endpoint}: TLS interception suspected: the chain verifies only through EXTRA_CA_BUNDLE and continues "
        "none of the provider's pins, none of which is in EXTRA_CA_BUNDLE",
        "if a TLS-inspecting proxy sits in the path, exempt the issuer from inspection; if the issuer's private CA "
        f"rotated, add the previously pinned CA to EXTRA_CA_BUNDLE or tag the provider {PRIVATE_CA_TAG_KEY}=true; "
        "the pins are kept until then",
        endpoint,
    )


def _failure_problems(probe: ProbeResult) -> list[Problem]:
    failures: list[ProbeFailure] = [c.failure for c in probe.hosts if c.failure is not None]
    if probe.failure is not None:
        failures.append(probe.failure)
    problems: list[Problem] = []
    seen: set[tuple[str, Endpoint | None]] = set()
    for failure in failures:
        if (failure.code, failure.endpoint) in seen:
            continue
        seen.add((failure.code, failure.endpoint))
        remedy = (
            "check that the issuer is up and reachable from the function (VPC, egress, DNS, firewall)"
            if failure.kind is Status.UNREACHABLE
            else "fix the issuer's discovery document or JWKS; IAM needs them to validate tokens"
        )
        endpoint = str(failure.endpoint) if failure.endpoint else None
        problems.append(_problem(failure.code, failure.kind, failure.message, remedy, endpoint))
    return problems


def _staleness_problems(
    hosts: Sequence[HostCapture], pinned: Sequence[str], trusts: Mapping[Endpoint, TrustResult]
) -> list[Problem]:
    if not pinned:
        return [
            _problem(
                "no_thumbprints",
                Status.STALE,
                "the provider has no thumbprints",
                "pin the live top-certificate thumbprints (this tool does when the chains verify)",
            )
        ]
    problems = []
    for capture in hosts:
        live = capture.live_thumbprint
        if live is None or live in pinned:
            continue
        trust = trusts.get(capture.endpoint)
        if trust is None or trust.trust is Trust.UNTRUSTED:
            # Judged from a chain that did not verify here: IAM, from AWS's network, may see another one.
            consequence = "whether IAM relies on the thumbprint is unknown, since this chain does not verify"
        elif trust.trust is Trust.PUBLIC and capture.accepts_tls12 is not False:
            consequence = "IAM verifies this public chain itself, so the thumbprint is only its fallback"
        else:
            consequence = "IAM relies on the thumbprint here, so token exchange fails until it is pinned"
        problems.append(
            _problem(
                "thumbprint_missing",
                Status.STALE,
                f"{capture.endpoint}: live thumbprint {live} "
                f"({', '.join(role.value for role in capture.roles)}) is not pinned; {consequence}",
                "pin it: the sweep does when the chain verifies and dry run is off",
                capture.endpoint,
                live,
            )
        )
    return problems


def _reliance(hosts: Sequence[HostCapture], trusts: Mapping[Endpoint, TrustResult]) -> Reliance:
    """Whether IAM depends on the thumbprint (private CA, TLS 1.3 only) or only falls back to it."""
    verdicts = [trusts.get(capture.endpoint) for capture in hosts]
    if not hosts or any(v is None or v.trust is Trust.UNTRUSTED for v in verdicts):
        return RELIANCE_UNKNOWN
    if all(v is not None and v.trust is Trust.PUBLIC for v in verdicts) and all(
        capture.accepts_tls12 is not False for capture in hosts
    ):
        return RELIANCE_FALLBACK
    return RELIANCE_REQUIRED


def _nearest_expiry(certificates: Sequence[tuple[Endpoint, CertificateInfo]], now: datetime) -> Expiry | None:
    if not certificates:
        return None
    endpoint, first = min(certificates, key=lambda item: item[1].not_after)
    return Expiry(str(endpoint), first.subject, first.not_after, days_left(first.not_after, now))


def _problem(
    code: str,
    status: Status,
    message: str,
    remedy: str,
    endpoint: Endpoint | str | None = None,
    instance: str | None = None,
) -> Problem:
    return Problem(code, status, message, remedy, str(endpoint) if endpoint is not None else None, instance)


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
