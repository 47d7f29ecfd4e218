"""Every fact of the organization's alert asserted one by one: the header (region, dry run, execution, the account
counts), where the full report is, each account's block, the healthy accounts, the accounts that did not fit the
text, the attributes, and the JSON form trimmed to SNS's limit with what a person acts on of each finding.

Organization reports built by `aggregate` from member reports built by the real rules (alert_scenes)."""

from __future__ import annotations

import json
from typing import Any

from tests.unit import alert_scenes as scene
from tests.unit.builders import NOW
from thumbprint_remediator.domain.organization import aggregate
from thumbprint_remediator.domain.report import Finding, build_report, compact_report
from thumbprint_remediator.domain.views import to_builtins
from thumbprint_remediator.report.alerts import ALERT_ACCOUNTS, TEXT_BUDGET, alert_view, render_organization_alert

LOCATION = "s3://org-reports/sweeps/2026-11-28/report.json"
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:OrgSweep:2026-11-28"


def _swept(account: str, name: str, *findings: Finding, dry_run: bool = False, max_bytes: int | None = None) -> Any:
    """A member account's result as the state machine hands it: its compact report."""
    report = build_report(
        account=account, dry_run=dry_run, started_at=NOW, duration_ms=5, findings=findings, sweep_id=f"sweep-{account}"
    )
    return {"account_id": account, "name": name, "report": to_builtins(compact_report(report, max_bytes))}


def _failed(account: str, name: str = "", message: str = "cannot assume the member role") -> Any:
    cause = json.dumps({"errorType": "AccessDenied", "errorMessage": message})
    return {"account_id": account, "name": name, "error": {"Error": "States.TaskFailed", "Cause": cause}}


def _healthy(account: str, name: str = "") -> Any:
    return _swept(account, name, scene.healthy())


def _org(*results: Any, not_swept: tuple[Any, ...] = (), execution: str | None = None) -> dict[str, Any]:
    return to_builtins(aggregate(results, not_swept, execution=execution))


def _mixed(*, dry_run: bool) -> dict[str, Any]:
    """A failed account, one needing attention (a blocked write and an expiring chain), a healthy one, and one
    left out of the sweep."""
    return _org(
        _failed("333333333333", "legacy"),
        _swept("111111111111", "prod", scene.intercepted(), scene.expiring(), dry_run=dry_run),
        _healthy("222222222222", "dev"),
        not_swept=({"account_id": "444444444444", "name": "old", "reason": "account is suspended"},),
        execution=EXECUTION,
    )


def _lines(body: str) -> list[str]:
    return body.split("\n")


# --- the header and where to look ---------------------------------------------------------------------------------
def test_the_header_names_the_region_the_dry_run_the_execution_and_counts_each_state() -> None:
    alert = render_organization_alert(alert_view(_mixed(dry_run=True), LOCATION), scene.CONTEXT)
    lines = _lines(alert.body)
    assert lines[0] == (
        "OIDC thumbprint sweep of 4 accounts of the organization (run in eu-west-1) (dry run: nothing was changed)."
    )
    assert lines[1] == f"Execution: {EXECUTION}."
    # Then one account needs attention and it needs action; the failed and the unswept are counted apart
    assert lines[2] == (
        "Severity: critical. Accounts: 1 OK, 1 need attention (1 need action), 1 failed, 1 not swept. "
        "3 providers checked."
    )


def test_without_context_or_dry_run_the_header_says_only_what_it_knows() -> None:
    org = _org(_swept("111111111111", "prod", scene.expiring()), _healthy("222222222222"))
    lines = _lines(render_organization_alert(org).body)
    assert lines[0] == "OIDC thumbprint sweep of 2 accounts of the organization."
    assert lines[1] == "Execution: manual."
    assert lines[2] == (
        "Severity: warning. Accounts: 1 OK, 1 need attention (1 need action), 0 failed, 0 not swept. "
        "2 providers checked."
    )


def test_the_stored_report_is_named_as_the_full_report_at_the_top_and_the_bottom() -> None:
    lines = _lines(render_organization_alert(alert_view(_mixed(dry_run=False), LOCATION), scene.CONTEXT).body)
    assert (
        f"Full report: every account's, in {LOCATION}; this alert's part in the JSON form, which this topic sends its "
        "SQS, Lambda, HTTPS and email-json subscribers; and the function's log (search its sweep id)."
    ) in lines
    assert lines[-1] == f"Full report (every account): {LOCATION}"
    assert lines[-2] == "Healthy accounts (1): 222222222222 (dev)."


def test_without_a_stored_report_the_json_form_is_the_full_report() -> None:
    lines = _lines(render_organization_alert(_mixed(dry_run=False)).body)
    assert (
        "Full report: the JSON form, which this topic sends its SQS, Lambda, HTTPS and email-json subscribers."
    ) in lines
    assert not any(line.startswith("Full report (every account)") for line in lines)
    assert lines[-1] == "Healthy accounts (1): 222222222222 (dev)."


# --- each account's block -------------------------------------------------------------------------------------------
def test_an_unswept_account_says_so_and_why_and_a_failed_one_what_to_do() -> None:
    lines = _lines(render_organization_alert(_mixed(dry_run=False)).body)
    unswept = lines.index("== Account 444444444444 (old): NOT SWEPT (not_swept)")
    assert lines[unswept + 1 : unswept + 3] == ["  account is suspended", ""]
    failed = lines.index("== Account 333333333333 (legacy): FAILED (AccessDenied)")
    assert lines[failed + 1] == "  cannot assume the member role"
    assert lines[failed + 2].startswith("  What to do: ")
    # And the failed account, the most urgent, comes before the one needing attention
    assert failed < lines.index("== Account 111111111111 (prod): critical: 1 blocked, 1 untrusted, 1 expiring")


def test_an_account_whose_findings_did_not_fit_is_judged_by_its_summary_and_points_to_its_log() -> None:
    # Given an account whose write was refused and whose chain expires soon, its findings cut from its entry
    org = _org(
        _swept(
            "111111111111", "prod", scene.rotated(write=scene.refused), scene.healthy(), scene.expiring(), max_bytes=600
        )
    )
    assert org["accounts"][0]["findings"] == []
    lines = _lines(render_organization_alert(org).body)
    # Then its summary still makes it critical (a write failed), and the reader is sent to the sweep's log
    block = lines.index("== Account 111111111111 (prod): critical: 1 update failed, 1 expiring")
    assert lines[block + 1 : block + 4] == [
        "",
        "  ... and 2 more: the function's log has every provider of this sweep (sweep_id sweep-111111111111)",
        "",
    ]
    assert render_organization_alert(org).attributes["severity"] == ("String", "critical")


def test_an_account_whose_summary_counts_nothing_open_still_says_it_needs_attention() -> None:
    # Given an account whose only finding is healthy but trusts a pin someone else added
    org = _org(_swept("555555555555", "", scene.drifted_private()))
    lines = _lines(render_organization_alert(org).body)
    assert "== Account 555555555555: critical: needs attention" in lines
    assert "[OK, TRUST WIDENED] keycloak.example/realms/prod" in lines


# --- the healthy accounts, and those that did not fit -----------------------------------------------------------
def test_the_healthy_line_names_twenty_and_counts_the_rest_from_the_summary() -> None:
    org = _org(*(_healthy(f"{n:012d}") for n in range(1, 23)))
    lines = _lines(render_organization_alert(alert_view(org, None)).body)
    names = ", ".join(f"{n:012d}" for n in range(1, 21))
    assert lines[-1] == f"Healthy accounts (22): {names} and 2 more."


def test_without_a_view_the_healthy_line_still_names_twenty() -> None:
    org = _org(*(_healthy(f"{n:012d}") for n in range(1, 23)))
    lines = _lines(render_organization_alert(org).body)
    names = ", ".join(f"{n:012d}" for n in range(1, 21))
    assert lines[-1] == f"Healthy accounts (22): {names} and 2 more."


def _crowded() -> dict[str, Any]:
    """60 accounts, each with 8 providers needing a write (more than the text has blocks for), and a healthy one;
    the first account's chain is intercepted, the most urgent."""
    accounts = [
        _swept(
            f"{n:012d}",
            f"team-{n}",
            *(
                scene.intercepted()
                if n == 2 and i == 0
                else scene.rotated(f"issuer-{i}.example/" + "p" * 100, dry_run=True)
                for i in range(8)
            ),
        )
        for n in range(1, 61)
    ]
    return _org(*accounts, _healthy("900000000000"))


def test_accounts_beyond_the_blocks_are_listed_by_id_and_those_left_out_of_the_view_counted() -> None:
    org = _crowded()
    alert = render_organization_alert(alert_view(org, LOCATION))
    lines = _lines(alert.body)
    assert len(alert.body.encode()) <= TEXT_BUDGET
    blocks = [line.split(" ")[2] for line in lines if line.startswith("== Account ")]
    # Then the most urgent account comes first; the others follow in order, as many as fit
    assert blocks[0] == "000000000002"
    assert 1 < len(blocks) < ALERT_ACCOUNTS
    in_view = ["000000000002", *(f"{n:012d}" for n in range(1, 61) if n != 2)][:ALERT_ACCOUNTS]
    assert blocks == in_view[: len(blocks)]
    # And the rest of the view is listed by id, with the 10 the view left out counted, once
    rest = in_view[len(blocks) :]
    (line,) = [line for line in lines if "more accounts need attention" in line]
    assert line == (
        f"... and {len(rest) + 10} more accounts need attention (see the full report): {', '.join(rest)} and 10 more"
    )
    assert lines[lines.index(line) + 1] == ""


def test_accounts_beyond_the_blocks_without_a_view_are_listed_up_to_fifty_and_counted() -> None:
    org = _org(*(_failed(f"{n:012d}", message="denied " + "x" * 990) for n in range(1, 121)))
    alert = render_organization_alert(org)
    lines = _lines(alert.body)
    assert len(alert.body.encode()) <= TEXT_BUDGET
    shown = sum(line.startswith("== Account ") for line in lines)
    rest = [f"{n:012d}" for n in range(shown + 1, 121)]
    assert len(rest) > ALERT_ACCOUNTS
    (line,) = [line for line in lines if "more accounts need attention" in line]
    assert line == (
        f"... and {len(rest)} more accounts need attention (see the JSON form): "
        f"{', '.join(rest[:ALERT_ACCOUNTS])} and {len(rest) - ALERT_ACCOUNTS} more"
    )
    assert lines[lines.index(line) + 1] == ""


def test_a_few_accounts_beyond_the_blocks_are_all_listed_with_nothing_more_to_count() -> None:
    org = _org(*(_failed(f"{n:012d}", message="denied " + "x" * 990) for n in range(1, 61)))
    lines = _lines(render_organization_alert(org).body)
    shown = sum(line.startswith("== Account ") for line in lines)
    rest = [f"{n:012d}" for n in range(shown + 1, 61)]
    assert 0 < len(rest) < ALERT_ACCOUNTS
    (line,) = [line for line in lines if "more accounts need attention" in line]
    assert line == f"... and {len(rest)} more accounts need attention (see the JSON form): {', '.join(rest)}"


def test_accounts_left_out_of_the_view_are_counted_when_every_block_fits() -> None:
    org = _org(*(_failed(f"{n:012d}") for n in range(1, ALERT_ACCOUNTS + 11)))
    lines = _lines(render_organization_alert(alert_view(org, LOCATION)).body)
    assert sum(line.startswith("== Account ") for line in lines) == ALERT_ACCOUNTS
    (line,) = [line for line in lines if "more accounts need attention" in line]
    assert line == "... and 10 more accounts need attention (see the full report)."
    assert lines[lines.index(line) + 1] == ""
    # And without a stored report, the JSON form is where to look
    without = _lines(render_organization_alert(alert_view(org, None)).body)
    assert "... and 10 more accounts need attention (see the JSON form)." in without


# --- the attributes ---------------------------------------------------------------------------------------------
def test_attributes_count_unswept_accounts_as_critical_beside_the_critical_findings() -> None:
    alert = render_organization_alert(_mixed(dry_run=False))
    assert dict(alert.attributes) == {
        "severity": ("String", "critical"),
        "account": ("String", "organization"),
        "dry_run": ("String", "false"),
        "accounts": ("Number", "4"),
        "accounts_failed": ("Number", "2"),
        "providers": ("Number", "3"),
        "open_critical": ("Number", "3"),  # the failed, the unswept, the intercepted chain
        "open_warning": ("Number", "1"),
        "fixed": ("Number", "0"),
        "would_update": ("Number", "0"),
    }


def test_a_dry_run_is_flagged_and_its_pending_writes_counted() -> None:
    org = _org(
        _swept(
            "111111111111",
            "prod",
            scene.rotated(dry_run=True),
            scene.rotated("dex.example", dry_run=True),
            dry_run=True,
        )
    )
    attributes = render_organization_alert(org).attributes
    assert attributes["dry_run"] == ("String", "true")
    assert attributes["would_update"] == ("Number", "2")
    assert attributes["open_critical"] == ("Number", "0")


# --- the JSON form ----------------------------------------------------------------------------------------------
def test_a_json_form_too_big_for_sns_keeps_the_urgent_accounts_and_what_a_person_acts_on() -> None:
    org = _crowded()
    alert = render_organization_alert(alert_view(org, LOCATION))
    trimmed = json.loads(alert.report_json)
    # Then the note says what was left out and where the full report is
    assert trimmed["trimmed"]["note"].endswith(
        f"each account's findings are in the function's log (by sweep_id), and the full report in {LOCATION}."
    )
    accounts = trimmed["accounts"]
    assert len(accounts) + trimmed["trimmed"]["accounts_omitted"] == ALERT_ACCOUNTS
    # And the accounts kept are the most urgent, none healthy
    assert [entry["account"] for entry in accounts[:2]] == ["000000000002", "000000000001"]
    assert all(entry["state"] == "attention" for entry in accounts)
    # And each account keeps the fields of the report's entry, its findings under `findings`
    entry = next(entry for entry in org["accounts"] if entry["account"] == "000000000001")
    assert set(accounts[1]) == set(entry)
    assert len(accounts[1]["findings"]) == len(entry["findings"]) > 0
    assert (trimmed["summary"], trimmed["report_location"]) == (org["summary"], LOCATION)
    # And each finding keeps what a person acts on, with its problems by code
    first = accounts[1]["findings"][0]
    url = "issuer-0.example/" + "p" * 100
    host = url.split("/", maxsplit=1)[0]
    assert first == {
        "arn": f"arn:aws:iam::123456789012:oidc-provider/{url}",
        "url": url,
        "status": "stale",
        "action": "would_update",
        "thumbprints_before": [scene.top(host)],
        "thumbprints_after": [scene.top(host, " 2"), scene.top(host)],
        "error": None,
        "days_to_expiry": 365,
        "problems": ["thumbprint_missing"],
        "thumbprint_reliance": "fallback",
    }
    blocked = accounts[0]["findings"][0]
    assert (blocked["url"], blocked["status"], blocked["action"]) == ("corp.example", "untrusted", "blocked")
    assert blocked["problems"] == ["chain_untrusted", "thumbprint_missing"]


def test_without_a_stored_report_the_trimmed_note_sends_the_reader_to_the_log_only() -> None:
    trimmed = json.loads(render_organization_alert(alert_view(_crowded(), None)).report_json)
    assert trimmed["trimmed"]["note"].endswith("each account's findings are in the function's log (by sweep_id).")
