"""What each issuer's claims pin: who can obtain a token whose claim matches a condition value.

A value's `Reach` is how far the identities it admits extend: any identity of the issuer, one tenant (an
organization, a group, a workspace, a namespace), one subject (a repository, a project, a workspace, a
service account), or nothing (no token the issuer mints can match). Sources, per profile below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from thumbprint_remediator.domain.posture.policy import has_wildcard


class Reach(IntEnum):
    """Ordered from broadest to narrowest: conditions combined with AND keep the narrowest."""

    ISSUER = 0
    TENANT = 1
    SUBJECT = 2
    NOTHING = 3


@dataclass(frozen=True)
class Judged:
    """One value of a claim condition: how far it reaches, why, and the tenant it names when it names one."""

    reach: Reach
    why: str
    tenant: str | None = None


ClaimJudge = Callable[[str, bool], Judged]  # (value, wildcards active) -> Judged


@dataclass(frozen=True)
class Profile:
    """An issuer: its name, the condition-key prefix of its claims (the provider URL as IAM stores it), how far
    a token reaches with no binding condition (`baseline`), and what each claim it carries pins."""

    name: str
    prefix: str
    baseline: Reach
    baseline_why: str
    claims: Mapping[str, ClaimJudge]
    example: Callable[[str, str | None], str]  # (prefix, tenant) -> a condition to write
    always_present: frozenset[str] = field(default=frozenset({"sub", "aud"}))


def _literal(part: str, wild: bool) -> bool:
    return not (wild and has_wildcard(part))


def _unpinned(_: str, __: bool) -> Judged:
    return Judged(Reach.ISSUER, "the token's holder chooses this claim's value: it pins no tenant")


# --- GitHub Actions ------------------------------------------------------------------------------------------
# GitHub docs, "OpenID Connect reference" (subject claims, customizing them per repository or organization);
# "Configuring OpenID Connect in Amazon Web Services"; GitHub changelog 2026-04-23 (immutable subject claims:
# owner and repository IDs, for repositories created, renamed or transferred after the cut-over).
# A subject template is chosen by each repository or organization, so a value starting with a claim that
# any repository controls (environment, ref, workflow, ...) can be produced by a repository of any owner.
GITHUB_CHOSEN_CLAIMS: Final = frozenset(
    {
        "actor",
        "actor_id",
        "base_ref",
        "context",
        "environment",
        "event_name",
        "head_ref",
        "ref",
        "ref_protected",
        "ref_type",
        "repository_visibility",
        "runner_environment",
        "sha",
        "workflow",
        "workflow_ref",
        "workflow_sha",
        "job_workflow_sha",
    }
)


def _github_owner_reach(owner: str, wild: bool) -> Judged | None:
    """ISSUER when the owner's name (before an immutable `@ID`) is not pinned; None when it is."""
    name = owner.split("@", 1)[0]
    if not name or not _literal(name, wild):
        return Judged(Reach.ISSUER, "the owner is a wildcard: a repository of any owner whose name matches can assume")
    return None


def _github_repository(path: str, wild: bool) -> Judged:
    """`OWNER/REPO...` as in `repo:` subjects and the `repository` claim."""
    owner, slash, rest = path.partition("/")
    unpinned = _github_owner_reach(owner, wild)
    if unpinned is not None:
        return unpinned
    if not slash:
        if _literal(owner, wild):
            return Judged(Reach.NOTHING, "GitHub repositories are OWNER/REPO: this value names no repository")
        return Judged(Reach.ISSUER, "the owner is a wildcard: a repository of any owner whose name matches can assume")
    tenant = owner.split("@", 1)[0]
    name = rest.split(":", 1)[0]
    if not name or not _literal(name, wild):
        return Judged(Reach.TENANT, f"any repository of {tenant} can assume", tenant)
    immutable = " (immutable owner and repository IDs)" if "@" in owner and "@" in name else ""
    return Judged(Reach.SUBJECT, f"one repository, {owner}/{name}{immutable}", tenant)


def _github_subject(value: str, wild: bool) -> Judged:  # noqa: PLR0911 - a decision list: one return per claim
    key, colon, rest = value.partition(":")
    if not _literal(key, wild):
        return Judged(Reach.ISSUER, "a wildcard before the owner: a token of any repository matches")
    if not colon:
        return Judged(Reach.NOTHING, "GitHub subjects are claim:value pairs (repo:OWNER/REPO:...)")
    if key in {"repo", "repository"}:
        return _github_repository(rest, wild)
    first = rest.split(":", 1)[0]
    if key in {"repository_owner", "repository_owner_id", "enterprise", "enterprise_id"}:
        return _github_tenant_claim(first, wild)
    if key == "repository_id":
        return _github_id(first, wild)
    if key == "job_workflow_ref":
        return _github_job_workflow(rest, wild)
    if key in GITHUB_CHOSEN_CLAIMS:
        return Judged(
            Reach.ISSUER,
            f"the subject starts with {key}, which any repository can put first in its own subject template",
        )
    return Judged(Reach.NOTHING, f"GitHub issues no subject starting with {key}:")


def _github_tenant_claim(value: str, wild: bool) -> Judged:
    if not value or not _literal(value, wild):
        return Judged(Reach.ISSUER, "the owner is a wildcard: a repository of any owner whose name matches can assume")
    return Judged(Reach.TENANT, f"any repository of {value} can assume", value)


def _github_id(value: str, wild: bool) -> Judged:
    if not value or not _literal(value, wild):
        return Judged(Reach.ISSUER, "the repository ID is a wildcard")
    return Judged(Reach.SUBJECT, f"one repository, ID {value}")


def _github_job_workflow(value: str, wild: bool) -> Judged:
    owner = value.split("/", 1)[0]
    unpinned = _github_owner_reach(owner, wild)
    if unpinned is not None:
        return unpinned
    return Judged(
        Reach.TENANT,
        f"any repository allowed to call that reusable workflow of {owner} (any repository at all if it is public)",
        owner,
    )


def _github_claims() -> dict[str, ClaimJudge]:
    claims: dict[str, ClaimJudge] = dict.fromkeys(GITHUB_CHOSEN_CLAIMS, _unpinned)
    claims.update(
        sub=_github_subject,
        aud=_unpinned,  # chosen by the workflow that requests the token: no boundary (GitHub's docs)
        repository=_github_repository,
        repository_owner=_github_tenant_claim,
        repository_owner_id=_github_tenant_claim,
        enterprise=_github_tenant_claim,
        enterprise_id=_github_tenant_claim,
        repository_id=_github_id,
        job_workflow_ref=_github_job_workflow,
    )
    return claims


def _github_example(prefix: str, tenant: str | None) -> str:
    return f'"StringEquals": {{"{prefix}:sub": "repo:{tenant or "<org>"}/<repo>:ref:refs/heads/main"}}'


# --- GitLab --------------------------------------------------------------------------------------------------
# GitLab docs, "Configure OpenID Connect in AWS to retrieve temporary credentials" and "ID token authentication"
# (sub = project_path:{group}/{project}:ref_type:{type}:ref:{ref}; namespace_path is the group).
def _gitlab_subject(value: str, wild: bool) -> Judged:
    fields = value.split(":")
    if not _literal(fields[0], wild):
        return Judged(Reach.ISSUER, "a wildcard before the project path: a token of any project matches")
    if fields[0] != "project_path" or len(fields) < 2:
        return Judged(Reach.NOTHING, "GitLab subjects read project_path:GROUP/PROJECT:ref_type:...:ref:...")
    segments = fields[1].split("/")
    if not segments[0] or not _literal(segments[0], wild):
        return Judged(
            Reach.ISSUER, "the top-level group is a wildcard: a project of any group whose name matches can assume"
        )
    group = segments[0]
    if len(segments) < 2 or not all(_literal(segment, wild) and segment for segment in segments):
        return Judged(Reach.TENANT, f"any project under {group} can assume", group)
    return Judged(Reach.SUBJECT, f"one project, {fields[1]}", group)


def _gitlab_example(prefix: str, tenant: str | None) -> str:
    return (
        f'"StringEquals": {{"{prefix}:sub": "project_path:{tenant or "<group>"}/<project>:ref_type:branch:ref:main"}}'
    )


# --- Terraform Cloud / Enterprise ----------------------------------------------------------------------------
# HashiCorp docs, "Dynamic credentials with the AWS provider" (aud aws.workload.identity by default; sub =
# organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:plan|apply). Workspace names are unique in
# an organization, so a pinned workspace pins one subject whatever the project field says.
def _terraform_subject(value: str, wild: bool) -> Judged:
    fields = value.split(":")
    if not _literal(fields[0], wild) or (len(fields) > 1 and not _literal(fields[1], wild)):
        return Judged(
            Reach.ISSUER, "the organization is a wildcard: a run of any organization whose name matches can assume"
        )
    if fields[0] != "organization" or len(fields) < 2 or (not wild and len(fields) != 8):
        return Judged(Reach.NOTHING, "Terraform subjects read organization:ORG:project:P:workspace:W:run_phase:PHASE")
    org = fields[1]
    if len(fields) >= 6 and fields[4] == "workspace" and fields[5] and _literal(fields[5], wild):
        return Judged(Reach.SUBJECT, f"one workspace, {org}/{fields[5]}", org)
    return Judged(Reach.TENANT, f"any workspace of {org} can assume", org)


def _terraform_example(prefix: str, tenant: str | None) -> str:
    return (
        f'"StringLike": {{"{prefix}:sub": "organization:{tenant or "<org>"}:project:<project>:workspace:<workspace>'
        ':run_phase:*"}'
    )


# --- EKS IRSA ------------------------------------------------------------------------------------------------
# IAM user guide / EKS user guide, "Assign IAM roles to Kubernetes service accounts" (sub =
# system:serviceaccount:NAMESPACE:NAME, aud = sts.amazonaws.com). One issuer per cluster.
EKS_SUBJECT_PREFIX: Final = "system:serviceaccount:"


def _eks_subject(value: str, wild: bool) -> Judged:  # noqa: PLR0911 - a decision list, narrowest last
    if not value.startswith(EKS_SUBJECT_PREFIX):
        literal = value[: _first_wildcard(value)] if wild else value
        if wild and EKS_SUBJECT_PREFIX.startswith(literal):
            return Judged(Reach.ISSUER, "any service account of the cluster can assume")
        return Judged(Reach.NOTHING, "EKS subjects read system:serviceaccount:NAMESPACE:NAME")
    namespace, colon, name = value[len(EKS_SUBJECT_PREFIX) :].partition(":")
    if not _literal(namespace, wild) or not namespace:
        if colon and name and _literal(name, wild):
            return Judged(Reach.TENANT, f"a service account named {name} in any namespace can assume")
        return Judged(Reach.ISSUER, "any service account of the cluster can assume")
    if not colon and not wild:
        return Judged(Reach.NOTHING, "EKS subjects read system:serviceaccount:NAMESPACE:NAME")
    if not name or not _literal(name, wild):
        return Judged(Reach.TENANT, f"any service account of namespace {namespace} can assume", namespace)
    if ":" in name:
        return Judged(Reach.NOTHING, "EKS subjects read system:serviceaccount:NAMESPACE:NAME")
    return Judged(Reach.SUBJECT, f"one service account, {namespace}/{name}", namespace)


def _first_wildcard(value: str) -> int:
    found = [index for index in (value.find("*"), value.find("?")) if index >= 0]
    return min(found, default=len(value))


def _eks_example(prefix: str, tenant: str | None) -> str:
    return (
        f'"StringEquals": {{"{prefix}:sub": "system:serviceaccount:{tenant or "<namespace>"}:<service-account>", '
        f'"{prefix}:aud": "sts.amazonaws.com"}}'
    )


# --- CircleCI ------------------------------------------------------------------------------------------------
# CircleCI docs, "Using OpenID Connect tokens in jobs" (issuer oidc.circleci.com/org/ORG_ID, aud = ORG_ID,
# sub = org/ORG_ID/project/PROJECT_ID/user/USER_ID). The issuer is the organization's own.
def _circleci_subject(org_id: str) -> ClaimJudge:
    def judge(value: str, wild: bool) -> Judged:
        fields = value.split("/")
        if fields[0] != "org" and _literal(fields[0], wild):
            return Judged(Reach.NOTHING, "CircleCI subjects read org/ORG_ID/project/PROJECT_ID/user/USER_ID")
        if len(fields) > 1 and _literal(fields[1], wild) and fields[1] != org_id and _literal(fields[0], wild):
            return Judged(Reach.NOTHING, f"this provider only issues tokens of organization {org_id}, not {fields[1]}")
        if len(fields) >= 4 and fields[2] == "project" and fields[3] and _literal(fields[3], wild):
            return Judged(Reach.SUBJECT, f"one project, {fields[3]}", org_id)
        return Judged(Reach.TENANT, f"any project of organization {org_id} can assume", org_id)

    return judge


def _circleci_example(org_id: str) -> Callable[[str, str | None], str]:
    def example(prefix: str, _: str | None) -> str:
        return f'"StringLike": {{"{prefix}:sub": "org/{org_id}/project/<project-id>/user/*"}}'

    return example


# --- Bitbucket Pipelines -------------------------------------------------------------------------------------
# Atlassian docs, "Integrate Pipelines with resource servers using OIDC" (one issuer per workspace; sub =
# {REPOSITORY_UUID}:{STEP_UUID}, or {REPOSITORY_UUID}:{ENVIRONMENT_UUID}:{STEP_UUID} in a deployment).
def _bitbucket_subject(value: str, wild: bool) -> Judged:
    repository = value.split(":", 1)[0]
    if not repository or not _literal(repository, wild):
        return Judged(Reach.TENANT, "any repository of the workspace can assume")
    return Judged(Reach.SUBJECT, f"one repository, {repository}")


def _bitbucket_example(prefix: str, _: str | None) -> str:
    return f'"StringLike": {{"{prefix}:sub": "{{<repository-uuid>}}:*"}}'


# --- Buildkite -----------------------------------------------------------------------------------------------
# Buildkite docs, "OIDC with AWS" (issuer agent.buildkite.com; sub =
# organization:ORG:pipeline:PIPELINE:ref:REF:commit:SHA:step:KEY).
def _buildkite_subject(value: str, wild: bool) -> Judged:
    fields = value.split(":")
    if not _literal(fields[0], wild) or (len(fields) > 1 and not _literal(fields[1], wild)):
        return Judged(
            Reach.ISSUER, "the organization is a wildcard: a pipeline of any organization whose name matches can assume"
        )
    if fields[0] != "organization" or len(fields) < 2:
        return Judged(Reach.NOTHING, "Buildkite subjects read organization:ORG:pipeline:PIPELINE:ref:...")
    org = fields[1]
    if len(fields) >= 4 and fields[2] == "pipeline" and fields[3] and _literal(fields[3], wild):
        return Judged(Reach.SUBJECT, f"one pipeline, {org}/{fields[3]}", org)
    return Judged(Reach.TENANT, f"any pipeline of {org} can assume", org)


def _buildkite_example(prefix: str, tenant: str | None) -> str:
    return f'"StringLike": {{"{prefix}:sub": "organization:{tenant or "<org>"}:pipeline:<pipeline>:*"}}'


# --- any other issuer ----------------------------------------------------------------------------------------
def _generic_subject(value: str, wild: bool) -> Judged:
    if not value or (wild and value[0] in "*?"):
        return Judged(Reach.ISSUER, "the subject is a wildcard from its first character")
    if not _literal(value, wild):
        return Judged(Reach.TENANT, "a subject pattern: this tool does not know how this issuer builds subjects")
    return Judged(Reach.SUBJECT, f"one subject, {value}")


def _generic_example(prefix: str, _: str | None) -> str:
    return f'"StringEquals": {{"{prefix}:sub": "<the one subject that should assume>"}}'


GENERIC_CLAIMS: Final[Mapping[str, ClaimJudge]] = {
    "sub": _generic_subject,
    "aud": _unpinned,
    "amr": _unpinned,
    "azp": _unpinned,
}
# Issuers that mint tokens for anyone who signs up, beyond those with a profile (aws-samples'
# resource-control-policy-examples lists more): with no subject condition, anyone can assume.
SHARED_GENERIC_HOSTS: Final = frozenset({"accounts.google.com", "api.pulumi.com", "oidc.vercel.com"})

EKS_ISSUER: Final = re.compile(r"oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/id/[A-Za-z0-9]+")
CIRCLECI_ISSUER: Final = re.compile(r"oidc\.circleci\.com/org/([A-Za-z0-9-]+)")
BITBUCKET_ISSUER: Final = re.compile(r"api\.bitbucket\.org/2\.0/workspaces/[^/]+/pipelines-config/identity/oidc")
GITHUB_HOST: Final = "token.actions.githubusercontent.com"


def profile_for(url: str) -> Profile:  # noqa: PLR0911 - a decision list: one return per issuer
    """The profile of the issuer at `url` (a provider URL as IAM stores it, without https://)."""
    prefix = url.removeprefix("https://").rstrip("/")
    lowered = prefix.lower()
    host = lowered.split("/", 1)[0]
    if host == GITHUB_HOST or lowered.endswith("/_services/token"):
        shared = lowered == GITHUB_HOST
        return Profile(
            name="GitHub Actions" if shared else "GitHub Actions (enterprise issuer)",
            prefix=prefix,
            baseline=Reach.ISSUER if shared else Reach.TENANT,
            baseline_why="any GitHub repository can assume"
            if shared
            else "any repository of the enterprise can assume",
            claims=_github_claims(),
            example=_github_example,
        )
    if EKS_ISSUER.fullmatch(prefix):
        return Profile("EKS IRSA", prefix, Reach.ISSUER, "any service account of the cluster can assume",
                       {**GENERIC_CLAIMS, "sub": _eks_subject}, _eks_example)  # fmt: skip
    if circleci := CIRCLECI_ISSUER.fullmatch(prefix):
        org_id = circleci.group(1)
        return Profile("CircleCI", prefix, Reach.TENANT, f"any project of CircleCI organization {org_id} can assume",
                       {**GENERIC_CLAIMS, "sub": _circleci_subject(org_id)}, _circleci_example(org_id))  # fmt: skip
    if BITBUCKET_ISSUER.fullmatch(prefix):
        return Profile("Bitbucket Pipelines", prefix, Reach.TENANT, "any repository of the workspace can assume",
                       {**GENERIC_CLAIMS, "sub": _bitbucket_subject}, _bitbucket_example)  # fmt: skip
    if host == "agent.buildkite.com":
        return Profile("Buildkite", prefix, Reach.ISSUER, "any Buildkite pipeline can assume",
                       {**GENERIC_CLAIMS, "sub": _buildkite_subject}, _buildkite_example)  # fmt: skip
    if host == "app.terraform.io" or host.startswith(("tfe.", "terraform.")):
        shared = host == "app.terraform.io"
        return Profile("Terraform Cloud" if shared else "Terraform Enterprise", prefix,
                       Reach.ISSUER if shared else Reach.TENANT,
                       f"any {'Terraform Cloud' if shared else 'instance'} workspace can assume",
                       {**GENERIC_CLAIMS, "sub": _terraform_subject}, _terraform_example)  # fmt: skip
    if host == "gitlab.com" or host.startswith("gitlab.") or ".gitlab." in host:
        shared = host == "gitlab.com"
        return Profile("GitLab" if shared else "GitLab (self-managed)", prefix,
                       Reach.ISSUER if shared else Reach.TENANT,
                       "any gitlab.com project can assume" if shared else "any project of the instance can assume",
                       {**GENERIC_CLAIMS, "sub": _gitlab_subject}, _gitlab_example)  # fmt: skip
    shared = host in SHARED_GENERIC_HOSTS
    return Profile("shared issuer" if shared else "self-hosted issuer", prefix,
                   Reach.ISSUER if shared else Reach.TENANT,
                   f"any identity {'of this shared issuer' if shared else 'the issuer signs for'} can assume",
                   GENERIC_CLAIMS, _generic_example)  # fmt: skip
