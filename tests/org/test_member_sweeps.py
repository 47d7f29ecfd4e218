"""The real handler sweeps member accounts of an emulated organization through their member role."""

from __future__ import annotations

import pytest

from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.organization import MANAGEMENT_ACCOUNT
from tests.org.conftest import EXTERNAL_ID, Organization
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME
from thumbprint_remediator.domain.organization import ACCOUNT_RESULT_BYTES

# moto's STS model has no AccessDenied shape (AWS answers it as a generic error); it warns on serializing one.
pytestmark = pytest.mark.filterwarnings("ignore:Exception\\(AccessDenied\\):UserWarning")


def test_a_member_account_is_swept_and_fixed_through_its_role(
    sandbox: Sandbox, org: Organization, central_credentials: dict[str, str]
) -> None:
    # Given a stale provider in the prod account, and one with the same issuer in the management account
    issuer = sandbox.fleet.add("healthy")
    stale = [stale_thumbprint("prod")]
    in_prod = org.emulated.create_provider(org.prod, issuer.url, stale)
    in_management = sandbox.register(issuer, pinned="stale")

    # When the central function is asked to sweep prod through its member role
    report = sandbox.invoke(
        {"account_role_arn": org.member_role_arn(org.prod), "external_id": EXTERNAL_ID, "notify": "never"},
        central_credentials,
    )

    # Then prod's provider is updated and read back, in prod, and the report says whose it is
    assert report["account"] == org.prod
    assert report["role_arn"] == org.member_role_arn(org.prod)
    assert report["error"] is None
    [finding] = report["findings"]
    assert (finding["arn"], finding["status"], finding["action"]) == (in_prod, "stale", "updated")
    assert org.emulated.thumbprints(org.prod, in_prod) == [*issuer.expected_thumbprints.values(), *stale]
    # And the management account's provider was not touched, nor anyone alerted
    assert sandbox.thumbprints(in_management) == list(in_management.pinned)
    assert sandbox.alerts() == []


def test_a_compact_report_keeps_only_what_needs_attention(
    sandbox: Sandbox, org: Organization, central_credentials: dict[str, str]
) -> None:
    healthy = sandbox.fleet.add("healthy")
    rotated = sandbox.fleet.add("healthy")
    org.emulated.create_provider(org.dev, healthy.url, list(healthy.expected_thumbprints.values()))
    org.emulated.create_provider(org.dev, rotated.url, [stale_thumbprint("dev")])

    report = sandbox.invoke(
        {
            "account_role_arn": org.member_role_arn(org.dev),
            "external_id": EXTERNAL_ID,
            "notify": "never",
            "report": "compact",
        },
        central_credentials,
    )

    assert report["account"] == org.dev
    assert report["summary"]["providers"] == 2
    assert [f["action"] for f in report["findings"]] == ["updated"]
    assert "hosts" not in report["findings"][0]
    assert report["findings_omitted"] == 1


@pytest.mark.parametrize(
    ("member", "external_id", "why"),
    [
        ("legacy", EXTERNAL_ID, "the StackSet never deployed the member role there"),
        ("prod", "not-the-external-id", "the external id does not match the trust policy"),
    ],
)
def test_a_role_that_cannot_be_assumed_is_that_accounts_finding(
    sandbox: Sandbox,
    org: Organization,
    central_credentials: dict[str, str],
    member: str,
    external_id: str,
    why: str,
) -> None:
    # Given a member account the central role cannot enter (see `why`)
    account_id = getattr(org, member)
    role_arn = org.member_role_arn(account_id)

    # When it is swept, the invocation still succeeds...
    report = sandbox.invoke(
        {"account_role_arn": role_arn, "external_id": external_id, "notify": "never"}, central_credentials
    )

    # ...with one account-level finding that says what happened and what to do
    assert report["account"] == account_id
    assert report["error"]["code"] == "member_role_unavailable"
    assert "AccessDenied" in report["error"]["message"]
    assert "StackSet" in report["error"]["remedy"]
    [finding] = report["findings"]
    assert (finding["arn"], finding["status"]) == (role_arn, "error")
    assert finding["problems"][0]["code"] == "member_role_unavailable"


def test_only_the_central_role_may_assume_a_member_role(sandbox: Sandbox, org: Organization) -> None:
    # Given the sandbox's own credentials: the management account, but not the central function's role
    report = sandbox.invoke(
        {"account_role_arn": org.member_role_arn(org.prod), "external_id": EXTERNAL_ID, "notify": "never"}
    )

    assert report["error"]["code"] == "member_role_unavailable"
    assert f"User: arn:aws:iam::{MANAGEMENT_ACCOUNT}:user/moto is not authorized" in report["error"]["message"]


def test_an_unreachable_account_is_alerted_when_its_sweep_is_asked_to_alert(
    sandbox: Sandbox, org: Organization, central_credentials: dict[str, str]
) -> None:
    sandbox.invoke(
        {"account_role_arn": org.member_role_arn(org.legacy), "external_id": EXTERNAL_ID}, central_credentials
    )

    [alert] = sandbox.alerts()
    assert alert.subject == f"OIDC thumbprints: 1 error ({org.legacy})"
    assert alert.attributes["severity"] == "critical"
    assert "is not authorized to perform: sts:AssumeRole" in alert.body
    assert alert.report()["findings"][0]["problems"][0]["code"] == "member_role_unavailable"


def test_listing_covers_nested_ous_and_leaves_the_central_account_to_its_own_role(
    sandbox: Sandbox, org: Organization
) -> None:
    # When the state machine's first step lists the workloads OU (team is nested in it)
    plan = sandbox.invoke(
        {
            "list_accounts": {
                "parents": [org.workloads_ou],
                "role_name": DEFAULT_MEMBER_ROLE_NAME,
                "external_id": EXTERNAL_ID,
            }
        }
    )

    # Then every member below it is listed, each with the sweep that reaches it through its role
    assert sorted(item["account_id"] for item in plan["accounts"]) == sorted(org.members)
    dev = next(item for item in plan["accounts"] if item["account_id"] == org.dev)
    assert dev == {
        "account_id": org.dev,
        "name": "dev",
        "sweep": {
            "notify": "never",
            "report": "compact",
            "compact_bytes": ACCOUNT_RESULT_BYTES,
            "account_role_arn": org.member_role_arn(org.dev),
            "external_id": EXTERNAL_ID,
        },
    }
    assert plan["not_swept"] == []


def test_listing_the_root_includes_the_central_account_swept_with_its_own_role(
    sandbox: Sandbox, org: Organization
) -> None:
    plan = sandbox.invoke(
        {
            "list_accounts": {
                "parents": [org.emulated.root_id],
                "accounts": [MANAGEMENT_ACCOUNT, org.dev, "999999999999"],
                "role_name": DEFAULT_MEMBER_ROLE_NAME,
            }
        }
    )

    share = ACCOUNT_RESULT_BYTES
    assert plan["accounts"] == [
        {
            "account_id": MANAGEMENT_ACCOUNT,
            "name": "master",
            "sweep": {"notify": "never", "report": "compact", "compact_bytes": share},
        },
        {
            "account_id": org.dev,
            "name": "dev",
            "sweep": {
                "notify": "never",
                "report": "compact",
                "compact_bytes": share,
                "account_role_arn": org.member_role_arn(org.dev),
            },
        },
    ]
    assert [item["account_id"] for item in plan["not_swept"]] == ["999999999999"]
