"""Dead EKS providers and clusters without one, judged against one listing of a region's clusters. The issuer
form is the EKS user guide's ('Create an IAM OIDC provider for your cluster'); a deleted cluster leaving its
provider behind is eksctl #3843."""

from __future__ import annotations

import pytest

from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.posture import (
    EKS_CLUSTER_GONE,
    EKS_CLUSTER_WITHOUT_PROVIDER,
    EksCluster,
    TrustVerdict,
    Verdict,
    eks_cluster_gone,
    eks_clusters_without_provider,
    eks_region,
)

ACCOUNT = "123456789012"
LIVE_ID = "EXAMPLED539D4633E53DE1B71EXAMPLE"
GONE_ID = "0123456789ABCDEF0123456789ABCDEF"


def _provider(url: str) -> ProviderConfig:
    return ProviderConfig(arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}", url=url, thumbprints=())


def _cluster(name: str, cluster_id: str | None, region: str = "us-east-1") -> EksCluster:
    issuer = f"https://oidc.eks.{region}.amazonaws.com/id/{cluster_id}" if cluster_id else None
    return EksCluster(name, f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{name}", region, issuer, "ACTIVE")


def _verdict(role: str, verdict: Verdict = "ok") -> TrustVerdict:
    return TrustVerdict(
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role}", verdict=verdict, statement="#0", reason="r", suggestion=""
    )


@pytest.mark.parametrize(
    ("url", "region"),
    [
        (f"oidc.eks.us-east-1.amazonaws.com/id/{LIVE_ID}", "us-east-1"),
        (f"oidc.eks.ap-southeast-2.amazonaws.com/id/{LIVE_ID}", "ap-southeast-2"),
        (f"oidc.eks.cn-north-1.amazonaws.com.cn/id/{LIVE_ID}", "cn-north-1"),
        (f"https://oidc.eks.us-gov-west-1.amazonaws.com/id/{LIVE_ID}/", "us-gov-west-1"),
        ("token.actions.githubusercontent.com", None),
        (f"oidc.eks.example.com/id/{LIVE_ID}", None),
        (f"oidc.eks.not-a-region.amazonaws.com/id/{LIVE_ID}", None),
    ],
)
def test_the_region_of_an_eks_provider_is_its_issuer_hosts(url: str, region: str | None) -> None:
    assert eks_region(url) == region


def test_a_provider_whose_cluster_is_gone_is_a_warning_naming_the_roles_still_trusting_it() -> None:
    # Given a region listing one live cluster, and a provider for another cluster trusted by two roles
    provider = _provider(f"oidc.eks.us-east-1.amazonaws.com/id/{GONE_ID}")
    clusters = [_cluster("live", LIVE_ID)]
    trusted = [_verdict("irsa-app", "ok"), _verdict("irsa-any", "critical"), _verdict("dead", "unusable")]
    # When judged on a complete listing
    problem = eks_cluster_gone(provider, clusters, trusted, complete=True)
    # Then a warning (the issuer is AWS's: nobody can mint its tokens again) names the region and the roles
    assert problem is not None
    assert (problem.code, problem.severity) == (EKS_CLUSTER_GONE, "warning")
    assert problem.message.startswith(f"no EKS cluster in us-east-1 has the issuer {provider.url}")
    assert (
        f"2 role(s) still trust it and can no longer be assumed with its tokens: arn:aws:iam::{ACCOUNT}:role/irsa-any"
        in (problem.message)
    )
    assert "role/dead" not in problem.message
    assert provider.arn in problem.remedy
    assert "trust statements" in problem.remedy


def test_a_gone_cluster_no_role_trusts_is_still_a_warning() -> None:
    provider = _provider(f"oidc.eks.us-east-1.amazonaws.com/id/{GONE_ID}")

    problem = eks_cluster_gone(provider, [], [], complete=True)

    assert problem is not None
    assert problem.severity == "warning"
    assert "role" not in problem.message
    assert "trust statements" not in problem.remedy


@pytest.mark.parametrize(
    ("url", "clusters", "complete", "why"),
    [
        (f"oidc.eks.us-east-1.amazonaws.com/id/{LIVE_ID}", [_cluster("live", LIVE_ID)], True, "its cluster exists"),
        (
            f"oidc.eks.us-east-1.amazonaws.com/id/{LIVE_ID.lower()}",
            [_cluster("live", LIVE_ID)],
            True,
            "the cluster ID is hex: another case is the same cluster",
        ),
        (f"oidc.eks.us-east-1.amazonaws.com/id/{GONE_ID}", [], False, "an incomplete listing proves nothing"),
        ("token.actions.githubusercontent.com", [], True, "not an EKS provider"),
    ],
)
def test_no_problem_when_the_cluster_exists_or_nothing_is_proven(
    url: str, clusters: list[EksCluster], complete: bool, why: str
) -> None:
    assert eks_cluster_gone(_provider(url), clusters, [_verdict("app")], complete=complete) is None, why


def test_clusters_without_a_provider_are_information() -> None:
    # Given two clusters, one served by a provider, one not, and one EKS gives no issuer for
    clusters = [_cluster("served", LIVE_ID), _cluster("bare", GONE_ID, "eu-west-1"), _cluster("no-issuer", None)]
    providers = [_provider(f"oidc.eks.us-east-1.amazonaws.com/id/{LIVE_ID}")]
    # When judged with a complete inventory of providers
    problems = eks_clusters_without_provider(clusters, providers, complete=True)
    # Then only the bare cluster is named, as information, with the command that would create its provider
    [problem] = problems
    assert (problem.code, problem.severity) == (EKS_CLUSTER_WITHOUT_PROVIDER, "info")
    assert f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/bare" in problem.message
    assert f"https://oidc.eks.eu-west-1.amazonaws.com/id/{GONE_ID}" in problem.message
    assert "--cluster bare --region eu-west-1" in problem.remedy


def test_an_incomplete_inventory_of_providers_judges_no_cluster() -> None:
    assert eks_clusters_without_provider([_cluster("bare", GONE_ID)], [], complete=False) == ()
