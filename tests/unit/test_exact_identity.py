"""Exact identity in payloads: provider ARNs and URLs match exactly, and no pattern accepts a trailing
newline, a non-ASCII digit or a non-ASCII letter."""

from __future__ import annotations

import pytest

from thumbprint_remediator.app.request import (
    parse_event,
    parse_external_id,
    parse_invocation,
    parse_role_arn,
    provider_identity,
    provider_key,
    require_providers_in_scope,
)
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.domain.errors import RequestError, SettingsError
from thumbprint_remediator.domain.rules import is_valid_thumbprint

URL = "oidc.example.com/tenant"
OWN_ARN = f"arn:aws:iam::123456789012:oidc-provider/{URL}"
ROLE_ARN = "arn:aws:iam::210987654321:role/OidcThumbprintMember"
# Twelve Arabic-Indic digits: digits to \d and int(), none of them ASCII.
ARABIC_INDIC_TWELVE = "".join(chr(0x0660 + int(digit)) for digit in "123456789012")
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


# --- provider identity ---------------------------------------------------------------------------------


def test_provider_arn_names_its_partition_and_account() -> None:
    # Given an ARN in the China partition
    identity = provider_identity(f"arn:aws-cn:iam::999999999999:oidc-provider/{URL}")

    # Then its identity keeps partition and account beside the URL
    assert (identity.partition, identity.account, identity.url) == ("aws-cn", "999999999999", URL)


def test_url_path_case_matters_and_host_case_does_not() -> None:
    assert provider_key("https://OIDC.Example.COM/tenant/") == provider_key(URL)
    assert provider_key(f"{URL[:-6]}Tenant") != provider_key(URL)
    assert provider_key("oidc.example.com:8443/tenant") != provider_key(URL)


@pytest.mark.parametrize(
    "foreign",
    [
        f"arn:aws-cn:iam::123456789012:oidc-provider/{URL}",
        f"arn:aws:iam::999999999999:oidc-provider/{URL}",
        f"arn:aws-us-gov:iam::999999999999:oidc-provider/{URL}",
    ],
)
def test_foreign_provider_arn_is_a_validation_error(foreign: str) -> None:
    # Given a payload naming a provider of another partition or account
    request = parse_event({"providers": [foreign]})

    # When it is checked against the function's own account and partition
    with pytest.raises(RequestError) as raised:
        require_providers_in_scope(request, account="123456789012", partition="aws")

    # Then it is refused, naming the ARN
    assert foreign in str(raised.value)


def test_own_provider_arn_and_plain_urls_pass_the_scope_check() -> None:
    request = parse_event({"providers": [OWN_ARN, URL, "https://other.example/x"]})

    require_providers_in_scope(request, account="123456789012", partition="aws")


def test_member_sweep_checks_the_member_account_not_the_callers() -> None:
    # Given a sweep through a member role naming the member's provider, and one of the caller's own
    member = f"arn:aws:iam::210987654321:oidc-provider/{URL}"
    require_providers_in_scope(
        parse_event({"account_role_arn": ROLE_ARN, "providers": [member]}), account="123456789012", partition="aws"
    )

    # Then the caller's provider is the foreign one there
    with pytest.raises(RequestError):
        require_providers_in_scope(
            parse_event({"account_role_arn": ROLE_ARN, "providers": [OWN_ARN]}),
            account="123456789012",
            partition="aws",
        )


@pytest.mark.parametrize(
    "identifier",
    [
        OWN_ARN + "\n",
        URL + "\n",
        " " + URL,
        f"arn:aws:iam::{ARABIC_INDIC_TWELVE}:oidc-provider/{URL}",
        "oidc.example.com:\u0668\u0664\u0664\u0663/tenant",
        "oidc.example.com/t\u00e9nant",
        "oidc.ex\u00e4mple.com/tenant",
        "oidc.example.com/ten ant",
        "oidc.example.com/tenant?x=1",
        f"arn:aws:iam::123456789012:oidc-provider/{URL}\t",
    ],
)
def test_provider_identifier_with_odd_characters_is_rejected(identifier: str) -> None:
    with pytest.raises(RequestError) as raised:
        parse_event({"providers": [identifier]})
    assert "is neither an OIDC provider ARN nor a provider URL" in str(raised.value)


# --- every other pattern -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        ROLE_ARN + "\n",
        f"arn:aws:iam::{ARABIC_INDIC_TWELVE}:role/OidcThumbprintMember",
        "arn:aws:iam::210987654321:role/M\u00e9mber",
        "arn:aws:iam::210987654321:role/Member\u00a0",
    ],
)
def test_role_arn_pattern_is_exact_and_ascii(value: str) -> None:
    assert parse_role_arn(ROLE_ARN) == ROLE_ARN
    assert parse_role_arn(value) is None


@pytest.mark.parametrize("value", ["external-id\n", "ext\u00e9rnal-id", "external\u0660id"])
def test_external_id_pattern_is_exact_and_ascii(value: str) -> None:
    assert parse_external_id("external-id") == "external-id"
    assert parse_external_id(value) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"parents": ["r-abcd\n"], "role_name": "Member"}, "'parents': not root or OU ids"),
        ({"parents": ["r-abcd"], "accounts": [ARABIC_INDIC_TWELVE], "role_name": "Member"}, "12-digit account ids"),
        ({"parents": ["r-abcd"], "accounts": ["210987654321\n"], "role_name": "Member"}, "12-digit account ids"),
        ({"parents": ["r-abcd"], "role_name": "Member\n"}, "'role_name' must be an IAM role name"),
        ({"parents": ["r-abcd"], "role_name": "M\u00e9mber"}, "'role_name' must be an IAM role name"),
    ],
)
def test_organization_step_patterns_are_exact_and_ascii(body: dict[str, object], message: str) -> None:
    with pytest.raises(RequestError) as raised:
        parse_invocation({"list_accounts": body})
    assert message in str(raised.value)


def test_aggregate_account_id_is_exact_and_ascii() -> None:
    outcome = {"account_id": ARABIC_INDIC_TWELVE, "name": "x", "report": {}}
    with pytest.raises(RequestError):
        parse_invocation({"aggregate": {"results": [outcome]}})


@pytest.mark.parametrize("value", ["a" * 40 + "\n", "\u0660" * 40, "a" * 39 + "\u0661"])
def test_thumbprint_pattern_is_exact_and_ascii(value: str) -> None:
    assert is_valid_thumbprint("a" * 40)
    assert not is_valid_thumbprint(value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EXPIRY_WARNING_DAYS", "\u0663\u0660"),
        ("EXPIRY_WARNING_DAYS", "3_0"),
        ("MAX_WORKERS", "\uff11\uff16"),
        ("CONNECT_TIMEOUT_SECONDS", "\u0662.\u0665"),
        ("HOST_BUDGET_SECONDS", "inf"),
    ],
)
def test_numeric_settings_take_ascii_digits_only(name: str, value: str) -> None:
    # Given a variable written with other scripts' digits, underscores or float syntax
    environment = {"TOPIC_ARN": TOPIC, name: value}

    # Then the setting is refused, naming the variable
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environment)
    assert name in str(raised.value)


def test_numeric_settings_accept_plain_ascii_numbers() -> None:
    settings = Settings.from_env({"TOPIC_ARN": TOPIC, "EXPIRY_WARNING_DAYS": "30", "READ_TIMEOUT_SECONDS": "2.5"})
    assert (settings.expiry_warning_days, settings.read_timeout) == (30, 2.5)
