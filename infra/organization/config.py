"""Organization mode's settings, read from CDK context next to StackConfig and validated at synth.

`-c organization=true` switches it on; without it, none of these keys may be given (a typo would otherwise
deploy the single-account stack silently).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from infra.config import ConfigError, parse_boolean
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME, SERVICE_NAME
from thumbprint_remediator.contract.validators import (
    ACCOUNT_ID,
    PARENT_ID,
    is_ascii_digits,
    is_external_id,
    is_organization_id,
    is_role_name,
)

CallAs = Literal["SELF", "DELEGATED_ADMIN"]
CALL_AS: Final[tuple[CallAs, ...]] = ("SELF", "DELEGATED_ADMIN")
ORGANIZATION_KEYS: Final = (
    "organizationId",
    "targetOus",
    "targetAccounts",
    "memberRoleName",
    "externalId",
    "maxConcurrency",
    "callAs",
)
# Each child sweep makes one STS AssumeRole and a few IAM reads per provider: 40 at once stays well inside STS's and
# IAM's request quotas (docs/organizations.md's "Sizing the organization sweep" says how to size it).
DEFAULT_MAX_CONCURRENCY: Final = 40
# Distributed Map takes up to 10,000, but the function reserves this much concurrency, and Lambda keeps 100 of the
# account's default 1,000 unreserved: a larger value would fail the deploy.
MAX_CONCURRENCY: Final = 900


@dataclass(frozen=True)
class OrganizationConfig:
    """Where the member role goes, which accounts are swept, and how many at once."""

    organization_id: str
    target_ous: tuple[str, ...]  # roots (r-...) or OUs (ou-...): the StackSet's targets and the sweep's
    target_accounts: tuple[str, ...] | None = None  # only these accounts of the OUs; None = all
    member_role_name: str = DEFAULT_MEMBER_ROLE_NAME
    external_id: str = ""
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    call_as: CallAs = "SELF"

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> OrganizationConfig | None:
        """None unless `organization` is true; ConfigError naming the key for anything malformed."""
        if not parse_boolean("organization", get("organization"), False):
            given = [key for key in ORGANIZATION_KEYS if get(key) is not None]
            if given:
                raise ConfigError(f"{', '.join(given)}: organization settings need -c organization=true")
            return None
        organization_id = _text(get("organizationId"))
        if not is_organization_id(organization_id):
            raise ConfigError(
                f"organizationId: expected your organization's id (o-xxxxxxxxxx, from `aws organizations "
                f"describe-organization`), got {organization_id!r}"
            )
        target_ous = _ids("targetOus", get("targetOus"), PARENT_ID, "root or OU ids (r-..., ou-...)")
        if not target_ous:
            raise ConfigError("targetOus: expected a comma-separated list of OU ids (ou-...) or the root id (r-...)")
        accounts = _ids("targetAccounts", get("targetAccounts"), ACCOUNT_ID, "12-digit account ids")
        role_name = _text(get("memberRoleName")) or DEFAULT_MEMBER_ROLE_NAME
        if not is_role_name(role_name):
            raise ConfigError(f"memberRoleName: expected an IAM role name, got {role_name!r}")
        external_id = _text(get("externalId")) or f"{SERVICE_NAME}-{organization_id}"
        if not is_external_id(external_id):
            raise ConfigError(
                f"externalId: expected 2 to 1224 characters of letters, digits and +=,.@:/-_, got {external_id!r}"
            )
        return cls(
            organization_id=organization_id,
            target_ous=target_ous,
            target_accounts=accounts or None,
            member_role_name=role_name,
            external_id=external_id,
            max_concurrency=_concurrency(get("maxConcurrency")),
            call_as=_call_as(get("callAs")),
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _ids(key: str, value: Any, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    ids = tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    bad = [item for item in ids if not pattern.fullmatch(item)]
    if bad:
        raise ConfigError(f"{key}: expected {what}, got {', '.join(map(repr, bad))}")
    return ids


def _concurrency(value: Any) -> int:
    text = _text(value)
    if not text:
        return DEFAULT_MAX_CONCURRENCY
    if not is_ascii_digits(text) or not 1 <= int(text) <= MAX_CONCURRENCY:
        raise ConfigError(f"maxConcurrency: expected a whole number from 1 to {MAX_CONCURRENCY}, got {value!r}")
    return int(text)


def _call_as(value: Any) -> CallAs:
    text = _text(value).upper()
    if not text:
        return "SELF"
    for choice in CALL_AS:
        if text == choice:
            return choice
    raise ConfigError(f"callAs: expected SELF (management account) or DELEGATED_ADMIN, got {value!r}")
