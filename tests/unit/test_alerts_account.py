"""The account's alert (alerts.py): whose sweep and when, history's state, each provider's block (reliance,
nearest expiry, problems and notes), the healthy ones, and how the text budget is shared between blocks and
the providers listed by URL only.

Found by mutation testing (`make mutation`). Pure: reports built by `build_report`. Tests pin the facts an
operator reads (accounts, dates, counts, thumbprints, which providers are shown) rather than sentences.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.builders import NOW, capture
from thumbprint_remediator.alerts import TEXT_BUDGET, finding_block, render_alert
from thumbprint_remediator.report import Finding, build_report, describe_host
from thumbprint_remediator.rules import Expiry, Problem
from thumbprint_remediator.views import FindingHistory, UntoldEntry, to_builtins

OLD, NEW = "a" * 40, "b" * 40
ACCOUNT = "123456789012"


def _finding(index: int, status: str = "ok", action: str = "none", **extra: Any) -> Finding:
    return Finding(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer-{index}.example",
        url=f"issuer-{index}.example",
        status=status,
        action=action,
        thumbprints_before=(OLD,),
        thumbprints_after=(NEW, OLD) if action in ("updated", "would_update") else (OLD,),
        **extra,
    )


def _report(
    *findings: Finding, account: str | None = ACCOUNT, dry_run: bool = False, history: bool = False
) -> dict[str, Any]:
    return to_builtins(
        build_report(
            account=account,
            dry_run=dry_run,
            started_at=NOW,
            duration_ms=12,
            findings=findings,
            sweep_id="sweep-77",
            history_enabled=history,
        )
    )


def _text(body: str) -> str:
    for heading in ("\n\nFull report (JSON):\n", "\n\nReport (JSON, trimmed):\n"):
        if heading in body:
            return body.split(heading, 1)[0]
    raise AssertionError("no JSON part")


def _lines(report: dict[str, Any]) -> list[str]:
    return _text(render_alert(report).body).splitlines()


def _block(finding: Finding) -> list[str]:
    return finding_block(
        to_builtins(
            build_report(
                account=ACCOUNT, dry_run=False, started_at=NOW, duration_ms=1, findings=(finding,), sweep_id="s"
            )
        )["findings"][0]
    )


STALE = _finding(1, "stale", "updated")


# --- whose sweep, when, how bad ----------------------------------------------------------------------------------
def test_the_alert_names_the_swept_account_when_it_started_and_its_severity() -> None:
    alert = render_alert(_report(STALE, _finding(2)))
    header = _text(alert.body).splitlines()[:2]
    assert alert.attributes["account"] == ("String", ACCOUNT)
    assert ACCOUNT in header[0]
    assert "2026-11-28T12:00:00Z" in header[0]
    assert alert.attributes["severity"] == ("String", "warning")
    assert "warning" in header[1]


def test_a_sweep_without_an_account_says_unknown_where_the_account_goes() -> None:
    alert = render_alert(_report(STALE, account=None))
    assert alert.attributes["account"] == ("String", "unknown")
    assert re.search(r"\bunknown\b", _text(alert.body).splitlines()[0])
    assert "unknown" in alert.subject


def test_a_dry_run_says_so_in_the_subject_and_the_first_line_and_a_real_sweep_does_not() -> None:
    live, dry = render_alert(_report(STALE)), render_alert(_report(STALE, dry_run=True))
    assert "dry run" in dry.subject
    assert "dry run" not in live.subject
    live_first, dry_first = _text(live.body).splitlines()[0], _text(dry.body).splitlines()[0]
    assert "dry run" in dry_first
    assert "dry run" not in live_first
    # The same line with the note added before its end
    assert dry_first.startswith(live_first[:-1])
    assert dry_first.endswith(live_first[-1])


UNAVAILABLE = FindingHistory(
    state="unavailable", reason="history unavailable for this provider: boom", placeholder_pins=[]
)


@pytest.mark.parametrize(
    ("findings", "history", "says"),
    [
        ((STALE,), False, "History is off"),
        ((_finding(1, "stale", "updated", history=UNAVAILABLE), _finding(2, history=UNAVAILABLE)), True, "for 2 "),
    ],
    ids=["history-off", "unavailable-for-two"],
)
def test_the_header_says_when_history_is_off_or_unavailable(
    findings: tuple[Finding, ...], history: bool, says: str
) -> None:
    header = _lines(_report(*findings, history=history))
    # Then a third line of the header says it, and the blocks follow after an empty line
    assert says in header[2]
    assert header[3] == ""


@pytest.mark.parametrize("counted", [True, False], ids=["none-unavailable", "unavailable-not-counted"])
def test_with_history_on_and_available_the_header_is_two_lines(counted: bool) -> None:
    report = _report(STALE, history=True)
    if not counted:  # a report handed as a mapping need not count what is 0
        report = {**report, "history": {"enabled": True}}
    lines = _lines(report)
    assert lines[2] == ""
    assert lines[3].startswith("[STALE -> UPDATED] issuer-1.example")


# --- each provider's block ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reliance", "word"), [("required", "relies"), ("fallback", "fallback")], ids=["required", "fallback"]
)
def test_a_block_says_how_far_iam_relies_on_the_thumbprint_and_nothing_when_unknown(reliance: str, word: str) -> None:
    unknown = _block(_finding(1, "stale", "updated"))
    block = _block(_finding(1, "stale", "updated", thumbprint_reliance=reliance))
    (extra,) = [line for line in block if line not in unknown]
    assert word in extra
    assert "thumbprint" in extra


def test_a_block_shows_the_nearest_expiry_as_a_utc_date_with_days_left_and_the_certificate() -> None:
    expiry = Expiry("issuer-1.example", "CN=intermediate-r7", datetime(2027, 2, 26, 14, 3, 9, tzinfo=UTC), 12)
    block = _block(_finding(1, "expiring", nearest_expiry=expiry))
    (line,) = [line for line in block if "2027-02-26 14:03 UTC" in line]
    assert "12 days" in line
    assert "CN=intermediate-r7" in line


def test_a_block_leaves_out_notes_but_tls13_only_and_shows_every_problem_after_them() -> None:
    problems = (
        Problem("private_ca_rotation_followed", "ok", "NOTE-followed", "none needed"),
        Problem("tls13_only", "ok", "NOTE-tls13", "none needed"),
        Problem("thumbprint_missing", "stale", "PROBLEM-missing", "pin it"),
    )
    text = "\n".join(_block(_finding(1, "stale", "updated", problems=problems)))
    assert "NOTE-followed" not in text
    assert "NOTE-tls13" in text
    assert "PROBLEM-missing" in text


def _compact(**fields: Any) -> dict[str, Any]:
    finding = {
        "arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/u.example",
        "url": "u.example",
        "status": "untrusted",
        "action": "blocked",
        "thumbprints_before": [OLD],
        "thumbprints_after": [OLD],
        "problems": [],
        "days_to_expiry": None,
        "error": None,
    }
    return {**finding, **fields}


def test_a_compact_block_lists_every_problem_code_in_order_and_no_line_without_one() -> None:
    block = finding_block(_compact(problems=["chain_untrusted", "certificate_expiring"]))
    (line,) = [line for line in block if "chain_untrusted" in line]
    assert line.endswith("chain_untrusted, certificate_expiring")
    assert len(finding_block(_compact())) == len(block) - 1


def test_a_block_shows_why_the_action_was_taken_and_the_error() -> None:
    block = _block(_finding(1, "stale", "update_failed", action_reason="IAM refused: throttled", error="Throttling"))
    assert [line for line in block if "IAM refused: throttled" in line]
    assert [line for line in block if "Throttling" in line]


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [((OLD,), None, [OLD, "unknown"]), (None, None, ["unknown"]), ((OLD,), (OLD,), [OLD])],
    ids=["written-but-not-read-back", "never-read", "unchanged"],
)
def test_a_block_says_which_thumbprints_are_unknown(
    before: tuple[str, ...] | None, after: tuple[str, ...] | None, shown: list[str]
) -> None:
    finding = Finding(
        arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/x.example",
        url="x.example",
        status="stale",
        action="update_unknown" if before else "none",
        thumbprints_before=before,
        thumbprints_after=after,
    )
    (line,) = [line for line in _block(finding) if line.startswith("  Thumbprints: ")]
    assert all(fact in line for fact in shown)
    assert ("->" in line) == (before != after and before is not None)
    assert (OLD in line) == (before is not None)


def test_a_problems_message_is_shown_whole_up_to_a_lines_length() -> None:
    message = "the chain does not verify: " + "m" * 600
    problem = Problem("chain_untrusted", "untrusted", message, "fix the chain")
    assert [line for line in _block(_finding(1, "untrusted", "blocked", problems=(problem,))) if message in line]


# --- dates in history --------------------------------------------------------------------------------------------
@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local zone is Asia/Tokyo (the CLI runs on people's laptops)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _untold(observed_at: str) -> list[str]:
    history = FindingHistory(
        state="on",
        since_last_sweep=[],
        news=None,
        untold=[UntoldEntry(kind="drift", detail="changed outside the tool: added x", observed_at=observed_at)],
        placeholder_pins=[],
    )
    return [line for line in _block(_finding(1, "stale", history=history)) if "drift" in line]


@pytest.mark.usefixtures("tokyo")
def test_a_change_not_yet_told_shows_when_it_was_seen_in_utc_whatever_the_machines_zone() -> None:
    (line,) = _untold((datetime(2027, 2, 26, 15, 3, tzinfo=UTC) + timedelta(hours=1)).astimezone().isoformat())
    assert "2027-02-26 16:03 UTC" in line
    (line,) = _untold("2027-02-26T15:03:00+01:00")
    assert "2027-02-26 14:03 UTC" in line


def test_a_seen_value_that_is_not_a_time_is_shown_as_text_capped_like_any_field() -> None:
    (line,) = _untold("yesterday")
    assert "yesterday" in line
    (line,) = _untold("y" * 300)
    assert "y" * 200 in line
    assert "y" * 300 not in line


# --- the healthy providers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("healthy", "more"), [(10, ""), (11, " and 1 more"), (12, " and 2 more")])
def test_the_closing_line_names_the_first_ten_healthy_providers_and_counts_the_rest(healthy: int, more: str) -> None:
    lines = _lines(_report(STALE, *(_finding(n) for n in range(2, healthy + 2))))
    closing = lines[-1]
    assert closing.startswith(f"Healthy: {healthy} ok: ")
    names = closing.partition(" ok: ")[2].removesuffix(".")
    assert names.endswith(more) if more else not names.endswith("more")
    assert names.removesuffix(more).split(", ") == [f"issuer-{n}.example" for n in range(2, 12)][: min(healthy, 10)]


def test_the_closing_line_counts_healthy_providers_by_status_and_says_none_when_there_are_none() -> None:
    closing = _lines(_report(STALE, _finding(2), _finding(3, "skipped")))[-1]
    assert closing.startswith("Healthy: 1 ok, 1 skipped: ")
    closing = _lines(_report(STALE))[-1]
    assert closing.startswith("Healthy")
    assert closing.endswith("none.")


# --- the text budget ---------------------------------------------------------------------------------------------
def test_when_every_block_fits_nothing_is_listed_by_url_and_blocks_are_paragraphs() -> None:
    lines = _lines(_report(STALE, _finding(2, "untrusted", "blocked"), _finding(3)))
    assert not [line for line in lines if line.startswith("  [") or " more" in line]
    starts = [i for i, line in enumerate(lines) if line.startswith(("[", "Healthy"))]
    assert len(starts) == 3
    assert all(lines[i - 1] == "" for i in starts)


def test_the_providers_listed_by_url_and_the_sweep_id_they_point_to_are_capped_like_fields() -> None:
    # Given a report handed as a mapping: 700 providers needing attention, URLs and the sweep id far too long
    finding = _report(_finding(0, "untrusted", "blocked"))["findings"][0]
    findings = [{**finding, "url": f"{n:04d}" + "u" * 2000} for n in range(700)]
    report = {**_report(STALE), "sweep_id": "w" * 2000, "findings": findings}
    text = _text(render_alert(report).body)
    # Then some are listed by URL, each URL and the sweep id shown capped, in the text and in the JSON's note
    assert [line for line in text.splitlines() if line.startswith("  [UNTRUSTED -> BLOCKED] ")]
    assert "u" * 300 not in text
    assert "w" * 200 in text
    assert "w" * 300 not in text
    note = render_alert(report).body.split("\n\nReport (JSON, trimmed):\n", 1)[1].split("\n", 1)[0]
    assert "w" * 200 in note
    assert "w" * 300 not in note


def _many(count: int, problems: tuple[Problem, ...] = ()) -> list[Finding]:
    return [_finding(n, "untrusted", "blocked", problems=problems) for n in range(count)]


def test_when_even_the_urls_do_not_all_fit_every_provider_is_still_accounted_for_and_the_text_closes() -> None:
    # Given 4000 providers needing attention: more blocks than fit, and more URLs than fit beside them
    problem = Problem("chain_untrusted", "untrusted", "the chain does not verify", "fix the chain")
    lines = _lines(_report(*_many(4000, (problem,)), _finding(9999)))
    text = "\n".join(lines)
    assert len(text.encode()) <= TEXT_BUDGET
    blocks = [line for line in lines if line.startswith("[UNTRUSTED -> BLOCKED] ")]
    listed = [line for line in lines if line.startswith("  [UNTRUSTED -> BLOCKED] ")]
    (heading,) = [i for i, line in enumerate(lines) if line.startswith(f"{4000 - len(blocks)} more providers")]
    (rest,) = [line for line in lines if line.startswith("  ... and ")]
    # Then the heading counts those without a block, says the text is capped at 128 KB and names the sweep; the
    # first of them are listed by URL in order; the others are counted, pointing to the log of the same sweep
    assert "128 KB" in lines[heading]
    assert "sweep-77" in lines[heading]
    assert [line.split()[-1] for line in blocks + listed] == [
        f"issuer-{n}.example" for n in range(len(blocks + listed))
    ]
    assert rest.startswith(f"  ... and {4000 - len(blocks) - len(listed)} more ")
    assert "sweep-77" in rest
    # And the URLs get about half of the text, the blocks the other half
    listing = sum(len(line.encode()) + 1 for line in listed)
    assert listing > 0.45 * TEXT_BUDGET
    # And the closing line ends the text, after an empty line, as the listing does
    assert lines[-1] == "Healthy: 1 ok: issuer-9999.example."
    assert lines[-2] == ""
    assert lines[heading - 1] == ""


def test_one_huge_block_does_not_crowd_the_other_providers_out_of_the_text() -> None:
    # Given a first provider with a hundred long problems (a 100 KB block), then 1000 other providers
    huge = tuple(Problem(f"problem_{n}", "untrusted", f"{n}: " + "x" * 1000, "fix it") for n in range(100))
    findings = [_finding(0, "untrusted", "blocked", problems=huge), *_many(1001)[1:]]
    lines = _lines(_report(*findings))
    # Then every provider is in the text, by URL: none is only counted
    listed = [line.split()[-1] for line in lines if line.startswith("  [UNTRUSTED -> BLOCKED] ")]
    blocks = [line.split()[-1] for line in lines if line.startswith("[UNTRUSTED -> BLOCKED] ")]
    assert sorted(blocks + listed) == sorted(f"issuer-{n}.example" for n in range(1001))
    assert not [line for line in lines if line.startswith("  ... and ")]


def test_a_trimmed_json_part_keeps_the_findings_needing_attention_without_certificates_and_names_the_sweep() -> None:
    # Given 20 providers needing attention with long problems, their hosts' certificates, and a healthy one
    huge = tuple(Problem(f"problem_{n}", "untrusted", "x" * 1000, "fix it") for n in range(30))
    host = describe_host(capture(["leaf", "intermediate"]), None, NOW)
    findings = [_finding(n, "untrusted", "blocked", problems=huge, hosts=(host,)) for n in range(20)]
    body = render_alert(_report(*findings, _finding(99, hosts=(host,)))).body
    note, trimmed = body.split("\n\nReport (JSON, trimmed):\n", 1)[1].split("\n", 1)
    # Then the note names the sweep whose log has the full report, and the findings kept are the first ones
    # needing attention, each without its hosts
    assert "sweep-77" in note
    kept = json.loads(trimmed)["findings"]
    assert [finding["url"] for finding in kept] == [f"issuer-{n}.example" for n in range(len(kept))]
    assert not [finding for finding in kept if "hosts" in finding]


def test_a_report_small_enough_is_sent_whole_one_field_to_a_line() -> None:
    body = render_alert(_report(STALE, _finding(2))).body
    full = body.split("\n\nFull report (JSON):\n", 1)[1]
    assert json.loads(full) == _report(STALE, _finding(2))
    assert len(full.splitlines()) > 20


# --- attributes, and what reached the alert another way ----------------------------------------------------------
def test_the_attributes_a_subscription_filters_on_are_the_severity_account_dry_run_and_counts() -> None:
    report = _report(
        _finding(1, "stale", "would_update"), _finding(2, "untrusted", "blocked"), _finding(3, "expiring"), dry_run=True
    )
    assert dict(render_alert(report).attributes) == {
        "severity": ("String", "critical"),
        "account": ("String", ACCOUNT),
        "dry_run": ("String", "true"),
        "providers": ("Number", "3"),
        "updated": ("Number", "0"),
        "would_update": ("Number", "1"),
        "blocked": ("Number", "1"),
        "stale": ("Number", "1"),
        "expiring": ("Number", "1"),
        "unreachable": ("Number", "0"),
    }
    assert render_alert(_report(STALE)).attributes["dry_run"] == ("String", "false")


def test_a_report_whose_summary_leaves_counts_out_still_gives_sns_a_number_for_each() -> None:
    # SNS refuses a Number attribute that is not a number: a missing count is 0
    report = {**_report(STALE), "summary": {"providers": 1}}
    numbers = {name: value for name, (kind, value) in render_alert(report).attributes.items() if kind == "Number"}
    counts = ("updated", "would_update", "blocked", "stale", "expiring", "unreachable")
    assert numbers == {"providers": "1", **dict.fromkeys(counts, "0")}


def test_values_that_reached_the_alert_unchecked_are_shown_capped_like_fields() -> None:
    # Given a report handed as a mapping whose values are far longer than any the sweep writes
    stale = {
        **_report(STALE)["findings"][0],
        "url": "u" * 2000,
        "thumbprints_after": ["t" * 2000],
        "nearest_expiry": {"host": None, "subject": "s" * 2000, "not_after": "2027-01-01T00:00:00Z", "days_left": 3},
    }
    healthy = {**_report(_finding(2))["findings"][0], "url": "h" * 2000}
    report = {**_report(STALE), "account": "a" * 2000, "started_at": "d" * 2000, "findings": [stale, healthy]}
    text = _text(render_alert(report).body)
    # Then each shows its start, and no more than a field's length of it
    for letter in "uthsad":
        assert letter * 200 in text
        assert letter * 300 not in text


def test_a_report_handed_as_a_mapping_with_a_time_in_it_still_renders_the_time_as_text() -> None:
    report = {**_report(STALE), "started_at": NOW}
    assert str(NOW) in render_alert(report).body
