"""What the account's alert tells in each part, asserted fact by fact: the header's history line, the section of
what was done (fixed and changed counted apart), the attributes subscribers filter on, the widened-trust remedy, and
the providers that do not fit the 64 KB text: listed by URL, then counted, so none goes unaccounted for."""

from __future__ import annotations

import dataclasses
import json
import re

from tests.unit import alert_scenes as scene
from tests.unit.builders import NOW, sha1_of
from thumbprint_remediator.domain.models import Trust
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.views import ChangeEntry, FindingHistory, UntoldEntry, to_builtins
from thumbprint_remediator.report.alerts import TEXT_BUDGET, render_alert

A, B = "a" * 40, "b" * 40


def _history(*changes: ChangeEntry) -> FindingHistory:
    return FindingHistory(
        state="on",
        first_sweep=False,
        since_last_sweep=list(changes),
        drift=any(change.kind == "drift" for change in changes),
        news="changed since the last sweep" if changes else None,
        untold=[],
        placeholder_pins=[],
        pruned=[],
        prune_pending=[],
    )


def _new_chain(url: str = "newchain.example") -> Finding:
    """A healthy provider that presented a new chain since the last sweep."""
    return scene.finding(
        url,
        pinned=[scene.top(url)],
        capture=scene.host_capture(url, scene.chain_of(url)),
        history=_history(ChangeEntry(kind="chain", detail="a new chain was presented")),
    )


def _unavailable(url: str = "nohistory.example") -> Finding:
    """A healthy provider whose history could not be read this sweep."""
    return scene.finding(
        url,
        pinned=[scene.top(url)],
        capture=scene.host_capture(url, scene.chain_of(url)),
        history=FindingHistory(
            state="unavailable", reason="history unavailable for this provider: throttled", placeholder_pins=[]
        ),
    )


def _block(body: str, url: str) -> list[str]:
    lines = body.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("[") and line.endswith(f"] {url}"))
    rest = lines[start:]
    return rest[: rest.index("")]


# --- the header and the section of what was done ---------------------------------------------------------------
def test_the_done_section_counts_what_was_fixed_apart_from_what_changed() -> None:
    report = scene.report([scene.rotated(), _new_chain(), _new_chain("other.example"), scene.healthy()], history=True)
    lines = render_alert(report).body.split("\n")
    assert "DONE, FOR YOUR INFORMATION: 1 fixed by this sweep, 2 changed" in lines
    assert (
        lines[1]
        == "Severity: info. 4 providers checked: nothing needs action, 1 fixed by this sweep, 2 changed, 1 healthy."
    )


def test_a_sweep_that_only_saw_changes_does_not_claim_fixes() -> None:
    lines = render_alert(scene.report([_new_chain(), scene.healthy()], history=True)).body.split("\n")
    assert "DONE, FOR YOUR INFORMATION: 1 changed" in lines
    assert not any("fixed" in line for line in lines)


def test_the_header_says_how_many_providers_were_swept_without_history() -> None:
    body = render_alert(scene.report([_unavailable(), _unavailable("b.example"), _new_chain()], history=True)).body
    assert body.split("\n")[2] == "History was unavailable for 2 providers: they were swept statelessly."
    # And each such provider says why, on its own
    assert "Healthy (2): nohistory.example, b.example." in body


def test_the_header_says_nothing_of_history_when_every_provider_had_it() -> None:
    lines = render_alert(scene.report([scene.healthy()], history=True)).body.split("\n")
    assert lines[2] == ""
    assert not any(line.startswith("History") for line in lines)


def test_the_header_says_when_history_is_off() -> None:
    lines = render_alert(scene.report([scene.healthy()], history=False)).body.split("\n")
    assert lines[2] == "History is off (no HISTORY_TABLE): this sweep compared nothing with earlier sweeps."


# --- the attributes --------------------------------------------------------------------------------------------
def test_attributes_give_each_count_with_its_sns_type() -> None:
    report = scene.report(
        [
            scene.rotated(dry_run=True),
            scene.rotated("dex.example", dry_run=True),
            scene.intercepted(),
            scene.expiring(),
        ],
        dry_run=True,
    )
    assert dict(render_alert(report).attributes) == {
        "severity": ("String", "critical"),
        "account": ("String", "123456789012"),
        "dry_run": ("String", "true"),
        "providers": ("Number", "4"),
        "open_critical": ("Number", "1"),
        "open_warning": ("Number", "3"),
        "fixed": ("Number", "0"),
        "would_update": ("Number", "2"),
        "blocked": ("Number", "1"),
        "expiring": ("Number", "1"),
    }


def test_a_healthy_sweep_counts_zero_of_everything_open() -> None:
    attributes = dict(render_alert(scene.report([scene.healthy()])).attributes)
    assert attributes["dry_run"] == ("String", "false")
    assert attributes["severity"] == ("String", "info")
    for name in ("open_critical", "open_warning", "fixed", "would_update", "blocked", "expiring"):
        assert attributes[name] == ("Number", "0"), name


def test_a_sweep_of_an_unknown_account_says_so_everywhere() -> None:
    report = to_builtins(
        build_report(
            account=None, dry_run=False, started_at=NOW, duration_ms=1, findings=[scene.healthy()], sweep_id="s-1"
        )
    )
    alert = render_alert(report)
    assert alert.attributes["account"] == ("String", "unknown")
    assert alert.subject == "OIDC thumbprints: all 1 OK (unknown account)"
    assert alert.body.startswith("OIDC thumbprint sweep of account unknown at 2026-11-28 12:00 UTC.")


# --- trust widened ---------------------------------------------------------------------------------------------
def _widened(url: str, pinned: list[str], *, hold: bool = False) -> Finding:
    """A private CA's provider whose list someone else set, adding A and B, which no presented certificate matches."""
    return scene.finding(
        url,
        pinned=pinned,
        capture=scene.host_capture(url, scene.chain_of(url)),
        trust=Trust.PRIVATE,
        hold=hold,
        history=_history(ChangeEntry(kind="drift", detail=f"changed outside the tool: added {A}, {B}")),
    )


def test_two_pins_set_outside_the_tool_are_named_and_the_command_keeps_every_other_pin() -> None:
    url = "wide.example"
    leaf = sha1_of(scene.chain_of(url)[0])
    block = _block(render_alert(scene.report([_widened(url, [scene.top(url), leaf, A, B])])).body, url)
    assert block[0] == "[OK, TRUST WIDENED] wide.example"
    assert any(
        line.startswith(
            f"  Trust widened: IAM now also trusts {A}, {B} for this provider, and no certificate the "
            "issuer presents matches them. Set by someone outside the tool"
        )
        for line in block
    )
    assert (
        "    What to do: ask who set it why; if nobody owns them, remove them: aws iam "
        "update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn "
        f"arn:aws:iam::123456789012:oidc-provider/{url} --thumbprint-list {scene.top(url)} {leaf}"
    ) in block


def test_when_nothing_else_is_pinned_no_removal_command_is_offered() -> None:
    # Given a skip-tagged provider whose whole list was replaced outside the tool by two unknown pins
    url = "replaced.example"
    block = _block(render_alert(scene.report([_widened(url, [A, B], hold=True)])).body, url)
    assert "    What to do: ask who set it why" in block
    assert not any("update-open-id-connect-provider-thumbprint" in line for line in block)


# --- what does not fit the text ----------------------------------------------------------------------------------
def _many(finding: Finding, count: int, tag: str) -> list[Finding]:
    """`count` providers like `finding`, each at its own long URL."""
    found = []
    for index in range(count):
        url = f"{tag}-{index:04d}.example/" + "q" * 150
        found.append(dataclasses.replace(finding, url=url, arn=f"arn:aws:iam::{scene.ACCOUNT}:oidc-provider/{url}"))
    return found


def _section(lines: list[str], title: str, end: str) -> list[str]:
    start = lines.index(title)
    return lines[start : next(i for i in range(start + 1, len(lines)) if lines[i].startswith(end))]


def _accounted(section: list[str], urls: list[str]) -> tuple[int, int, int]:
    """Blocks, listed URLs and the count of the rest in a section; asserting every provider is one of them, in
    order, and the lines that say so."""
    blocks = [line.split("] ", 1)[1] for line in section if line.startswith("[")]
    listed = [line.split("] ", 1)[1] for line in section if line.startswith("  [")]
    assert blocks + listed == urls[: len(blocks) + len(listed)]
    rest = len(urls) - len(blocks)
    assert (
        f"{rest} more providers here, listed by URL only: the alert's text is capped at 64 KB. The JSON form and "
        f"the function's log (sweep_id {scene.SWEEP_ID}) have them all."
    ) in section
    counted = [line for line in section if line.startswith("  ... and ")]
    left = rest - len(listed)
    assert counted == ([f"  ... and {left} more (see the function's log, sweep_id {scene.SWEEP_ID})."] if left else [])
    assert section[-1] == ""
    return len(blocks), len(listed), left


def test_providers_beyond_the_text_are_listed_then_counted_in_each_section() -> None:
    # Given 300 intercepted chains and 600 rotated ones, far more than 64 KB of blocks
    critical = _many(scene.intercepted(), 300, "crit")
    warning = _many(scene.rotated(dry_run=True), 600, "warn")
    body = render_alert(scene.report(critical + warning, dry_run=True)).body
    lines = body.split("\n")
    assert len(body.encode()) <= TEXT_BUDGET
    # Then each section accounts for each of its providers: a block, a listed URL, or counted
    now = _accounted(_section(lines, "ACT NOW: 300 critical", "ACT SOON"), [f.url for f in critical])
    soon = _accounted(_section(lines, "ACT SOON: 600 warnings", "Healthy"), [f.url for f in warning])
    # (both kinds of overflow happen: some blocks and some counted of the critical, some listed and counted after)
    assert now[0] > 0
    assert now[2] > 0
    assert soon[1] > 0
    assert soon[2] > 0
    # And the listing says what each is
    assert f"  [UNTRUSTED -> BLOCKED] {critical[-1].url}" not in lines
    assert any(re.fullmatch(r"  \[STALE -> WOULD_UPDATE\] warn-\d{4}\.example/q+", line) for line in lines)
    assert lines[-1] == "Healthy: none."


def test_when_every_url_fits_nothing_is_left_to_count() -> None:
    warning = _many(scene.rotated(dry_run=True), 120, "warn")
    lines = render_alert(scene.report(warning, dry_run=True)).body.split("\n")
    blocks, listed, left = _accounted(_section(lines, "ACT SOON: 120 warnings", "Healthy"), [f.url for f in warning])
    assert (blocks + listed, left) == (120, 0)
    assert blocks > 0
    assert listed > 0


# --- the healthy line and what history has not told yet -----------------------------------------------------------
def _healthy_lines(count: int) -> str:
    body = render_alert(scene.report([scene.healthy(f"h{index:02d}.example") for index in range(count)])).body
    return body.split("\n")[-1]


def test_the_healthy_line_names_ten_and_counts_the_rest() -> None:
    assert _healthy_lines(12) == f"Healthy (12): {', '.join(f'h{i:02d}.example' for i in range(10))} and 2 more."
    assert _healthy_lines(11) == f"Healthy (11): {', '.join(f'h{i:02d}.example' for i in range(10))} and 1 more."
    assert _healthy_lines(10) == f"Healthy (10): {', '.join(f'h{i:02d}.example' for i in range(10))}."


def test_changes_no_alert_has_told_yet_are_told_with_when_they_were_seen() -> None:
    # Given a healthy provider with a change an earlier sweep saw but no alert carried, and 3 older ones dropped
    url = "untold.example"
    history = FindingHistory(
        state="on",
        first_sweep=False,
        since_last_sweep=[],
        drift=False,
        news=None,
        untold=[
            UntoldEntry(kind="new_chain", detail="a new chain was presented", observed_at="2026-11-27T06:00:00+00:00")
        ],
        untold_dropped=3,
        placeholder_pins=[],
        pruned=[],
        prune_pending=[],
    )
    finding = scene.finding(
        url, pinned=[scene.top(url)], capture=scene.host_capture(url, scene.chain_of(url)), history=history
    )
    block = _block(render_alert(scene.report([finding], history=True)).body, url)
    assert block[-2:] == [
        "  Not yet told (seen 2026-11-27 06:00 UTC by a sweep that sent no alert): a new chain was presented "
        "(new_chain)",
        "  ... and 3 older changes not yet told (see history)",
    ]


def test_a_trimmed_json_form_names_the_sweep_whose_log_has_the_report() -> None:
    warning = _many(scene.rotated(dry_run=True), 400, "warn")
    trimmed = json.loads(render_alert(scene.report([*warning, scene.healthy()], dry_run=True)).report_json)
    # Then without a known log group the note names the sweep only, and the healthy provider is left out
    assert trimmed["trimmed"]["note"].endswith(f"the full report is in the function's log (sweep_id {scene.SWEEP_ID}).")
    assert "log group" not in trimmed["trimmed"]["note"]
    assert len(trimmed["findings"]) + trimmed["trimmed"]["findings_omitted"] == 400
    assert [finding["url"] for finding in trimmed["findings"]] == [f.url for f in warning[: len(trimmed["findings"])]]
