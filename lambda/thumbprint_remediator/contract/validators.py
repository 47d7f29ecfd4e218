"""Validators: every shape and spelling both the function and the stack check, defined once."""

from __future__ import annotations

import re
from typing import Final

# The stack's context (infra/config.py, infra/organization/config.py) and the function's settings and payloads
# (settings.py, request.py, organization.py) call these, so a value one side accepts the other cannot refuse.
# ASCII classes only, always applied with fullmatch: no trailing newline, no other script's digit or letter
# (Python's \d and str.isdigit take '٣'; IAM, STS and Organizations do not).
ACCOUNT_ID_PATTERN: Final = r"[0-9]{12}"
ORGANIZATION_ID_PATTERN: Final = r"o-[a-z0-9]{10,32}"
# A root (r-...) or an organizational unit (ou-<root part>-<ou part>).
PARENT_ID_PATTERN: Final = r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
# IAM's name and path characters.
IAM_NAME_CHARACTER: Final = r"[A-Za-z0-9_+=,.@-]"
ROLE_NAME_PATTERN: Final = rf"{IAM_NAME_CHARACTER}{{1,64}}"
# STS: 2 to 1224 characters of [\w+=,.@:/-] (ASCII \w).
EXTERNAL_ID_PATTERN: Final = r"[A-Za-z0-9_+=,.@:/-]{2,1224}"
# aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...
PARTITION_PATTERN: Final = r"aws(?:-[a-z]+)*"
# A role in some account: arn:<partition>:iam::<12 digits>:role/[path/]name.
ROLE_ARN_PATTERN: Final = (
    rf"arn:(?P<partition>{PARTITION_PATTERN}):iam::(?P<account>{ACCOUNT_ID_PATTERN}):role/"
    rf"(?:{IAM_NAME_CHARACTER}+/)*{ROLE_NAME_PATTERN}"
)
ACCOUNT_ID: Final = re.compile(ACCOUNT_ID_PATTERN)
ORGANIZATION_ID: Final = re.compile(ORGANIZATION_ID_PATTERN)
PARENT_ID: Final = re.compile(PARENT_ID_PATTERN)
ROLE_NAME: Final = re.compile(ROLE_NAME_PATTERN)
EXTERNAL_ID: Final = re.compile(EXTERNAL_ID_PATTERN)
ROLE_ARN: Final = re.compile(ROLE_ARN_PATTERN)
_ASCII_DIGITS: Final = re.compile(r"[0-9]+")


def is_account_id(value: object) -> bool:
    """A 12-digit AWS account id (ASCII digits, nothing around them)."""
    return isinstance(value, str) and ACCOUNT_ID.fullmatch(value) is not None


def is_organization_id(value: object) -> bool:
    """An organization id, o- and 10 to 32 lowercase letters or digits."""
    return isinstance(value, str) and ORGANIZATION_ID.fullmatch(value) is not None


def is_parent_id(value: object) -> bool:
    """An organization root (r-...) or organizational unit (ou-...-...) id."""
    return isinstance(value, str) and PARENT_ID.fullmatch(value) is not None


def is_role_name(value: object) -> bool:
    """An IAM role name: 1 to 64 of IAM's name characters."""
    return isinstance(value, str) and ROLE_NAME.fullmatch(value) is not None


def is_external_id(value: object) -> bool:
    """An external id STS accepts: 2 to 1224 of letters, digits and +=,.@:/-_."""
    return isinstance(value, str) and EXTERNAL_ID.fullmatch(value) is not None


def is_role_arn(value: object) -> bool:
    """An IAM role ARN (arn:<partition>:iam::<account>:role/[path/]name)."""
    return isinstance(value, str) and ROLE_ARN.fullmatch(value) is not None


def is_ascii_digits(text: str) -> bool:
    """One or more ASCII digits and nothing else: what int() may be handed (it also takes '٣', '1_0' and ' 1')."""
    return _ASCII_DIGITS.fullmatch(text) is not None


# The one set of spellings of a switch, in the stack's context and the function's environment alike.
BOOLEAN_TRUE: Final = ("true", "yes", "on", "1")
BOOLEAN_FALSE: Final = ("false", "no", "off", "0")
_ASCII_WHITESPACE: Final = " \t\n\r\x0b\x0c"


def parse_boolean(text: str) -> bool:
    """`text` as true or false: a word of BOOLEAN_TRUE or BOOLEAN_FALSE in any ASCII case, ASCII spaces around it
    aside. Anything else, blank included, raises ValueError: a mistyped switch must not silently mean either."""
    word = text.strip(_ASCII_WHITESPACE)
    if word.isascii():
        word = word.lower()
        if word in BOOLEAN_TRUE:
            return True
        if word in BOOLEAN_FALSE:
            return False
    raise ValueError(f"expected true or false ({'/'.join(BOOLEAN_TRUE)} or {'/'.join(BOOLEAN_FALSE)}), got {text!r}")


def without_https_scheme(url: str) -> str:
    """A provider URL as IAM stores it: a leading https:// (any case) dropped, the rest exactly as given."""
    return url[len("https://") :] if url[: len("https://")].lower() == "https://" else url
