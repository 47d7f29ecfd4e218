"""The pure part of organization sweeps: the work list, and one report and alert from every account."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from thumbprint_remediator.domain.organization import (
    ACCOUNT_RESULT_BYTES,
    MAX_ACCOUNTS_PER_SWEEP,
    MemberAccount,
    aggregate,
    map_run_result,
    plan_sweeps,
    with_missing_accounts,
)
from thumbprint_remediator.domain.report import Finding, build_report, compact_report
from thumbprint_remediator.domain.rules import failed_assessment
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import to_builtins
from thumbprint_remediator.report.alerts import (
    MESSAGE_LIMIT,
    SUBJECT_LIMIT,
    render_organization_alert,
    should_notify_organization,
)

STARTED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
OWN = "123456789012"


def _report(account: str, *findings: Finding, dry_run: bool = False) -> dict[str, Any]:
    report = build_report(
        account=account, dry_run=dry_run, started_at=STARTED, duration_ms=900, findings=findings, sweep_id="s" + account
    )
    return to_builtins(compact_report(report))


def _ok(account: str, n: int) -> Finding:
    return Finding(arn=f"arn:aws:iam::{account}:oidc-provider/ok{n}.example", url=f"ok{n}.example", status=Status.OK)


def _updated(account: str) -> Finding:
    return Finding(
        arn=f"arn:aws:iam::{account}:oidc-provider/gitlab.example",
        url="gitlab.example",
        status=Status.STALE,
        action=Action.UPDATED,
        thumbprints_before=("a" * 40,),
        thumbprints_after=("b" * 40, "a" * 40),
        action_reason="wrote the merged list and read it back",
    )


def _role_missing(account: str) -> dict[str, Any]:
    assessment = failed_assessment("member_role_unavailable", "cannot assume the role: AccessDenied", "deploy it")
    finding = Finding(
        arn=f"arn:aws:iam::{account}:role/Member",
        url=f"account {account} (member role)",
        status=Status.ERROR,
        problems=assessment.problems,
        error="AccessDenied",
    )
    report = _report(account, finding)
    report["error"] = {"code": "member_role_unavailable", "message": "cannot assume: AccessDenied", "remedy": "x"}
    return report


def test_every_active_account_gets_a_quiet_compact_sweep_through_its_member_role() -> None:
    # Given an organization with the central account, two members and a suspended one
    accounts = [
        MemberAccount(OWN, "management"),
        MemberAccount("111111111111", "prod"),
        MemberAccount("222222222222", "dev"),
        MemberAccount("333333333333", "old", status="SUSPENDED"),
    ]

    # When the work list is planned
    plan = plan_sweeps(accounts, own_account=OWN, partition="aws", role_name="Member", external_id="org-sweep")

    # Then members are reached through their role, the central account with the function's own
    # (each report gets the same fixed budget, whatever the number of accounts)
    share = ACCOUNT_RESULT_BYTES
    assert plan["accounts"] == [
        {
            "account_id": OWN,
            "name": "management",
            "sweep": {"notify": "never", "report": "compact", "compact_bytes": share},
        },
        *[
            {
                "account_id": account_id,
                "name": name,
                "sweep": {
                    "notify": "never",
                    "report": "compact",
                    "compact_bytes": share,
                    "account_role_arn": f"arn:aws:iam::{account_id}:role/Member",
                    "external_id": "org-sweep",
                },
            }
            for account_id, name in (("111111111111", "prod"), ("222222222222", "dev"))
        ],
    ]
    assert plan["not_swept"] == [{"account_id": "333333333333", "name": "old", "reason": "account is suspended"}]


def test_an_explicit_list_narrows_the_sweep_and_names_accounts_outside_the_targets() -> None:
    accounts = [MemberAccount("111111111111", "prod"), MemberAccount("222222222222", "dev")]

    plan = plan_sweeps(
        accounts,
        own_account=OWN,
        partition="aws-cn",
        role_name="Member",
        external_id=None,
        only=["222222222222", "444444444444"],
    )

    assert [item["account_id"] for item in plan["accounts"]] == ["222222222222"]
    assert plan["accounts"][0]["sweep"] == {
        "notify": "never",
        "report": "compact",
        "compact_bytes": ACCOUNT_RESULT_BYTES,
        "account_role_arn": "arn:aws-cn:iam::222222222222:role/Member",
    }
    assert plan["not_swept"] == [
        {"account_id": "444444444444", "name": "", "reason": "not found below the target roots or OUs"}
    ]


def test_accounts_past_what_one_execution_carries_are_named_not_dropped() -> None:
    accounts = [MemberAccount(f"{n:012d}", f"account-{n}") for n in range(1, 6)]

    plan = plan_sweeps(accounts, own_account=OWN, partition="aws", role_name="Member", external_id=None, limit=3)

    assert [item["account_id"] for item in plan["accounts"]] == ["000000000001", "000000000002", "000000000003"]
    assert [item["account_id"] for item in plan["not_swept"]] == ["000000000004", "000000000005"]
    assert plan["not_swept"][0]["reason"].startswith(
        f"over the {MAX_ACCOUNTS_PER_SWEEP} accounts one organization sweep is sized for"
    )


def test_one_report_counts_every_account_and_lists_the_failed_first() -> None:
    # Given a healthy account, one with an update, one whose role is missing, one the state machine caught
    results = [
        {"account_id": "111111111111", "name": "prod", "report": _report("111111111111", _ok("1", 1), _ok("1", 2))},
        {"account_id": "222222222222", "name": "dev", "report": _report("222222222222", _ok("2", 1), _updated("2"))},
        {"account_id": "333333333333", "name": "legacy", "report": _role_missing("333333333333")},
        {
            "account_id": "444444444444",
            "name": "sandbox",
            "error": {
                "Error": "Sandbox.Timedout",
                "Cause": json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 300 s"}),
            },
        },
    ]

    # When aggregated
    report = to_builtins(
        aggregate(results, [{"account_id": "555555555555", "name": "", "reason": "account is suspended"}])
    )

    # Then the summary counts accounts and, from the swept ones only, providers
    summary = report["summary"]
    assert (summary["accounts"], summary["accounts_ok"], summary["accounts_attention"]) == (5, 1, 1)
    assert (summary["accounts_failed"], summary["accounts_not_swept"]) == (2, 1)
    assert (summary["providers"], summary["ok"], summary["stale"], summary["updated"], summary["error"]) == (
        4,
        3,
        1,
        1,
        0,
    )
    # And each account says its state, failed ones first, with the cause and what to do
    assert [(entry["account"], entry["state"]) for entry in report["accounts"]] == [
        ("333333333333", "failed"),
        ("444444444444", "failed"),
        ("222222222222", "attention"),
        ("111111111111", "ok"),
        ("555555555555", "not_swept"),
    ]
    timed_out = report["accounts"][1]["error"]
    assert timed_out["code"] == "Sandbox.Timedout"
    assert timed_out["message"] == "Task timed out after 300 s"
    assert "raise the function timeout" in timed_out["remedy"]
    assert [f["action"] for f in report["accounts"][2]["findings"]] == ["updated"]


def test_the_alert_counts_the_organization_and_shows_each_account_that_needs_attention() -> None:
    results = [
        {"account_id": "111111111111", "name": "prod", "report": _report("111111111111", _ok("1", 1))},
        {"account_id": "222222222222", "name": "dev", "report": _report("222222222222", _updated("2"))},
        {"account_id": "333333333333", "name": "legacy", "report": _role_missing("333333333333")},
    ]
    report = to_builtins(aggregate(results, execution="arn:aws:states:us-east-1:123456789012:execution:sweep:1"))

    alert = render_organization_alert(report)

    assert alert.subject == "OIDC thumbprints: 1 account failed, 1 updated (3 accounts)"
    assert alert.attributes["severity"] == ("String", "critical")
    assert alert.attributes["accounts_failed"] == ("Number", "1")
    assert alert.attributes["fixed"] == ("Number", "1")
    assert alert.attributes["open_critical"] == ("Number", "1")  # the account that could not be swept
    assert len(alert.attributes) <= 10  # SNS's limit per message
    body = alert.body
    assert "== Account 333333333333 (legacy): FAILED (member_role_unavailable)" in body
    assert "== Account 222222222222 (dev): 1 updated" in body
    assert body.index("(legacy): FAILED") < body.index("(dev): 1 updated")  # most urgent first
    assert "[STALE -> UPDATED] gitlab.example" in body
    assert "Healthy accounts (1): 111111111111 (prod)." in body
    assert "{" not in body  # the e-mail carries no JSON: the JSON form is the report
    assert json.loads(alert.report_json) == report


def test_a_healthy_organization_is_alerted_only_when_asked() -> None:
    report = to_builtins(
        aggregate([{"account_id": "111111111111", "name": "", "report": _report("111111111111", _ok("1", 1))}])
    )

    assert not should_notify_organization(report, "problems")
    assert should_notify_organization(report, "always")
    assert render_organization_alert(report).subject == "OIDC thumbprints: all 1 OK (1 accounts)"
    assert render_organization_alert(report).attributes["severity"] == ("String", "info")


def test_a_thousand_accounts_with_problems_still_fit_one_sns_message() -> None:
    # Given a thousand accounts, each with an update
    results = [
        {"account_id": f"{n:012d}", "name": f"account-{n}", "report": _report(f"{n:012d}", _updated(str(n)))}
        for n in range(1, 1001)
    ]

    alert = render_organization_alert(aggregate(results))

    # Then the message stays within SNS's limit and says what was left out
    assert alert.size <= MESSAGE_LIMIT
    assert len(alert.subject) <= SUBJECT_LIMIT
    assert "more accounts need attention" in alert.body
    assert json.loads(alert.report_json)["trimmed"]["note"].startswith("Report trimmed to fit SNS's 256 KB limit")


def test_a_compact_report_without_a_budget_keeps_every_finding_that_needs_attention() -> None:
    healthy = _report("111111111111", *(_ok("1", n) for n in range(5)))

    assert healthy["findings"] == []
    assert healthy["findings_omitted"] == 5
    assert healthy["summary"] == {"providers": 5, "ok": 5}


def test_a_child_that_failed_or_never_ran_is_that_accounts_failure_not_a_lost_account() -> None:
    # Given the Map's result files: one child succeeded, one failed though tolerated, one wrote garbage,
    # and one account of the work list has no entry at all
    work_list = [
        {"account_id": account_id, "name": name, "sweep": {}}
        for account_id, name in (("111111111111", "prod"), ("222222222222", "dev"), ("333333333333", "ops"))
    ] + [{"account_id": "444444444444", "name": "batch", "sweep": {}}]
    swept = {"account_id": "111111111111", "name": "prod", "report": _report("111111111111", _ok("1", 1))}
    entries = [
        {"Status": "SUCCEEDED", "Input": json.dumps(work_list[0]), "Output": json.dumps(swept)},
        {"Status": "FAILED", "Input": json.dumps(work_list[1]), "Error": "States.Runtime", "Cause": "boom"},
        {"Status": "SUCCEEDED", "Input": json.dumps(work_list[2]), "Output": "not json"},
    ]

    # When Aggregate turns them into account results
    report = to_builtins(aggregate(with_missing_accounts((map_run_result(entry) for entry in entries), work_list)))

    # Then every account of the work list is in the report, each failure saying what happened
    by_account = {entry["account"]: entry for entry in report["accounts"]}
    assert sorted(by_account) == [item["account_id"] for item in work_list]
    assert by_account["111111111111"]["state"] == "ok"
    assert (by_account["222222222222"]["error"]["code"], by_account["222222222222"]["error"]["message"]) == (
        "States.Runtime",
        "boom",
    )
    assert by_account["333333333333"]["error"]["code"] == "result_unreadable"
    assert by_account["444444444444"]["error"]["code"] == "no_result"
    assert report["summary"]["accounts_failed"] == 3
