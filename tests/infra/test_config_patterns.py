"""Synth-time patterns are exact and ASCII: no trailing newline, no non-ASCII digit, letter or control."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, StackConfig
from infra.organization.config import OrganizationConfig

ORGANIZATION = {"organization": "true", "organizationId": "o-abcdef1234", "targetOus": "ou-abcd-abcdefgh"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("alertEmails", "ops@ex\u00e4mple.com"),
        ("alertEmails", "ops\x00@example.com"),
        ("alertEmails", "ops@example"),
        ("memorySize", "\u0665\u0661\u0662"),
        ("timeout", "\uff13\uff10\uff10"),
        ("expiryWarningDays", "\u00b2"),
    ],
)
def test_stack_context_values_are_ascii(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        StackConfig.from_context({key: value}.get)
    assert key in str(raised.value)


def test_plain_ascii_context_values_are_accepted() -> None:
    config = StackConfig.from_context({"alertEmails": "ops+oidc@example.co.uk", "memorySize": "1024"}.get)
    assert (config.alert_emails, config.memory_size) == (("ops+oidc@example.co.uk",), 1024)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("organizationId", "o-abcd\u00e9f1234"),
        ("targetOus", "ou-abcd-abcdefgh,r-ab\u0663d"),
        ("targetAccounts", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"),
        ("memberRoleName", "M\u00e9mber"),
        ("externalId", "ext\u00e9rnal-id"),
        ("maxConcurrency", "\u00b2"),
        ("maxConcurrency", "\u0663"),
    ],
)
def test_organization_context_values_are_ascii(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        OrganizationConfig.from_context({**ORGANIZATION, key: value}.get)
    assert key in str(raised.value)
