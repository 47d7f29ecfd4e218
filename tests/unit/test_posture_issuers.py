"""Issuers someone else could claim: which service serves a provider's discovery host (every S3 endpoint style,
CloudFront, EKS), what S3's answer proves missing, and when that makes a critical `issuer_claimable` problem.
Every S3 row cites the documentation that gives its form."""

from __future__ import annotations

import pytest

from thumbprint_remediator.domain.models import (
    Absence,
    Endpoint,
    HostCapture,
    ProbeFailure,
    ProbeResult,
    ProviderConfig,
    Role,
)
from thumbprint_remediator.domain.posture import (
    ISSUER_CLAIMABLE,
    HostService,
    IssuerHost,
    S3Style,
    TrustVerdict,
    Verdict,
    claimable_issuer,
    classify_issuer,
    missing_bucket,
)
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import ServerText, server_text

ACCOUNT = "123456789012"
# Sources (cited by key in the rows below).
S3_VHOST = "AWS S3 user guide, 'Virtual hosting of general purpose buckets' (virtual-hosted and path-style)"
S3_REST = "AWS S3 API reference, 'Making requests using the REST API' (s3.<region>, s3.dualstack.<region>)"
S3_WEBSITE = "AWS S3 user guide, 'Website endpoints' (s3-website-<region> and s3-website.<region>)"
S3_LEGACY = "AWS general reference, 'Amazon S3 endpoints' (legacy s3-<region>, s3-external-1, the global endpoint)"
S3_CHINA = "Amazon Web Services in China docs, 'Virtual hosting of buckets' (amazonaws.com.cn)"
SELF_HOSTED = "aws/amazon-eks-pod-identity-webhook SELF_HOSTED_SETUP.md (issuer s3-$AWS_REGION.amazonaws.com/$BUCKET)"
EKS_GUIDE = "EKS user guide, 'Create an IAM OIDC provider for your cluster' (oidc.eks.<region>.amazonaws.com/id/<ID>)"
CLOUDFRONT = "CloudFront developer guide, 'Customize the URL format for files' (d111111abcdef8.cloudfront.net)"
# S3 API reference, 'Error responses': the REST API's XML error, as S3 answers a request for a missing bucket.
S3_NO_SUCH_BUCKET = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>'
    b"<Message>The specified bucket does not exist</Message><BucketName>oidc-issuer-prod</BucketName>"
    b"<RequestId>4442587FB7D0A2F9</RequestId><HostId>Yqq4cGvg=</HostId></Error>"
)
# S3 user guide, 'Configuring a custom error document': a website endpoint's own 404 page lists Code and BucketName.
S3_WEBSITE_NO_SUCH_BUCKET = (
    b"<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h1>404 Not Found</h1>\n<ul>\n"
    b"<li>Code: NoSuchBucket</li>\n<li>Message: The specified bucket does not exist</li>\n"
    b"<li>BucketName: oidc.example.com</li>\n<li>RequestId: 0B3A4C5D</li>\n<li>HostId: AbCd=</li>\n</ul>\n"
    b"<hr/>\n</body>\n</html>\n"
)


@pytest.mark.parametrize(
    ("provider_url", "expected", "source"),
    [
        (
            "oidc-issuer.s3.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer"),
            S3_LEGACY,
        ),
        (
            "oidc-issuer.s3.us-west-2.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer", "us-west-2"),
            S3_VHOST,
        ),
        (
            "oidc-issuer.s3-eu-west-1.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer", "eu-west-1"),
            S3_LEGACY,
        ),
        (
            "oidc-issuer.s3-external-1.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer", "us-east-1"),
            S3_LEGACY,
        ),
        (
            "oidc-issuer.s3.dualstack.ap-southeast-2.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer", "ap-southeast-2", dualstack=True),
            S3_REST,
        ),
        (  # a bucket name with dots, and with an "s3" label of its own: the S3 part is found from the right
            "s3.oidc.example.s3.us-gov-west-1.amazonaws.com/cluster",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "s3.oidc.example", "us-gov-west-1"),
            S3_VHOST,
        ),
        (
            "s3.us-west-2.amazonaws.com/oidc-issuer/cluster-a",
            IssuerHost(HostService.S3, S3Style.PATH, "oidc-issuer", "us-west-2"),
            S3_VHOST,
        ),
        (
            "s3-us-west-2.amazonaws.com/oidc-test-abcdef",
            IssuerHost(HostService.S3, S3Style.PATH, "oidc-test-abcdef", "us-west-2"),
            SELF_HOSTED,
        ),
        (
            "s3.amazonaws.com/oidc-issuer",
            IssuerHost(HostService.S3, S3Style.PATH, "oidc-issuer"),
            S3_LEGACY,
        ),
        (
            "s3.dualstack.eu-central-1.amazonaws.com/oidc-issuer",
            IssuerHost(HostService.S3, S3Style.PATH, "oidc-issuer", "eu-central-1", dualstack=True),
            S3_REST,
        ),
        (
            "oidc-issuer.s3-website-us-east-1.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.WEBSITE, "oidc-issuer", "us-east-1"),
            S3_WEBSITE,
        ),
        (
            "oidc-issuer.s3-website.eu-central-1.amazonaws.com",
            IssuerHost(HostService.S3, S3Style.WEBSITE, "oidc-issuer", "eu-central-1"),
            S3_WEBSITE,
        ),
        (
            "oidc-issuer.s3.cn-north-1.amazonaws.com.cn",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer", "cn-north-1"),
            S3_CHINA,
        ),
        (
            "https://OIDC-Issuer.S3.US-WEST-2.amazonaws.com./",
            IssuerHost(HostService.S3, S3Style.VIRTUAL_HOSTED, "oidc-issuer", "us-west-2"),
            "IAM stores no scheme; hosts are case-insensitive (RFC 4343)",
        ),
        ("d111111abcdef8.cloudfront.net", IssuerHost(HostService.CLOUDFRONT), CLOUDFRONT),
        (
            "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
            IssuerHost(HostService.EKS, region="us-east-1", cluster_id="EXAMPLED539D4633E53DE1B71EXAMPLE"),
            EKS_GUIDE,
        ),
        # Not S3: other AWS hosts, a website endpoint without a bucket, an S3 look-alike under another domain.
        ("ec2.us-east-1.amazonaws.com", IssuerHost(HostService.OTHER), S3_LEGACY),
        ("s3-website-us-east-1.amazonaws.com", IssuerHost(HostService.OTHER), S3_WEBSITE),
        ("bucket.s3.us-east-1.amazonaws.com.evil.example", IssuerHost(HostService.OTHER), S3_VHOST),
        ("bucket.s3.nowhere.amazonaws.com", IssuerHost(HostService.OTHER), S3_VHOST),
        ("token.actions.githubusercontent.com", IssuerHost(HostService.OTHER), "GitHub's issuer"),
    ],
)
def test_the_discovery_host_names_the_service_that_serves_it(
    provider_url: str, expected: IssuerHost, source: str
) -> None:
    assert classify_issuer(provider_url) == expected, source


@pytest.mark.parametrize(
    ("status", "body", "bucket"),
    [
        (404, S3_NO_SUCH_BUCKET, "oidc-issuer-prod"),
        (404, S3_WEBSITE_NO_SUCH_BUCKET, "oidc.example.com"),
        (404, b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>", None),  # no name given
        # A name that is no bucket name is not repeated: server text never reaches a message unvetted.
        (404, b"<Error><Code>NoSuchBucket</Code><BucketName>EVIL\x1b[2J</BucketName></Error>", None),
        (404, b"<Error><Code>NoSuchBucket</Code><BucketName>" + b"a" * 64 + b"</BucketName></Error>", None),
    ],
)
def test_s3s_answer_that_the_bucket_does_not_exist_is_evidence(status: int, body: bytes, bucket: str | None) -> None:
    found = missing_bucket(status, body)
    assert found is not None
    assert found.bucket == bucket


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b"<Error><Code>NoSuchKey</Code><BucketName>oidc-issuer</BucketName></Error>"),  # the bucket exists
        (403, b"<Error><Code>AccessDenied</Code></Error>"),  # a private bucket: someone holds it
        (200, S3_NO_SUCH_BUCKET),  # not an error answer
        (500, S3_NO_SUCH_BUCKET),
        (404, b'{"error": "not found"}'),
        (404, b"NoSuchBucket"),  # the word alone, outside S3's error forms
        (404, b" " * 9000 + S3_NO_SUCH_BUCKET),  # beyond the bytes looked at
    ],
)
def test_other_answers_prove_nothing_missing(status: int, body: bytes) -> None:
    assert missing_bucket(status, body) is None


# --- issuer_claimable -------------------------------------------------------------------------------------------


def _provider(url: str) -> ProviderConfig:
    return ProviderConfig(arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}", url=url, thumbprints=())


def _verdict(role: str, verdict: Verdict = "critical") -> TrustVerdict:
    return TrustVerdict(
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role}", verdict=verdict, statement="#0", reason="r", suggestion=""
    )


def _probe(
    url: str,
    absence: Absence | None,
    *,
    bucket: str | None = None,
    jwks_host: str | None = None,
    code: str = "http_status",
) -> ProbeResult:
    discovery = Endpoint(url.split("/", 1)[0])
    failing = Endpoint(jwks_host) if jwks_host else discovery
    failure = ProbeFailure(
        Status.INVALID_DISCOVERY if code == "http_status" else Status.UNREACHABLE,
        code,
        server_text(f"{failing}: failed"),
        failing,
        absence,
        ServerText(bucket) if bucket else None,
    )
    hosts = [HostCapture(discovery, (Role.DISCOVERY,), failure=None if jwks_host else failure)]
    if jwks_host:
        hosts.append(HostCapture(failing, (Role.JWKS,), failure=failure))
    return ProbeResult(url, tuple(hosts), failure=failure)


VHOST = "oidc-issuer.s3.us-west-2.amazonaws.com"
PATH_STYLE = "s3-us-west-2.amazonaws.com/oidc-test-abcdef"
CUSTOM = "oidc.example.com"
DISTRIBUTION = "d111111abcdef8.cloudfront.net"
EKS = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


@pytest.mark.parametrize(
    ("url", "absence", "bucket", "expected_in_message", "expected_in_remedy"),
    [
        (
            VHOST,
            Absence.NO_SUCH_BUCKET,
            None,
            "(S3) answers the discovery request: the bucket 'oidc-issuer' does",
            "'oidc-issuer'",
        ),
        (
            PATH_STYLE,
            Absence.NO_SUCH_BUCKET,
            None,
            "the bucket 'oidc-test-abcdef' does not exist",
            "'oidc-test-abcdef'",
        ),
        # CloudFront hides its origin: the bucket is the one S3's answer names.
        (
            DISTRIBUTION,
            Absence.NO_SUCH_BUCKET,
            "oidc-origin",
            "(CloudFront) answers the discovery request: the bucket 'oidc-origin'",
            "'oidc-origin'",
        ),
        # A custom name CNAMEd to a website endpoint: the answer itself shows S3 serves it.
        (CUSTOM, Absence.NO_SUCH_BUCKET, "oidc.example.com", "(S3 (behind this name))", "'oidc.example.com'"),
        (CUSTOM, Absence.NO_SUCH_BUCKET, None, "the bucket it names does not exist", "the bucket it names"),
        (
            CUSTOM,
            Absence.NAME_NOT_FOUND,
            None,
            "the discovery host oidc.example.com does not exist (NXDOMAIN)",
            "renew the domain",
        ),
    ],
)
def test_a_claimable_issuer_still_trusted_is_critical_and_names_the_roles(
    url: str, absence: Absence, bucket: str | None, expected_in_message: str, expected_in_remedy: str
) -> None:
    # Given a provider whose probe proved its bucket or its name missing, and roles that still trust it
    provider = _provider(url)
    trusted = [_verdict("deploy"), _verdict("read-only", "ok"), _verdict("broken", "unusable")]
    # When judged
    problem = claimable_issuer(provider, _probe(url, absence, bucket=bucket), trusted, complete=True)
    # Then it is critical, names the roles that can be assumed (not the unusable one) and how to take the name back
    assert problem is not None
    assert (problem.code, problem.severity, problem.role_arn) == (ISSUER_CLAIMABLE, "critical", None)
    assert expected_in_message in problem.message
    assert f"2 role(s) still trust {url}" in problem.message
    assert f"arn:aws:iam::{ACCOUNT}:role/deploy, arn:aws:iam::{ACCOUNT}:role/read-only" in problem.message
    assert "role/broken" not in problem.message
    assert expected_in_remedy in problem.remedy
    assert provider.arn in problem.remedy


def test_a_missing_bucket_behind_a_separate_jwks_host_is_named_as_the_jwks() -> None:
    provider = _provider(CUSTOM)
    probe = _probe(CUSTOM, Absence.NO_SUCH_BUCKET, jwks_host="keys-bucket.s3.eu-west-1.amazonaws.com")

    problem = claimable_issuer(provider, probe, [_verdict("deploy")], complete=True)

    assert problem is not None
    assert "answers the JWKS request: the bucket 'keys-bucket' does not exist" in problem.message


@pytest.mark.parametrize(
    ("url", "absence", "why"),
    [
        (EKS, Absence.NO_SUCH_BUCKET, "EKS issuer IDs are AWS's: nobody else can publish under them"),
        (EKS, Absence.NAME_NOT_FOUND, "likewise"),
        (DISTRIBUTION, Absence.NAME_NOT_FOUND, "a deleted distribution's name is AWS-assigned, never chosen"),
        (VHOST, Absence.NAME_NOT_FOUND, "S3's endpoint names are AWS's"),
        (VHOST, None, "an ordinary 404 proves nothing missing"),
    ],
)
def test_names_nobody_else_can_come_to_hold_are_not_claimable(url: str, absence: Absence | None, why: str) -> None:
    probe = _probe(url, absence, code="http_status" if absence is not Absence.NAME_NOT_FOUND else "dns_failure")
    assert claimable_issuer(_provider(url), probe, [_verdict("deploy")], complete=True) is None, why


def test_without_a_role_that_can_be_assumed_there_is_no_exposure() -> None:
    # Given a missing bucket, and only a role whose statement no token can satisfy
    probe = _probe(VHOST, Absence.NO_SUCH_BUCKET)
    # Then nothing is claimable through a complete listing (provider_unused speaks of the provider)
    assert claimable_issuer(_provider(VHOST), probe, [_verdict("broken", "unusable")], complete=True) is None
    assert claimable_issuer(_provider(VHOST), probe, [], complete=True) is None


def test_an_incomplete_listing_of_roles_makes_it_a_warning_not_silence() -> None:
    problem = claimable_issuer(_provider(VHOST), _probe(VHOST, Absence.NO_SUCH_BUCKET), [], complete=False)

    assert problem is not None
    assert problem.severity == "warning"
    assert "the listing of roles was incomplete" in problem.message


def test_many_exposed_roles_are_counted_beyond_the_first_ten() -> None:
    trusted = [_verdict(f"role-{index:02d}") for index in range(13)]

    problem = claimable_issuer(_provider(VHOST), _probe(VHOST, Absence.NO_SUCH_BUCKET), trusted, complete=True)

    assert problem is not None
    assert "13 role(s) still trust" in problem.message
    assert "role/role-09 and 3 more" in problem.message
    assert "role-10" not in problem.message
