"""IAM adapter: the account's roles and their trust policies, read in one ListRoles pass per sweep and shared by
every provider's posture judgement (domain/posture)."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.aws.clients import Clients, describe_error, worst_case_seconds
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.posture import RoleTrust

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_iam import IAMClient

# What this adapter calls (contract.py collects it for infra): IAM cannot scope listing roles to a resource.
PERMISSIONS: Final = (
    Permissions(
        actions=("iam:ListRoles",),
        resource="any",
        when="posture: one paginated pass per sweep, shared by every provider",
    ),
)
# ListRoles' largest page; 5,000 roles (IAM's default quota per account) take five calls.
PAGE_SIZE: Final = 1000
# A marker that never ends (a faulty endpoint) must not hold the sweep: far beyond any account's roles.
MAX_PAGES: Final = 100


@dataclass(frozen=True)
class RoleListing:
    """The roles one pass read. `complete` is False when it stopped early (out of time, IAM refused or failed):
    then `failure` says why, and the roles it did not reach are unknown, not absent. `undecodable` names the
    roles whose trust policy could not be decoded (they are listed with an empty policy)."""

    roles: tuple[RoleTrust, ...]
    complete: bool
    failure: str | None = None
    undecodable: tuple[str, ...] = ()
    calls: int = 0


class IamRoles:
    """The account's roles, read with the bounded read client (clients.py): every call has its timeouts and
    retries, and a pass given a `deadline` (time.monotonic) sends no page whose worst case would pass it."""

    def __init__(
        self,
        client: IAMClient | None = None,
        session: boto3.Session | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client or Clients(session).iam()
        self._page_size = page_size
        self._clock = clock

    def list_trust_policies(self, deadline: float | None = None) -> RoleListing:
        """Every role of the account with its decoded trust policy, page by page until IAM says the list is
        complete, the deadline would be passed, or IAM fails (then the listing is marked incomplete)."""
        roles: list[RoleTrust] = []
        undecodable: list[str] = []
        marker: str | None = None
        for calls in range(MAX_PAGES):
            if deadline is not None and deadline - self._clock() < worst_case_seconds("read"):
                return RoleListing(
                    tuple(roles), False, f"out of time after {len(roles)} roles", tuple(undecodable), calls
                )
            try:
                page: Any = self._client.list_roles(MaxItems=self._page_size, **({"Marker": marker} if marker else {}))
            except (ClientError, BotoCoreError) as error:
                reason = f"cannot list roles after {len(roles)}: {describe_error(error)}"
                return RoleListing(tuple(roles), False, reason, tuple(undecodable), calls + 1)
            for entry in page.get("Roles", []):
                policy = decode_trust_policy(entry.get("AssumeRolePolicyDocument"))
                arn = str(entry.get("Arn", ""))
                roles.append(RoleTrust(arn=arn, name=str(entry.get("RoleName", "")), trust_policy=policy or {}))
                if policy is None:
                    undecodable.append(arn)
            marker = page.get("Marker")
            if not page.get("IsTruncated") or not marker:
                return RoleListing(tuple(roles), True, None, tuple(undecodable), calls + 1)
        return RoleListing(tuple(roles), False, f"stopped after {MAX_PAGES} pages", tuple(undecodable), MAX_PAGES)


def decode_trust_policy(document: Any) -> Mapping[str, Any] | None:
    """A trust policy as IAM returns it: URL-encoded JSON text on the wire (boto3 decodes it already); None
    when it is neither."""
    if isinstance(document, Mapping):
        return document
    if not isinstance(document, str):
        return None
    for text in (document, urllib.parse.unquote(document)):  # decoded text first: a value may hold a literal %
        try:
            decoded = json.loads(text)
        except ValueError:
            continue
        if isinstance(decoded, Mapping):
            return decoded
    return None
