"""Organization mode's settings, read from CDK context next to StackConfig and validated at synth.

`-c organization=true` switches it on; without it, none of these keys may be given (a typo would otherwise
deploy the single-account stack silently).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from infra.config import ConfigError, context_boolean
from thumbprint_remediator.contract.names import SERVICE_NAME
from thumbprint_remediator.contract.settings import (
    ORG_CALL_AS,
    ORG_EXTERNAL_ID,
    ORG_ID,
    ORG_MAX_CONCURRENCY,
    ORG_MEMBER_ROLE_NAME,
    ORG_MODE,
    ORG_TARGET_ACCOUNTS,
    ORG_TARGET_OUS,
    ORGANIZATION_SETTINGS,
)
from thumbprint_remediator.contract.validators import (
    ACCOUNT_ID,
    PARENT_ID,
    is_ascii_digits,
    is_external_id,
    is_organization_id,
    is_role_name,
)

# The type of the choices the table of settings allows (tests/infra/test_configuration_doc.py holds them equal).
CallAs = Literal["SELF", "DELEGATED_ADMIN"]
CALL_AS: Final[tuple[CallAs, ...]] = get_args(CallAs)
# Every key of organization mode but the switch itself.
ORGANIZATION_KEYS: Final = tuple(setting.key for setting in ORGANIZATION_SETTINGS if setting is not ORG_MODE)
# Defaults and bounds are the table of settings' (contract/settings.py); these name the ones infra reuses.
DEFAULT_MAX_CONCURRENCY: Final = ORG_MAX_CONCURRENCY.default
MIN_CONCURRENCY, MAX_CONCURRENCY = (int(bound) for bound in ORG_MAX_CONCURRENCY.bounds)
_DEFAULT_CALL_AS: Final[CallAs] = next(each for each in CALL_AS if each == ORG_CALL_AS.default)


@dataclass(frozen=True)
class OrganizationConfig:
    """Where the member role goes, which accounts are swept, and how many at once."""

    organization_id: str
    target_ous: tuple[str, ...]  # roots (r-...) or OUs (ou-...): the StackSet's targets and the sweep's
    target_accounts: tuple[str, ...] | None = None  # only these accounts of the OUs; None = all
    member_role_name: str = ORG_MEMBER_ROLE_NAME.default
    external_id: str = ORG_EXTERNAL_ID.default
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    call_as: CallAs = _DEFAULT_CALL_AS

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> OrganizationConfig | None:
        """None unless `organization` is true; ConfigError naming the key for anything malformed."""
        if not context_boolean(ORG_MODE, get):
            given = [key for key in ORGANIZATION_KEYS if get(key) is not None]
            if given:
                raise ConfigError(f"{', '.join(given)}: organization settings need -c organization=true")
            return None
        organization_id = _text(get(ORG_ID.key))
        if not is_organization_id(organization_id):
            raise ConfigError(
                f"{ORG_ID.key}: expected your organization's id (o-xxxxxxxxxx, from `aws organizations "
                f"describe-organization`), got {organization_id!r}"
            )
        target_ous = _ids(ORG_TARGET_OUS.key, get(ORG_TARGET_OUS.key), PARENT_ID, "root or OU ids (r-..., ou-...)")
        if not target_ous:
            raise ConfigError(
                f"{ORG_TARGET_OUS.key}: expected a comma-separated list of OU ids (ou-...) or the root id (r-...)"
            )
        accounts = _ids(ORG_TARGET_ACCOUNTS.key, get(ORG_TARGET_ACCOUNTS.key), ACCOUNT_ID, "12-digit account ids")
        role_name = _text(get(ORG_MEMBER_ROLE_NAME.key)) or ORG_MEMBER_ROLE_NAME.default
        if not is_role_name(role_name):
            raise ConfigError(f"{ORG_MEMBER_ROLE_NAME.key}: expected an IAM role name, got {role_name!r}")
        external_id = _text(get(ORG_EXTERNAL_ID.key)) or f"{SERVICE_NAME}-{organization_id}"
        if not is_external_id(external_id):
            raise ConfigError(
                f"{ORG_EXTERNAL_ID.key}: expected 2 to 1224 characters of letters, digits and +=,.@:/-_, "
                f"got {external_id!r}"
            )
        return cls(
            organization_id=organization_id,
            target_ous=target_ous,
            target_accounts=accounts or None,
            member_role_name=role_name,
            external_id=external_id,
            max_concurrency=_concurrency(get(ORG_MAX_CONCURRENCY.key)),
            call_as=_call_as(get(ORG_CALL_AS.key)),
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
    if not is_ascii_digits(text) or not MIN_CONCURRENCY <= int(text) <= MAX_CONCURRENCY:
        raise ConfigError(
            f"{ORG_MAX_CONCURRENCY.key}: expected a whole number from {MIN_CONCURRENCY} to {MAX_CONCURRENCY}, "
            f"got {value!r}"
        )
    return int(text)


def _call_as(value: Any) -> CallAs:
    text = _text(value).upper()
    if not text:
        return _DEFAULT_CALL_AS
    for choice in CALL_AS:
        if text == choice:
            return choice
    raise ConfigError(f"{ORG_CALL_AS.key}: expected SELF (management account) or DELEGATED_ADMIN, got {value!r}")
