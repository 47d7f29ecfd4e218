"""Who can use a provider: a verdict per trust-policy statement that lets its tokens assume a role, and the
provider-level posture problems (no role trusts it, an audience its client IDs cannot satisfy, the quota)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, Protocol

import msgspec

from thumbprint_remediator.domain.posture.policy import (
    NEGATED,
    POSITIVE_STRING_OPERATORS,
    Clause,
    Qualifier,
    Statement,
    has_wildcard,
    matches_wildcard,
    statements_for,
)
from thumbprint_remediator.domain.posture.profiles import Judged, Profile, Reach, profile_for

Verdict = Literal["critical", "warning", "ok", "unusable"]
Severity = Literal["critical", "warning", "info"]

VERDICTS: Final[Mapping[Reach, Verdict]] = {
    Reach.ISSUER: "critical",
    Reach.TENANT: "warning",
    Reach.SUBJECT: "ok",
    Reach.NOTHING: "unusable",
}
VERDICT_ORDER: Final[tuple[Verdict, ...]] = ("critical", "warning", "unusable", "ok")
# IAM's default quota of OIDC providers per account (LimitExceeded ... OpenIdConnectProvidersPerAccount: 100).
PROVIDER_QUOTA: Final = 100
QUOTA_WARNING_SHARE: Final = 0.9
# Problem codes of the provider-level posture (proposed; not yet in the report's vocabulary).
PROVIDER_UNUSED: Final = "provider_unused"
AUDIENCE_UNSATISFIABLE: Final = "audience_unsatisfiable"
PROVIDER_QUOTA_CODE: Final = "provider_quota"


class TrustVerdict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One trust-policy statement that lets the provider's tokens assume a role, judged. `statement` is its Sid,
    or `#<index>` (0-based) without one; `reason` names the decisive condition; `suggestion` is a condition to
    write instead ("" when the verdict is ok)."""

    role_arn: str
    verdict: Verdict
    statement: str
    reason: str
    suggestion: str


class PostureProblem(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A provider-level posture problem; `role_arn` names the role it is about, when it is about one."""

    code: str
    severity: Severity
    message: str
    remedy: str
    role_arn: str | None = None


@dataclass(frozen=True)
class RoleTrust:
    """A role as ListRoles returns it: its ARN, its name and its trust policy, already decoded (the adapter
    URL-decodes and parses IAM's AssumeRolePolicyDocument)."""

    arn: str
    name: str
    trust_policy: Mapping[str, Any]


class ProviderIdentity(Protocol):
    """What the judge needs of a provider (models.ProviderConfig has it)."""

    @property
    def arn(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def client_ids(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class _Effect:
    """What one binding condition does to a statement: how far the tokens it admits reach."""

    reach: Reach
    clause: str
    why: str
    tenant: str | None = None
    fix: str | None = None  # for a condition no token can satisfy: how to write it instead


def judge_role(provider: ProviderIdentity, role: RoleTrust) -> tuple[TrustVerdict, ...]:
    """A verdict for each Allow statement of `role` that lets `provider`'s tokens call
    sts:AssumeRoleWithWebIdentity (none when the role does not trust the provider)."""
    profile = profile_for(provider.url)
    statements = statements_for(role.trust_policy, provider.arn)
    denies = [statement for statement in statements if statement.effect == "Deny"]
    narrowing, blocked = _deny_effects(denies, profile, provider.client_ids)
    return tuple(
        _verdict(role.arn, statement, profile, provider.client_ids, narrowing, blocked)
        for statement in statements
        if statement.effect == "Allow"
    )


def trusted_by(provider: ProviderIdentity, roles: Iterable[RoleTrust]) -> tuple[TrustVerdict, ...]:
    """Every judged statement of `roles` that trusts `provider`: critical first, then warning, unusable, ok."""
    verdicts = [verdict for role in roles for verdict in judge_role(provider, role)]
    return tuple(sorted(verdicts, key=lambda v: (VERDICT_ORDER.index(v.verdict), v.role_arn, v.statement)))


def unused_provider(
    provider: ProviderIdentity, trusted: Sequence[TrustVerdict], *, complete: bool
) -> PostureProblem | None:
    """The provider no role trusts, or only through statements no token can satisfy. Only judged when the
    listing of roles was `complete`: a partial listing proves nothing about the roles it did not reach."""
    if not complete:
        return None
    if not trusted:
        message = f"no role of the account trusts {provider.url}: the provider is unused"
    elif all(verdict.verdict == "unusable" for verdict in trusted):
        roles = sorted({verdict.role_arn for verdict in trusted})
        message = f"the roles that trust {provider.url} ({', '.join(roles)}) can never be assumed with its tokens"
    else:
        return None
    return PostureProblem(
        code=PROVIDER_UNUSED,
        severity="info",
        message=message,
        remedy=(
            "if nothing uses it (an EKS cluster deleted since, a pipeline moved away), delete it: it counts against "
            f"the account's quota of {PROVIDER_QUOTA} providers "
            f"(aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {provider.arn})"
        ),
    )


def audience_mismatches(provider: ProviderIdentity, roles: Iterable[RoleTrust]) -> tuple[PostureProblem, ...]:
    """Roles whose `aud` condition no client ID of `provider` satisfies: STS accepts only tokens whose audience
    is in the provider's client ID list, so those statements can never be used."""
    profile = profile_for(provider.url)
    problems = []
    for role in roles:
        for statement in statements_for(role.trust_policy, provider.arn):
            if statement.effect != "Allow":
                continue
            for clause in statement.clauses:
                effect = _audience_effect(clause, profile, provider.client_ids)
                if effect is not None:
                    problems.append(
                        PostureProblem(
                            code=AUDIENCE_UNSATISFIABLE,
                            severity="warning",
                            message=f"{role.arn} statement {statement.label}: {effect.clause}: {effect.why}",
                            remedy=effect.fix or "",
                            role_arn=role.arn,
                        )
                    )
    return tuple(problems)


def quota_headroom(provider_count: int, quota: int = PROVIDER_QUOTA) -> PostureProblem | None:
    """A problem when the account nears (90 %) or reaches its quota of OIDC providers: at the quota, creating
    one (a new EKS cluster's IRSA, a new pipeline) fails with LimitExceeded."""
    if provider_count < quota * QUOTA_WARNING_SHARE:
        return None
    full = provider_count >= quota
    return PostureProblem(
        code=PROVIDER_QUOTA_CODE,
        severity="critical" if full else "warning",
        message=(
            f"{provider_count} OIDC providers of a quota of {quota}: "
            + ("no provider can be created" if full else f"{quota - provider_count} left")
        ),
        remedy="delete the unused providers (provider_unused), or ask AWS for a higher quota",
    )


# --- one statement ----------------------------------------------------------------------------------------------
def _verdict(
    role_arn: str,
    statement: Statement,
    profile: Profile,
    client_ids: tuple[str, ...],
    narrowing: list[_Effect],
    blocked: str | None,
) -> TrustVerdict:
    def verdict(reach: Reach, reason: str, suggestion: str) -> TrustVerdict:
        return TrustVerdict(
            role_arn=role_arn, verdict=VERDICTS[reach], statement=statement.label, reason=reason, suggestion=suggestion
        )

    if blocked is not None:
        return verdict(
            Reach.NOTHING, blocked, "remove the Deny, or scope it with a condition, if the role is meant to be used"
        )
    effects: list[_Effect] = []
    notes: list[str] = []
    for clause in statement.clauses:
        effect, note = _clause_effect(clause, profile, client_ids)
        if effect is not None:
            effects.append(effect)
        if note:
            notes.append(note)
    effects.extend(narrowing)
    dead = next((effect for effect in effects if effect.reach is Reach.NOTHING), None)
    if dead is not None:
        return verdict(
            Reach.NOTHING, f"{profile.name}: {dead.clause}: {dead.why}", dead.fix or _example(profile, effects)
        )
    decisive = max(effects, key=lambda effect: effect.reach, default=None)
    also = f" (not binding: {'; '.join(notes)})" if notes else ""
    if decisive is None:
        reason = f"{profile.name}: no condition binds {profile.prefix}:sub, so {profile.baseline_why}{also}"
        return verdict(profile.baseline, reason, _example(profile, effects))
    if decisive.reach < profile.baseline:  # the issuer itself pins more than the condition does
        reason = f"{profile.name}: {decisive.clause} pins nothing the issuer does not: {profile.baseline_why}{also}"
        return verdict(profile.baseline, reason, _example(profile, effects))
    reason = f"{profile.name}: {decisive.clause}: {decisive.why}{also}"
    return verdict(decisive.reach, reason, "" if decisive.reach is Reach.SUBJECT else _example(profile, effects))


def _example(profile: Profile, effects: Sequence[_Effect]) -> str:
    tenant = next((effect.tenant for effect in effects if effect.tenant), None)
    return profile.example(profile.prefix, tenant)


def _clause_effect(  # noqa: PLR0911 - a decision list: IAM's reading of one operator per return
    clause: Clause, profile: Profile, client_ids: tuple[str, ...]
) -> tuple[_Effect | None, str | None]:
    """The clause's effect on who can assume, when it binds; else a note saying why it does not (or None)."""
    prefix, _, claim = clause.key.rpartition(":")
    claim = claim.lower()
    if prefix.lower() != profile.prefix.lower():
        return _foreign_effect(clause, prefix, claim, profile)
    if clause.base == "null":
        if "true" in clause.values and claim in profile.always_present:
            return _Effect(Reach.NOTHING, clause.describe(), f"every token carries {claim}"), None
        return None, None
    if clause.base in NEGATED:
        if clause.base == "stringnotlike" and "*" in clause.values and clause.qualifier is not Qualifier.FOR_ALL_VALUES:
            return _Effect(Reach.NOTHING, clause.describe(), "it excludes every value"), None
        return None, f"{clause.describe()} only excludes the values it lists"
    if clause.base not in POSITIVE_STRING_OPERATORS:
        return None, None
    if clause.qualifier is Qualifier.FOR_ALL_VALUES:
        return None, (
            f"{clause.describe()}: ForAllValues is also true when the claim carries no value; "
            "it is meant for multivalued keys and does not bind a single-valued claim"
        )
    if clause.if_exists and claim not in profile.always_present:
        return None, f"{clause.describe()}: IfExists passes when the token does not carry {claim}"
    if claim == "aud":
        return _audience_effect(clause, profile, client_ids), None
    return _claim_effect(clause, claim, profile), None


def _foreign_effect(clause: Clause, prefix: str, claim: str, profile: Profile) -> tuple[_Effect | None, str | None]:
    """A key of another issuer (`<host>:sub`) is never in this provider's request; global keys (aws:, sts:)
    are not judged here."""
    if "." not in prefix and "/" not in prefix:
        return None, None
    binding = (
        clause.base in POSITIVE_STRING_OPERATORS
        and not clause.if_exists
        and clause.qualifier is not Qualifier.FOR_ALL_VALUES
    )
    if not binding:
        return None, f"{clause.describe()} is another issuer's key: it passes vacuously"
    fix = f'write the key for this provider: "{profile.prefix}:{claim}"'
    why = f"{clause.key} is another issuer's key: STS never sets it for {profile.prefix} tokens, so no token matches"
    return _Effect(Reach.NOTHING, clause.describe(), why, fix=fix), None


def _claim_effect(clause: Clause, claim: str, profile: Profile) -> _Effect:
    judge = profile.claims.get(claim)
    if judge is None:
        why = (
            f"STS is not documented to set {claim} for {profile.name} tokens: if it never does, no token matches; "
            "if it does, this tool cannot tell what it pins"
        )
        return _Effect(Reach.TENANT, clause.describe(), why)
    judged = [_judge_value(clause, value, judge) for value in clause.values]
    if not judged:
        return _Effect(Reach.NOTHING, clause.describe(), "it lists no value")
    live = [value for value in judged if value.reach is not Reach.NOTHING]
    chosen = min(live, key=lambda value: value.reach) if live else judged[0]  # several values: any may match (OR)
    fix = _literal_fix(clause, profile) if chosen.reach is Reach.NOTHING else None
    return _Effect(chosen.reach, clause.describe(), chosen.why, chosen.tenant, fix)


def _judge_value(clause: Clause, value: str, judge: Any) -> Judged:
    if not clause.wildcards and has_wildcard(value):
        return Judged(
            Reach.NOTHING,
            f'{clause.operator} compares literally: "{value}" matches only a value holding that wildcard character',
        )
    judged: Judged = judge(value, clause.wildcards)
    return judged


def _literal_fix(clause: Clause, profile: Profile) -> str | None:
    if not clause.wildcards and any(has_wildcard(value) for value in clause.values):
        return f"use StringLike for a pattern, or better {profile.example(profile.prefix, None)}"
    return None


def _audience_effect(clause: Clause, profile: Profile, client_ids: tuple[str, ...]) -> _Effect | None:
    """NOTHING when the clause is a binding `aud` condition that no client ID of the provider satisfies."""
    prefix, _, claim = clause.key.rpartition(":")
    if claim.lower() != "aud" or prefix.lower() != profile.prefix.lower() or not client_ids:
        return None
    if clause.base not in POSITIVE_STRING_OPERATORS or clause.qualifier is Qualifier.FOR_ALL_VALUES:
        return None
    ignore_case = clause.base == "stringequalsignorecase"
    for value in clause.values:
        if any(_satisfies(value, client_id, clause.wildcards, ignore_case) for client_id in client_ids):
            return None
    why = f"no client ID of the provider ({', '.join(client_ids)}) satisfies it: STS accepts only those audiences"
    fix = f'add the audience to the provider\'s client IDs, or write "{clause.key}": "{client_ids[0]}"'
    return _Effect(Reach.NOTHING, clause.describe(), why, fix=fix)


def _satisfies(value: str, client_id: str, wildcards: bool, ignore_case: bool) -> bool:
    if wildcards:
        return matches_wildcard(value, client_id)
    return value.lower() == client_id.lower() if ignore_case else value == client_id  # a wildcard here is literal


def _deny_effects(
    denies: Sequence[Statement], profile: Profile, client_ids: tuple[str, ...]
) -> tuple[list[_Effect], str | None]:
    """What the Deny statements that apply to the provider do to every Allow: a Deny with no condition refuses
    every token; a Deny whose one condition is negative (StringNotLike sub X) admits only X; other Denies only
    exclude some tokens, which narrows no verdict."""
    effects: list[_Effect] = []
    for deny in denies:
        if not deny.clauses:
            return effects, f"Deny {deny.label} refuses every token of this provider"
        if len(deny.clauses) != 1:
            continue
        (clause,) = deny.clauses
        if clause.base in NEGATED and clause.qualifier is not Qualifier.FOR_ALL_VALUES:
            positive = NEGATED[clause.base]
            admitted = replace(clause, operator=positive, base=positive.lower(), if_exists=False)
            effect, _ = _clause_effect(admitted, profile, client_ids)
            if effect is not None:
                effects.append(replace(effect, clause=f"Deny {deny.label}: {clause.describe()}"))
        elif clause.base == "stringlike" and "*" in clause.values and clause.qualifier is not Qualifier.FOR_ALL_VALUES:
            prefix, _, claim = clause.key.rpartition(":")
            if prefix.lower() == profile.prefix.lower() and claim.lower() in profile.always_present:
                return effects, f"Deny {deny.label}: {clause.describe()} refuses every token of this provider"
    return effects, None
