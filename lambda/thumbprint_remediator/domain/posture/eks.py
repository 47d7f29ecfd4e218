"""Dead EKS providers and clusters without one: an IAM provider for an EKS issuer whose cluster no longer exists in
its region (deleting a cluster leaves its provider behind: eksctl #3843), and a cluster of a swept region that no
provider serves. Judged against one listing of the region's clusters (aws/eks.py). Pure: no I/O.

Why a gone cluster is a warning, not critical, even while roles trust it: its issuer lives on AWS's own host
(`oidc.eks.<region>.amazonaws.com/id/<ID>`) under an ID EKS minted for that one cluster; no account can create a
cluster with that ID again, so nobody can mint tokens the trusting roles would accept. The roles are dead, not
exposed; an issuer whose name someone else can take (issuers.py) is the critical case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from thumbprint_remediator.domain.posture.issuers import HostService, classify_issuer, split_provider_url
from thumbprint_remediator.domain.posture.judge import PostureProblem, ProviderIdentity, TrustVerdict

EKS_CLUSTER_GONE: Final = "eks_cluster_gone"
EKS_CLUSTER_WITHOUT_PROVIDER: Final = "eks_cluster_without_provider"
ROLES_NAMED: Final = 10


@dataclass(frozen=True)
class EksCluster:
    """One cluster as DescribeCluster shows it: `issuer` is its OIDC issuer URL (`https://oidc.eks...`), None
    when EKS gives none."""

    name: str
    arn: str
    region: str
    issuer: str | None
    status: str = ""


def eks_region(provider_url: str) -> str | None:
    """The region of an EKS provider (`oidc.eks.<region>.amazonaws.com/id/<ID>`); None for any other issuer."""
    host = classify_issuer(provider_url)
    return host.region if host.service is HostService.EKS else None


def issuer_key(url: str) -> tuple[str, str]:
    """What identifies an issuer across IAM's and EKS's spellings: host and path, without scheme, port or trailing
    slash, compared case-insensitively (the cluster ID is hex: a case difference is no other cluster)."""
    host, path = split_provider_url(url)
    return host.lower(), path.lower()


def eks_cluster_gone(
    provider: ProviderIdentity,
    clusters: Iterable[EksCluster],
    trusted: Sequence[TrustVerdict],
    *,
    complete: bool,
) -> PostureProblem | None:
    """The EKS provider whose issuer no cluster of `clusters` (its region's) has. Only judged when the listing of
    the region's clusters was `complete`: a partial listing proves nothing about the clusters it did not reach."""
    region = eks_region(provider.url)
    if region is None or not complete:
        return None
    wanted = issuer_key(provider.url)
    if any(cluster.issuer and issuer_key(cluster.issuer) == wanted for cluster in clusters):
        return None
    roles = sorted({verdict.role_arn for verdict in trusted if verdict.verdict != "unusable"})
    message = f"no EKS cluster in {region} has the issuer {provider.url}: its cluster was deleted"
    if roles:
        shown = ", ".join(roles[:ROLES_NAMED]) + (
            f" and {len(roles) - ROLES_NAMED} more" if len(roles) > ROLES_NAMED else ""
        )
        message += f"; {len(roles)} role(s) still trust it and can no longer be assumed with its tokens: {shown}"
    return PostureProblem(
        code=EKS_CLUSTER_GONE,
        severity="warning",
        message=message,
        remedy=(
            "delete the provider "
            f"(aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {provider.arn})"
            + (", and the roles or trust statements made for the cluster's service accounts" if roles else "")
        ),
    )


def eks_clusters_without_provider(
    clusters: Iterable[EksCluster], providers: Iterable[ProviderIdentity], *, complete: bool
) -> tuple[PostureProblem, ...]:
    """An information per listed cluster whose issuer no provider serves (IRSA cannot be used with it). Only
    judged when the inventory of `providers` was `complete`; the clusters listed are facts even when their
    listing stopped early."""
    if not complete:
        return ()
    served = {issuer_key(provider.url) for provider in providers}
    problems = []
    for cluster in sorted(clusters, key=lambda c: c.arn):
        if not cluster.issuer or issuer_key(cluster.issuer) in served:
            continue
        problems.append(
            PostureProblem(
                code=EKS_CLUSTER_WITHOUT_PROVIDER,
                severity="info",
                message=(
                    f"EKS cluster {cluster.name} ({cluster.arn}) has no IAM OIDC provider for its issuer "
                    f"{cluster.issuer}: its pods cannot use IAM roles for service accounts (IRSA)"
                ),
                remedy=(
                    "nothing to do if its pods need no AWS access or use EKS Pod Identity; for IRSA, create the "
                    f"provider (eksctl utils associate-iam-oidc-provider --cluster {cluster.name} "
                    f"--region {cluster.region} --approve)"
                ),
            )
        )
    return tuple(problems)
