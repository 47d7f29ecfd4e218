"""IAM's reading of a role's trust policy, as far as web identity federation needs it: which statements apply
to a provider's tokens, and what each condition clause of them is.

Semantics from the IAM user guide's policy reference ("IAM JSON policy elements": Principal, NotPrincipal,
Action, NotAction, Condition; "Condition operators"; "Single-valued vs. multivalued context keys"). The
policy is IAM's own answer (ListRoles), so it is well formed; a malformed part is skipped, never raised on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

WEB_IDENTITY_ACTION: Final = "sts:AssumeRoleWithWebIdentity"

# Operators that restrict a claim to the values they list, and the negations that only exclude values.
POSITIVE_STRING_OPERATORS: Final = frozenset({"stringequals", "stringlike", "stringequalsignorecase"})
NEGATED: Final[Mapping[str, str]] = {
    "stringnotequals": "StringEquals",
    "stringnotlike": "StringLike",
    "stringnotequalsignorecase": "StringEqualsIgnoreCase",
}


class Qualifier(StrEnum):
    NONE = ""
    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True)
class Clause:
    """One condition key under one operator: `operator` as written, `base` its lower-case name without the set
    qualifier and IfExists (`stringlike`), `values` its values as text (several values are OR)."""

    operator: str
    base: str
    qualifier: Qualifier
    if_exists: bool
    key: str
    values: tuple[str, ...]

    @property
    def wildcards(self) -> bool:
        """Whether `*` and `?` are wildcards in the values (StringLike); elsewhere they are literal."""
        return self.base in {"stringlike", "stringnotlike"}

    def describe(self) -> str:
        shown = ", ".join(f'"{value}"' for value in self.values[:4]) + (", ..." if len(self.values) > 4 else "")
        return (
            f"{self.operator} {self.key} = [{shown}]"
            if len(self.values) != 1
            else f"{self.operator} {self.key} = {shown}"
        )


@dataclass(frozen=True)
class Statement:
    """One statement of a trust policy: `label` is its Sid, or `#<index>` (0-based) without one."""

    label: str
    effect: str  # "Allow" or "Deny"
    clauses: tuple[Clause, ...]


def statements_for(policy: Mapping[str, Any], provider_arn: str) -> list[Statement]:
    """The statements of `policy` that apply when a token of the provider `provider_arn` asks for
    sts:AssumeRoleWithWebIdentity: principal and action match, whatever their conditions say."""
    raw = policy.get("Statement", [])
    listed: Sequence[Any] = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    found = []
    for index, statement in enumerate(listed):
        if not isinstance(statement, Mapping):
            continue
        effect = statement.get("Effect")
        if effect not in {"Allow", "Deny"}:
            continue
        if not (_principal_applies(statement, provider_arn) and _action_applies(statement)):
            continue
        sid = statement.get("Sid")
        label = sid if isinstance(sid, str) and sid else f"#{index}"
        found.append(Statement(label=label, effect=effect, clauses=tuple(parse_conditions(statement.get("Condition")))))
    return found


def matches_wildcard(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: `*` any run of characters (`/` and `:` included), `?` one character."""
    expression = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(expression, text, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def parse_conditions(condition: Any) -> list[Clause]:
    """The clauses of a Condition block (operators and keys are case-insensitive in IAM; values are not)."""
    if not isinstance(condition, Mapping):
        return []
    clauses = []
    for operator, keys in condition.items():
        if not isinstance(operator, str) or not isinstance(keys, Mapping):
            continue
        qualifier, base, if_exists = _split_operator(operator)
        for key, value in keys.items():
            values = value if isinstance(value, list) else [value]
            text = tuple(_as_text(item) for item in values if isinstance(item, str | bool | int | float))
            clauses.append(Clause(operator, base, qualifier, if_exists, str(key), text))
    return clauses


def _split_operator(operator: str) -> tuple[Qualifier, str, bool]:
    qualifier = Qualifier.NONE
    name = operator
    prefix, _, rest = operator.partition(":")
    if rest:
        qualifier = next((q for q in Qualifier if q and q.lower() == prefix.lower()), Qualifier.NONE)
        name = rest
    lowered = name.lower()
    if_exists = lowered.endswith("ifexists")
    return qualifier, lowered.removesuffix("ifexists"), if_exists


def _as_text(value: str | bool | float) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _listed(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


def _principal_applies(statement: Mapping[str, Any], provider_arn: str) -> bool:
    if "Principal" in statement:
        return _names_provider(statement["Principal"], provider_arn)
    if "NotPrincipal" in statement:  # every principal but the ones listed
        return not _names_provider(statement["NotPrincipal"], provider_arn)
    return False


def _names_provider(principal: Any, provider_arn: str) -> bool:
    if principal == "*":  # everyone, web identities included
        return True
    if not isinstance(principal, Mapping):
        return False
    federated = next((value for key, value in principal.items() if str(key).lower() == "federated"), None)
    return any(name in {provider_arn, "*"} for name in _listed(federated))


def _action_applies(statement: Mapping[str, Any]) -> bool:
    if "Action" in statement:
        return any(
            matches_wildcard(action, WEB_IDENTITY_ACTION, ignore_case=True) for action in _listed(statement["Action"])
        )
    if "NotAction" in statement:  # every action but the ones listed
        return not any(
            matches_wildcard(action, WEB_IDENTITY_ACTION, ignore_case=True)
            for action in _listed(statement["NotAction"])
        )
    return False
