"""Edges of payload validation (request.py): each numeric bound on both sides, the scheduled event told
apart by either of its markers, and the scope of provider ARNs.

Found by mutation testing (`make mutation`). Every bound is written out here, not read from the module.
"""

from __future__ import annotations

from typing import Any

import pytest

from thumbprint_remediator.app.request import (
    AggregateRequest,
    ListAccountsRequest,
    StoreLocation,
    SweepRequest,
    foreign_providers,
    parse_event,
    parse_external_id,
    parse_invocation,
    parse_role_arn,
    provider_identity,
    provider_key,
    require_providers_in_scope,
)
from thumbprint_remediator.domain.errors import RequestError

ACCOUNT = "123456789012"
OTHER = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Member"
ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer.example"


def _rejected(event: Any) -> str:
    with pytest.raises(RequestError) as raised:
        parse_invocation(event)
    return str(raised.value)


# --- The scheduled event: either marker is enough, and only EventBridge's keys come with it ---------------------


@pytest.mark.parametrize(
    "event",
    [{"source": "aws.events"}, {"source": "aws.scheduler"}, {"detail-type": "Scheduled Event"}],
)
def test_either_marker_alone_makes_a_scheduled_event(event: dict[str, Any]) -> None:
    assert parse_event(event) == SweepRequest(source="schedule")


@pytest.mark.parametrize(
    "event",
    [{"source": "aws.events", "dry_run": True}, {"detail-type": "Scheduled Event", "dry_run": True}],
)
def test_a_scheduled_event_with_one_marker_still_rejects_a_manual_key(event: dict[str, Any]) -> None:
    assert "unexpected keys in the scheduled event: dry_run" in _rejected(event)


def test_a_source_of_another_service_is_not_a_scheduled_event() -> None:
    assert "unknown key(s) 'source'" in _rejected({"source": "aws.s3"})


def test_a_scheduled_event_lists_every_unexpected_key_sorted() -> None:
    assert "unexpected keys in the scheduled event: a, b" in _rejected({"source": "aws.events", "b": 1, "a": 2})


# --- Manual payloads ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [256, 262144])
def test_a_compact_budget_at_either_bound_is_accepted(size: int) -> None:
    request = parse_event({"report": "compact", "compact_bytes": size})
    assert (request.report, request.compact_bytes) == ("compact", size)


@pytest.mark.parametrize("size", [255, 262145, True, 1024.0, "1024"])
def test_a_compact_budget_outside_the_bounds_or_not_an_integer_is_rejected(size: Any) -> None:
    message = _rejected({"report": "compact", "compact_bytes": size})
    assert f"'compact_bytes' must be a whole number from 256 to 262144, got {size!r}" in message


def test_a_compact_budget_needs_a_compact_report() -> None:
    assert "'compact_bytes' applies to 'report': 'compact' only" in _rejected({"compact_bytes": 1024})


def test_a_full_report_is_the_default_and_may_be_asked_for() -> None:
    assert parse_event({"dry_run": False}).report == "full"
    assert parse_event({"report": "full"}) == SweepRequest(source="manual", report="full")


def test_an_unknown_report_is_rejected() -> None:
    assert "'report' must be one of" in _rejected({"report": "short"})


def test_a_manual_payload_keeps_each_value() -> None:
    request = parse_event(
        {"dry_run": False, "notify": "never", "account_role_arn": ROLE, "external_id": "ab", "providers": [ARN]}
    )
    assert request == SweepRequest(
        source="manual",
        dry_run=False,
        providers=(ARN,),
        notify="never",
        account_role_arn=ROLE,
        external_id="ab",
    )


def test_a_thousand_providers_are_accepted_and_one_more_is_rejected() -> None:
    urls = [f"issuer{index}.example" for index in range(1001)]
    assert parse_event({"providers": urls[:1000]}).providers == tuple(urls[:1000])
    assert "'providers' lists 1001 entries; at most 1000" in _rejected({"providers": urls})


def test_duplicate_providers_are_listed_once_in_order() -> None:
    request = parse_event({"providers": ["b.example", "https://a.example/", "b.example", ARN + "/"]})
    assert request.providers == ("b.example", "a.example", ARN)


def test_a_list_holding_a_non_string_is_rejected() -> None:
    assert "'providers' must be a list of provider ARNs or URLs" in _rejected({"providers": ["a.example", 1]})


def test_only_a_leading_https_scheme_is_stripped() -> None:
    assert parse_event({"providers": ["HTTPS://issuer.example"]}).providers == ("issuer.example",)
    assert "is neither an OIDC provider ARN nor a provider URL" in _rejected({"providers": ["http://issuer.example"]})


# --- The member role and its external id ----------------------------------------------------------------------


@pytest.mark.parametrize("external_id", ["ab", "a" * 1224])
def test_an_external_id_at_either_length_bound_is_accepted(external_id: str) -> None:
    assert parse_external_id(external_id) == external_id
    assert parse_event({"account_role_arn": ROLE, "external_id": external_id}).external_id == external_id


@pytest.mark.parametrize("external_id", ["a", "a" * 1225, 12, "a b"])
def test_an_external_id_outside_the_bounds_is_rejected(external_id: Any) -> None:
    assert parse_external_id(external_id) is None
    message = _rejected({"account_role_arn": ROLE, "external_id": external_id})
    assert "'external_id' must be 2 to 1224 characters" in message


def test_an_external_id_without_a_role_is_rejected() -> None:
    assert "'external_id' is given without 'account_role_arn'" in _rejected({"external_id": "abc"})


def test_a_role_arn_names_its_account_and_partition() -> None:
    request = parse_event({"account_role_arn": "arn:aws-us-gov:iam::123456789012:role/path/Member"})
    assert (request.target_account, request.target_partition) == (ACCOUNT, "aws-us-gov")
    assert (SweepRequest(source="manual").target_account, SweepRequest(source="manual").target_partition) == (
        None,
        None,
    )


@pytest.mark.parametrize(
    "role_arn", [f"arn:aws:iam::{ACCOUNT}:role/" + "r" * 64, f"arn:aws:iam::{ACCOUNT}:role/a/b/Member"]
)
def test_a_role_name_of_64_characters_or_a_path_is_a_role_arn(role_arn: str) -> None:
    assert parse_role_arn(role_arn) == role_arn


@pytest.mark.parametrize(
    "role_arn",
    [
        f"arn:aws:iam::{ACCOUNT}:role/" + "r" * 65,
        f"arn:aws:iam::{ACCOUNT}:role/",
        "arn:aws:iam::12345678901:role/Member",
        f"arn:aws:iam::{ACCOUNT}:user/Member",
        f"arn:aws:iam::{ACCOUNT}:role/Member\n",
        42,
    ],
)
def test_anything_else_is_no_role_arn(role_arn: Any) -> None:
    assert parse_role_arn(role_arn) is None
    assert "'account_role_arn' must be an IAM role ARN" in _rejected({"account_role_arn": role_arn})


# --- Provider identity and scope ------------------------------------------------------------------------------


def test_a_provider_identity_folds_only_the_host() -> None:
    identity = provider_identity("arn:aws-cn:iam::123456789012:oidc-provider/Issuer.Example:8443/Realms/X/")
    assert identity.url == "issuer.example:8443/Realms/X"
    assert (identity.partition, identity.account) == ("aws-cn", ACCOUNT)
    assert provider_identity("https://Issuer.Example/Path/").url == "issuer.example/Path"
    assert (provider_identity("issuer.example").partition, provider_identity("issuer.example").account) == (None, None)


def test_a_provider_key_of_something_that_is_no_url_is_the_text_itself() -> None:
    assert provider_key("not a url/") == "not a url"


def test_a_provider_arn_of_another_account_or_partition_is_foreign() -> None:
    same = f"arn:aws:iam::{ACCOUNT}:oidc-provider/a.example"
    other_account = f"arn:aws:iam::{OTHER}:oidc-provider/b.example"
    other_partition = f"arn:aws-cn:iam::{ACCOUNT}:oidc-provider/c.example"
    request = SweepRequest(source="manual", providers=(same, other_account, other_partition, "d.example"))
    assert foreign_providers(request, account=ACCOUNT, partition="aws") == [other_account, other_partition]
    assert foreign_providers(request, account=None, partition=None) == []
    assert foreign_providers(request, account=ACCOUNT, partition=None) == [other_account]
    assert foreign_providers(request, account=None, partition="aws") == [other_partition]


def test_with_a_member_role_the_scope_is_the_member_account() -> None:
    member = f"arn:aws:iam::{OTHER}:oidc-provider/a.example"
    request = SweepRequest(source="manual", providers=(member,), account_role_arn=f"arn:aws:iam::{OTHER}:role/M")
    assert foreign_providers(request, account=ACCOUNT, partition="aws") == []
    require_providers_in_scope(request, account=ACCOUNT, partition="aws")
    mine = SweepRequest(source="manual", providers=(ARN,), account_role_arn=f"arn:aws:iam::{OTHER}:role/M")
    with pytest.raises(RequestError) as raised:
        require_providers_in_scope(mine, account=ACCOUNT, partition="aws")
    assert f"(aws:{OTHER}): '{ARN}'" in str(raised.value)


def test_out_of_scope_without_a_role_names_the_callers_account() -> None:
    foreign = f"arn:aws:iam::{OTHER}:oidc-provider/a.example"
    with pytest.raises(RequestError) as raised:
        require_providers_in_scope(SweepRequest(source="manual", providers=(foreign,)), account=ACCOUNT, partition=None)
    assert f"(?:{ACCOUNT}): '{foreign}'" in str(raised.value)


# --- Organization steps ---------------------------------------------------------------------------------------

PARENT = "ou-ab12-cdefgh34"


def _list_accounts(**body: Any) -> Any:
    return parse_invocation({"list_accounts": {"parents": [PARENT], "role_name": "Member", **body}})


def test_ten_thousand_accounts_are_accepted_and_one_more_is_rejected() -> None:
    accounts = [f"{index:012d}" for index in range(10_001)]
    request = _list_accounts(accounts=accounts[:10_000])
    assert isinstance(request, ListAccountsRequest)
    assert request.accounts is not None
    assert len(request.accounts) == 10_000
    message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": "Member", "accounts": accounts}})
    assert "'accounts' lists 10001 entries; at most 10000" in message


def test_duplicate_accounts_are_listed_once_in_order() -> None:
    request = _list_accounts(accounts=[OTHER, ACCOUNT, OTHER])
    assert isinstance(request, ListAccountsRequest)
    assert request.accounts == (OTHER, ACCOUNT)


@pytest.mark.parametrize("parent", ["r-ab12", "r-" + "a" * 32, "ou-ab12-abcdefgh", "ou-" + "a" * 32 + "-" + "b" * 32])
def test_parent_ids_at_their_length_bounds_are_accepted(parent: str) -> None:
    request = parse_invocation({"list_accounts": {"parents": [parent], "role_name": "Member"}})
    assert isinstance(request, ListAccountsRequest)
    assert request.parents == (parent,)


@pytest.mark.parametrize("parent", ["r-abc", "r-" + "a" * 33, "ou-ab1-abcdefgh", "ou-ab12-abcdefg", "ou-ab12"])
def test_parent_ids_past_their_length_bounds_are_rejected(parent: str) -> None:
    assert "'parents': not root or OU ids" in _rejected({"list_accounts": {"parents": [parent], "role_name": "M"}})


def test_only_the_first_five_bad_ids_are_quoted() -> None:
    bad = [f"x{index}" for index in range(7)]
    message = _rejected({"list_accounts": {"parents": bad, "role_name": "M"}})
    assert "'x4'" in message
    assert "'x5'" not in message


@pytest.mark.parametrize("role_name", ["r", "r" * 64])
def test_a_role_name_of_1_to_64_characters_is_accepted(role_name: str) -> None:
    request = parse_invocation({"list_accounts": {"parents": [PARENT], "role_name": role_name}})
    assert isinstance(request, ListAccountsRequest)
    assert request.role_name == role_name


@pytest.mark.parametrize("role_name", ["", "r" * 65, None, "a/b"])
def test_a_role_name_outside_the_bounds_is_rejected(role_name: Any) -> None:
    message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": role_name}})
    assert "'role_name' must be an IAM role name" in message


def test_a_list_accounts_external_id_is_checked_and_kept() -> None:
    request = _list_accounts(external_id="ab")
    assert isinstance(request, ListAccountsRequest)
    assert request.external_id == "ab"
    message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": "M", "external_id": "a"}})
    assert "'external_id' must be 2 to 1224 characters" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("bucket", "abc"),
        ("bucket", "a" * 63),
        ("execution", "e"),
        ("execution", "e" * 80),
    ],
)
def test_store_names_at_their_length_bounds_are_accepted(key: str, value: str) -> None:
    store = {"bucket": "bucket", "execution": "run-1", key: value}
    request = _list_accounts(store=store)
    assert isinstance(request, ListAccountsRequest)
    assert request.store == StoreLocation(bucket=store["bucket"], execution=store["execution"])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("bucket", "ab"),
        ("bucket", "a" * 64),
        ("bucket", "-bucket"),
        ("bucket", "bucket."),
        ("bucket", "a..b"),
        ("execution", ""),
        ("execution", "e" * 81),
        ("execution", 7),
    ],
)
def test_store_names_past_their_bounds_are_rejected(key: str, value: Any) -> None:
    store = {"bucket": "bucket", "execution": "run-1", key: value}
    message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": "M", "store": store}})
    assert f"'store.{key}' must be" in message


def _aggregate_store(**keys: Any) -> dict[str, Any]:
    return {"aggregate": {"store": {"bucket": "bucket", "execution": "run-1", "manifest_key": "m.json", **keys}}}


def test_an_object_key_of_512_characters_is_accepted_and_513_rejected() -> None:
    request = parse_invocation(_aggregate_store(work_list_key="k" * 512))
    assert isinstance(request, AggregateRequest)
    assert request.store == StoreLocation("bucket", "run-1", "m.json", "k" * 512, None)
    assert "'store.work_list_key' must be an object key" in _rejected(_aggregate_store(work_list_key="k" * 513))
    assert "'store.not_swept_key' must be an object key" in _rejected(_aggregate_store(not_swept_key="a/../b"))


def test_a_store_keeps_each_key_where_it_belongs() -> None:
    request = parse_invocation(_aggregate_store(work_list_key="w.json", not_swept_key="n.json"))
    assert isinstance(request, AggregateRequest)
    assert request.store == StoreLocation("bucket", "run-1", "m.json", "w.json", "n.json")
    assert (request.results, request.not_swept) == ((), ())


def test_aggregate_outcomes_at_the_account_bound() -> None:
    results = [{"account_id": f"{index:012d}", "error": {}} for index in range(10_001)]
    request = parse_invocation({"aggregate": {"results": results[:10_000]}})
    assert isinstance(request, AggregateRequest)
    assert len(request.results) == 10_000
    assert "'results' must be a list of at most 10000" in _rejected({"aggregate": {"results": results}})


@pytest.mark.parametrize(
    "item",
    [
        {"account_id": ACCOUNT, "report": {}, "error": {}},
        {"account_id": ACCOUNT},
        {"account_id": ACCOUNT, "report": "text"},
        {"account_id": ACCOUNT, "reason": "suspended"},
        {"account_id": "12345678901", "report": {}},
        {"report": {}},
        "account",
    ],
)
def test_an_aggregate_result_needs_an_account_and_exactly_one_report_or_error(item: Any) -> None:
    assert "'results'[0]" in _rejected({"aggregate": {"results": [item]}})


def test_a_not_swept_entry_carries_a_reason_string() -> None:
    request = parse_invocation({"aggregate": {"results": [], "not_swept": [{"account_id": ACCOUNT, "reason": "x"}]}})
    assert isinstance(request, AggregateRequest)
    assert request.not_swept == ({"account_id": ACCOUNT, "reason": "x"},)
    message = _rejected({"aggregate": {"results": [], "not_swept": [{"account_id": ACCOUNT, "reason": {}}]}})
    assert f"'not_swept'[0] ({ACCOUNT}) must hold exactly one of reason" in message


def test_an_aggregate_execution_and_notify_are_checked_and_kept() -> None:
    request = parse_invocation({"aggregate": {"results": [], "execution": "run-1", "notify": "always"}})
    assert isinstance(request, AggregateRequest)
    assert (request.execution, request.notify) == ("run-1", "always")
    assert "'execution' must be a string, got 5" in _rejected({"aggregate": {"results": [], "execution": 5}})
    assert "'notify' must be one of" in _rejected({"aggregate": {"results": [], "notify": "loud"}})


# --- Lists in messages, and what a message names -----------------------------------------------------------------


def test_a_payload_that_is_not_an_object_names_its_type() -> None:
    assert "the payload must be a JSON object, got list" in _rejected([1])
    assert "got str" in _rejected("sweep")


def test_unknown_keys_are_listed_sorted_with_every_allowed_key() -> None:
    assert (
        "unknown key(s) 'a', 'b'; allowed: account_role_arn, compact_bytes, dry_run, external_id, notify, "
        "providers, report" in _rejected({"b": 1, "a": 2})
    )


def test_every_problem_of_a_payload_is_joined_in_one_message() -> None:
    message = _rejected({"dry_run": "no", "notify": "loud"})
    assert message.startswith("invalid payload: 'dry_run' must be true or false, got 'no'; 'notify' must be one of")


def test_an_organization_step_takes_no_sibling_key() -> None:
    message = _rejected({"list_accounts": {}, "b": 1, "a": 2})
    assert message == "invalid payload: 'list_accounts' takes no sibling keys, got 'a', 'b'"
    assert _rejected({"aggregate": []}) == "invalid payload: 'aggregate' must be a JSON object"


def test_a_step_lists_its_unknown_keys_and_joins_its_problems() -> None:
    message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": "M", "z": 1, "y": 2}})
    assert message == (
        "invalid list_accounts payload: unknown key(s) 'y', 'z'; allowed: accounts, external_id, parents, "
        "role_name, store"
    )
    message = _rejected({"list_accounts": {"parents": [], "role_name": ""}})
    assert message.startswith("invalid list_accounts payload: 'parents' must be a non-empty list of root or OU ids")
    assert "; 'role_name' must be an IAM role name, got ''" in message
    message = _rejected({"aggregate": {"results": [], "execution": 1, "notify": "x"}})
    assert message == (
        "invalid aggregate payload: 'execution' must be a string, got 1; "
        "'notify' must be one of always, changes, problems, never, got 'x'"
    )


def test_a_store_lists_its_unknown_keys() -> None:
    store = {"bucket": "bucket", "execution": "run-1", "b": 1, "a": 2}
    message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": "M", "store": store}})
    assert "'store': unknown key(s) 'a', 'b'; allowed: bucket, execution" in message


def test_a_store_without_a_bucket_or_an_execution_is_rejected() -> None:
    for missing in ("bucket", "execution"):
        store = {"bucket": "bucket", "execution": "run-1"}
        del store[missing]
        message = _rejected({"list_accounts": {"parents": [PARENT], "role_name": "M", "store": store}})
        assert f"'store.{missing}' must be" in message
        assert "got None" in message


def test_a_store_replaces_results_and_not_swept() -> None:
    inlines: list[dict[str, list[Any]]] = [{"results": []}, {"not_swept": []}]
    for inline in inlines:
        store = {"bucket": "bucket", "execution": "run-1", "manifest_key": "m.json"}
        assert "'store' replaces 'results' and 'not_swept'" in _rejected({"aggregate": {"store": store, **inline}})
    store = {"bucket": "bucket", "execution": "run-1"}
    assert "'store' must name the 'manifest_key'" in _rejected({"aggregate": {"store": store}})


def test_each_bad_aggregate_result_is_named_by_its_index() -> None:
    message = _rejected({"aggregate": {"results": ["x", {"account_id": "1"}, {"account_id": ACCOUNT, "error": {}}]}})
    assert "'results'[0] must be" in message
    assert "'results'[1] must be" in message
    assert "'results'[2]" not in message


def test_a_trailing_slash_is_dropped_but_nothing_else() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer.example/realms/X"
    request = parse_event({"providers": [arn + "/", "issuer.example/realms/X/", "https://issuer.example/X"]})
    assert request.providers == (arn, "issuer.example/realms/X", "issuer.example/X")
    assert provider_key(arn + "/") == "issuer.example/realms/X"


def test_out_of_scope_without_a_role_names_the_callers_partition() -> None:
    foreign = f"arn:aws-cn:iam::{ACCOUNT}:oidc-provider/a.example"
    with pytest.raises(RequestError) as raised:
        require_providers_in_scope(SweepRequest(source="manual", providers=(foreign,)), account=None, partition="aws")
    assert str(raised.value).endswith(f"than the swept one (aws:?): '{foreign}'")
    two = (foreign, f"arn:aws-cn:iam::{ACCOUNT}:oidc-provider/b.example")
    with pytest.raises(RequestError) as raised:
        require_providers_in_scope(SweepRequest(source="manual", providers=two), account=None, partition="aws")
    assert str(raised.value).endswith(f"'{two[0]}', '{two[1]}'")


def test_with_a_member_role_the_scope_message_names_the_roles_partition() -> None:
    foreign = f"arn:aws:iam::{OTHER}:oidc-provider/a.example"
    role = f"arn:aws-cn:iam::{OTHER}:role/M"
    with pytest.raises(RequestError) as raised:
        require_providers_in_scope(
            SweepRequest(source="manual", providers=(foreign,), account_role_arn=role), account=ACCOUNT, partition="aws"
        )
    assert f"(aws-cn:{OTHER}): '{foreign}'" in str(raised.value)


def test_bad_ids_are_quoted_in_a_comma_separated_list() -> None:
    message = _rejected({"list_accounts": {"parents": ["x0", PARENT, "x1"], "role_name": "M"}})
    assert message == "invalid list_accounts payload: 'parents': not root or OU ids (r-..., ou-...): 'x0', 'x1'"
