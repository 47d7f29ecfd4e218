"""Who can use each provider (issue 22): IAM's reading of trust policies (policy), what each issuer's claims
pin (profiles), and the verdicts and provider-level problems built from them (judge); issuers someone else
could claim (issuers). Pure: no I/O."""

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
    "ISSUER_CLAIMABLE",
    "PROVIDER_QUOTA",
    "PROVIDER_QUOTA_CODE",
    "PROVIDER_UNUSED",
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
    "judge_role",
    "missing_bucket",
    "profile_for",
    "quota_headroom",
    "trusted_by",
    "unused_provider",
]
