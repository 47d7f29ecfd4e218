"""Issuers someone else could claim: which service hosts a provider's discovery document (S3 in any of its
endpoint styles, CloudFront, EKS, anything else), what a probe's answer proves missing, and the critical problem
when a name nobody holds any more is still trusted by roles.

A deleted S3 bucket's name is free for any account to create again (bucket names are one global namespace), and
whoever publishes a discovery document and JWKS under the provider's URL mints tokens every trusting role accepts.
Self-managed clusters are told to do exactly this: aws/amazon-eks-pod-identity-webhook SELF_HOSTED_SETUP.md puts
the discovery document in a public bucket under the path-style issuer `s3-<region>.amazonaws.com/<bucket>`; kops
publishes it at `<bucket>.s3.<region>.amazonaws.com`. Endpoint forms: AWS S3 user guide, "Virtual hosting of
general purpose buckets" (virtual-hosted and path-style, the legacy global `s3.amazonaws.com`), "Making requests
using the REST API" (`s3.<region>`, `s3.dualstack.<region>`), "Website endpoints" (`s3-website-<region>` and
`s3-website.<region>`); AWS general reference, "Amazon S3 endpoints" (legacy `s3-<region>`, `s3-external-1`).
That a re-created bucket receives what others still ask of the old one: M. Pocwierz, "How an empty S3 bucket can
make your AWS bill explode" (2024). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from thumbprint_remediator.domain.models import Absence, ProbeFailure, ProbeResult
from thumbprint_remediator.domain.posture.judge import PostureProblem, ProviderIdentity, TrustVerdict
from thumbprint_remediator.domain.untrusted import ServerText, server_text

ISSUER_CLAIMABLE: Final = "issuer_claimable"


class HostService(StrEnum):
    S3 = "s3"
    CLOUDFRONT = "cloudfront"
    EKS = "eks"
    OTHER = "other"


class S3Style(StrEnum):
    VIRTUAL_HOSTED = "virtual-hosted"  # <bucket>.s3[.-]<region>.amazonaws.com, <bucket>.s3.amazonaws.com
    PATH = "path-style"  # s3[.-]<region>.amazonaws.com/<bucket>/...
    WEBSITE = "website"  # <bucket>.s3-website[.-]<region>.amazonaws.com (HTTP only: behind CloudFront or a CNAME)


@dataclass(frozen=True)
class IssuerHost:
    """Which service serves a host. For S3: the endpoint style, the bucket the URL names (None for a path-style
    URL without a path) and the region when the endpoint names one; for EKS: the region and the cluster's ID."""

    service: HostService
    style: S3Style | None = None
    bucket: str | None = None
    region: str | None = None
    dualstack: bool = False
    cluster_id: str | None = None


@dataclass(frozen=True)
class MissingBucket:
    """S3's answer that a bucket does not exist; `bucket` is the name it gives, when it is a valid bucket name."""

    bucket: ServerText | None


_REGION: Final = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
# Bucket names: 3-63 of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_AWS_SUFFIXES: Final = ("amazonaws.com.cn", "amazonaws.com")
# S3's REST error (XML) and its website endpoints' error page (HTML), as the S3 API reference ("Error responses")
# and the S3 user guide ("Custom error documents": the default page lists Code, Message, BucketName) show them.
_NO_SUCH_BUCKET: Final = re.compile(rb"<Code>\s*NoSuchBucket\s*</Code>|<li>\s*Code:\s*NoSuchBucket\s*</li>")
_BUCKET_NAME: Final = re.compile(
    rb"<BucketName>\s*([^<\s]{1,255})\s*</BucketName>|<li>\s*BucketName:\s*([^<\s]{1,255})"
)
EVIDENCE_BYTES: Final = 8192  # S3's error bodies are a few hundred bytes: look no further into a server's answer
ROLES_NAMED: Final = 10  # roles a message names before it counts the rest


def split_provider_url(provider_url: str) -> tuple[str, str]:
    """A provider URL's host (lowercase, without a port or a trailing dot) and its path (no trailing slash)."""
    text = provider_url.strip()
    text = text[len("https://") :] if text.lower().startswith("https://") else text
    try:
        parts = urlsplit("https://" + text)
    except ValueError:
        return "", ""
    return (parts.hostname or "").rstrip("."), parts.path.rstrip("/")


def classify_issuer(provider_url: str) -> IssuerHost:
    """Which service serves the discovery document of `provider_url` (`host[:port][/path]`, as IAM stores it)."""
    host, path = split_provider_url(provider_url)
    return classify_host(host, path)


def classify_host(host: str, path: str = "") -> IssuerHost:
    """Which service serves `host`; `path` names the bucket of a path-style S3 URL."""
    host = host.lower().rstrip(".")
    if host.endswith(".cloudfront.net"):
        return IssuerHost(HostService.CLOUDFRONT)
    suffix = next((s for s in _AWS_SUFFIXES if host.endswith("." + s)), None)
    if suffix is None:
        return IssuerHost(HostService.OTHER)
    labels = host[: -len(suffix) - 1].split(".")
    if len(labels) == 3 and labels[:2] == ["oidc", "eks"] and _REGION.fullmatch(labels[2]):
        cluster = path.split("/")[2] if path.startswith("/id/") and path.count("/") == 2 else None
        return IssuerHost(HostService.EKS, region=labels[2], cluster_id=cluster or None)
    # The S3 part is at the right (the bucket's own labels may hold "s3" too): try from the right.
    for index in range(len(labels) - 1, -1, -1):
        found = _s3_endpoint(labels[index], labels[index + 1 :])
        if found is None:
            continue
        style, region, dualstack = found
        bucket = ".".join(labels[:index]) or None
        if bucket is None:
            if style is S3Style.WEBSITE:
                break  # a website endpoint without a bucket is no endpoint
            style, bucket = S3Style.PATH, path.lstrip("/").split("/", 1)[0] or None
        return IssuerHost(HostService.S3, style=style, bucket=bucket, region=region, dualstack=dualstack)
    return IssuerHost(HostService.OTHER)


def _s3_endpoint(  # noqa: PLR0911 - a decision list: one endpoint form per return
    label: str, tail: Sequence[str]
) -> tuple[S3Style, str | None, bool] | None:
    """Whether `label` followed by `tail` (up to the amazonaws suffix) is an S3 endpoint: its style (virtual-
    hosted until the caller finds no bucket before it), region and whether it is dual-stack."""
    rest = list(tail)
    dualstack = bool(rest) and rest[0] == "dualstack"
    if dualstack:
        rest = rest[1:]
    region = rest[0] if len(rest) == 1 and _REGION.fullmatch(rest[0]) else None
    if len(rest) > 1 or (rest and region is None):
        return None
    if label in {"s3", "s3-fips", "s3-accelerate"}:
        if label == "s3-accelerate" and region is not None:
            return None
        return S3Style.VIRTUAL_HOSTED, region, dualstack
    if label == "s3-external-1" and not rest:
        return S3Style.VIRTUAL_HOSTED, "us-east-1", dualstack
    if label == "s3-website" and region is not None and not dualstack:
        return S3Style.WEBSITE, region, False
    for prefix, style in (("s3-website-", S3Style.WEBSITE), ("s3-", S3Style.VIRTUAL_HOSTED)):
        named = label.removeprefix(prefix)
        if named != label and _REGION.fullmatch(named) and not rest and not dualstack:
            return style, named, False
    return None


def missing_bucket(status: int, body: bytes) -> MissingBucket | None:
    """S3's "NoSuchBucket" in an HTTP answer: 404 with the REST API's XML error or a website endpoint's HTML
    page naming it. Only the start of the body is read; the bucket name it gives is kept only when valid."""
    if status != 404:
        return None
    head = body[:EVIDENCE_BYTES]
    if _NO_SUCH_BUCKET.search(head) is None:
        return None
    named = _BUCKET_NAME.search(head)
    raw = (named.group(1) or named.group(2)).decode("ascii", errors="replace") if named else ""
    return MissingBucket(server_text(raw) if _BUCKET.fullmatch(raw) else None)


def claimable_issuer(
    provider: ProviderIdentity, probe: ProbeResult, trusted: Sequence[TrustVerdict], *, complete: bool
) -> PostureProblem | None:
    """The critical problem of an issuer whose bucket is gone or whose name does not exist while roles still
    trust the provider (verdicts other than unusable); a warning when no trusting role is known but the listing
    of roles was incomplete. None without such evidence in `probe`, and for names only AWS assigns (EKS
    issuers, CloudFront distributions, S3 endpoints that do not resolve): nobody else can come to hold them."""
    failure = _evidence(probe)
    if failure is None or failure.endpoint is None:
        return None
    endpoint = failure.endpoint
    is_discovery = bool(probe.hosts) and probe.hosts[0].endpoint == endpoint
    host = classify_host(endpoint.host, split_provider_url(provider.url)[1] if is_discovery else "")
    if host.service is HostService.EKS:
        return None
    if failure.absence is Absence.NAME_NOT_FOUND and host.service is not HostService.OTHER:
        return None
    exposed = sorted({v.role_arn for v in trusted if v.verdict != "unusable"})
    if not exposed and complete:
        return None
    which = "discovery" if is_discovery else "JWKS"
    if failure.absence is Absence.NO_SUCH_BUCKET:
        bucket = host.bucket if host.service is HostService.S3 and host.bucket else failure.missing_bucket
        named = f"'{bucket}'" if bucket else "it names"
        served = {HostService.S3: "S3", HostService.CLOUDFRONT: "CloudFront"}.get(host.service, "S3 (behind this name)")
        evidence = f"{endpoint} ({served}) answers the {which} request: the bucket {named} does not exist"
        claim = f"whoever creates the bucket {named} in any account"
        remedy = (
            f"create the bucket {named} in your own account now to hold the name, then restore the {which} document "
            "there, or delete the provider and every trust statement naming it"
        )
    else:
        evidence = f"the {which} host {endpoint.host} does not exist (NXDOMAIN)"
        claim = "whoever registers its domain, or creates the record, once it is free"
        remedy = (
            f"restore the name {endpoint.host} (renew the domain, recreate the record), or delete the provider and "
            "every trust statement naming it"
        )
    remedy += f" (aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {provider.arn})"
    if exposed:
        shown = ", ".join(exposed[:ROLES_NAMED]) + (
            f" and {len(exposed) - ROLES_NAMED} more" if len(exposed) > ROLES_NAMED else ""
        )
        exposure = f"{len(exposed)} role(s) still trust {provider.url} and are exposed: {shown}"
    else:
        exposure = f"the listing of roles was incomplete: roles that trust {provider.url} may exist"
    return PostureProblem(
        code=ISSUER_CLAIMABLE,
        severity="critical" if exposed else "warning",
        message=(
            f"{evidence}; {claim} can publish a discovery document and JWKS there and mint tokens "
            f"the trusting roles accept; {exposure}"
        ),
        remedy=remedy,
    )


def _evidence(probe: ProbeResult) -> ProbeFailure | None:
    """The probe's failure that proves something missing: the provider's own, else its endpoints'."""
    failures = [probe.failure, *(capture.failure for capture in probe.hosts)]
    return next((f for f in failures if f is not None and f.absence is not None), None)
