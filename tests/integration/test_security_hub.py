"""Security Hub's finding lifecycle through the real handler, on moto's Security Hub: one finding per problem
instance, and a finding resolved only by a sweep that judged the place its problem was and found it gone."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sandbox.environment import Provider, Sandbox
from sandbox.faults import FaultProxy
from sandbox.issuers import Issuer
from thumbprint_remediator.contract.deadlines import TIME_BUDGET_EXHAUSTED
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_HOST_BUDGET,
    ENV_READ_TIMEOUT,
    ENV_SECURITY_HUB,
    SERVICE_NAME,
    SKIP_TAG_KEY,
)

# Dry run: the provider's list stays as the test left it, so only what the issuer presents changes.
HUB = {ENV_SECURITY_HUB: "true", ENV_DRY_RUN: "true"}
PROBLEM = f"{SERVICE_NAME}/problem"


def _findings_of(hub: Any, arn: str) -> list[dict[str, Any]]:
    """Every finding of ours on the provider, active or archived, page by page."""
    found: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"MaxResults": 100}
    while True:
        response = hub.get_findings(**arguments)
        found.extend(f for f in response["Findings"] if f["Resources"][0]["Id"] == arn)
        if not response.get("NextToken"):
            return found
        arguments["NextToken"] = response["NextToken"]


def _states(hub: Any, arn: str) -> dict[str, tuple[str, str]]:
    """Finding Id -> (problem code, record state)."""
    return {f["Id"]: (f["ProductFields"][PROBLEM], f["RecordState"]) for f in _findings_of(hub, arn)}


def _active_codes(hub: Any, arn: str) -> dict[str, str]:
    """Finding Id -> problem code, of the active findings."""
    return {id_: code for id_, (code, state) in _states(hub, arn).items() if state == "ACTIVE"}


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["arn"] == arn)


@contextmanager
def _behaving(sandbox: Sandbox, issuer: Issuer, behaviour: str) -> Iterator[None]:
    previous = sandbox.fleet.behave(issuer, behaviour)
    try:
        yield
    finally:
        sandbox.fleet.behave(issuer, previous)


def _intercepted(sandbox: Sandbox, hub: Any) -> tuple[Provider, dict[str, str]]:
    """A provider pinned to its public chain whose issuer now presents a chain of EXTRA_CA_BUNDLE's private root,
    swept once: its active findings (interception suspected, live thumbprint missing)."""
    provider = sandbox.add_provider("healthy")
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("private"))
    sandbox.invoke(None, HUB)
    active = _active_codes(hub, provider.arn)
    assert sorted(active.values()) == ["interception_suspected", "thumbprint_missing"]
    return provider, active


# --- one finding per problem instance ----------------------------------------------------------------------------
def test_two_expiring_certificates_of_one_host_are_two_findings(sandbox: Sandbox, security_hub: Any) -> None:
    # Given an issuer whose leaf and issuing CA both expire within the warning window
    provider = sandbox.add_provider("expiring_soon")
    # When the sweep runs with Security Hub on
    report = sandbox.invoke(None, HUB)
    # Then each certificate is its own finding, both stored, each naming its certificate
    findings = _findings_of(security_hub, provider.arn)
    assert sorted(f["ProductFields"][PROBLEM] for f in findings) == ["certificate_expiring"] * 2
    assert len({f["Id"] for f in findings}) == 2
    assert {f["RecordState"] for f in findings} == {"ACTIVE"}
    leaf, issuing_ca = sandbox.pki.chain("expiring_soon").certificates
    subjects = (leaf.subject.rfc4514_string(), issuing_ca.subject.rfc4514_string())
    assert sorted(next(s for s in subjects if s in f["Description"]) for f in findings) == sorted(subjects)
    # And the report says which certificate each problem is about
    problems = [p for p in _finding(report, provider.arn)["problems"] if p["code"] == "certificate_expiring"]
    assert sorted(p["instance"] for p in problems) == sorted(sandbox.pki.chain("expiring_soon").thumbprints)
    assert report["channels"]["security_hub"] == {"enabled": True, "imported": 2, "archived": 0}


@pytest.fixture
def every_backend_resolved(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Issuer:
    """A load-balanced issuer whose three addresses present a public chain, a chain of a root in neither store and
    a self-signed leaf; the process's name lookups give its name and port all three (as a DNS name with several
    A records would), every other lookup goes to the real resolver."""
    issuer = sandbox.fleet.add_load_balanced(["public", "interception", "self_signed"])
    endpoint = issuer.discovery
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *arguments: Any, **keywords: Any) -> Any:
        if host == endpoint.endpoint.host and port == endpoint.port:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
                for address in endpoint.addresses
            ]
        return real_getaddrinfo(host, port, *arguments, **keywords)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)  # undone by monkeypatch after the test
    return issuer


def test_each_untrusted_backend_address_is_its_own_finding(
    sandbox: Sandbox, security_hub: Any, every_backend_resolved: Issuer
) -> None:
    # Given a provider pinned to the public chain, two of whose three backends present untrusted chains
    provider = sandbox.register(every_backend_resolved)
    # When the sweep runs with Security Hub on
    report = sandbox.invoke(None, HUB)
    # Then each untrusted address is its own finding, both stored
    findings = [
        f for f in _findings_of(security_hub, provider.arn) if f["ProductFields"][PROBLEM] == "backend_untrusted"
    ]
    assert len({f["Id"] for f in findings}) == len(findings) == 2
    assert sorted(next(a for a in ("127.0.0.2", "127.0.0.3") if a in f["Description"]) for f in findings) == [
        "127.0.0.2",
        "127.0.0.3",
    ]
    problems = [p for p in _finding(report, provider.arn)["problems"] if p["code"] == "backend_untrusted"]
    assert sorted(p["instance"] for p in problems) == ["127.0.0.2", "127.0.0.3"]


# --- only evidence resolves --------------------------------------------------------------------------------------
def test_an_interception_finding_stays_active_while_the_host_is_unreachable_and_resolves_once_seen_clean(
    sandbox: Sandbox, security_hub: Any
) -> None:
    # Given a provider with active findings for a suspected interception
    provider, intercepted = _intercepted(sandbox, security_hub)
    # When the issuer cannot be reached for one sweep
    with _behaving(sandbox, provider.issuer, "reset"):
        unreachable = sandbox.invoke(None, HUB)
    # Then that sweep adds its own finding and resolves none: not seen is not fixed
    assert _finding(unreachable, provider.arn)["status"] == "unreachable"
    active = _active_codes(security_hub, provider.arn)
    assert intercepted.items() <= active.items()
    assert sorted(active.values()) == ["connection_reset", "interception_suspected", "thumbprint_missing"]
    assert unreachable["channels"]["security_hub"]["archived"] == 0
    # When the next sweep reaches the issuer and judges its chain clean
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("public"))
    clean = sandbox.invoke(None, HUB)
    # Then every finding of the provider is resolved
    assert _finding(clean, provider.arn)["status"] == "ok"
    assert set(_states(security_hub, provider.arn).values()) == {
        ("interception_suspected", "ARCHIVED"),
        ("thumbprint_missing", "ARCHIVED"),
        ("connection_reset", "ARCHIVED"),
    }
    assert {f["Workflow"]["Status"] for f in _findings_of(security_hub, provider.arn)} == {"RESOLVED"}
    assert clean["channels"]["security_hub"] == {"enabled": True, "imported": 0, "archived": 3}


def test_a_provider_that_could_not_be_read_keeps_its_findings(sandbox: Sandbox, security_hub: Any) -> None:
    provider, intercepted = _intercepted(sandbox, security_hub)
    # When IAM refuses to read the provider during the next sweep (status error)
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.deny("GetOpenIDConnectProvider", "not authorized to perform iam:GetOpenIDConnectProvider")
        report = sandbox.invoke(None, HUB, AWS_ENDPOINT_URL=proxy.url)
    # Then its findings stay active beside the error's
    assert _finding(report, provider.arn)["status"] == "error"
    active = _active_codes(security_hub, provider.arn)
    assert intercepted.items() <= active.items()
    assert report["channels"]["security_hub"]["archived"] == 0


def test_a_provider_left_unprobed_for_lack_of_time_keeps_its_findings(sandbox: Sandbox, security_hub: Any) -> None:
    provider, intercepted = _intercepted(sandbox, security_hub)
    # When the next invocation has time for the channels' calls but too little to probe it: the alert's reserve,
    # the drain's and one provider's worst case (contract/deadlines.py) come to 53 s, a Security Hub call's to 31 s
    report = sandbox.invoke(None, {**HUB, ENV_HOST_BUDGET: "1.5", ENV_READ_TIMEOUT: "1"}, timeout_seconds=45)
    # Then it is out of time, and its findings stay active
    assert [p["code"] for p in _finding(report, provider.arn)["problems"]] == [TIME_BUDGET_EXHAUSTED]
    assert intercepted.items() <= _active_codes(security_hub, provider.arn).items()
    assert report["channels"]["security_hub"]["archived"] == 0


def test_a_skip_tag_cannot_hide_an_interception_finding(sandbox: Sandbox, security_hub: Any) -> None:
    provider, intercepted = _intercepted(sandbox, security_hub)
    # When it is tagged to be left alone (skip stops writes, not watching) and the next sweep runs
    sandbox.account.iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=provider.arn, Tags=[{"Key": SKIP_TAG_KEY, "Value": "true"}]
    )
    report = sandbox.invoke(None, HUB)
    # Then it is still judged, still intercepted, and its findings stay active
    assert _finding(report, provider.arn)["status"] == "untrusted"
    assert _active_codes(security_hub, provider.arn) == intercepted
    assert report["channels"]["security_hub"]["archived"] == 0
    # And once its chain is seen clean, the tagged provider reads skipped (judged healthy) and they resolve
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("public"))
    clean = sandbox.invoke(None, HUB)
    assert _finding(clean, provider.arn)["status"] == "skipped"
    assert _active_codes(security_hub, provider.arn) == {}


def _two_hosts_stale(sandbox: Sandbox, hub: Any) -> tuple[Provider, dict[str, str]]:
    """A provider with its JWKS on a second endpoint and a stale list, swept once: a missing thumbprint on each."""
    provider = sandbox.add_provider("separate_jwks_host", pinned="stale")
    sandbox.invoke(None, HUB)
    active = _active_codes(hub, provider.arn)
    assert sorted(active.values()) == ["thumbprint_missing", "thumbprint_missing"]
    return provider, active


def test_a_host_the_sweep_never_reached_keeps_its_findings_when_discovery_fails(
    sandbox: Sandbox, security_hub: Any
) -> None:
    # Given missing thumbprints on the discovery host and on the JWKS host
    provider, missing = _two_hosts_stale(sandbox, security_hub)
    # When the discovery document is gone (HTTP 404): the JWKS host is not even known to the sweep
    with _behaving(sandbox, provider.issuer, "discovery_404"):
        report = sandbox.invoke(None, HUB)
    # Then neither host's finding is resolved
    assert _finding(report, provider.arn)["status"] == "invalid_discovery"
    assert missing.items() <= _active_codes(security_hub, provider.arn).items()
    assert report["channels"]["security_hub"]["archived"] == 0


def test_partial_evidence_resolves_what_it_saw_and_keeps_the_host_it_could_not_reach(
    sandbox: Sandbox, security_hub: Any
) -> None:
    # Given missing thumbprints on the discovery host and on the JWKS host
    provider, missing = _two_hosts_stale(sandbox, security_hub)
    discovery = str(provider.issuer.discovery.endpoint)
    # When the discovery host's thumbprint is pinned and the JWKS host is unreachable for the next sweep
    sandbox.account.set_thumbprints(
        provider.arn, [provider.issuer.expected_thumbprints[provider.issuer.discovery.endpoint]]
    )
    with _behaving(sandbox, provider.issuer, "jwks_host_refuses"):
        report = sandbox.invoke(None, HUB)
    # Then the discovery host's finding, judged fixed, is resolved; the JWKS host's, unseen, stays active
    assert _finding(report, provider.arn)["status"] == "unreachable"
    states = _states(security_hub, provider.arn)
    resolved = [id_ for id_, (_, state) in states.items() if state == "ARCHIVED"]
    assert len(resolved) == 1
    assert resolved[0] in missing
    assert discovery in resolved[0]
    kept = next(id_ for id_ in missing if id_ not in resolved)
    assert states[kept] == ("thumbprint_missing", "ACTIVE")


def test_a_deleted_providers_findings_are_resolved_by_the_next_full_sweep(sandbox: Sandbox, security_hub: Any) -> None:
    provider, intercepted = _intercepted(sandbox, security_hub)
    # When the provider is deleted from IAM and the next scheduled sweep lists every provider
    sandbox.account.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider.arn)
    report = sandbox.invoke(None, HUB)
    # Then it is gone from the report, and its findings are resolved
    assert provider.arn not in {f["arn"] for f in report["findings"]}
    assert set(_states(security_hub, provider.arn)) == set(intercepted)
    assert set(_active_codes(security_hub, provider.arn)) == set()
    assert report["channels"]["security_hub"]["archived"] == 2
