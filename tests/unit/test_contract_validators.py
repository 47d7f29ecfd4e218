"""The contract's validators, written out value by value: boundaries, look-alikes and other scripts' digits.

The tables are the expectations (not derived from the patterns) and are shared with
tests/infra/test_validators_agree.py, which runs the same values through the stack's context.
"""

from __future__ import annotations

from typing import Any

import pytest

from thumbprint_remediator.app.request import (
    ListAccountsRequest,
    parse_external_id,
    parse_invocation,
    parse_role_arn,
    provider_key,
)
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.names import ENV_DRY_RUN, ENV_TOPIC_ARN
from thumbprint_remediator.contract.validators import (
    is_account_id,
    is_ascii_digits,
    is_external_id,
    is_organization_id,
    is_parent_id,
    is_role_arn,
    is_role_name,
    parse_boolean,
    without_https_scheme,
)
from thumbprint_remediator.domain.errors import RequestError, SettingsError
from thumbprint_remediator.domain.organization import map_run_result
from thumbprint_remediator.tls.connection import parse_provider_url

ARABIC_INDIC_TWELVE = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"  # ١٢٣٤٥٦٧٨٩٠١٢
FULLWIDTH_TWELVE = "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12"

# (spelling, verdict): True / False, or None for refused.
BOOLEANS: list[tuple[str, bool | None]] = [
    ("true", True),
    ("TRUE", True),
    ("True", True),
    ("yes", True),
    ("On", True),
    ("1", True),
    (" true ", True),
    ("\tyes\n", True),
    ("false", False),
    ("FALSE", False),
    ("no", False),
    ("OFF", False),
    ("0", False),
    (" 0 ", False),
    ("", None),
    ("   ", None),
    ("y", None),
    ("n", None),
    ("t", None),
    ("f", None),
    ("2", None),
    ("01", None),
    ("enabled", None),
    ("truee", None),
    ("no!", None),
    ("\uff54\uff52\uff55\uff45", None),  # fullwidth "true"
    ("\uff11", None),  # fullwidth 1
    ("\u0661", None),  # Arabic-Indic 1
    ("\u0660", None),  # Arabic-Indic 0
    ("ye\u017f", None),  # "ye" and a long s, which casefold() would turn into "yes"
    ("tru\u0435", None),  # Cyrillic e
    ("\u00a0true", None),  # no-break space: not ASCII whitespace
    ("true\x00", None),
    ("tr ue", None),
]

ACCOUNT_IDS: list[tuple[str, bool]] = [
    ("123456789012", True),
    ("000000000000", True),
    ("12345678901", False),  # 11 digits
    ("1234567890123", False),  # 13 digits
    ("", False),
    ("12345678901a", False),
    ("123456789012\n", False),
    (" 123456789012", False),
    ("1234-5678-9012", False),
    (ARABIC_INDIC_TWELVE, False),
    (FULLWIDTH_TWELVE, False),
    ("12345678901\u0662", False),
]

PARENT_IDS: list[tuple[str, bool]] = [
    ("r-ab12", True),
    ("r-" + "a" * 32, True),
    ("r-ab1", False),  # 3 characters
    ("r-" + "a" * 33, False),
    ("ou-ab12-abcdefgh", True),
    ("ou-" + "a" * 32 + "-" + "b" * 32, True),
    ("ou-ab12-abcdefg", False),  # 7 characters after the root part
    ("ou-AB12-abcdefgh", False),  # upper case
    ("ou-ab12", False),
    ("r-ab\u0663d", False),
    ("ou-ab12-abcdefgh\n", False),
    ("o-ab12", False),
]

ORGANIZATION_IDS: list[tuple[str, bool]] = [
    ("o-abcdef1234", True),  # 10
    ("o-" + "a" * 32, True),
    ("o-abcdef123", False),  # 9
    ("o-" + "a" * 33, False),
    ("o-ABCDEF1234", False),
    ("o-abcd\u00e9f1234", False),
    ("o-abcdef123\u0664", False),
    ("abcdef1234", False),
]

ROLE_NAMES: list[tuple[str, bool]] = [
    ("a", True),
    ("A" * 64, True),
    ("A" * 65, False),
    ("", False),
    ("OidcThumbprintRemediatorMember", True),
    ("Member+=,.@_-", True),
    ("M\u00e9mber", False),
    ("role/name", False),
    ("role name", False),
    ("role\n", False),
    ("Member\u0661", False),
]

EXTERNAL_IDS: list[tuple[str, bool]] = [
    ("ab", True),
    ("a", False),
    ("x" * 1224, True),
    ("x" * 1225, False),
    ("corp:oidc/sweep-1_=,.@+", True),
    ("ext\u00e9rnal-id", False),
    ("external id", False),
    ("external-id\n", False),
    ("id-\u0663\u0664", False),
]


@pytest.mark.parametrize(("spelling", "verdict"), BOOLEANS)
def test_one_set_of_boolean_spellings(spelling: str, verdict: bool | None) -> None:
    if verdict is None:
        with pytest.raises(ValueError, match="expected true or false"):
            parse_boolean(spelling)
    else:
        assert parse_boolean(spelling) is verdict


@pytest.mark.parametrize(("spelling", "verdict"), BOOLEANS)
def test_the_function_reads_a_switch_by_the_same_spellings(spelling: str, verdict: bool | None) -> None:
    # Given DRY_RUN as the stack (or an operator) set it
    environ = {ENV_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts", ENV_DRY_RUN: spelling}

    if verdict is None:
        with pytest.raises(SettingsError, match=ENV_DRY_RUN):
            Settings.from_env(environ)
    else:
        assert Settings.from_env(environ).dry_run is verdict


def test_an_unset_switch_takes_its_default_but_a_blank_one_is_refused() -> None:
    topic = {ENV_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts"}

    assert Settings.from_env(topic).dry_run is False
    with pytest.raises(SettingsError, match=r"DRY_RUN must be true or false .*got ''"):
        Settings.from_env({**topic, ENV_DRY_RUN: ""})


@pytest.mark.parametrize(
    ("check", "value", "verdict"),
    [
        *((is_account_id, value, verdict) for value, verdict in ACCOUNT_IDS),
        *((is_parent_id, value, verdict) for value, verdict in PARENT_IDS),
        *((is_organization_id, value, verdict) for value, verdict in ORGANIZATION_IDS),
        *((is_role_name, value, verdict) for value, verdict in ROLE_NAMES),
        *((is_external_id, value, verdict) for value, verdict in EXTERNAL_IDS),
    ],
)
def test_each_shape_is_checked_whole_and_in_ascii(check: Any, value: str, verdict: bool) -> None:
    assert check(value) is verdict


@pytest.mark.parametrize("value", [None, 123456789012, b"123456789012", ["123456789012"]])
def test_a_value_that_is_not_text_is_never_an_id(value: object) -> None:
    assert not any(
        check(value)
        for check in (
            is_account_id,
            is_parent_id,
            is_organization_id,
            is_role_name,
            is_external_id,
            is_role_arn,
        )
    )


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("0", True),
        ("300", True),
        ("", False),
        ("\u0663", False),  # Arabic-Indic 3
        ("\uff13", False),  # fullwidth 3
        ("\u00b2", False),  # superscript 2: isdigit() is true, int() refuses it
        ("1_0", False),  # int() takes it
        (" 1", False),
        ("1\n", False),
        ("-1", False),
        ("1.0", False),
    ],
)
def test_ascii_digits(text: str, verdict: bool) -> None:
    assert is_ascii_digits(text) is verdict


@pytest.mark.parametrize(
    ("arn", "verdict"),
    [
        ("arn:aws:iam::123456789012:role/Member", True),
        ("arn:aws-us-gov:iam::123456789012:role/path/to/Member", True),
        ("arn:aws:iam::123456789012:role/" + "A" * 64, True),
        ("arn:aws:iam::123456789012:role/" + "A" * 65, False),
        ("arn:aws:iam::" + ARABIC_INDIC_TWELVE + ":role/Member", False),
        ("arn:aws:iam::123456789012:role/Member\n", False),
        ("arn:aws:iam::123456789012:user/Member", False),
        ("arn:aws:iam::12345678901:role/Member", False),
    ],
)
def test_role_arns(arn: str, verdict: bool) -> None:
    assert is_role_arn(arn) is verdict
    assert (parse_role_arn(arn) == arn) is verdict


@pytest.mark.parametrize(("external_id", "verdict"), EXTERNAL_IDS)
def test_the_function_takes_the_external_ids_sts_takes(external_id: str, verdict: bool) -> None:
    assert (parse_external_id(external_id) == external_id) is verdict


def _list_accounts(**body: Any) -> ListAccountsRequest | None:
    """The ListAccounts step with `body` over a valid one; None when refused."""
    try:
        invocation = parse_invocation({"list_accounts": {"parents": ["r-ab12"], "role_name": "Member", **body}})
    except RequestError:
        return None
    assert isinstance(invocation, ListAccountsRequest)
    return invocation


@pytest.mark.parametrize(("account", "verdict"), ACCOUNT_IDS)
def test_the_function_takes_the_account_ids_the_contract_takes(account: str, verdict: bool) -> None:
    assert (_list_accounts(accounts=[account]) is not None) is verdict
    # A Map child that failed keeps its account id only if it is one.
    result = map_run_result({"Status": "FAILED", "Input": {"account_id": account, "name": "n"}})
    assert (result["account_id"] == account) is verdict


@pytest.mark.parametrize(("parent", "verdict"), PARENT_IDS)
def test_the_function_takes_the_parent_ids_the_contract_takes(parent: str, verdict: bool) -> None:
    assert (_list_accounts(parents=[parent]) is not None) is verdict


@pytest.mark.parametrize(("role_name", "verdict"), ROLE_NAMES)
def test_the_function_takes_the_role_names_the_contract_takes(role_name: str, verdict: bool) -> None:
    assert (_list_accounts(role_name=role_name) is not None) is verdict


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://issuer.example.com/path", "issuer.example.com/path"),
        ("HTTPS://issuer.example.com", "issuer.example.com"),
        ("HttpS://issuer.example.com/", "issuer.example.com/"),
        ("issuer.example.com", "issuer.example.com"),
        ("http://issuer.example.com", "http://issuer.example.com"),  # not https: left for the caller to refuse
        ("https://https://issuer.example.com", "https://issuer.example.com"),  # one scheme only
        (" https://issuer.example.com", " https://issuer.example.com"),  # exact: no whitespace folded
        ("https:/issuer.example.com", "https:/issuer.example.com"),
    ],
)
def test_the_https_scheme_is_dropped_once_and_nothing_else(url: str, expected: str) -> None:
    assert without_https_scheme(url) == expected


@pytest.mark.parametrize(
    ("written", "key", "host", "path"),
    [
        ("https://issuer.example.com/tenant", "issuer.example.com/tenant", "issuer.example.com", "/tenant"),
        ("HTTPS://Issuer.Example.com/", "issuer.example.com", "issuer.example.com", ""),  # urlsplit folds the host
        ("HttpS://issuer.example.com:8443/a/", "issuer.example.com:8443/a", "issuer.example.com", "/a"),
        ("issuer.example.com", "issuer.example.com", "issuer.example.com", ""),
    ],
)
def test_the_request_and_the_probe_read_a_provider_url_alike(written: str, key: str, host: str, path: str) -> None:
    # The request's comparable key and the probe's endpoint both start from the scheme-less form IAM stores.
    assert provider_key(written) == key
    endpoint, base_path = parse_provider_url(written)
    assert (endpoint.host, base_path) == (host, path)
