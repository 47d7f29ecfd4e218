"""Edges of organization planning (organization.py): the work list's default limit and names, the result lines
a Distributed Map writes, and the accounts it wrote none for.

Found by mutation testing (`make mutation`). Pure: no sandbox. Expected values are written out.
"""

from __future__ import annotations

import json
from typing import Any

from thumbprint_remediator.domain.organization import MemberAccount, map_run_result, plan_sweeps, with_missing_accounts

ACCOUNT = "111111111111"
WORK_ITEM: dict[str, Any] = {"account_id": ACCOUNT, "name": "prod", "sweep": {}}


def _plan(accounts: list[MemberAccount], **options: Any) -> dict[str, Any]:
    return plan_sweeps(accounts, own_account=None, partition="aws", role_name="Member", external_id=None, **options)


def test_ten_thousand_accounts_are_planned_by_default_and_the_next_is_named() -> None:
    accounts = [MemberAccount(f"{n:012d}", f"a{n}") for n in range(10_001)]
    plan = _plan(accounts)
    assert len(plan["accounts"]) == 10_000
    assert plan["not_swept"] == [
        {
            "account_id": "000000010000",
            "name": "a10000",
            "reason": "over the 10000 accounts one organization sweep is sized for: narrow targetOus or "
            "targetAccounts, or deploy a second organization stack for the rest",
        }
    ]


def test_a_limit_counts_planned_accounts_only_not_those_left_out() -> None:
    accounts = [
        MemberAccount("000000000001", "a", status="SUSPENDED"),
        MemberAccount("000000000002", "b"),
        MemberAccount("000000000003", "c"),
    ]
    plan = _plan(accounts, limit=2)
    assert [item["account_id"] for item in plan["accounts"]] == ["000000000002", "000000000003"]
    assert plan["not_swept"] == [{"account_id": "000000000001", "name": "a", "reason": "account is suspended"}]


def test_an_account_pending_closure_is_named_in_lowercase_and_the_list_goes_on() -> None:
    accounts = [MemberAccount("000000000001", "a", status="PENDING_CLOSURE"), MemberAccount("000000000002", "b")]
    plan = _plan(accounts, only=["000000000003", "000000000001", "000000000002", "000000000001"])
    assert [item["account_id"] for item in plan["accounts"]] == ["000000000002"]
    assert plan["not_swept"] == [
        {"account_id": "000000000003", "name": "", "reason": "not found below the target roots or OUs"},
        {"account_id": "000000000001", "name": "a", "reason": "account is pending_closure"},
    ]


def test_a_long_account_name_is_cut_to_128_bytes_with_a_mark() -> None:
    plan = _plan([MemberAccount(ACCOUNT, "n" * 200)])
    name = plan["accounts"][0]["name"]
    assert name == "n" * 119 + " ...[cut]"
    assert _plan([MemberAccount(ACCOUNT, "n" * 128)])["accounts"][0]["name"] == "n" * 128


def test_a_member_sweep_asks_for_no_alert_a_compact_report_and_its_role() -> None:
    plan = plan_sweeps(
        [MemberAccount(ACCOUNT, "prod")], own_account=None, partition="aws-us-gov", role_name="R", external_id="e1"
    )
    assert plan["accounts"] == [
        {
            "account_id": ACCOUNT,
            "name": "prod",
            "sweep": {
                "notify": "never",
                "report": "compact",
                "compact_bytes": 8192,
                "account_role_arn": f"arn:aws-us-gov:iam::{ACCOUNT}:role/R",
                "external_id": "e1",
            },
        }
    ]


# --- The Distributed Map's result lines -----------------------------------------------------------------------


def test_a_child_that_succeeded_returns_its_account_result() -> None:
    result = {"account_id": ACCOUNT, "name": "prod", "report": {"summary": {}}}
    assert map_run_result({"Status": "SUCCEEDED", "Output": json.dumps(result)}) == result
    assert map_run_result({"Status": "SUCCEEDED", "Output": result}) == result
    error = {"account_id": ACCOUNT, "name": "prod", "error": {"Error": "x"}}
    assert map_run_result({"Status": "SUCCEEDED", "Output": json.dumps(error)}) == error


def test_a_child_that_succeeded_without_an_account_result_is_unreadable() -> None:
    expected_error = {"Error": "result_unreadable", "Cause": "the account's child workflow returned no account result"}
    for output in (
        json.dumps({"account_id": ACCOUNT, "name": "prod"}),
        json.dumps({"account_id": "12345", "report": {}}),
        json.dumps({"account_id": 111111111111, "report": {}}),
        json.dumps([ACCOUNT]),
        "not json",
        None,
        7,
    ):
        entry = {"Status": "SUCCEEDED", "Output": output, "Input": json.dumps(WORK_ITEM)}
        result = map_run_result(entry)
        # The cause may go on to say which field is wrong (the decoder's own words, not pinned here).
        cause = result["error"].pop("Cause")
        assert result == {"account_id": ACCOUNT, "name": "prod", "error": {"Error": expected_error["Error"]}}, output
        assert cause.startswith(expected_error["Cause"]), output


def test_a_child_that_failed_keeps_its_error_and_cause_and_the_work_items_account() -> None:
    entry = {"Status": "FAILED", "Error": "States.TaskFailed", "Cause": "boom", "Input": json.dumps(WORK_ITEM)}
    assert map_run_result(entry) == {
        "account_id": ACCOUNT,
        "name": "prod",
        "error": {"Error": "States.TaskFailed", "Cause": "boom"},
    }
    assert map_run_result({"Status": "SUCCEEDED", "Output": "x", "Input": WORK_ITEM})["account_id"] == ACCOUNT


def test_a_child_without_an_error_is_named_after_its_status() -> None:
    timed_out = map_run_result({"Status": "TIMED_OUT", "Input": json.dumps(WORK_ITEM)})
    assert timed_out["error"] == {"Error": "States.Timed_Out", "Cause": None}
    assert map_run_result({"Input": json.dumps(WORK_ITEM)})["error"] == {"Error": "States.Unknown", "Cause": None}


def test_a_work_item_without_a_readable_account_is_unknown() -> None:
    for item in ({"account_id": "1234567890123"}, {"account_id": "\uff11" * 12}, {}, "text"):
        result = map_run_result({"Status": "FAILED", "Error": "E", "Input": json.dumps(item)})
        assert result == {"account_id": "unknown", "name": "", "error": {"Error": "E", "Cause": None}}, item


# --- Accounts the Distributed Map wrote no result for ----------------------------------------------------------


def test_each_account_of_the_work_list_without_a_result_is_a_failure_after_the_results() -> None:
    results = [{"account_id": ACCOUNT, "name": "prod", "report": {}}]
    work_list: list[dict[str, Any]] = [
        WORK_ITEM,
        {"account_id": "222222222222", "name": None},
        {"account_id": "333333333333", "name": "c"},
    ]
    missing = {"Error": "no_result", "Cause": "the Distributed Map wrote no result for this account"}
    assert list(with_missing_accounts(iter(results), work_list)) == [
        results[0],
        {"account_id": "222222222222", "name": "", "error": missing},
        {"account_id": "333333333333", "name": "c", "error": missing},
    ]


def test_no_account_is_missing_when_every_one_has_a_result() -> None:
    results = [{"account_id": ACCOUNT, "error": {}}, {"account_id": "222222222222", "report": {}}]
    work_list: list[dict[str, Any]] = [WORK_ITEM, {"account_id": "222222222222", "name": "b"}]
    assert list(with_missing_accounts(results, work_list)) == results


def test_the_output_of_a_child_that_did_not_succeed_is_not_taken() -> None:
    result = {"account_id": ACCOUNT, "name": "prod", "report": {"summary": {}}}
    entry = {"Status": "FAILED", "Output": json.dumps(result), "Error": "E", "Input": json.dumps(WORK_ITEM)}
    assert map_run_result(entry) == {"account_id": ACCOUNT, "name": "prod", "error": {"Error": "E", "Cause": None}}
