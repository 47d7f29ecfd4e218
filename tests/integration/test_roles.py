"""The roles adapter against the emulated IAM (moto in server mode): one paginated ListRoles pass, trust
policies decoded, calls bounded by a deadline, failures reported as an incomplete listing, and exactly the
declared action called."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sandbox.aws import CREDENTIALS, REGION
from sandbox.aws_calls import CallRecorder
from sandbox.environment import Sandbox
from thumbprint_remediator.aws import roles as roles_adapter
from thumbprint_remediator.aws.roles import IamRoles
from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.posture import trusted_by, unused_provider

GITHUB = "token.actions.githubusercontent.com"


def _session(endpoint_url: str) -> boto3.Session:
    class _Session(boto3.Session):
        def client(self, *args: Any, **kwargs: Any) -> Any:
            return super().client(*args, endpoint_url=endpoint_url, **kwargs)  # type: ignore[call-overload]

    return _Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


@pytest.fixture
def github_roles(sandbox: Sandbox) -> Iterator[tuple[str, dict[str, str]]]:
    """A GitHub provider and three roles under a path of their own: one open to any repository, one pinned to
    one repository, one that trusts a service only. Deleted afterwards (roles outlive sandbox.clear())."""
    iam = sandbox.account.iam
    provider_arn = sandbox.account.create_provider(f"https://{GITHUB}", ["6938fd4d98bab03faadb97b34396831e3780aea1"])
    path = f"/posture-{uuid.uuid4().hex[:8]}/"

    def web_identity(condition: dict[str, Any] | None) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }
        if condition:
            statement["Condition"] = condition
        return {"Version": "2012-10-17", "Statement": [statement]}

    policies = {
        # Datadog Security Labs, "No keys attached" (2023): an audience and no subject
        "any-repository": web_identity({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}),
        # GitHub docs, "Configuring OpenID Connect in Amazon Web Services"
        "one-repository": web_identity({"StringLike": {f"{GITHUB}:sub": "repo:octo-org/octo-repo:*"}}),
        "service-only": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
    }
    arns = {
        name: iam.create_role(
            RoleName=f"{name}-{path.strip('/')}", Path=path, AssumeRolePolicyDocument=json.dumps(policy)
        )["Role"]["Arn"]
        for name, policy in policies.items()
    }
    try:
        yield provider_arn, arns
    finally:
        for arn in arns.values():
            iam.delete_role(RoleName=arn.rsplit("/", 1)[1])


def test_one_paginated_pass_reads_every_role_with_its_decoded_trust_policy(
    sandbox: Sandbox, github_roles: tuple[str, dict[str, str]], aws_calls: CallRecorder
) -> None:
    # Given roles in the emulated account, and pages of two roles
    provider_arn, arns = github_roles
    adapter = IamRoles(session=_session(sandbox.account.endpoint_url), page_size=2)

    # When the roles are listed in one pass
    listing = adapter.list_trust_policies(deadline=time.monotonic() + 60)

    # Then the listing is complete, took more than one page, and holds each role with its policy as a mapping
    assert (listing.complete, listing.failure, listing.undecodable) == (True, None, ())
    assert listing.calls >= 2
    by_arn = {role.arn: role for role in listing.roles}
    assert set(arns.values()) <= set(by_arn)
    assert by_arn[arns["one-repository"]].trust_policy["Statement"][0]["Condition"] == {
        "StringLike": {f"{GITHUB}:sub": "repo:octo-org/octo-repo:*"}
    }
    # And the judge reads them: one critical, one ok, the service role not at all
    ours = [by_arn[arn] for arn in arns.values()]
    provider = ProviderConfig(arn=provider_arn, url=GITHUB, thumbprints=(), client_ids=("sts.amazonaws.com",))
    judged = trusted_by(provider, ours)
    assert [(v.role_arn, v.verdict) for v in judged] == [
        (arns["any-repository"], "critical"),
        (arns["one-repository"], "ok"),
    ]
    assert unused_provider(provider, judged, complete=listing.complete) is None
    # And what it called is exactly what the adapter declares
    declared = {action for permissions in roles_adapter.PERMISSIONS for action in permissions.actions}
    assert aws_calls.actions() == declared == {"iam:ListRoles"}
    assert len(aws_calls.calls) == listing.calls


def test_a_pass_sends_no_page_whose_worst_case_would_pass_the_deadline(
    sandbox: Sandbox, github_roles: tuple[str, dict[str, str]], aws_calls: CallRecorder
) -> None:
    # Given a deadline closer than one call's worst case
    adapter = IamRoles(session=_session(sandbox.account.endpoint_url), page_size=2)

    # When the roles are listed, then nothing is sent and the listing says it is incomplete
    listing = adapter.list_trust_policies(deadline=time.monotonic() + 1)

    assert (listing.complete, listing.roles, listing.calls) == (False, (), 0)
    assert listing.failure == "out of time after 0 roles"
    assert not aws_calls.calls
    # And an incomplete listing proves nothing about providers: none is called unused
    provider = ProviderConfig(arn=github_roles[0], url=GITHUB, thumbprints=())
    assert unused_provider(provider, (), complete=listing.complete) is None


def test_an_iam_that_refuses_makes_an_incomplete_listing_not_an_exception(sandbox: Sandbox) -> None:
    # Given an endpoint where IAM does not answer (a port nobody listens on)
    import socket  # noqa: PLC0415 - only this test needs a free port

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = IamRoles(session=_session(f"http://127.0.0.1:{port}"))

    # When the roles are listed, then the failure is reported with what was read before it
    listing = adapter.list_trust_policies()

    assert (listing.complete, listing.roles, listing.calls) == (False, (), 1)
    assert listing.failure is not None
    assert listing.failure.startswith("cannot list roles after 0: ")
