"""A provider's posture as the report carries it: its `trusted_by` verdicts and the posture problems, as ordinary
problems of the report (rules.Problem) with their own codes. A posture problem implies no thumbprint status (its
status is "ok"): its `severity` says how serious it is, and its `instance` (role ARN and statement) tells the
problems of one code apart, for Security Hub's ids and for history's news.

More posture checks (dead EKS clusters, claimable issuers) add their problems here, through `judge_posture`'s
`extra` argument, with a code of POSTURE_SEVERITY each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from thumbprint_remediator.domain.posture.judge import (
    AUDIENCE_UNSATISFIABLE,
    PROVIDER_QUOTA_CODE,
    PROVIDER_UNUSED,
    PostureProblem,
    ProviderIdentity,
    RoleTrust,
    Severity,
    TrustVerdict,
    audience_mismatches,
    quota_headroom,
    trusted_by,
    unused_provider,
)
from thumbprint_remediator.domain.rules import Problem
from thumbprint_remediator.domain.status import Status

TRUST_CRITICAL: Final = "trust_critical"
TRUST_WARNING: Final = "trust_warning"
# The roles could not all be listed: the verdicts name only the roles read, and nothing is called unused.
POSTURE_INCOMPLETE: Final = "posture_incomplete"
# Every posture code and how serious it is by default (a problem's own `severity` wins: the quota's grows to
# critical when it is reached). Critical and warning are open (the alert's ACT NOW and ACT SOON); info is a note.
POSTURE_SEVERITY: Final[Mapping[str, Severity]] = {
    TRUST_CRITICAL: "critical",
    TRUST_WARNING: "warning",
    AUDIENCE_UNSATISFIABLE: "warning",
    PROVIDER_QUOTA_CODE: "warning",
    PROVIDER_UNUSED: "info",
    POSTURE_INCOMPLETE: "info",
}
POSTURE_CODES: Final = frozenset(POSTURE_SEVERITY)
_VERDICT_CODES: Final = {"critical": TRUST_CRITICAL, "warning": TRUST_WARNING}
_LISTING_REMEDY: Final = (
    "grant iam:ListRoles to the function's role (and to the member role of an organization: redeploy the "
    "StackSet), check SCPs and permission boundaries; or deploy with -c posture=false"
)


@dataclass(frozen=True)
class RolesSeen:
    """What the sweep's one ListRoles pass read: the roles, whether the listing is complete, and why not."""

    roles: tuple[RoleTrust, ...]
    complete: bool
    failure: str | None = None


@dataclass(frozen=True)
class ProviderPosture:
    """Who can use one provider: every judged statement (critical first) and the posture problems."""

    trusted_by: tuple[TrustVerdict, ...]
    problems: tuple[Problem, ...]


def judge_posture(provider: ProviderIdentity, seen: RolesSeen, extra: Sequence[PostureProblem] = ()) -> ProviderPosture:
    """The posture of `provider` given the roles the sweep read: a problem per critical or warning verdict, the
    unsatisfiable audiences, the unused provider (complete listings only) and what the listing missed."""
    verdicts = trusted_by(provider, seen.roles)
    problems = [_verdict_problem(verdict) for verdict in verdicts if verdict.verdict in _VERDICT_CODES]
    problems += [
        as_problem(problem, _instance(problem.role_arn, _statement_of(problem)))
        for problem in audience_mismatches(provider, seen.roles)
    ]
    unused = unused_provider(provider, verdicts, complete=seen.complete)
    if unused is not None:
        problems.append(as_problem(unused, None))
    problems += [as_problem(problem, problem.role_arn) for problem in extra]
    if not seen.complete:
        problems.append(
            Problem(
                code=POSTURE_INCOMPLETE,
                status=Status.OK,
                message=(
                    f"the account's roles were listed only in part ({seen.failure or 'stopped early'}): who can use "
                    f"this provider is judged on the {len(seen.roles)} roles read"
                ),
                remedy=_LISTING_REMEDY,
                severity=POSTURE_SEVERITY[POSTURE_INCOMPLETE],
            )
        )
    return ProviderPosture(verdicts, tuple(_unique(problems)))


def quota_problem(provider_count: int) -> Problem | None:
    """The account's headroom against the quota of OIDC providers, as a problem (None while far from it)."""
    problem = quota_headroom(provider_count)
    return None if problem is None else as_problem(problem, None)


def as_problem(problem: PostureProblem, instance: str | None) -> Problem:
    """A posture problem of the judge as one of the report's problems."""
    return Problem(
        code=problem.code,
        status=Status.OK,
        message=problem.message,
        remedy=problem.remedy,
        instance=instance,
        severity=problem.severity,
    )


def severity_of(code: str, severity: str | None = None) -> str | None:
    """How serious a posture problem is: its own severity, else its code's; None for a problem of another kind."""
    if code not in POSTURE_SEVERITY:
        return None
    return severity or POSTURE_SEVERITY[code]


def news_key(problem: Problem) -> str:
    """What history remembers of a posture problem: its code and instance, so that a new role judged critical is
    news even when another one already was (the thumbprint problems are remembered by code)."""
    return f"{problem.code}@{problem.instance}" if problem.instance else problem.code


def _verdict_problem(verdict: TrustVerdict) -> Problem:
    role = verdict.role_arn.rsplit("/", 1)[-1]
    code = _VERDICT_CODES[verdict.verdict]
    return Problem(
        code=code,
        status=Status.OK,
        message=f"role {role} ({verdict.role_arn}) statement {verdict.statement}: {verdict.reason}",
        remedy=f"narrow statement {verdict.statement} of role {role}'s trust policy"
        + (f" with the condition {verdict.suggestion}" if verdict.suggestion else ""),
        instance=_instance(verdict.role_arn, verdict.statement),
        severity=POSTURE_SEVERITY[code],
    )


def _instance(role_arn: str | None, statement: str | None) -> str | None:
    if role_arn is None:
        return None
    return f"{role_arn} {statement}" if statement else role_arn


def _statement_of(problem: PostureProblem) -> str | None:
    """The statement an audience problem names ("<role> statement <label>: ..."), as the judge words it."""
    if problem.role_arn is None:
        return None
    head = f"{problem.role_arn} statement "
    if not problem.message.startswith(head):
        return None
    return problem.message[len(head) :].split(":", 1)[0] or None


def _unique(problems: Sequence[Problem]) -> list[Problem]:
    """One problem per code and instance (two conditions of one statement are one finding)."""
    seen: dict[tuple[str, str | None], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.code, problem.instance), problem)
    return list(seen.values())
