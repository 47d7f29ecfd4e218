"""The organization sweep at its extremes: 10,000 accounts all healthy, 10,000 whose member roles all fail.

The results are generated with the engine's own report functions and laid out as a Distributed Map's
ResultWriter lays them out in S3 (a manifest and its result files); Aggregate, the real handler, reads them
through the emulator's S3. The whole 10,000-account execution is the benchmark's (`python -m bench organization`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sandbox.environment import Sandbox
from tests.org.conftest import Organization
from thumbprint_remediator.contract.names import ENV_TOPIC_ARN
from thumbprint_remediator.domain.errors import AlertDeliveryError
from thumbprint_remediator.domain.organization import (
    ACCOUNT_ENTRY_BYTES,
    ACCOUNT_RESULT_BYTES,
    MEMBER_ROLE_REMEDY,
    MemberAccount,
    account_entry,
    aggregate,
    bounded_entry,
    plan_sweeps,
)
from thumbprint_remediator.domain.report import Finding, build_report, compact_report, finished
from thumbprint_remediator.domain.rules import failed_assessment
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.views import AccountError, to_builtins
from thumbprint_remediator.report.alerts import ALERT_ACCOUNTS, MESSAGE_LIMIT

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]
ACCOUNTS = 10_000
STARTED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
BUCKET = "oidc-thumbprint-remediator-scale"
EXECUTION = "scale-test-execution"
# What STS says for a missing role, at the length a long role path and account alias give it.
DENIED = (
    "cannot assume arn:aws:iam::{account}:role/OidcThumbprintRemediatorMember: AccessDenied: User: "
    "arn:aws:iam::123456789012:assumed-role/OidcThumbprintRemediatorSweepRole/oidc-thumbprint-remediator is not "
    "authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/OidcThumbprintRemediatorMember "
) + "x" * 700


def _work_list(count: int) -> list[dict[str, Any]]:
    accounts = [MemberAccount(f"{100000000000 + n}", f"workload-{n:05d}") for n in range(count)]
    plan = plan_sweeps(accounts, own_account=None, partition="aws", role_name="Member", external_id="ext-org")
    return list(plan["accounts"])


def _healthy(item: dict[str, Any]) -> dict[str, Any]:
    account = item["account_id"]
    findings = [
        Finding(arn=f"arn:aws:iam::{account}:oidc-provider/ok{n}.example", url=f"ok{n}.example", status=Status.OK)
        for n in range(3)
    ]
    report = build_report(
        account=account, dry_run=False, started_at=STARTED, duration_ms=800, findings=findings, sweep_id="s" + account
    )
    report = finished(report, role_arn=item["sweep"]["account_role_arn"], error=None)
    return {
        "account_id": account,
        "name": item["name"],
        "report": to_builtins(compact_report(report, ACCOUNT_RESULT_BYTES)),
    }


def _role_failed(item: dict[str, Any]) -> dict[str, Any]:
    account = item["account_id"]
    message = DENIED.format(account=account)
    assessment = failed_assessment("member_role_unavailable", message, MEMBER_ROLE_REMEDY)
    finding = Finding(
        arn=item["sweep"]["account_role_arn"],
        url=f"account {account} (member role)",
        status=assessment.status,
        problems=assessment.problems,
        error=message,
    )
    report = build_report(
        account=account, dry_run=False, started_at=STARTED, duration_ms=0, findings=[finding], sweep_id="s" + account
    )
    error = AccountError(code="member_role_unavailable", message=message, remedy=MEMBER_ROLE_REMEDY)
    report = finished(report, error=error, role_arn=item["sweep"]["account_role_arn"])
    return {
        "account_id": account,
        "name": item["name"],
        "report": to_builtins(compact_report(report, ACCOUNT_RESULT_BYTES)),
    }


def _write_map_results(org: Organization, work_list: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> str:
    """The objects ListAccounts and the ResultWriter leave in the bucket; returns the manifest's key."""
    s3 = org.emulated.client("s3")
    org.emulated.create_store_bucket(BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"work-lists/{EXECUTION}.json", Body=json.dumps(work_list).encode())
    s3.put_object(Bucket=BUCKET, Key=f"not-swept/{EXECUTION}.json", Body=b"[]")
    entries = [
        {"Input": json.dumps(item), "Output": json.dumps(output), "Status": "SUCCEEDED", "Name": str(index)}
        for index, (item, output) in enumerate(zip(work_list, outputs, strict=True))
    ]
    body = json.dumps(entries).encode()
    s3.put_object(Bucket=BUCKET, Key="results/run/SUCCEEDED_0.json", Body=body)
    manifest = {"ResultFiles": {"SUCCEEDED": [{"Key": "results/run/SUCCEEDED_0.json", "Size": len(body)}]}}
    s3.put_object(Bucket=BUCKET, Key="results/run/manifest.json", Body=json.dumps(manifest).encode())
    return "results/run/manifest.json"


def _aggregate(sandbox: Sandbox, manifest_key: str) -> dict[str, Any]:
    store = {
        "bucket": BUCKET,
        "execution": EXECUTION,
        "manifest_key": manifest_key,
        "work_list_key": f"work-lists/{EXECUTION}.json",
        "not_swept_key": f"not-swept/{EXECUTION}.json",
    }
    return sandbox.invoke({"aggregate": {"store": store, "execution": EXECUTION, "notify": "always"}})


def test_ten_thousand_healthy_accounts_aggregate_to_one_small_answer_and_one_alert(
    sandbox: Sandbox, org: Organization
) -> None:
    # Given 10,000 accounts whose sweeps all found three healthy providers
    work_list = _work_list(ACCOUNTS)
    manifest_key = _write_map_results(org, work_list, [_healthy(item) for item in work_list])

    # When Aggregate reads the Distributed Map's results
    answer = _aggregate(sandbox, manifest_key)

    # Then what goes back into the state machine is a few hundred bytes, not 10,000 reports
    assert len(json.dumps(answer).encode()) < 2048
    summary = answer["summary"]
    assert (summary["accounts"], summary["accounts_ok"], summary["providers"]) == (ACCOUNTS, ACCOUNTS, 3 * ACCOUNTS)
    # And the stored report has every account
    stored = json.loads(org.emulated.objects(BUCKET, answer["report_key"])[answer["report_key"]])
    assert len(stored["accounts"]) == ACCOUNTS
    # And one alert went out, within SNS's limits, pointing at the stored report
    [alert] = sandbox.alerts()
    assert alert.subject == f"OIDC thumbprints: all {3 * ACCOUNTS} OK ({ACCOUNTS} accounts)"
    assert len(alert.body.encode()) + len(alert.subject) < MESSAGE_LIMIT
    assert f"Healthy accounts ({ACCOUNTS}):" in alert.body
    assert f"s3://{BUCKET}/{answer['report_key']}" in alert.body


def test_ten_thousand_accounts_whose_member_roles_all_fail_still_alert_once_accounts_first(
    sandbox: Sandbox, org: Organization
) -> None:
    # Given 10,000 accounts, each refused by STS with a 1 KB error
    work_list = _work_list(ACCOUNTS)
    manifest_key = _write_map_results(org, work_list, [_role_failed(item) for item in work_list])

    # When Aggregate reads the results
    answer = _aggregate(sandbox, manifest_key)

    # Then the answer stays small and counts every failure
    assert len(json.dumps(answer).encode()) < 2048
    assert (answer["summary"]["accounts"], answer["summary"]["accounts_failed"]) == (ACCOUNTS, ACCOUNTS)
    # And every account's entry in the stored report is within its byte cap, error text included
    stored = json.loads(org.emulated.objects(BUCKET, answer["report_key"])[answer["report_key"]])
    sizes = [len(json.dumps(entry, separators=(",", ":")).encode()) for entry in stored["accounts"]]
    assert len(sizes) == ACCOUNTS
    assert max(sizes) <= ACCOUNT_ENTRY_BYTES
    # And exactly one alert was delivered: the failed accounts first, the rest counted, the report pointed at
    [alert] = sandbox.alerts()
    assert alert.subject == f"OIDC thumbprints: {ACCOUNTS} accounts failed ({ACCOUNTS} accounts)"
    assert alert.attributes["severity"] == "critical"
    assert len(alert.body.encode()) + len(alert.subject) < MESSAGE_LIMIT
    first = sorted(item["account_id"] for item in work_list)[0]
    assert alert.body.index(
        f"== Account {first} (workload-00000): FAILED (member_role_unavailable)"
    ) < alert.body.index("Healthy accounts (0)")
    assert alert.body.count(": FAILED (member_role_unavailable)") <= ALERT_ACCOUNTS
    assert "more accounts need attention (see the full report)" in alert.body
    assert f"s3://{BUCKET}/{answer['report_key']}" in alert.body


def test_an_accounts_entry_is_capped_whatever_its_report_or_error_holds() -> None:
    # Given results whose every field is hostile in size: name, code, message, summary keys, findings
    huge = "\u00e9" * 100_000
    real = _role_failed(_work_list(1)[0])["report"]["findings"][0]
    finding = real | {"arn": huge, "url": huge, "error": huge}
    results = [
        {"account_id": "111111111111", "name": huge, "error": {"Error": huge, "Cause": huge}},
        {
            "account_id": "222222222222",
            "name": huge,
            "error": {"Error": "x", "Cause": json.dumps({"errorMessage": huge})},
        },
        {
            "account_id": "333333333333",
            "name": "n",
            "report": {
                "error": {"code": huge, "message": huge, "remedy": huge},
                "summary": {f"k{n}" + huge[:50]: n for n in range(1000)},
                "findings": [finding] * 50,
                "sweep_id": huge,
            },
        },
        {
            "account_id": "444444444444",
            "name": "n",
            "report": {"summary": {"error": 50}, "findings": [real | {"arn": "a" * 300}] * 500},
        },
    ]

    # When each becomes its entry in the organization report
    entries = [account_entry(result) for result in results]

    # Then none is over the cap, and what was cut is said, not hidden
    for entry in entries:
        assert len(json.dumps(entry, separators=(",", ":")).encode()) <= ACCOUNT_ENTRY_BYTES
    assert entries[0]["error"]["message"].endswith("...[cut]")
    assert entries[3]["findings_not_shown"] == 500 - len(entries[3]["findings"])
    assert entries[3]["findings_not_shown"] > 0
    # And bounding an entry twice changes nothing: the cap is a fixed point
    assert bounded_entry(entries[3]) == entries[3]


def test_aggregating_the_extremes_holds_each_entry_to_its_cap() -> None:
    work_list = _work_list(ACCOUNTS)

    report = to_builtins(aggregate(_role_failed(item) for item in work_list))

    assert report["summary"]["accounts_failed"] == ACCOUNTS
    assert max(len(json.dumps(entry, separators=(",", ":")).encode()) for entry in report["accounts"]) <= (
        ACCOUNT_ENTRY_BYTES
    )


def test_when_the_alert_cannot_be_sent_the_full_report_is_stored_and_the_step_fails_visibly(
    sandbox: Sandbox, org: Organization
) -> None:
    # Given three accounts' results, one failed, and a topic that does not exist
    work_list = _work_list(3)
    outputs = [_healthy(work_list[0]), _healthy(work_list[1]), _role_failed(work_list[2])]
    manifest_key = _write_map_results(org, work_list, outputs)
    missing_topic = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
    store = {
        "bucket": BUCKET,
        "execution": EXECUTION,
        "manifest_key": manifest_key,
        "work_list_key": f"work-lists/{EXECUTION}.json",
        "not_swept_key": f"not-swept/{EXECUTION}.json",
    }

    # When Aggregate runs
    with pytest.raises(AlertDeliveryError) as raised:
        sandbox.invoke({"aggregate": {"store": store, "execution": EXECUTION}}, {ENV_TOPIC_ARN: missing_topic})

    # Then the invocation fails, saying where the full report is, and the report is there with every account
    assert f"s3://{BUCKET}/reports/{EXECUTION}.json" in str(raised.value)
    stored = org.emulated.objects(BUCKET, f"reports/{EXECUTION}.json")[f"reports/{EXECUTION}.json"]
    assert sorted(entry["account"] for entry in json.loads(stored)["accounts"]) == sorted(
        item["account_id"] for item in work_list
    )
