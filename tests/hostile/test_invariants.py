"""The invariant checker catches what it claims to: each breach, planted in an otherwise clean sweep."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sandbox.matrix.model import ProviderRun, RunResult
from tests.hostile.oracle import violations

ARN = "arn:aws:iam::123456789012:oidc-provider/localhost:8443/x"
OLD, NEW, LEAF, OTHER = "a" * 40, "b" * 40, "c" * 40, "d" * 40


def _host(trust: str = "public", chain: tuple[str, ...] = (LEAF, NEW), tied: bool = True) -> dict[str, Any]:
    return {
        "trust": trust,
        "live_thumbprint": chain[-1],
        "certificates": [{"sha1": sha1, "tied_to_verified_path": tied} for sha1 in chain],
    }


def _clean_run() -> RunResult:
    """A provider pinned to OLD whose chain rotated to NEW, updated to [NEW, OLD]: no breach."""
    finding = {
        "arn": ARN,
        "status": "stale",
        "action": "updated",
        "problems": [{"code": "thumbprint_missing", "status": "stale"}],
        "hosts": [_host()],
        "thumbprints_after": [NEW, OLD],
    }
    provider = ProviderRun("x", ARN, "localhost:8443/x", (OLD,), after=(NEW, OLD), finding=finding)
    return RunResult("planted", [provider], {"findings": [finding]}, None, wall_seconds=1.0, budget_seconds=10.0)


def test_clean_run_has_no_violations() -> None:
    assert violations(_clean_run()) == []


def _with(change: str) -> RunResult:  # noqa: C901 - one branch per breach it plants, named by `change`
    run = copy.deepcopy(_clean_run())
    provider = run.providers[0]
    finding = provider.finding
    assert finding is not None
    assert run.report is not None
    if change == "untrusted chain written":
        finding["hosts"] = [_host("untrusted")]
    elif change == "certificate off the verified path written":
        finding["hosts"] = [_host(tied=False)]
    elif change == "written despite a chain-order defect":
        finding["problems"].append({"code": "chain_unrelated_certificate", "status": "untrusted"})
        finding["status"] = "stale"
    elif change == "blocking status written":
        finding["status"] = "invalid_discovery"
    elif change == "live pin lost":
        provider.pinned, provider.after = (NEW,), (OTHER,)
        finding["thumbprints_after"] = [OTHER]
    elif change == "presented pin dropped for a stale one":
        provider.pinned, provider.after = (LEAF, OTHER), (NEW, OTHER)
        finding["thumbprints_after"] = [NEW, OTHER]
    elif change == "uppercase written":
        provider.after = (NEW.upper(), OLD)
    elif change == "six written":
        provider.after = (NEW, OLD, *(f"{i}" * 40 for i in range(4)))
        finding["thumbprints_after"] = list(provider.after)
    elif change == "report disagrees with IAM":
        finding["thumbprints_after"] = [NEW]
    elif change == "two findings":
        run.report["findings"].append(finding)
    elif change == "no finding":
        run.report["findings"] = []
    elif change == "over budget":
        run.wall_seconds = 11.0
    elif change == "written without a report":
        run.report = None
    elif change == "internal error":
        finding["problems"].append({"code": "internal_error", "status": "error"})
    return run


@pytest.mark.parametrize(
    "change",
    [
        "untrusted chain written",
        "certificate off the verified path written",
        "written despite a chain-order defect",
        "blocking status written",
        "live pin lost",
        "presented pin dropped for a stale one",
        "uppercase written",
        "six written",
        "report disagrees with IAM",
        "two findings",
        "no finding",
        "over budget",
        "written without a report",
        "internal error",
    ],
)
def test_each_planted_breach_is_reported(change: str) -> None:
    assert violations(_with(change)), change
