"""Who can use each provider (issue 22): IAM's reading of trust policies (policy), what each issuer's claims
pin (profiles), and the verdicts and provider-level problems built from them (judge); dead EKS providers and
clusters without one (eks); issuers someone else could claim (issuers). Pure: no I/O."""

from thumbprint_remediator.domain.posture.eks import (
    EKS_CLUSTER_GONE,
    EKS_CLUSTER_WITHOUT_PROVIDER,
    EksCluster,
    eks_cluster_gone,
    eks_clusters_without_provider,
    eks_region,
)
from thumbprint_remediator.domain.posture.issuers import (
    ISSUER_CLAIMABLE,
    HostService,
    IssuerHost,
    MissingBucket,
    S3Style,
    claimable_issuer,
    classify_host,
    classify_issuer,
    missing_bucket,
)
from thumbprint_remediator.domain.posture.judge import (
    AUDIENCE_UNSATISFIABLE,
    PROVIDER_QUOTA,
    PROVIDER_QUOTA_CODE,
    PROVIDER_UNUSED,
    PostureProblem,
    ProviderIdentity,
    RoleTrust,
    TrustVerdict,
    Verdict,
    audience_mismatches,
    judge_role,
    quota_headroom,
    trusted_by,
    unused_provider,
)
from thumbprint_remediator.domain.posture.profiles import profile_for

__all__ = [
    "AUDIENCE_UNSATISFIABLE",
    "EKS_CLUSTER_GONE",
    "EKS_CLUSTER_WITHOUT_PROVIDER",
    "ISSUER_CLAIMABLE",
    "PROVIDER_QUOTA",
    "PROVIDER_QUOTA_CODE",
    "PROVIDER_UNUSED",
    "EksCluster",
    "HostService",
    "IssuerHost",
    "MissingBucket",
    "PostureProblem",
    "ProviderIdentity",
    "RoleTrust",
    "S3Style",
    "TrustVerdict",
    "Verdict",
    "audience_mismatches",
    "claimable_issuer",
    "classify_host",
    "classify_issuer",
    "eks_cluster_gone",
    "eks_clusters_without_provider",
    "eks_region",
    "judge_role",
    "missing_bucket",
    "profile_for",
    "quota_headroom",
    "trusted_by",
    "unused_provider",
]
