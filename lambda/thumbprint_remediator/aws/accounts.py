"""STS and Organizations adapters for organization sweeps: reach a member account, list the accounts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import boto3
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.contract.names import MEMBER_ROLE_SESSION_NAME
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import AccountAccessError, OrganizationError
from thumbprint_remediator.domain.organization import MemberAccount

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

# What these adapters call (the contract collects it for infra): the member role in every account, and the account
# lists, which Organizations cannot scope to a resource when called for arbitrary OUs.
PERMISSIONS: Final = (
    Permissions(actions=("sts:AssumeRole",), resource="member-roles"),
    Permissions(
        actions=("organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"),
        resource="any",
    ),
)


class MemberRoles:
    """Assumes a member account's role. Credentials last one invocation: a session per sweep, never cached."""

    def __init__(self, client: STSClient, region: str | None) -> None:
        self._client = client
        self._region = region
        # Service models parsed once per cold start: a fresh loader per account costs ~0.3 s of CPU each.
        self._loader = botocore.session.get_session().get_component("data_loader")

    def session_for(self, role_arn: str, external_id: str | None) -> boto3.Session:
        """A session acting as `role_arn`; AccountAccessError if STS refuses (missing role, trust denied)."""
        arguments: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": MEMBER_ROLE_SESSION_NAME}
        if external_id is not None:
            arguments["ExternalId"] = external_id
        try:
            credentials = self._client.assume_role(**arguments)["Credentials"]
        except ClientError as error:
            detail = error.response.get("Error", {})
            code = str(detail.get("Code", "ClientError"))
            raise AccountAccessError(role_arn, code, f"{code}: {detail.get('Message', error)}") from error
        except BotoCoreError as error:
            raise AccountAccessError(role_arn, type(error).__name__, str(error)) from error
        core = botocore.session.get_session()
        core.register_component("data_loader", self._loader)
        return boto3.Session(
            botocore_session=core,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self._region,
        )


class OrganizationAccounts:
    """The accounts of an organization's roots or OUs, whole subtrees included (as StackSets deploy)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def under(self, parents: Sequence[str]) -> list[MemberAccount]:
        """Every account below `parents`, breadth first, each once. OrganizationError if Organizations refuses."""
        accounts: dict[str, MemberAccount] = {}
        queue, seen = list(parents), set(parents)
        try:
            while queue:
                parent = queue.pop(0)
                for page in self._client.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
                    for entry in page.get("Accounts", []):
                        accounts.setdefault(
                            entry["Id"],
                            MemberAccount(
                                account_id=entry["Id"],
                                name=str(entry.get("Name", "")),
                                status=str(entry.get("Status") or entry.get("State") or "ACTIVE"),
                                parent=parent,
                            ),
                        )
                paginator = self._client.get_paginator("list_organizational_units_for_parent")
                for page in paginator.paginate(ParentId=parent):
                    for unit in page.get("OrganizationalUnits", []):
                        if unit["Id"] not in seen:
                            seen.add(unit["Id"])
                            queue.append(unit["Id"])
        except ClientError as error:
            detail = error.response.get("Error", {})
            raise OrganizationError(
                f"cannot list the accounts of {', '.join(parents)}: {detail.get('Code')}: {detail.get('Message')}"
            ) from error
        except BotoCoreError as error:
            raise OrganizationError(f"cannot list the accounts of {', '.join(parents)}: {error}") from error
        return list(accounts.values())
