"""The organization's alert (alerts.py): who sent it and how bad it is, each account's block, the healthy ones,
what is left out of a large organization and where the rest is, and the JSON part trimmed to SNS's limit.

Found by mutation testing (`make mutation`). Pure: organization reports built by `aggregate`, no sandbox.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.unit.builders import NOW
from thumbprint_remediator.alerts import (
    ALERT_ACCOUNTS,
    MESSAGE_LIMIT,
    TEXT_BUDGET,
    alert_view,
    render_organization_alert,
    should_notify_organization,
)
from thumbprint_remediator.organization import aggregate
from thumbprint_remediator.report import Finding, build_report, compact_report
from thumbprint_remediator.rules import Problem
from thumbprint_remediator.views import to_builtins

OLD, NEW = "a" * 40, "b" * 40
LOCATION = "s3://org-reports/sweeps/2026-11-28/" + "k" * 300 + ".json"


def _provider(account: str, url: str, status: str, action: str = "none", **extra: Any) -> Finding:
    after = (NEW, OLD) if action in ("updated", "would_update") else (OLD,)
    return Finding(
        arn=f"arn:aws:iam::{account}:oidc-provider/{url}",
        url=url,
        status=status,
        action=action,
        thumbprints_before=(OLD,),
        thumbprints_after=after,
        **extra,
    )


def _swept(account: str, name: str, *findings: Finding, dry_run: bool = False, max_bytes: int | None = None) -> Any:
    """A member account's result as the state machine hands it: its compact report."""
    report = build_report(
        account=account, dry_run=dry_run, started_at=NOW, duration_ms=5, findings=findings, sweep_id=f"sweep-{account}"
    )
    return {"account_id": account, "name": name, "report": to_builtins(compact_report(report, max_bytes))}


def _failed(account: str, name: str = "", message: str = "cannot assume the member role") -> Any:
    """A member account whose sweep failed: the error Step Functions caught."""
    cause = json.dumps({"errorType": "AccessDenied", "errorMessage": message})
    return {"account_id": account, "name": name, "error": {"Error": "States.TaskFailed", "Cause": cause}}


def _healthy(account: str, name: str = "") -> Any:
    return _swept(account, name, _provider(account, "ok.example", "ok"))


def _org(*results: Any, not_swept: tuple[Any, ...] = (), execution: str | None = None) -> dict[str, Any]:
    return to_builtins(aggregate(results, not_swept, execution=execution))


def _text(body: str) -> str:
    """The text part a person reads: everything before the JSON part."""
    for heading in ("\n\nFull report (JSON):\n", "\n\nReport (JSON, trimmed):\n"):
        if heading in body:
            return body.split(heading, 1)[0]
    raise AssertionError("no JSON part")


def _line(text: str, start: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(start)]
    return line


MIXED = _org(
    _failed("333333333333", "legacy"),
    _swept("111111111111", "prod", _provider("111111111111", "gitlab.example", "stale", "updated")),
    _healthy("222222222222", "dev"),
    not_swept=({"account_id": "444444444444", "name": "old", "reason": "account is suspended"},),
)


# --- who sent it, how many, how bad ----------------------------------------------------------------------------
def test_the_alert_says_it_is_the_organizations_and_counts_accounts_with_failed_and_not_swept_together() -> None:
    alert = render_organization_alert(MIXED)

    # Then a subscriber filtering on attributes sees the organization, its 4 accounts, 2 of them failed (one
    # failed, one not swept), and the subject says the same in words
    assert alert.attributes["account"] == ("String", "organization")
    assert alert.attributes["accounts"] == ("Number", "4")
    assert alert.attributes["accounts_failed"] == ("Number", "2")
    assert alert.subject.startswith("OIDC thumbprints: 2 accounts failed, ")


def _expiring(account: str) -> Any:
    return _swept(account, "", _provider(account, "soon.example", "expiring"))


@pytest.mark.parametrize(
    ("results", "not_swept", "level"),
    [
        ((_healthy("111111111111"),), ({"account_id": "222222222222"},), "critical"),
        ((_swept("111111111111", "", _provider("111111111111", "down.example", "unreachable")),), (), "critical"),
        (
            (_swept("111111111111", "", _provider("111111111111", "x.example", "stale", "would_update")),),
            (),
            "critical",
        ),
        ((_expiring("111111111111"),), (), "warning"),
        ((_healthy("111111111111"),), (), "info"),
    ],
    ids=["an-account-not-swept", "a-critical-status", "a-write-left-undone", "only-watching", "all-healthy"],
)
def test_the_organizations_severity_is_its_most_serious_account(
    results: tuple[Any, ...], not_swept: tuple[Any, ...], level: str
) -> None:
    alert = render_organization_alert(_org(*results, not_swept=not_swept))
    assert alert.attributes["severity"] == ("String", level)
    # And the text says it in its opening lines
    assert any(level in line for line in _text(alert.body).splitlines()[:4])


def test_never_means_no_alert_even_when_accounts_failed() -> None:
    failing = _org(_failed("333333333333"))
    assert should_notify_organization(failing, "never") is False
    assert should_notify_organization(failing, "problems") is True
    assert should_notify_organization(failing, "always") is True


def test_a_dry_run_says_so_in_the_subject_and_the_text_and_a_real_sweep_does_not() -> None:
    # Given the same organization swept for real and as a dry run
    def org(dry_run: bool) -> dict[str, Any]:
        return _org(
            _swept("111111111111", "", _provider("111111111111", "x.example", "stale", "updated"), dry_run=dry_run)
        )

    live, dry = render_organization_alert(org(False)), render_organization_alert(org(True))
    # Then only the dry run says so; otherwise its first line is the real one with the note added before its end
    assert "dry run" in dry.subject
    assert "dry run" not in live.subject
    live_first, dry_first = _text(live.body).splitlines()[0], _text(dry.body).splitlines()[0]
    assert "dry run" in dry_first
    assert "dry run" not in live_first
    assert dry_first.startswith(live_first[:-1])
    assert dry_first.endswith(live_first[-1])


def test_the_text_names_the_execution_that_swept_or_says_it_was_manual() -> None:
    execution = "arn:aws:states:us-east-1:123456789012:execution:sweep:42"
    with_execution = _text(render_organization_alert(_org(_healthy("111111111111"), execution=execution)).body)
    assert execution in "\n".join(with_execution.splitlines()[:4])
    manual = _text(render_organization_alert(_org(_healthy("111111111111"))).body)
    assert re.search(r"\bmanual\b", "\n".join(manual.splitlines()[:4]))


# --- each account's block --------------------------------------------------------------------------------------
def test_each_block_is_a_paragraph_of_its_own() -> None:
    # Given failed, not swept and attention accounts (one with more findings than its entry keeps), and a healthy one
    prod = [_provider("111111111111", f"p{n}.example", "stale", "updated", action_reason="wrote it") for n in range(4)]
    org = _org(
        _failed("333333333333", "legacy"),
        _swept("111111111111", "prod", *prod, max_bytes=900),
        _healthy("222222222222", "dev"),
        not_swept=({"account_id": "444444444444", "name": "old", "reason": "suspended"},),
    )
    lines = _text(render_organization_alert(org).body).splitlines()
    # Then every account block, finding block, "... and N more" line and the closing line follows an empty line
    starts = [i for i, line in enumerate(lines) if line.startswith(("== Account", "[", "  ... and", "Healthy"))]
    assert len(starts) >= 6
    assert all(lines[i - 1] == "" for i in starts)


def test_a_failed_account_shows_its_error_and_what_to_do_and_a_not_swept_one_why() -> None:
    text = _text(render_organization_alert(MIXED).body)
    lines = text.splitlines()
    failed = lines.index(_line(text, "== Account 333333333333"))
    assert "FAILED" in lines[failed]
    assert "AccessDenied" in lines[failed]
    assert "cannot assume the member role" in lines[failed + 1]
    assert "the next sweep retries" in lines[failed + 2]
    not_swept = lines.index(_line(text, "== Account 444444444444"))
    assert "NOT SWEPT" in lines[not_swept]
    assert "account is suspended" in lines[not_swept + 1]
    # The not-swept account has no remedy: its block ends after the reason
    assert lines[not_swept + 2] == ""


def test_an_accounts_block_counts_what_needs_attention_most_serious_first_then_its_findings() -> None:
    findings = (
        _provider("111111111111", "upd.example", "stale", "updated"),
        _provider("111111111111", "blk.example", "untrusted", "blocked"),
    )
    text = _text(render_organization_alert(_org(_swept("111111111111", "prod", *findings))).body)
    header = _line(text, "== Account 111111111111 (prod): ")
    assert header.partition(": ")[2] == "1 blocked, 1 untrusted, 1 updated"
    assert "[STALE -> UPDATED] upd.example" in text
    assert "[UNTRUSTED -> BLOCKED] blk.example" in text


def test_an_account_with_more_findings_than_its_entry_keeps_says_how_many_more_and_where_they_are() -> None:
    findings = [_provider("111111111111", f"p{n}.example", "stale", "updated") for n in range(4)]
    text = _text(render_organization_alert(_org(_swept("111111111111", "prod", *findings, max_bytes=700))).body)
    # Then its block still has its header and the finding kept, and a line with the 3 others and the sweep id
    assert "== Account 111111111111 (prod): 4 updated" in text
    assert "[STALE -> UPDATED] p0.example" in text
    more = _line(text, "  ... and ")
    assert more.startswith("  ... and 3 more")
    assert "sweep-111111111111" in more


def test_an_organizations_counts_read_as_words() -> None:
    finding = _provider("111111111111", "x.example", "stale", "would_update")
    org = _org(_swept("111111111111", "prod", finding, dry_run=True))
    alert = render_organization_alert(org)
    assert alert.subject == "OIDC thumbprints (dry run): 1 would update (1 accounts)"
    assert "== Account 111111111111 (prod): 1 would update" in _text(alert.body)


def test_an_account_without_a_name_is_shown_by_its_id_alone() -> None:
    text = _text(render_organization_alert(_org(_failed("333333333333"))).body)
    assert "== Account 333333333333: FAILED" in text


# --- the healthy accounts --------------------------------------------------------------------------------------
def test_the_healthy_accounts_are_counted_and_the_first_twenty_named() -> None:
    org = _org(_failed("999999999999"), *(_healthy(f"{n:012d}", f"team-{n}") for n in range(1, 23)))
    closing = _line(_text(render_organization_alert(org).body), "Healthy accounts")
    assert closing.startswith("Healthy accounts (22): ")
    named = closing.partition(": ")[2].removesuffix(" and 2 more.").split(", ")
    assert named == [f"{n:012d} (team-{n})" for n in range(1, 21)]


def test_an_organization_without_a_healthy_account_says_none() -> None:
    closing = _line(_text(render_organization_alert(_org(_failed("999999999999"))).body), "Healthy accounts")
    assert closing.partition(": ")[2] == "none."


# --- a large organization: the alert's view, what is left out, and where the rest is -----------------------------
def _large() -> dict[str, Any]:
    """ALERT_ACCOUNTS + 3 failed accounts and 22 healthy ones."""
    failed = [_failed(f"{n:012d}") for n in range(1, ALERT_ACCOUNTS + 4)]
    return _org(*failed, *(_healthy(f"{n:012d}") for n in range(500, 522)))


def test_the_alerts_view_keeps_the_first_accounts_needing_attention_a_few_healthy_ones_and_counts_the_rest() -> None:
    report = _large()
    needing, healthy = report["accounts"][: ALERT_ACCOUNTS + 3], report["accounts"][ALERT_ACCOUNTS + 3 :]
    view = alert_view(report, LOCATION)
    assert view["accounts"] == needing[:ALERT_ACCOUNTS] + healthy[:20]
    assert view["accounts_not_listed"] == 3
    assert view["report_location"] == LOCATION
    # And the organization's facts are the report's
    assert (view["summary"], view["execution"], view["dry_run"]) == (
        report["summary"],
        report["execution"],
        report["dry_run"],
    )


def test_an_alert_of_the_view_counts_the_accounts_left_out_and_points_to_the_full_report() -> None:
    text = _text(render_organization_alert(alert_view(_large(), LOCATION)).body)
    # Then the 3 accounts left out of the view are counted, pointing to the full report, whose location is shown
    # whole; the healthy count is the organization's, not the 20 the view kept
    left_out = _line(text, "... and ")
    assert left_out.startswith("... and 3 more accounts")
    assert "full report" in left_out
    assert LOCATION in text
    healthy = _line(text, "Healthy accounts")
    assert healthy.startswith("Healthy accounts (22): ")
    assert healthy.endswith(" and 2 more.")
    lines = text.splitlines()
    assert lines[lines.index(healthy) - 1] == ""


def test_an_organization_that_fits_leaves_nothing_out() -> None:
    lines = _text(render_organization_alert(MIXED).body).splitlines()
    assert not [line for line in lines if line.startswith("...")]


def _overflowing(count: int) -> tuple[list[str], str]:
    """`count` failed accounts with long errors, more than the text has blocks for; no stored report."""
    accounts = [f"{n:012d}" for n in range(1, count + 1)]
    alert = render_organization_alert(_org(*(_failed(account, message="denied " + "x" * 990) for account in accounts)))
    text = _text(alert.body)
    assert len(text.encode()) <= TEXT_BUDGET
    return accounts, text


def test_accounts_whose_blocks_do_not_fit_are_listed_by_id_pointing_to_the_json() -> None:
    # Given a few accounts more than get a block
    accounts, text = _overflowing(118)
    blocks = [line.split()[2] for line in text.splitlines() if line.startswith("== Account")]
    # Then the rest are listed by id, all of them, pointing to the JSON, and the closing line still ends the text
    left_out = _line(text, "... and ")
    rest = accounts[len(blocks) :]
    assert 0 < len(rest) < 10
    assert left_out.startswith(f"... and {len(rest)} more accounts")
    assert "JSON" in left_out
    assert left_out.partition("): ")[2].split(", ") == rest
    # And the closing line still ends the text, a paragraph of its own
    assert text.splitlines()[-1].startswith("Healthy accounts (0)")
    assert text.splitlines()[-2] == ""


def test_when_the_ids_do_not_all_fit_the_line_lists_the_first_and_counts_the_others() -> None:
    # Given more accounts left without a block than fit on the line
    accounts, text = _overflowing(140)
    blocks = [line.split()[2] for line in text.splitlines() if line.startswith("== Account")]
    rest = accounts[len(blocks) :]
    left_out = _line(text, "... and ")
    ids, _, more = left_out.partition("): ")[2].partition(" and ")
    listed = ids.split(", ")
    # Then the first ones are listed in order and the others counted: every account is accounted for, once
    assert left_out.startswith(f"... and {len(rest)} more accounts")
    assert 0 < len(listed) < len(rest)
    assert listed == rest[: len(listed)]
    assert more == f"{len(rest) - len(listed)} more"
    assert text.splitlines()[-1].startswith("Healthy accounts (0)")


def test_when_the_view_leaves_accounts_out_and_blocks_do_not_fit_the_line_counts_both() -> None:
    # Given 60 attention accounts whose entries are full (so not all 50 of the view get blocks)
    def account(n: int) -> Any:
        account = f"{n:012d}"
        findings = [_provider(account, f"provider-{i}-" + "p" * 80 + ".example", "stale", "updated") for i in range(40)]
        return _swept(account, f"team-{n}", *findings)

    view = alert_view(_org(*(account(n) for n in range(1, 61))), LOCATION)
    text = _text(render_organization_alert(view).body)
    # Then the accounts of the view without a block are listed by id, and the 10 the view left out are counted after
    blocks = [line.split()[2] for line in text.splitlines() if line.startswith("== Account")]
    left_out = _line(text, "... and ")
    ids = left_out.partition("): ")[2]
    listed = ids.removesuffix(" and 10 more").split(", ")
    assert ids.endswith(" and 10 more")
    assert left_out.startswith(f"... and {len(listed) + 10} more accounts")
    assert blocks + listed == [f"{n:012d}" for n in range(1, ALERT_ACCOUNTS + 1)]
    assert LOCATION in text


# --- the JSON part ---------------------------------------------------------------------------------------------
def test_a_report_too_large_for_sns_keeps_the_accounts_needing_attention_with_what_a_person_acts_on() -> None:
    # Given 800 accounts with an update each (with a reason and problems), and 5 healthy ones
    problem = Problem("thumbprint_missing", "stale", "the live thumbprint is not pinned", "pin it")

    def updated(n: int) -> Any:
        account = f"{n:012d}"
        finding = _provider(account, "x.example", "stale", "updated", problems=(problem,), action_reason="wrote it")
        return _swept(account, f"team-{n}", finding)

    report = _org(*(updated(n) for n in range(1, 801)), *(_healthy(f"{n:012d}") for n in range(900, 905)))
    alert = render_organization_alert(report)
    assert alert.size <= MESSAGE_LIMIT
    trimmed = json.loads(alert.body.split("\n\nReport (JSON, trimmed):\n", 1)[1].split("\n", 1)[1])
    # Then only accounts needing attention are kept, the others counted, and of each finding the facts a person
    # acts on: which provider, its status and action, the thumbprints before and after, its error, its problem codes
    kept = trimmed["accounts"]
    assert kept
    assert len(kept) + trimmed["accounts_omitted"] == 800
    assert {entry["state"] for entry in kept} == {"attention"}
    first = kept[0]
    assert first["account"] == "000000000001"
    assert first["findings"] == [
        {
            "arn": "arn:aws:iam::000000000001:oidc-provider/x.example",
            "status": "stale",
            "action": "updated",
            "thumbprints_before": [OLD],
            "thumbprints_after": [NEW, OLD],
            "error": None,
            "problems": ["thumbprint_missing"],
        }
    ]


def test_an_account_id_or_name_that_reached_the_alert_unchecked_is_shown_capped() -> None:
    # Given an organization report handed as a mapping, its account id and name far longer than any aggregate writes
    org = _org(_failed("333333333333", "legacy"))
    org["accounts"][0] = {**org["accounts"][0], "account": "9" * 300, "name": "n" * 2000}
    text = _text(render_organization_alert(org).body)
    # Then the block shows the start of each, an id no longer than a short field, a name no longer than a field
    assert "9" * 40 in text
    assert "9" * 100 not in text
    assert "n" * 200 in text
    assert "n" * 300 not in text


def test_the_ids_of_accounts_without_a_block_are_capped_like_short_fields() -> None:
    # Given accounts left without a block whose ids reached the alert unchecked, far too long
    org = _org(*(_failed(f"{n:012d}", message="denied " + "x" * 990) for n in range(1, 119)))
    org["accounts"][-2:] = [
        {**entry, "account": digit * 300} for digit, entry in zip("67", org["accounts"][-2:], strict=True)
    ]
    left_out = _line(_text(render_organization_alert(org).body), "... and ")
    # Then each is listed by its start, no longer than a short field
    for digit in "67":
        assert digit * 40 in left_out
        assert digit * 100 not in left_out
