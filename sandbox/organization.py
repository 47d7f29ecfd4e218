"""An emulated AWS Organization on the sandbox's moto server, for organization sweeps.

The management account is the sandbox's account (where the central function runs); member accounts are
created with Organizations and placed in OUs, and each gets the member role from a CloudFormation template
(the StackSet's own, handed in by the caller), deployed with moto's CloudFormation in that account.

moto's `AssumeRole` succeeds for any role ARN, existing or not, whatever its trust policy says. An
organization sweep must be seen to fail on a missing role, a wrong external id or a caller the trust policy
does not name, so `enforced_role_trust` makes it check, in the process that runs the emulator:
- the role exists in the target account (else AccessDenied, as AWS answers for a missing role);
- an Allow statement of its trust policy names the caller (its role ARN, its account, or its account's root)
  for sts:AssumeRole, and every condition of that statement holds. Supported: StringEquals, StringLike,
  ArnEquals and ArnLike on aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID and sts:ExternalId.
  A statement with anything else never allows (it fails closed).
"""

from __future__ import annotations

import fnmatch
import json
import operator
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from sandbox.aws import ACCOUNT_ID, EmulatedAccount

MANAGEMENT_ACCOUNT: Final = ACCOUNT_ID
_SUPPORTED_KEYS: Final = {"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "sts:externalid"}
_OPERATORS: Final[dict[str, Callable[[str, str], bool]]] = {
    "StringEquals": operator.eq,
    "StringLike": fnmatch.fnmatchcase,
    "ArnEquals": operator.eq,
    "ArnLike": fnmatch.fnmatchcase,
}


class AccessDenied(ServiceException):
    """STS's answer when a role is missing or its trust policy does not allow the caller."""

    code = "AccessDenied"


@dataclass(frozen=True)
class Caller:
    """Who calls AssumeRole, as IAM's global condition keys describe it."""

    principal_arn: str  # for an assumed role: the role's ARN, not the session's
    account: str
    org_id: str | None


def trust_allows(policy: Mapping[str, Any], caller: Caller, external_id: str | None) -> bool:
    """Whether a trust policy lets `caller` assume the role (see the module docstring for what is supported)."""
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow" or not _names_assume_role(statement.get("Action")):
            continue
        if _names_caller(statement.get("Principal"), caller) and _conditions_hold(
            statement.get("Condition", {}), caller, external_id
        ):
            return True
    return False


def _names_assume_role(action: Any) -> bool:
    actions = [action] if isinstance(action, str) else list(action or [])
    return any(item in ("sts:AssumeRole", "sts:*", "*") for item in actions)


def _names_caller(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    named = principal.get("AWS", [])
    named = [named] if isinstance(named, str) else list(named)
    partition = caller.principal_arn.split(":")[1]
    return any(
        name in ("*", caller.principal_arn, caller.account, f"arn:{partition}:iam::{caller.account}:root")
        for name in named
    )


def _conditions_hold(conditions: Mapping[str, Any], caller: Caller, external_id: str | None) -> bool:
    context = {
        "aws:principalarn": caller.principal_arn,
        "aws:principalaccount": caller.account,
        "aws:principalorgid": caller.org_id,
        "sts:externalid": external_id,
    }
    for condition_operator, tests in conditions.items():
        compare = _OPERATORS.get(condition_operator)
        if compare is None:
            return False
        for key, expected in tests.items():
            if key.lower() not in _SUPPORTED_KEYS:
                return False
            actual = context[key.lower()]
            values = [expected] if isinstance(expected, str) else list(expected)
            if actual is None or not any(compare(actual, value) for value in values):
                return False
    return True


def organization_of(account: str) -> str | None:
    """The id of the emulated organization `account` belongs to, if any."""
    masters = organizations_backends.master_accounts
    for backend_account, partition in [masters[account]] if account in masters else [(account, "aws")]:
        organization = organizations_backends[backend_account][partition].org
        if organization is not None:
            return str(organization.id)
    return None


def _caller_of(response: TokenResponse) -> Caller:
    access_key = response.get_access_key()
    for account_id in list(sts_backends):
        for partition in list(sts_backends[account_id]):
            assumed = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key)
            if assumed is not None:
                return Caller(assumed.role_arn, assumed.account_id, organization_of(assumed.account_id))
    account = response.current_account
    return Caller(f"arn:aws:iam::{account}:user/moto", account, organization_of(account))


_unchecked_assume_role = TokenResponse.assume_role


def _checked_assume_role(self: TokenResponse) -> Any:
    role_arn = str(self._get_param("RoleArn"))
    caller = _caller_of(self)
    denied = AccessDenied(
        f"User: {caller.principal_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )
    parts = role_arn.split(":")
    if len(parts) < 6:
        raise denied
    try:
        role = iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
    except Exception as error:  # moto raises its IAMNotFoundException; AWS says AccessDenied
        raise denied from error
    document = role.assume_role_policy_document
    policy = json.loads(document) if isinstance(document, str) else document
    if not trust_allows(policy, caller, self._get_param("ExternalId")):
        raise denied
    return _unchecked_assume_role(self)


@contextmanager
def enforced_role_trust() -> Iterator[None]:
    """AssumeRole checks that the role exists and trusts the caller, for the duration of the block."""
    TokenResponse.assume_role = _checked_assume_role  # type: ignore[method-assign]
    try:
        yield
    finally:
        TokenResponse.assume_role = _unchecked_assume_role  # type: ignore[method-assign]


class EmulatedOrganization:
    """An organization whose management account is the emulated account; members in OUs, each with its IAM."""

    def __init__(self, account: EmulatedAccount) -> None:
        self.account = account
        self.root_id = ""
        self.id = ""

    def create(self) -> EmulatedOrganization:
        """Create the organization, or take the one the management account already has."""
        organizations = self.client("organizations")
        try:
            self.id = organizations.describe_organization()["Organization"]["Id"]
        except organizations.exceptions.AWSOrganizationsNotInUseException:
            self.id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        self.root_id = organizations.list_roots()["Roots"][0]["Id"]
        return self

    def client(self, service: str, account_id: str = MANAGEMENT_ACCOUNT) -> Any:
        """A client acting in `account_id` (moto's x-moto-account-id header), with the sandbox's credentials."""
        client = self.account.client(service)
        if account_id != MANAGEMENT_ACCOUNT:

            def act_in_account(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account_id

            client.meta.events.register("before-sign", act_in_account)
        return client

    def add_unit(self, name: str, parent: str | None = None) -> str:
        """A new OU below `parent` (the root by default); returns its id."""
        created = self.client("organizations").create_organizational_unit(ParentId=parent or self.root_id, Name=name)
        return str(created["OrganizationalUnit"]["Id"])

    def add_account(self, name: str, parent: str | None = None) -> str:
        """A new member account, moved to `parent` (an OU; the root by default); returns its id."""
        organizations = self.client("organizations")
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        account_id = str(status["AccountId"])
        if parent is not None and parent != self.root_id:
            organizations.move_account(AccountId=account_id, SourceParentId=self.root_id, DestinationParentId=parent)
        return account_id

    def deploy(
        self, account_id: str, stack_name: str, template: Mapping[str, Any], parameters: Mapping[str, str]
    ) -> None:
        """Create a CloudFormation stack in `account_id`, as a StackSet's stack instance would, and wait for it."""
        cloudformation = self.client("cloudformation", account_id)
        cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        for _ in range(100):
            status = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
            if not status.endswith("IN_PROGRESS"):
                break
            time.sleep(0.05)
        if status != "CREATE_COMPLETE":
            raise RuntimeError(f"stack {stack_name} in {account_id}: {status}")

    def create_role(self, account_id: str, name: str, trust_policy: Mapping[str, Any]) -> str:
        """A role in `account_id` with this trust policy and no permissions; returns its ARN."""
        role = self.client("iam", account_id).create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy)
        )
        return str(role["Role"]["Arn"])

    def ensure_role(self, account_id: str, name: str, trust_policy: Mapping[str, Any]) -> str:
        """The role `name` in `account_id`, created with this trust policy if it is not there yet: the tests'
        organization and the sandbox's organization sweep share one emulator per process, and either may
        come first."""
        iam = self.client("iam", account_id)
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            return self.create_role(account_id, name, trust_policy)

    def credentials_of(self, role_arn: str) -> dict[str, str]:
        """The environment variables of a session acting as `role_arn` (assumed from the management account)."""
        credentials = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="sandbox")["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        }

    # --- OIDC providers in member accounts ----------------------------------------------------------------------
    def create_provider(self, account_id: str, url: str, thumbprints: Sequence[str]) -> str:
        full_url = url if url.startswith("https://") else f"https://{url}"
        created = self.client("iam", account_id).create_open_id_connect_provider(
            Url=full_url, ClientIDList=["sts.amazonaws.com"], ThumbprintList=list(thumbprints)
        )
        return str(created["OpenIDConnectProviderArn"])

    def thumbprints(self, account_id: str, arn: str) -> list[str]:
        provider = self.client("iam", account_id).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        return list(provider["ThumbprintList"])

    def delete_providers(self, account_id: str) -> None:
        iam = self.client("iam", account_id)
        for entry in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=entry["Arn"])

    # --- the organization stack's bucket ----------------------------------------------------------------------
    def create_store_bucket(self, name: str) -> str:
        """The stack's bucket as the sandbox has it: encrypted by default with a KMS key of the account."""
        s3 = self.client("s3")
        try:
            s3.head_bucket(Bucket=name)
            return name
        except s3.exceptions.ClientError:
            pass
        s3.create_bucket(Bucket=name)
        key_id = self.client("kms").create_key(Description=f"{name} objects")["KeyMetadata"]["KeyId"]
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Every object of `bucket` under `prefix`, by key."""
        s3 = self.client("s3")
        keys = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}
