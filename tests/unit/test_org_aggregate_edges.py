"""Edges of organization aggregation (organization.py): each account's bounded entry, the error Step Functions
caught, the accounts left out, and the organization's summary.

Found by mutation testing (`make mutation`). Pure: no sandbox. Expected values are written out.
"""

from __future__ import annotations

from typing import Any

from thumbprint_remediator.domain.organization import account_entry, aggregate, bounded_entry, caught_error
from thumbprint_remediator.domain.views import to_builtins

ACCOUNT = "111111111111"
OTHER = "222222222222"
DEFAULT_REMEDY = "read the function's log for this account; the next sweep retries"


def _finding(url: str, status: str = "stale", action: str = "updated") -> dict[str, Any]:
    return {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}", "url": url, "status": status, "action": action}


def _shown(url: str) -> dict[str, Any]:
    """`_finding(url)` as an account entry shows it."""
    return {
        "arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}",
        "url": url,
        "status": "stale",
        "action": "updated",
        # A handed finding without thumbprints: unknown, never an empty list (IAM holds nothing)
        "thumbprints_before": None,
        "thumbprints_after": None,
        "problems": [],
        "days_to_expiry": None,
        "error": None,
    }


def _swept(account: str, summary: dict[str, Any], **report: Any) -> dict[str, Any]:
    return {"account_id": account, "name": "prod", "report": {"summary": summary, "findings": [], **report}}


# --- the accounts left out -------------------------------------------------------------------------------------
def test_an_account_left_out_is_listed_with_its_name_and_the_reason() -> None:
    # Given two accounts the plan left out, one without a name or a reason
    not_swept = [{"account_id": "555555555555", "name": "old", "reason": "account is suspended"}]
    not_swept.append({"account_id": "666666666666"})

    # When aggregated
    accounts = to_builtins(aggregate([], not_swept))["accounts"]

    # Then each is an entry of its own, its reason the message; a missing name or reason is empty, not invented
    assert accounts == [
        {
            "account": "555555555555",
            "name": "old",
            "state": "not_swept",
            "summary": None,
            "error": {"code": "not_swept", "message": "account is suspended", "remedy": None},
            "findings": [],
        },
        {
            "account": "666666666666",
            "name": "",
            "state": "not_swept",
            "summary": None,
            "error": {"code": "not_swept", "message": "", "remedy": None},
            "findings": [],
        },
    ]


def test_an_organization_sweep_is_a_dry_run_when_any_account_was() -> None:
    dry = _swept(ACCOUNT, {"providers": 1, "ok": 1}, dry_run=True)
    live = _swept(OTHER, {"providers": 1, "ok": 1})

    assert to_builtins(aggregate([dry, live]))["dry_run"] is True
    assert to_builtins(aggregate([live]))["dry_run"] is False


# --- one account's entry ---------------------------------------------------------------------------------------
def test_a_swept_accounts_entry_carries_its_sweep_id_dry_run_duration_and_counts() -> None:
    result = _swept(ACCOUNT, {"providers": 1, "ok": 1}, sweep_id="s-1", dry_run=True, duration_ms=900)

    assert account_entry(result) == {
        "account": ACCOUNT,
        "name": "prod",
        "state": "ok",
        "sweep_id": "s-1",
        "dry_run": True,
        "duration_ms": 900,
        "summary": {"providers": 1, "ok": 1},
        "error": None,
        "findings": [],
        "findings_not_shown": 0,
    }


def test_an_account_whose_counts_need_attention_is_attention_without_a_finding_shown() -> None:
    # Given a compact report whose blocked finding did not fit: only its count says so
    result = _swept(ACCOUNT, {"providers": 2, "ok": 1, "blocked": 1}, attention_omitted=1)

    entry = account_entry(result)

    assert (entry["state"], entry["findings"], entry["findings_not_shown"]) == ("attention", [], 1)


def test_an_account_with_a_finding_to_read_is_attention_whatever_its_counts_say() -> None:
    # Given a report whose summary holds no count that needs attention, but a finding that does
    result = _swept(ACCOUNT, {"providers": 1}, findings=[_finding("gitlab.example")], attention_omitted=4)

    entry = account_entry(result)

    # Then the finding is shown, and the findings the member could not carry are still counted
    assert (entry["state"], entry["findings"], entry["findings_not_shown"]) == (
        "attention",
        [_shown("gitlab.example")],
        4,
    )


def test_an_account_whose_sweep_failed_shows_its_error_and_no_finding() -> None:
    error = {"code": "member_role_unavailable", "message": "cannot assume the role", "remedy": "deploy it"}
    result = _swept(ACCOUNT, {"providers": 1}, error=error, findings=[_finding("gitlab.example")], attention_omitted=2)

    entry = account_entry(result)

    assert (entry["state"], entry["error"]) == ("failed", error)
    assert (entry["findings"], entry["findings_not_shown"]) == ([], 0)


def test_a_budget_holds_an_entry_to_what_it_allows() -> None:
    # Given an account with three findings to show
    result = _swept(ACCOUNT, {"providers": 3, "updated": 3}, findings=[_finding(f"p{n}.example") for n in range(3)])

    # When its entry is given a budget too small for any finding
    entry = account_entry(result, budget=100)

    # Then none is shown, each is counted, and the counts that do not fit are dropped
    assert (entry["findings"], entry["findings_not_shown"], entry["summary"]) == ([], 3, None)
    assert len(account_entry(result)["findings"]) == 3


def test_an_account_the_state_machine_caught_keeps_its_name() -> None:
    caught = {"account_id": ACCOUNT, "name": "prod", "error": {"Error": "States.Timeout"}}
    unnamed = {"account_id": OTHER, "error": {"Error": "States.Timeout"}}

    assert (account_entry(caught)["name"], account_entry(unnamed)["name"]) == ("prod", "")


def test_an_unreadable_report_is_that_accounts_failure_under_its_id_and_name() -> None:
    # Given a report whose findings are not a list
    result = {"account_id": ACCOUNT, "name": "prod", "report": {"findings": "none"}}

    entry = account_entry(result)

    assert (entry["account"], entry["name"], entry["state"]) == (ACCOUNT, "prod", "failed")
    assert entry["error"]["code"] == "result_unreadable"
    assert entry["error"]["message"].startswith("the account's report is malformed: ")
    assert entry["error"]["remedy"] == "read the function's log for this account's sweep; the next sweep retries"


# --- the caught error ------------------------------------------------------------------------------------------
def test_a_catch_without_error_or_cause_is_a_failed_task() -> None:
    assert caught_error({}) == {"code": "States.TaskFailed", "message": "States.TaskFailed", "remedy": DEFAULT_REMEDY}


def test_an_error_no_remedy_is_known_for_points_to_the_log() -> None:
    assert caught_error({"Error": "Custom.Failure", "Cause": "boom"}) == {
        "code": "Custom.Failure",
        "message": "boom",
        "remedy": DEFAULT_REMEDY,
    }


def test_a_cause_is_cut_past_a_thousand_characters_with_a_mark() -> None:
    assert caught_error({"Error": "E", "Cause": "c" * 1000})["message"] == "c" * 1000
    assert caught_error({"Error": "E", "Cause": "c" * 1001})["message"] == "c" * 1000 + " ...[cut]"


def test_an_error_code_is_cut_to_128_bytes() -> None:
    assert caught_error({"Error": "E" * 128})["code"] == "E" * 128
    assert caught_error({"Error": "E" * 129})["code"] == "E" * 119 + " ...[cut]"


# --- bounding --------------------------------------------------------------------------------------------------
def test_an_empty_entry_is_bounded_to_empty_texts_and_nothing_else() -> None:
    assert bounded_entry({}) == {
        "account": "",
        "name": "",
        "state": None,
        "sweep_id": None,
        "dry_run": None,
        "duration_ms": None,
        "summary": None,
        "error": None,
        "findings": [],
        "findings_not_shown": 0,
    }


def test_an_account_id_is_cut_to_32_bytes_and_a_sweep_id_to_64() -> None:
    entry = bounded_entry({"account": "a" * 33, "sweep_id": "s" * 65})
    assert entry["account"] == "a" * 23 + " ...[cut]"
    assert entry["sweep_id"] == "s" * 55 + " ...[cut]"
    assert (bounded_entry({"account": "a" * 32})["account"], bounded_entry({"sweep_id": "s-1"})["sweep_id"]) == (
        "a" * 32,
        "s-1",
    )


def test_a_summary_keeps_counts_and_an_unknown_expiry_and_drops_any_other_value() -> None:
    summary = {"providers": 1, "min_days_to_expiry": None, "ok": "many", "k": 1}
    assert bounded_entry({"summary": summary})["summary"] == {"providers": 1, "min_days_to_expiry": None}


def test_an_account_error_is_bounded_field_by_field() -> None:
    # Given errors with a field missing, texts too long, or no mapping at all
    assert bounded_entry({"error": {"message": "m"}})["error"] == {"code": "error", "message": "m", "remedy": None}
    assert bounded_entry({"error": {"code": "x"}})["error"] == {"code": "x", "message": "", "remedy": None}
    long = bounded_entry({"error": {"code": "E" * 129, "message": "m", "remedy": "r" * 513}})["error"]
    assert long == {"code": "E" * 119 + " ...[cut]", "message": "m", "remedy": "r" * 503 + " ...[cut]"}
    assert bounded_entry({"error": {"code": "x", "remedy": "r" * 512}})["error"]["remedy"] == "r" * 512
    # A plain-text error is its message; a long one is cut to 1024 bytes
    assert bounded_entry({"error": "boom"})["error"] == {"code": "error", "message": "boom", "remedy": None}
    assert bounded_entry({"error": "b" * 1025})["error"]["message"] == "b" * 1015 + " ...[cut]"


# The entry below without its finding is 163 bytes of JSON:
# {"account":"","name":"","state":null,"sweep_id":null,"dry_run":null,"duration_ms":null,
#  "summary":{"providers":1},"error":null,"findings":[],"findings_not_shown":1}
# and 8 bytes are kept for the count to grow: 171. The finding {"u":"x"} is 9 bytes, 2 more for its separator: 11.
EDGE_ENTRY: dict[str, Any] = {"summary": {"providers": 1}, "findings": [{"u": "x"}]}


def test_a_finding_that_fits_the_budget_exactly_is_kept_with_the_counts() -> None:
    entry = bounded_entry(EDGE_ENTRY, budget=182)

    assert (entry["findings"], entry["findings_not_shown"], entry["summary"]) == ([{"u": "x"}], 0, {"providers": 1})


def test_a_finding_one_byte_over_the_budget_is_counted_not_shown() -> None:
    entry = bounded_entry(EDGE_ENTRY, budget=181)

    assert (entry["findings"], entry["findings_not_shown"], entry["summary"]) == ([], 1, {"providers": 1})


# --- the organization's summary --------------------------------------------------------------------------------
def test_an_account_summary_without_a_provider_count_adds_none() -> None:
    results = [_swept(ACCOUNT, {"ok": 1}), _swept(OTHER, {"providers": 2, "ok": 2})]

    summary = to_builtins(aggregate(results))["summary"]

    assert (summary["providers"], summary["ok"]) == (2, 3)


def test_the_nearest_expiry_is_the_smallest_of_the_accounts_that_have_one() -> None:
    results = [
        _swept(ACCOUNT, {"providers": 1, "expiring": 1, "min_days_to_expiry": 30}),
        _swept(OTHER, {"providers": 1, "expiring": 1, "min_days_to_expiry": 5}),
        _swept("333333333333", {"providers": 1, "ok": 1}),
    ]

    assert to_builtins(aggregate(results))["summary"]["min_days_to_expiry"] == 5
    assert to_builtins(aggregate(results[2:]))["summary"]["min_days_to_expiry"] is None
