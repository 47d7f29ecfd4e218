"""Issuers someone else could claim, over real TLS on 127.0.0.1: a discovery host named like S3 that answers as a
deleted bucket, and names that do not exist. The probe keeps its failure codes (http_status, dns_failure) and adds
what the answer proved missing; the posture judge turns that, and the roles that still trust the provider, into
the critical `issuer_claimable` problem."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from sandbox import claimable
from sandbox.claimable import MISSING_BUCKET, S3_REGION, name_resolver
from sandbox.issuers import IssuerFleet
from thumbprint_remediator.domain.models import Absence, Endpoint, ProviderConfig
from thumbprint_remediator.domain.posture import ISSUER_CLAIMABLE, RoleTrust, claimable_issuer, trusted_by
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber

ACCOUNT = "123456789012"
S3_HOST = f"{MISSING_BUCKET}.s3.{S3_REGION}.amazonaws.com"
WEBSITE_HOST = f"{MISSING_BUCKET}.s3-website-{S3_REGION}.amazonaws.com"


def _provider(url: str) -> ProviderConfig:
    return ProviderConfig(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}", url=url, thumbprints=(), client_ids=("sts.amazonaws.com",)
    )


def _role_trusting(provider: ProviderConfig, name: str, condition: dict[str, Any]) -> RoleTrust:
    """A role trusting `provider` with `condition` (the EKS user guide's IRSA statement shape)."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider.arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }
    return RoleTrust(f"arn:aws:iam::{ACCOUNT}:role/{name}", name, {"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize(
    ("behaviour", "host"),
    [("s3_no_such_bucket", S3_HOST), ("s3_website_no_such_bucket", WEBSITE_HOST)],
)
def test_a_discovery_host_answering_as_a_deleted_bucket_is_claimable(
    issuer_fleet: IssuerFleet, fast_probe_limits: ProbeLimits, behaviour: str, host: str
) -> None:
    # Given an issuer on 127.0.0.1 that S3's name resolves to, answering as S3 does for a deleted bucket
    assert claimable.MISSING_BUCKET  # importing the module registered the behaviours
    issuer = issuer_fleet.add(behaviour)
    url = f"{host}:{issuer.discovery.port}"
    prober = OidcProber(fast_probe_limits, resolver=name_resolver(issuer_fleet, {host: "127.0.0.1"}))

    # When it is probed
    result = prober.probe(url)

    # Then the failure keeps its code, and carries the evidence: the bucket S3 says does not exist
    failure = result.failure
    assert failure is not None
    assert (failure.kind, failure.code, failure.endpoint) == (
        "invalid_discovery",
        "http_status",
        Endpoint(host, issuer.discovery.port),
    )
    assert (failure.absence, failure.missing_bucket) == (Absence.NO_SUCH_BUCKET, MISSING_BUCKET)
    assert "answered HTTP 404 Not Found" in failure.message
    assert result.hosts[0].failure == failure
    # And the chain S3's name presented was captured (a wildcard for S3's hosts, as S3's own certificate)
    assert result.hosts[0].presented_chain[0].subject.startswith("CN=*.s3.")

    # When the posture judge reads it with the roles that trust the provider
    provider = _provider(url)
    open_role = _role_trusting(provider, "any-pod", {"StringEquals": {f"{url}:aud": "sts.amazonaws.com"}})
    bound_role = _role_trusting(
        provider,
        "one-pod",
        {"StringEquals": {f"{url}:sub": "system:serviceaccount:prod:app", f"{url}:aud": "sts.amazonaws.com"}},
    )
    trusted = trusted_by(provider, [open_role, bound_role])
    problem = claimable_issuer(provider, result, trusted, complete=True)

    # Then it is critical and names both roles: a well-bound role is as exposed as an open one once the keys are
    # someone else's
    assert problem is not None
    assert (problem.code, problem.severity) == (ISSUER_CLAIMABLE, "critical")
    assert f"the bucket '{MISSING_BUCKET}' does not exist" in problem.message
    assert f"2 role(s) still trust {url}" in problem.message
    assert open_role.arn in problem.message
    assert bound_role.arn in problem.message


def test_an_ordinary_404_proves_nothing_missing(issuer_fleet: IssuerFleet, fast_probe_limits: ProbeLimits) -> None:
    # Given an S3-named host answering a plain 404 (not S3's NoSuchBucket)
    issuer = issuer_fleet.add("discovery_404")
    url = f"{S3_HOST}:{issuer.discovery.port}"
    prober = OidcProber(fast_probe_limits, resolver=name_resolver(issuer_fleet, {S3_HOST: "127.0.0.1"}))

    result = prober.probe(url)

    # Then the failure is the same http_status as ever, without evidence, and nothing is claimable
    assert result.failure is not None
    assert (result.failure.code, result.failure.absence, result.failure.missing_bucket) == ("http_status", None, None)
    provider = _provider(url)
    role = _role_trusting(provider, "any-pod", {"StringEquals": {f"{url}:aud": "sts.amazonaws.com"}})
    assert claimable_issuer(provider, result, trusted_by(provider, [role]), complete=True) is None


@pytest.mark.parametrize(
    ("error", "absence"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), Absence.NAME_NOT_FOUND),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), None),
        (socket.gaierror(socket.EAI_NODATA, "No address associated with hostname"), None),
    ],
)
def test_only_a_name_that_does_not_exist_is_evidence(
    fast_probe_limits: ProbeLimits, error: socket.gaierror, absence: Absence | None
) -> None:
    # Given a resolver that fails the issuer's name in one way
    def resolver(host: str, port: int) -> list[tuple[Any, ...]]:
        raise error

    prober = OidcProber(fast_probe_limits, resolver=resolver)

    # When it is probed, then the failure is dns_failure as ever, with evidence only for NXDOMAIN
    result = prober.probe("oidc.lapsed-domain.example/cluster")

    assert result.failure is not None
    assert (result.failure.kind, result.failure.code) == ("unreachable", "dns_failure")
    assert result.failure.absence is absence


def test_every_provider_on_a_name_that_does_not_exist_gets_the_evidence(
    issuer_fleet: IssuerFleet, fast_probe_limits: ProbeLimits
) -> None:
    # Given two providers on one host whose name does not exist, probed in one sweep's pool (one capture)
    host = "oidc.lapsed-domain.example"
    prober = OidcProber(fast_probe_limits, resolver=name_resolver(issuer_fleet, {}, missing={host}))
    urls = [f"{host}/cluster-a", f"{host}/cluster-b"]

    with prober.sweep_pool() as pool:
        results = [prober.probe(url, pool) for url in urls]

    # Then both carry the evidence (the second learns the endpoint's fate from the first), and each provider
    # still trusted by a role is claimable
    for url, result in zip(urls, results, strict=True):
        assert result.failure is not None
        assert (result.failure.code, result.failure.absence) == ("dns_failure", Absence.NAME_NOT_FOUND)
        provider = _provider(url)
        role = _role_trusting(
            provider, "ci", {"StringEquals": {f"{url}:sub": "project_path:group/project:ref_type:branch:ref:main"}}
        )
        problem = claimable_issuer(provider, result, trusted_by(provider, [role]), complete=True)
        assert problem is not None
        assert problem.severity == "critical"
        assert f"the discovery host {host} does not exist (NXDOMAIN)" in problem.message
