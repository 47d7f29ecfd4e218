"""Organization mode's fixtures: the organization stack synthesized once per session, and an emulated
organization on the session's sandbox: the management account (the sandbox's), two OUs (one nested), three
members (the member role deployed from the StackSet's template in two of them), and the central role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from infra.organization.member_role import (
    PARAMETER_CENTRAL_ACCOUNT,
    PARAMETER_CENTRAL_ROLE,
    PARAMETER_EXTERNAL_ID,
    PARAMETER_ORGANIZATION,
    member_role_template,
)
from sandbox.environment import Sandbox
from sandbox.organization import MANAGEMENT_ACCOUNT, EmulatedOrganization, enforced_role_trust
from tests.org.synthesis import ORGANIZATION_CONTEXT, SynthesizedOrganization, synthesize_organization
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME

EXTERNAL_ID = "oidc-thumbprint-remediator-test"
CENTRAL_ROLE_NAME = "OidcThumbprintRemediatorSweepRole"


@dataclass(frozen=True)
class Organization:
    """The emulated organization and who is where."""

    emulated: EmulatedOrganization
    workloads_ou: str  # prod, legacy and batch
    team_ou: str  # below workloads: dev
    prod: str
    dev: str
    legacy: str  # in the target OUs, but its member role was never deployed
    batch: str
    central_role_arn: str

    def member_role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{DEFAULT_MEMBER_ROLE_NAME}"

    @property
    def members(self) -> tuple[str, ...]:
        return (self.prod, self.dev, self.legacy, self.batch)


@pytest.fixture(scope="session")
def organization(session_sandbox: Sandbox) -> Organization:
    emulated = EmulatedOrganization(session_sandbox.account).create()
    workloads = emulated.add_unit("workloads")
    team = emulated.add_unit("team", parent=workloads)
    prod = emulated.add_account("prod", workloads)
    dev = emulated.add_account("dev", team)
    legacy = emulated.add_account("legacy", workloads)
    batch = emulated.add_account("batch", workloads)
    # The central function's role; the sandbox stands in for Lambda, so it trusts the management account
    central_role_arn = emulated.ensure_role(
        MANAGEMENT_ACCOUNT,
        CENTRAL_ROLE_NAME,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    )
    parameters = {
        PARAMETER_CENTRAL_ACCOUNT: MANAGEMENT_ACCOUNT,
        PARAMETER_CENTRAL_ROLE: central_role_arn,
        PARAMETER_ORGANIZATION: emulated.id,
        PARAMETER_EXTERNAL_ID: EXTERNAL_ID,
    }
    template = member_role_template(DEFAULT_MEMBER_ROLE_NAME)
    for account_id in (prod, dev, batch):  # what the StackSet's stack instances do
        emulated.deploy(account_id, "StackSet-oidc-thumbprint-member", template, parameters)
    return Organization(emulated, workloads, team, prod, dev, legacy, batch, central_role_arn)


@pytest.fixture
def org(organization: Organization, sandbox: Sandbox) -> Iterator[Organization]:
    """The organization with no providers in any member account, and AssumeRole honouring trust policies."""
    for account_id in organization.members:
        organization.emulated.delete_providers(account_id)
    with enforced_role_trust():
        yield organization
    for account_id in organization.members:
        organization.emulated.delete_providers(account_id)


@pytest.fixture
def central_credentials(org: Organization) -> dict[str, str]:
    """The environment variables that make the handler act as the central function's role."""
    return org.emulated.credentials_of(org.central_role_arn)


@pytest.fixture(scope="session")
def organization_stack(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedOrganization:
    """`npx cdk deploy -c organization=true -c organizationId=... -c targetOus=... -c alertEmails=...`."""
    return synthesize_organization(ORGANIZATION_CONTEXT, tmp_path_factory.mktemp("cdk-organization"))


@pytest.fixture(scope="session")
def narrowed_organization_stack(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedOrganization:
    """Every organization key away from its default: explicit accounts, a delegated admin, more concurrency."""
    context = {
        **ORGANIZATION_CONTEXT,
        "targetAccounts": "111111111111,222222222222",
        "memberRoleName": "ThumbprintSweepMember",
        "externalId": "corp-oidc-sweep",
        "maxConcurrency": "25",
        "callAs": "DELEGATED_ADMIN",
        "schedule": "rate(12 hours)",
    }
    return synthesize_organization(context, tmp_path_factory.mktemp("cdk-organization-narrowed"))
