"""Who can use a provider, per issuer: trust policies from public sources, vulnerable and safe, each with the
verdict IAM's semantics give it. Every row cites where its policy comes from; where a source's verdict differs
from IAM's reading (checkov's fixtures), the row says so."""

from __future__ import annotations

from typing import Any

import pytest

from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.posture import RoleTrust, judge_role

ACCOUNT = "123456789012"
GITHUB = "token.actions.githubusercontent.com"
ENTERPRISE = "token.actions.githubusercontent.com/octo-enterprise"
EKS = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
GITLAB = "gitlab.com"
GITLAB_SELF = "gitlab.example.com"
TERRAFORM = "app.terraform.io"
CIRCLECI = "oidc.circleci.com/org/7c5e1a2b-0000-4000-8000-000000000001"
BITBUCKET = "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc"
BUILDKITE = "agent.buildkite.com"
KEYCLOAK = "keycloak.example.com/realms/prod"
GOOGLE = "accounts.google.com"

# Sources (cited by key in the rows below).
IAM_GUIDE_GITHUB = "IAM user guide, 'Create a role for OpenID Connect federation' (GitHub example)"
GITHUB_AWS_DOCS = "GitHub docs, 'Configuring OpenID Connect in Amazon Web Services'"
GITHUB_IMMUTABLE = "GitHub changelog 2026-04-23, 'Immutable subject claims for GitHub Actions OIDC tokens'"
GITHUB_ENTERPRISE = "GitHub docs, 'OpenID Connect reference': a unique issuer URL per enterprise"
GITHUB_CLAIMS = "GitHub docs, 'OpenID Connect reference': customizing the subject template; claims"
DATADOG = "Datadog Security Labs, 'No keys attached: Exploring GitHub-to-AWS keyless authentication flaws' (2023)"
CHECKOV = "checkov tests/terraform/checks/data/aws/example_GithubActionsOIDCTrustPolicy/main.tf"
EKS_GUIDE = "EKS user guide, 'Assign IAM roles to Kubernetes service accounts' (trust policy example)"
GITLAB_DOCS = "GitLab docs, 'Configure OpenID Connect in AWS to retrieve temporary credentials'"
TERRAFORM_DOCS = "HashiCorp docs, 'Dynamic credentials with the AWS provider' (trust policy example)"
CIRCLECI_DOCS = "CircleCI docs, 'Using OpenID Connect tokens in jobs' (AWS example)"
BITBUCKET_DOCS = "Atlassian docs, 'Deploy on AWS using Bitbucket Pipelines OpenID Connect'"
BUILDKITE_DOCS = "Buildkite docs, 'OIDC with AWS' (trust policy example)"
IAM_OIDC_RULES = "iam-oidc-rules.md rule 19: the generic rule for issuers without a profile"


def _provider(url: str, client_ids: tuple[str, ...] = ("sts.amazonaws.com",)) -> ProviderConfig:
    return ProviderConfig(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}", url=url, thumbprints=(), client_ids=client_ids
    )


def _policy(url: str, condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _cond(*pairs: tuple[str, str, Any]) -> dict[str, Any]:
    """A Condition block from (operator, key, value) triples."""
    block: dict[str, Any] = {}
    for operator, key, value in pairs:
        block.setdefault(operator, {})[key] = value
    return block


AUD = "sts.amazonaws.com"
# (id, provider url, client IDs, condition, verdict, a fragment of the reason, source)
ROWS: list[tuple[str, str, tuple[str, ...], dict[str, Any] | None, str, str, str]] = [
    # --- GitHub Actions --------------------------------------------------------------------------------------
    (
        "github-iam-guide-branch",
        GITHUB,
        (AUD,),
        _cond(
            ("StringEquals", f"{GITHUB}:aud", AUD),
            ("StringLike", f"{GITHUB}:sub", "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"),
        ),
        "ok",
        "one repository, GitHubOrg/GitHubRepo",
        IAM_GUIDE_GITHUB,
    ),
    (
        "github-docs-branch",
        GITHUB,
        (AUD,),
        _cond(
            ("StringEquals", f"{GITHUB}:aud", AUD),
            ("StringEquals", f"{GITHUB}:sub", "repo:octo-org/octo-repo:ref:refs/heads/octo-branch"),
        ),
        "ok",
        "octo-org/octo-repo",
        GITHUB_AWS_DOCS,
    ),
    (
        "github-docs-any-ref-of-repo",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:aud", AUD), ("StringLike", f"{GITHUB}:sub", "repo:octo-org/octo-repo:*")),
        "ok",
        "one repository",
        GITHUB_AWS_DOCS,
    ),
    (
        "github-datadog-aud-only",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:aud", AUD)),
        "critical",
        "any GitHub repository can assume",
        DATADOG,
    ),
    (
        "github-datadog-org-wide",
        GITHUB,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "repo:your-github-org/*")),
        "warning",
        "any repository of your-github-org",
        DATADOG + " (sources disagree on org-wide: warning)",
    ),
    ("github-checkov-fail1-no-condition", GITHUB, (AUD,), None, "critical", "no condition binds", CHECKOV),
    (
        "github-checkov-fail2-invalid-subject",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "invalid")),
        "unusable",
        "claim:value pairs",
        CHECKOV + " (checkov: fail; IAM: no token matches)",
    ),
    (
        "github-checkov-fail-wildcard-under-equals",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "*")),
        "unusable",
        "compares literally",
        CHECKOV + " (checkov: fail; IAM: '*' is literal under StringEquals)",
    ),
    (
        "github-checkov-wildcard-assertion",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "repo:*")),
        "unusable",
        "compares literally",
        CHECKOV,
    ),
    (
        "github-checkov-pass-org-only-is-literal",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "repo:myOrg/*")),
        "unusable",
        "compares literally",
        CHECKOV + " (checkov: pass; IAM: StringEquals never matches it)",
    ),
    (
        "github-checkov-abusable-workflow-first",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "workflow:github-actions:repo:myOrg/myRepo:ref:refs/heads/MyBranch")),
        "critical",
        "any repository can put first",
        CHECKOV,
    ),
    (
        "github-checkov-pass-service-first",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "repo:myOrg/myRepo:ref:refs/heads/main")),
        "ok",
        "myOrg/myRepo",
        CHECKOV,
    ),
    (
        "github-checkov-other-issuer-key",
        GITHUB,
        (AUD,),
        _cond(
            ("StringEquals", f"{GITHUB}/github-org:sub", "repo:myOrg/myRepo:ref:refs/heads/MyBranch"),
            ("StringEquals", f"{GITHUB}:aud", AUD),
        ),
        "unusable",
        "another issuer's key",
        CHECKOV + " (checkov: pass; IAM: that key is never set)",
    ),
    (
        "github-owner-wildcard-like",
        GITHUB,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "repo:myOrg*")),
        "critical",
        "owner is a wildcard",
        CHECKOV + " (fail-misused-repo, written with StringLike)",
    ),
    (
        "github-repo-prefix-wildcard",
        GITHUB,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "repo:octo-org/octo-*")),
        "warning",
        "any repository of octo-org",
        GITHUB_AWS_DOCS,
    ),
    (
        "github-any-subject",
        GITHUB,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "*")),
        "critical",
        "wildcard before the owner",
        DATADOG,
    ),
    (
        "github-immutable-subject",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "repo:octo-org@123456/octo-repo@456789:ref:refs/heads/main")),
        "ok",
        "immutable",
        GITHUB_IMMUTABLE,
    ),
    (
        "github-immutable-org-wide",
        GITHUB,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "repo:octo-org@123456/*")),
        "warning",
        "any repository of octo-org",
        GITHUB_IMMUTABLE,
    ),
    # A wildcard for the IDs can span into the rest of the subject (a branch name may hold "/" and "@").
    (
        "github-immutable-ids-unpinned",
        GITHUB,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "repo:octo-org@*/octo-repo@*:*")),
        "warning",
        "any repository of octo-org",
        GITHUB_IMMUTABLE,
    ),
    (
        "github-enterprise-no-subject",
        ENTERPRISE,
        (AUD,),
        _cond(("StringEquals", f"{ENTERPRISE}:aud", AUD)),
        "warning",
        "any repository of the enterprise",
        GITHUB_ENTERPRISE,
    ),
    (
        "github-enterprise-repo",
        ENTERPRISE,
        (AUD,),
        _cond(("StringLike", f"{ENTERPRISE}:sub", "repo:octo-org/octo-repo:*")),
        "ok",
        "one repository",
        GITHUB_ENTERPRISE,
    ),
    (
        "github-enterprise-plain-host-key",
        ENTERPRISE,
        (AUD,),
        _cond(("StringLike", f"{GITHUB}:sub", "repo:octo-org/octo-repo:*")),
        "unusable",
        "another issuer's key",
        GITHUB_ENTERPRISE,
    ),
    (
        "github-custom-template-owner",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:sub", "repository_owner:octo-org")),
        "warning",
        "any repository of octo-org",
        GITHUB_CLAIMS,
    ),
    (
        "github-claim-repository-owner",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:repository_owner", "octo-org")),
        "warning",
        "any repository of octo-org",
        GITHUB_CLAIMS,
    ),
    (
        "github-claim-repository",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:repository", "octo-org/octo-repo")),
        "ok",
        "one repository",
        GITHUB_CLAIMS,
    ),
    (
        "github-claim-job-workflow-ref",
        GITHUB,
        (AUD,),
        _cond(
            ("StringLike", f"{GITHUB}:job_workflow_ref", "octo-org/deploy/.github/workflows/deploy.yml@refs/heads/main")
        ),
        "warning",
        "reusable workflow",
        GITHUB_CLAIMS,
    ),
    (
        "github-claim-environment-only",
        GITHUB,
        (AUD,),
        _cond(("StringEquals", f"{GITHUB}:environment", "production")),
        "critical",
        "chooses this claim's value",
        GITHUB_CLAIMS,
    ),
    # --- EKS IRSA --------------------------------------------------------------------------------------------
    (
        "eks-guide-service-account",
        EKS,
        (AUD,),
        _cond(
            ("StringEquals", f"{EKS}:sub", "system:serviceaccount:default:my-service-account"),
            ("StringEquals", f"{EKS}:aud", AUD),
        ),
        "ok",
        "one service account, default/my-service-account",
        EKS_GUIDE,
    ),
    (
        "eks-aud-only",
        EKS,
        (AUD,),
        _cond(("StringEquals", f"{EKS}:aud", AUD)),
        "critical",
        "any service account of the cluster",
        EKS_GUIDE + " (the sub condition left out)",
    ),
    (
        "eks-namespace-wide",
        EKS,
        (AUD,),
        _cond(("StringLike", f"{EKS}:sub", "system:serviceaccount:default:*")),
        "warning",
        "any service account of namespace default",
        EKS_GUIDE,
    ),
    (
        "eks-any-namespace-named",
        EKS,
        (AUD,),
        _cond(("StringLike", f"{EKS}:sub", "system:serviceaccount:*:deployer")),
        "warning",
        "named deployer in any namespace",
        EKS_GUIDE,
    ),
    (
        "eks-any-service-account",
        EKS,
        (AUD,),
        _cond(("StringLike", f"{EKS}:sub", "system:serviceaccount:*")),
        "critical",
        "any service account",
        EKS_GUIDE,
    ),
    (
        "eks-wildcard-under-equals",
        EKS,
        (AUD,),
        _cond(("StringEquals", f"{EKS}:sub", "system:serviceaccount:default:*")),
        "unusable",
        "compares literally",
        EKS_GUIDE,
    ),
    (
        "eks-aud-not-a-client-id",
        EKS,
        (AUD,),
        _cond(
            ("StringEquals", f"{EKS}:sub", "system:serviceaccount:default:app"),
            ("StringEquals", f"{EKS}:aud", "sts.amazonaws.com.cn"),
        ),
        "unusable",
        "no client ID",
        EKS_GUIDE,
    ),
    # --- GitLab ----------------------------------------------------------------------------------------------
    (
        "gitlab-docs-project-branch",
        GITLAB,
        ("https://gitlab.com",),
        _cond(("StringEquals", f"{GITLAB}:sub", "project_path:mygroup/myproject:ref_type:branch:ref:main")),
        "ok",
        "one project, mygroup/myproject",
        GITLAB_DOCS,
    ),
    (
        "gitlab-group-wide",
        GITLAB,
        ("https://gitlab.com",),
        _cond(("StringLike", f"{GITLAB}:sub", "project_path:mygroup/*")),
        "warning",
        "any project under mygroup",
        GITLAB_DOCS,
    ),
    (
        "gitlab-no-subject",
        GITLAB,
        ("https://gitlab.com",),
        _cond(("StringEquals", f"{GITLAB}:aud", "https://gitlab.com")),
        "critical",
        "any gitlab.com project",
        GITLAB_DOCS + " (the sub condition left out)",
    ),
    (
        "gitlab-any-project",
        GITLAB,
        ("https://gitlab.com",),
        _cond(("StringLike", f"{GITLAB}:sub", "project_path:*")),
        "critical",
        "top-level group is a wildcard",
        GITLAB_DOCS,
    ),
    (
        "gitlab-self-managed-no-subject",
        GITLAB_SELF,
        ("https://gitlab.example.com",),
        None,
        "warning",
        "any project of the instance",
        GITLAB_DOCS,
    ),
    (
        "gitlab-self-managed-project",
        GITLAB_SELF,
        ("https://gitlab.example.com",),
        _cond(("StringLike", f"{GITLAB_SELF}:sub", "project_path:infra/deploy:ref_type:branch:ref:*")),
        "ok",
        "one project, infra/deploy",
        GITLAB_DOCS,
    ),
    # --- Terraform Cloud -------------------------------------------------------------------------------------
    (
        "terraform-docs-workspace",
        TERRAFORM,
        ("aws.workload.identity",),
        _cond(
            ("StringEquals", f"{TERRAFORM}:aud", "aws.workload.identity"),
            (
                "StringLike",
                f"{TERRAFORM}:sub",
                "organization:my-org-name:project:my-project-name:workspace:my-workspace-name:run_phase:*",
            ),
        ),
        "ok",
        "one workspace, my-org-name/my-workspace-name",
        TERRAFORM_DOCS,
    ),
    (
        "terraform-org-wide",
        TERRAFORM,
        ("aws.workload.identity",),
        _cond(("StringLike", f"{TERRAFORM}:sub", "organization:my-org-name:*")),
        "warning",
        "any workspace of my-org-name",
        TERRAFORM_DOCS,
    ),
    (
        "terraform-any-project-one-workspace",
        TERRAFORM,
        ("aws.workload.identity",),
        _cond(("StringLike", f"{TERRAFORM}:sub", "organization:my-org-name:project:*:workspace:prod:run_phase:*")),
        "ok",
        "one workspace",
        TERRAFORM_DOCS,
    ),
    (
        "terraform-aud-only",
        TERRAFORM,
        ("aws.workload.identity",),
        _cond(("StringEquals", f"{TERRAFORM}:aud", "aws.workload.identity")),
        "critical",
        "any Terraform Cloud workspace",
        TERRAFORM_DOCS + " (the sub condition left out)",
    ),
    (
        "terraform-any-organization",
        TERRAFORM,
        ("aws.workload.identity",),
        _cond(("StringLike", f"{TERRAFORM}:sub", "organization:*")),
        "critical",
        "organization is a wildcard",
        TERRAFORM_DOCS,
    ),
    # --- CircleCI --------------------------------------------------------------------------------------------
    (
        "circleci-docs-project",
        CIRCLECI,
        ("7c5e1a2b-0000-4000-8000-000000000001",),
        _cond(
            (
                "StringLike",
                f"{CIRCLECI}:sub",
                "org/7c5e1a2b-0000-4000-8000-000000000001/project/0a1b2c3d-0000-4000-8000-000000000002/user/*",
            )
        ),
        "ok",
        "one project",
        CIRCLECI_DOCS,
    ),
    (
        "circleci-no-subject",
        CIRCLECI,
        ("7c5e1a2b-0000-4000-8000-000000000001",),
        _cond(("StringEquals", f"{CIRCLECI}:aud", "7c5e1a2b-0000-4000-8000-000000000001")),
        "warning",
        "any project of CircleCI organization",
        CIRCLECI_DOCS,
    ),
    (
        "circleci-other-organization",
        CIRCLECI,
        ("7c5e1a2b-0000-4000-8000-000000000001",),
        _cond(("StringLike", f"{CIRCLECI}:sub", "org/00000000-dead-4000-8000-000000000000/project/*")),
        "unusable",
        "only issues tokens of organization",
        CIRCLECI_DOCS,
    ),
    # --- Bitbucket -------------------------------------------------------------------------------------------
    (
        "bitbucket-docs-repository",
        BITBUCKET,
        ("ari:cloud:bitbucket::workspace/0000",),
        _cond(("StringLike", f"{BITBUCKET}:sub", "{a1b2c3d4-0000-4000-8000-000000000003}:*")),
        "ok",
        "one repository",
        BITBUCKET_DOCS,
    ),
    (
        "bitbucket-no-subject",
        BITBUCKET,
        ("ari:cloud:bitbucket::workspace/0000",),
        None,
        "warning",
        "any repository of the workspace",
        BITBUCKET_DOCS,
    ),
    # --- Buildkite -------------------------------------------------------------------------------------------
    (
        "buildkite-docs-pipeline",
        BUILDKITE,
        (AUD,),
        _cond(("StringLike", f"{BUILDKITE}:sub", "organization:acme-inc:pipeline:deploy:ref:refs/heads/main:*")),
        "ok",
        "one pipeline, acme-inc/deploy",
        BUILDKITE_DOCS,
    ),
    (
        "buildkite-org-wide",
        BUILDKITE,
        (AUD,),
        _cond(("StringLike", f"{BUILDKITE}:sub", "organization:acme-inc:*")),
        "warning",
        "any pipeline of acme-inc",
        BUILDKITE_DOCS,
    ),
    (
        "buildkite-no-subject",
        BUILDKITE,
        (AUD,),
        _cond(("StringEquals", f"{BUILDKITE}:aud", AUD)),
        "critical",
        "any Buildkite pipeline",
        BUILDKITE_DOCS + " (the sub condition left out)",
    ),
    # --- any other issuer ------------------------------------------------------------------------------------
    (
        "generic-self-hosted-no-subject",
        KEYCLOAK,
        ("deployer",),
        _cond(("StringEquals", f"{KEYCLOAK}:aud", "deployer")),
        "warning",
        "any identity the issuer signs for",
        IAM_OIDC_RULES,
    ),
    (
        "generic-self-hosted-subject",
        KEYCLOAK,
        ("deployer",),
        _cond(("StringEquals", f"{KEYCLOAK}:sub", "service-account-deployer")),
        "ok",
        "one subject",
        IAM_OIDC_RULES,
    ),
    (
        "generic-shared-no-subject",
        GOOGLE,
        ("1234.apps.googleusercontent.com",),
        None,
        "critical",
        "shared issuer",
        IAM_OIDC_RULES,
    ),
]


@pytest.mark.parametrize(
    ("url", "client_ids", "condition", "verdict", "because", "source"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_each_public_trust_policy_gets_the_verdict_iam_semantics_give_it(
    url: str, client_ids: tuple[str, ...], condition: dict[str, Any] | None, verdict: str, because: str, source: str
) -> None:
    # Given a role trusting the provider with a policy from `source`
    provider = _provider(url, client_ids)
    role = RoleTrust(arn=f"arn:aws:iam::{ACCOUNT}:role/ci", name="ci", trust_policy=_policy(url, condition))

    # When it is judged
    (judged,) = judge_role(provider, role)

    # Then the verdict is IAM's, the reason names why, and anything but ok says what to write instead
    assert (judged.verdict, judged.role_arn, judged.statement) == (verdict, role.arn, "#0"), judged.reason
    assert because in judged.reason
    assert (judged.suggestion == "") == (verdict == "ok"), judged.suggestion
    if verdict in {"critical", "warning"}:
        assert f"{url}:sub" in judged.suggestion


def test_a_suggestion_keeps_the_tenant_the_policy_already_names() -> None:
    # Given a GitHub role open to a whole organization
    provider = _provider(GITHUB)
    role = RoleTrust(arn="arn:aws:iam::123456789012:role/ci", name="ci", trust_policy=_policy(GITHUB, _cond(
        ("StringLike", f"{GITHUB}:sub", "repo:octo-org/*"))))  # fmt: skip

    # When it is judged, then the condition to write pins one repository of that organization
    (judged,) = judge_role(provider, role)
    assert judged.suggestion == f'"StringEquals": {{"{GITHUB}:sub": "repo:octo-org/<repo>:ref:refs/heads/main"}}'
