"""Payloads of organization sweeps: a sweep through a member role, and the state machine's two steps."""

from __future__ import annotations

from typing import Any

import pytest

from thumbprint_remediator.app.request import (
    AggregateRequest,
    ListAccountsRequest,
    StoreLocation,
    SweepRequest,
    parse_event,
    parse_invocation,
)
from thumbprint_remediator.domain.errors import RequestError

ROLE = "arn:aws:iam::210987654321:role/OidcThumbprintRemediatorMember"


@pytest.mark.parametrize(
    "role_arn",
    [
        ROLE,
        "arn:aws-cn:iam::210987654321:role/path/to/Member",
        "arn:aws-us-gov:iam::210987654321:role/a+b=c,d.e@f-g_h",
    ],
)
def test_a_role_arn_names_the_account_to_sweep(role_arn: str) -> None:
    request = parse_event({"account_role_arn": role_arn, "external_id": "org-sweep", "notify": "never"})

    assert request == SweepRequest(source="manual", notify="never", account_role_arn=role_arn, external_id="org-sweep")
    assert request.target_account == "210987654321"


def test_a_compact_report_may_carry_a_size_budget() -> None:
    request = parse_event({"account_role_arn": ROLE, "report": "compact", "compact_bytes": 4096})

    assert (request.report, request.compact_bytes) == ("compact", 4096)


def test_without_a_role_the_function_sweeps_its_own_account() -> None:
    assert parse_event({"dry_run": True}).target_account is None
    assert parse_event(None).account_role_arn is None


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"account_role_arn": "arn:aws:iam::21098765432:role/x"}, "'account_role_arn' must be an IAM role ARN"),
        ({"account_role_arn": "arn:aws:iam::210987654321:user/x"}, "'account_role_arn' must be an IAM role ARN"),
        ({"account_role_arn": "arn:aws:sts::210987654321:role/x"}, "'account_role_arn' must be an IAM role ARN"),
        ({"account_role_arn": ROLE + " "}, "'account_role_arn' must be an IAM role ARN"),
        ({"account_role_arn": 42}, "'account_role_arn' must be an IAM role ARN"),
        ({"external_id": "abc"}, "'external_id' is given without 'account_role_arn'"),
        ({"account_role_arn": ROLE, "external_id": "x"}, "'external_id' must be 2 to 1224 characters"),
        ({"account_role_arn": ROLE, "external_id": "has space"}, "'external_id' must be 2 to 1224 characters"),
        ({"account_role_arn": ROLE, "external_id": 7}, "'external_id' must be 2 to 1224 characters"),
        ({"report": "short"}, "'report' must be one of full, compact"),
        ({"report": "compact", "compact_bytes": 100}, "'compact_bytes' must be a whole number from 256 to 262144"),
        ({"report": "compact", "compact_bytes": True}, "'compact_bytes' must be a whole number"),
        ({"compact_bytes": 1024}, "'compact_bytes' applies to 'report': 'compact' only"),
    ],
)
def test_a_malformed_role_external_id_or_report_is_rejected(event: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError, match="invalid payload") as raised:
        parse_event(event)
    assert message in str(raised.value)


def test_list_accounts_step_is_parsed_strictly() -> None:
    request = parse_invocation(
        {
            "list_accounts": {
                "parents": ["ou-ab12-cdefgh34", "r-ab12"],
                "accounts": ["111111111111"],
                "role_name": "Member",
                "external_id": "org-sweep",
            }
        }
    )

    assert request == ListAccountsRequest(
        parents=("ou-ab12-cdefgh34", "r-ab12"), role_name="Member", accounts=("111111111111",), external_id="org-sweep"
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"list_accounts": {"parents": [], "role_name": "M"}}, "'parents' must be a non-empty list"),
        ({"list_accounts": {"parents": ["ou-x"], "role_name": "M"}}, "'parents': not root or OU ids"),
        ({"list_accounts": {"parents": ["r-ab12"], "role_name": "a/b"}}, "'role_name' must be an IAM role name"),
        ({"list_accounts": {"parents": ["r-ab12"], "role_name": "M", "accounts": ["12"]}}, "12-digit account ids"),
        ({"list_accounts": {"parents": ["r-ab12"], "role_name": "M", "more": 1}}, "unknown key(s) 'more'"),
        ({"list_accounts": {"parents": ["r-ab12"], "role_name": "M"}, "dry_run": True}, "takes no sibling keys"),
        ({"list_accounts": ["r-ab12"]}, "'list_accounts' must be a JSON object"),
    ],
)
def test_a_malformed_list_accounts_step_is_rejected(event: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError) as raised:
        parse_invocation(event)
    assert message in str(raised.value)


def test_aggregate_step_takes_reports_errors_and_accounts_left_out() -> None:
    results = [
        {"account_id": "111111111111", "name": "prod", "report": {"findings": []}},
        {"account_id": "222222222222", "name": "dev", "error": {"Error": "States.Timeout", "Cause": "late"}},
    ]
    not_swept = [{"account_id": "333333333333", "name": "old", "reason": "account is suspended"}]

    request = parse_invocation({"aggregate": {"results": results, "not_swept": not_swept, "execution": "arn:x"}})

    assert request == AggregateRequest(results=tuple(results), not_swept=tuple(not_swept), execution="arn:x")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"results": "all"}, "'results' must be a list"),
        ({"results": [{"account_id": "1", "report": {}}]}, "'results'[0] must be an object with a 12-digit"),
        ({"results": [{"account_id": "111111111111"}]}, "must hold exactly one of report, error"),
        ({"results": [{"account_id": "111111111111", "report": {}, "error": {}}]}, "exactly one of report, error"),
        ({"results": [{"account_id": "111111111111", "report": "ok"}]}, "exactly one of report, error"),
        ({"results": [], "not_swept": [{"account_id": "111111111111"}]}, "'not_swept'[0] (111111111111) must hold"),
        ({"results": [], "notify": "loudly"}, "'notify' must be one of"),
        ({"results": [], "extra": 1}, "unknown key(s) 'extra'"),
    ],
)
def test_a_malformed_aggregate_step_is_rejected(body: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError, match="invalid aggregate payload") as raised:
        parse_invocation({"aggregate": body})
    assert message in str(raised.value)


def test_a_sweep_payload_cannot_carry_organization_steps() -> None:
    # The CLI parses sweeps only: the organization steps are the state machine's
    with pytest.raises(RequestError, match="unknown key"):
        parse_event({"aggregate": {"results": []}})


# --- the Distributed Map's steps: pointers into the stack's bucket ----------------------------------------------
STORE = {"bucket": "stack-orgsweepbucket-1a2b3c", "execution": "3f1c9e0a-7d2b-4c11-9a57-0e2f5b8d6c41"}


def test_list_accounts_with_a_store_writes_the_work_list_there() -> None:
    request = parse_invocation({"list_accounts": {"parents": ["r-ab12"], "role_name": "Member", "store": STORE}})

    assert isinstance(request, ListAccountsRequest)
    assert request.store == StoreLocation(bucket=STORE["bucket"], execution=STORE["execution"])


def test_aggregate_with_a_store_reads_the_results_the_result_writer_wrote() -> None:
    store = {
        **STORE,
        "manifest_key": "results/7c0f7a8e-54b1-3d0b-a1f4-0e2d9e4b6a11/manifest.json",
        "work_list_key": "work-lists/3f1c9e0a.json",
        "not_swept_key": "not-swept/3f1c9e0a.json",
    }

    request = parse_invocation({"aggregate": {"store": store, "execution": "arn:x"}})

    assert request == AggregateRequest(
        execution="arn:x",
        store=StoreLocation(
            bucket=STORE["bucket"],
            execution=STORE["execution"],
            manifest_key=store["manifest_key"],
            work_list_key=store["work_list_key"],
            not_swept_key=store["not_swept_key"],
        ),
    )


@pytest.mark.parametrize(
    ("step", "store", "message"),
    [
        ("list_accounts", "bucket", "'store' must be a JSON object"),
        ("list_accounts", {**STORE, "bucket": "Not_A_Bucket"}, "'store.bucket' must be an S3 bucket name"),
        ("list_accounts", {**STORE, "bucket": "ab"}, "'store.bucket' must be an S3 bucket name"),
        ("list_accounts", {**STORE, "execution": "a/b"}, "'store.execution' must be an execution name"),
        ("list_accounts", {**STORE, "execution": "x\n"}, "'store.execution' must be an execution name"),
        ("list_accounts", {**STORE, "manifest_key": "k"}, "'store': unknown key(s) 'manifest_key'"),
        ("aggregate", STORE, "must name the 'manifest_key'"),
        ("aggregate", {**STORE, "manifest_key": "../other/manifest.json"}, "'store.manifest_key' must be an object"),
        ("aggregate", {**STORE, "manifest_key": "results/\u0661.json"}, "'store.manifest_key' must be an object"),
        ("aggregate", {**STORE, "manifest_key": "results/m.json\n"}, "'store.manifest_key' must be an object"),
    ],
)
def test_a_malformed_store_is_rejected_before_any_call(step: str, store: object, message: str) -> None:
    body: dict[str, object] = {"store": store}
    if step == "list_accounts":
        body |= {"parents": ["r-ab12"], "role_name": "Member"}
    with pytest.raises(RequestError, match=f"invalid {step} payload") as raised:
        parse_invocation({step: body})
    assert message in str(raised.value)


def test_a_store_and_inline_results_are_not_both_taken() -> None:
    store = {**STORE, "manifest_key": "results/m/manifest.json"}

    with pytest.raises(RequestError, match="'store' replaces 'results' and 'not_swept'"):
        parse_invocation({"aggregate": {"store": store, "results": []}})
