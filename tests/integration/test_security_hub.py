"""Security Hub's finding lifecycle through the real handler, on moto's Security Hub: one finding per problem
instance."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from sandbox.environment import Sandbox
from sandbox.issuers import Issuer
from thumbprint_remediator import contract

# Dry run: the provider's list stays as the test left it, so only what the issuer presents changes.
HUB = {contract.ENV_SECURITY_HUB: "true", contract.ENV_DRY_RUN: "true"}
PROBLEM = f"{contract.SERVICE_NAME}/problem"


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


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["arn"] == arn)


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
