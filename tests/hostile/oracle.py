"""The oracle of the hostile matrix: the invariants every sweep must keep, whatever its scenario.

It judges what `sandbox.matrix` ran, independently of the table that shows the outcomes: the tests
assert that no sweep breaches an invariant, and `test_invariants.py` that each breach is caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sandbox.matrix.model import ProviderRun, RunResult
from sandbox.oracles import FORBIDDEN_TEXT, strings_in
from thumbprint_remediator.domain.rules import MAX_THUMBPRINTS
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.report.alerts import MESSAGE_LIMIT

TRUSTED: Final = frozenset({"public", "private", "pinned"})
# Problems that say a chain is not what IAM's chain-order rule or the verified path allow: never a write.
PATH_PROBLEMS: Final = frozenset(
    {
        "interception_suspected",
        "chain_misordered",
        "chain_duplicate_certificate",
        "chain_unrelated_certificate",
        "live_certificate_untied",
    }
)


def _normal(values: Sequence[str]) -> list[str]:
    return [value.replace(":", "").strip().lower() for value in values]


def violations(run: RunResult) -> list[str]:
    """Every breach of the matrix's invariants in one sweep (empty when all hold).

    - every provider gets exactly one finding (when the sweep got as far as listing);
    - no thumbprint is written from a chain that did not verify, or while a blocking problem stands;
    - nothing is written but the live certificate of a verified chain that is in its verified path or
      tied to it by signature, and nothing at all while interception or a chain-order defect stands;
    - no provider is left without an entry it had that matches a live (last presented) certificate;
      a pin matching a presented certificate goes only when every entry kept matches one too;
    - what IAM holds afterwards is what the finding says, at most 5 entries, lowercase, no duplicates;
    - no finding is an `internal_error`: whatever a server or AWS does is a finding of its own kind;
    - the sweep's wall time stays within `sweep_budget`.
    """
    problems: list[str] = []
    if run.wall_seconds > run.budget_seconds:
        problems.append(f"{run.name}: took {run.wall_seconds:.1f} s, over its {run.budget_seconds:.1f} s budget")
    if run.report is None:
        # The sweep never got a list of providers: nothing may have been probed or written.
        for provider in run.providers:
            if provider.after != provider.pinned:
                problems.append(f"{run.name}: {provider.arn} changed without a report: {provider.after}")
            if provider.connections_made:
                problems.append(f"{run.name}: {provider.arn} was probed although the sweep never started")
        return problems
    problems.extend(f"{run.name}: {text}" for text in _text_breaches(run))
    counts: dict[str, int] = {}
    for finding in run.report["findings"]:
        counts[finding["arn"]] = counts.get(finding["arn"], 0) + 1
    expected = {provider.arn for provider in run.providers}
    if set(counts) != expected or any(count != 1 for count in counts.values()):
        problems.append(f"{run.name}: findings per provider {counts}, expected exactly one for each of {expected}")
    for provider in run.providers:
        problems.extend(
            f"{run.name}: {provider.scenario or provider.arn}: {text}" for text in _provider_breaches(provider)
        )
    problems.extend(
        f"{run.name}: {finding['arn']}: internal_error: {problem.get('message', '')}"
        for finding in run.report["findings"]
        for problem in finding["problems"]
        if problem["code"] == "internal_error"
    )
    return problems


def _text_breaches(run: RunResult) -> list[str]:
    """Server text stays escaped in the report and the alert; a sent alert is one message within SNS's limit."""
    assert run.report is not None
    breaches = [
        f"raw control in the report: {text[:80]!r}" for text in strings_in(run.report) if FORBIDDEN_TEXT.search(text)
    ]
    alerts = run.details.get("alerts", [])
    if run.report.get("alert", {}).get("sent") and len(alerts) != 1:
        breaches.append(f"{len(alerts)} alerts delivered, expected one")
    for alert in alerts:
        size = alert.size
        if size > MESSAGE_LIMIT:
            breaches.append(f"the alert is {size} bytes, over SNS's {MESSAGE_LIMIT}")
        breaches += [
            f"raw control in the alert: {line[:80]!r}" for line in alert.body.split("\n") if FORBIDDEN_TEXT.search(line)
        ]
    return breaches


def _provider_breaches(provider: ProviderRun) -> list[str]:  # noqa: C901 - one check per invariant, each its own breach
    finding = provider.finding
    if finding is None:
        return []  # counted above
    if provider.after is None:
        return [] if finding["status"] == "error" or finding["action"] == "update_failed" else ["gone but not failed"]
    breaches = []
    before, after = _normal(provider.pinned), _normal(provider.after)
    hosts = finding["hosts"]
    presented = {c["sha1"] for host in hosts for c in host["certificates"]}
    live = {host["live_thumbprint"] for host in hosts if host["live_thumbprint"]}
    tied_live = {
        host["live_thumbprint"]
        for host in hosts
        if host["live_thumbprint"]
        and host["trust"] in TRUSTED
        and any(c["sha1"] == host["live_thumbprint"] and c.get("tied_to_verified_path") for c in host["certificates"])
    }
    changed = list(provider.after) != list(provider.pinned)
    distrusted = any(host["trust"] == "untrusted" for host in hosts) or any(
        problem["code"] in PATH_PROBLEMS for problem in finding["problems"]
    )
    if changed and (distrusted or Status(finding["status"]).blocks_write):
        breaches.append(f"written despite {finding['status']}: {provider.pinned} -> {provider.after}")
    added = set(after) - set(before)
    if not added <= tied_live:
        breaches.append(
            f"wrote {sorted(added - tied_live)}, not the live thumbprint of a verified chain tied to its path"
        )
    lost_live = (set(before) & live) - set(after)
    if lost_live:
        breaches.append(f"lost pins of live certificates: {sorted(lost_live)}")
    lost_presented = (set(before) & presented) - set(after)
    if lost_presented and any(value not in presented for value in after):
        breaches.append(f"dropped presented {sorted(lost_presented)} while keeping entries that match nothing")
    if changed:
        if len(after) > MAX_THUMBPRINTS or not after:
            breaches.append(f"wrote {len(after)} thumbprints")
        if list(provider.after) != after or len(set(after)) != len(after):
            breaches.append(f"wrote a list that is not lowercase and duplicate-free: {provider.after}")
    # A provider left out before it was read (time budget, unreadable) has no list in its finding to compare.
    unread = finding["status"] == "error" and not finding["thumbprints_before"] and not finding["thumbprints_after"]
    if (
        finding["action"] != "would_update"
        and not unread
        and sorted(after) != sorted(_normal(finding["thumbprints_after"]))
    ):
        breaches.append(f"IAM holds {provider.after}, the finding says {finding['thumbprints_after']}")
    return breaches
