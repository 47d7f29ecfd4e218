"""IAM's condition semantics as the posture judge reads them (IAM user guide, "IAM JSON policy elements:
Condition operators", "Single-valued vs. multivalued context keys", "Principal", "NotPrincipal", "NotAction"),
on a GitHub provider whose safe and unsafe forms are known (GitHub docs, "Configuring OpenID Connect in Amazon
Web Services"); and the provider-level judgements: unused, unsatisfiable audience, quota headroom."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from thumbprint_remediator.aws.roles import decode_trust_policy
from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.posture import (
    RoleTrust,
    TrustVerdict,
    audience_mismatches,
    judge_role,
    quota_headroom,
    trusted_by,
    unused_provider,
)

GITHUB = "token.actions.githubusercontent.com"
ARN = f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"
OTHER_ARN = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
SUB, AUD = f"{GITHUB}:sub", f"{GITHUB}:aud"
ONE_REPO = "repo:octo-org/octo-repo:*"
PROVIDER = ProviderConfig(arn=ARN, url=GITHUB, thumbprints=(), client_ids=("sts.amazonaws.com",))


def _allow(condition: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    statement.update(fields)
    return {key: value for key, value in statement.items() if value is not None}


def _role(*statements: dict[str, Any], name: str = "ci") -> RoleTrust:
    return RoleTrust(
        arn=f"arn:aws:iam::123456789012:role/{name}",
        name=name,
        trust_policy={"Version": "2012-10-17", "Statement": list(statements)},
    )


def _verdicts(*statements: dict[str, Any]) -> list[str]:
    return [judged.verdict for judged in judge_role(PROVIDER, _role(*statements))]


@pytest.mark.parametrize(
    ("condition", "verdict"),
    [
        pytest.param({"StringLike": {SUB: ONE_REPO}}, "ok", id="StringLike-one-repository"),
        pytest.param({"StringEquals": {SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}, "ok", id="StringEquals"),
        pytest.param({"StringEquals": {SUB: ONE_REPO}}, "unusable", id="StringEquals-wildcard-is-literal"),
        pytest.param({"StringLike": {SUB: "repo:octo-org/octo-rep?:*"}}, "warning", id="StringLike-question-mark"),
        pytest.param(
            {"StringEqualsIgnoreCase": {SUB: "repo:Octo-Org/Octo-Repo:ref:refs/heads/main"}}, "ok", id="IgnoreCase"
        ),
        pytest.param({"StringNotLike": {SUB: "repo:evil-org/*"}}, "critical", id="negative-operators-do-not-bind"),
        pytest.param(
            {"StringNotEquals": {SUB: "repo:evil-org/x:ref:refs/heads/main"}}, "critical", id="StringNotEquals"
        ),
        pytest.param({"StringNotLike": {SUB: "*"}}, "unusable", id="StringNotLike-everything"),
        pytest.param({"ForAllValues:StringLike": {SUB: ONE_REPO}}, "critical", id="ForAllValues-does-not-bind"),
        pytest.param({"ForAnyValue:StringLike": {SUB: ONE_REPO}}, "ok", id="ForAnyValue-on-single-valued"),
        pytest.param({"StringLikeIfExists": {SUB: ONE_REPO}}, "ok", id="IfExists-on-a-claim-always-present"),
        pytest.param(
            {"StringLikeIfExists": {f"{GITHUB}:repository": "octo-org/octo-repo"}}, "critical", id="IfExists-optional"
        ),
        pytest.param({"StringLike": {SUB: [ONE_REPO, "repo:*"]}}, "critical", id="values-OR-broadest-wins"),
        pytest.param({"StringLike": {SUB: [ONE_REPO, "repo:octo-org/other:*"]}}, "ok", id="values-OR-all-narrow"),
        pytest.param({"StringEquals": {SUB: [ONE_REPO, "repo:octo-org/x:ref:refs/heads/main"]}}, "ok", id="dead-value"),
        pytest.param(
            {"StringLike": {SUB: "repo:octo-org/*"}, "StringEquals": {f"{GITHUB}:repository": "octo-org/octo-repo"}},
            "ok",
            id="keys-AND-narrowest-wins",
        ),
        pytest.param({"StringLike": {"Token.Actions.GitHubUserContent.com:SUB": ONE_REPO}}, "ok", id="key-case"),
        pytest.param({"stringlike": {SUB: ONE_REPO}}, "ok", id="operator-case"),
        pytest.param({"StringLike": {"gitlab.com:sub": ONE_REPO}}, "unusable", id="other-issuer-key"),
        pytest.param({"StringLikeIfExists": {"gitlab.com:sub": ONE_REPO}}, "critical", id="other-issuer-IfExists"),
        pytest.param({"Null": {SUB: "true"}}, "unusable", id="Null-true-on-sub"),
        pytest.param({"Null": {SUB: "false"}}, "critical", id="Null-false"),
        pytest.param({"StringEquals": {"aws:SourceIp": "203.0.113.0"}}, "critical", id="global-key-not-judged"),
        pytest.param({"StringLike": {f"{GITHUB}:namespace": "octo"}}, "warning", id="unknown-claim-capped"),
        pytest.param({"StringEquals": {AUD: "sts.amazonaws.com"}}, "critical", id="aud-is-no-boundary"),
        pytest.param({"StringEquals": {AUD: "other"}, "StringLike": {SUB: ONE_REPO}}, "unusable", id="aud-unmet"),
        pytest.param({"StringLike": {AUD: "sts.*", SUB: ONE_REPO}}, "ok", id="aud-pattern-met"),
        pytest.param({"StringLike": {AUD: "sts.*", SUB: "repo:*"}}, "critical", id="aud-pattern-met-sub-open"),
    ],
)
def test_each_operator_binds_as_iam_evaluates_it(condition: dict[str, Any], verdict: str) -> None:
    assert _verdicts(_allow(condition)) == [verdict]


@pytest.mark.parametrize(
    ("fields", "trusts"),
    [
        pytest.param({}, True, id="the-action"),
        pytest.param({"Action": "sts:*"}, True, id="sts-star"),
        pytest.param({"Action": "*"}, True, id="star"),
        pytest.param({"Action": ["s3:GetObject", "sts:AssumeRole*"]}, True, id="prefix-wildcard-in-list"),
        pytest.param({"Action": "STS:assumerolewithwebidentity"}, True, id="action-case"),
        pytest.param({"Action": "sts:AssumeRole"}, False, id="another-action"),
        pytest.param({"Action": None, "NotAction": "sts:AssumeRole"}, True, id="NotAction-other"),
        pytest.param({"Action": None, "NotAction": "sts:AssumeRoleWith*"}, False, id="NotAction-covering"),
        pytest.param({"Principal": {"Federated": [OTHER_ARN, ARN]}}, True, id="principal-list"),
        pytest.param({"Principal": {"Federated": OTHER_ARN}}, False, id="another-provider"),
        pytest.param({"Principal": "*"}, True, id="principal-star"),
        pytest.param({"Principal": {"Service": "ec2.amazonaws.com"}}, False, id="service-principal"),
        pytest.param({"Principal": None, "NotPrincipal": {"Federated": OTHER_ARN}}, True, id="NotPrincipal-other"),
        pytest.param({"Principal": None, "NotPrincipal": {"Federated": ARN}}, False, id="NotPrincipal-this"),
    ],
)
def test_a_statement_trusts_the_provider_when_principal_and_action_both_cover_it(
    fields: dict[str, Any], trusts: bool
) -> None:
    assert _verdicts(_allow(None, **fields)) == (["critical"] if trusts else [])


def test_a_deny_that_admits_only_one_repository_narrows_every_allow() -> None:
    # Given an Allow with only an audience and a Deny of every subject but one repository's
    deny = {**_allow({"StringNotLike": {SUB: ONE_REPO}}), "Effect": "Deny", "Sid": "OnlyOurRepo"}
    role = _role(_allow({"StringEquals": {AUD: "sts.amazonaws.com"}}, Sid="GitHub"), deny)

    # When it is judged, then the Allow is ok, because of the Deny
    (judged,) = judge_role(PROVIDER, role)
    assert (judged.verdict, judged.statement) == ("ok", "GitHub")
    assert "Deny OnlyOurRepo" in judged.reason


@pytest.mark.parametrize(
    ("deny_condition", "verdict"),
    [
        pytest.param(None, "unusable", id="unconditional-deny"),
        pytest.param({"StringLike": {SUB: "*"}}, "unusable", id="deny-every-subject"),
        pytest.param({"StringLike": {SUB: "repo:evil-org/*"}}, "critical", id="deny-excluding-some-does-not-narrow"),
        pytest.param(
            {"StringNotLike": {SUB: ONE_REPO}, "StringEquals": {AUD: "x"}}, "critical", id="deny-with-two-keys"
        ),
    ],
)
def test_a_deny_narrows_only_when_it_excludes_everyone_else(
    deny_condition: dict[str, Any] | None, verdict: str
) -> None:
    deny = {**_allow(deny_condition), "Effect": "Deny"}
    assert _verdicts(_allow(), deny) == [verdict]


def test_each_trusting_statement_is_named_by_its_sid_or_its_index() -> None:
    role = _role(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        _allow({"StringLike": {SUB: ONE_REPO}}),
        _allow(Sid="Broad"),
    )
    assert [(v.statement, v.verdict) for v in judge_role(PROVIDER, role)] == [("#1", "ok"), ("Broad", "critical")]


def test_a_single_statement_object_is_read_like_a_list_of_one() -> None:
    role = RoleTrust(arn="arn:aws:iam::123456789012:role/x", name="x", trust_policy={"Statement": _allow()})
    assert [v.verdict for v in judge_role(PROVIDER, role)] == ["critical"]


def test_a_verdict_has_exactly_the_report_fields() -> None:
    assert [field.encode_name for field in msgspec.structs.fields(TrustVerdict)] == [
        "role_arn",
        "verdict",
        "statement",
        "reason",
        "suggestion",
    ]


def test_trusted_by_lists_critical_first_and_skips_roles_that_do_not_trust_the_provider() -> None:
    roles = [
        _role(_allow({"StringLike": {SUB: ONE_REPO}}), name="a-ok"),
        _role(_allow({"StringLike": {SUB: "repo:octo-org/*"}}), name="b-warning"),
        _role(_allow(Principal={"Federated": OTHER_ARN}), name="c-other"),
        _role(_allow(), name="d-critical"),
    ]
    assert [(v.role_arn.rsplit("/", 1)[1], v.verdict) for v in trusted_by(PROVIDER, roles)] == [
        ("d-critical", "critical"),
        ("b-warning", "warning"),
        ("a-ok", "ok"),
    ]


def test_a_provider_no_role_trusts_is_unused_only_when_every_role_was_read() -> None:
    assert unused_provider(PROVIDER, (), complete=False) is None
    problem = unused_provider(PROVIDER, (), complete=True)
    assert problem is not None
    assert (problem.code, problem.severity) == ("provider_unused", "info")
    assert ARN in problem.remedy


def test_a_provider_trusted_only_through_unusable_statements_is_unused_too() -> None:
    trusted = trusted_by(PROVIDER, [_role(_allow({"StringEquals": {SUB: "repo:*"}}))])
    problem = unused_provider(PROVIDER, trusted, complete=True)
    assert problem is not None
    assert "can never be assumed" in problem.message
    assert unused_provider(PROVIDER, trusted_by(PROVIDER, [_role(_allow())]), complete=True) is None


def test_a_role_whose_audience_no_client_id_satisfies_is_a_problem() -> None:
    # Given a role demanding an audience the provider does not list, and one demanding a listed one
    wrong = _role(
        _allow({"StringEquals": {AUD: "https://github.com/octo-org"}, "StringLike": {SUB: ONE_REPO}}), name="w"
    )
    right = _role(_allow({"StringEquals": {AUD: "sts.amazonaws.com"}}), name="r")

    # When the audiences are checked, then only the first is named, with the audience to add
    (problem,) = audience_mismatches(PROVIDER, [wrong, right])
    assert (problem.code, problem.role_arn) == ("audience_unsatisfiable", wrong.arn)
    assert "https://github.com/octo-org" in problem.message
    assert "sts.amazonaws.com" in problem.remedy


@pytest.mark.parametrize(
    ("count", "severity"),
    [(0, None), (89, None), (90, "warning"), (99, "warning"), (100, "critical"), (101, "critical")],
)
def test_the_quota_headroom_warns_at_ninety_percent_and_is_critical_when_full(count: int, severity: str | None) -> None:
    problem = quota_headroom(count)
    assert (problem.severity if problem else None) == severity
    if problem is not None:
        assert problem.code == "provider_quota"
        assert f"{count} OIDC providers of a quota of 100" in problem.message


@pytest.mark.parametrize(
    ("document", "decoded"),
    [
        pytest.param({"Version": "2012-10-17"}, {"Version": "2012-10-17"}, id="already-decoded-by-boto3"),
        pytest.param("%7B%22Version%22%3A%222012-10-17%22%7D", {"Version": "2012-10-17"}, id="url-encoded-as-on-wire"),
        pytest.param('{"Sid": "100%25 sure"}', {"Sid": "100%25 sure"}, id="decoded-text-keeps-a-literal-percent"),
        pytest.param("%5B1%5D", None, id="not-an-object"),
        pytest.param("%7Bnot json", None, id="not-json"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_the_adapter_decodes_the_trust_policy_iam_returns(document: Any, decoded: dict[str, Any] | None) -> None:
    assert decode_trust_policy(document) == decoded
