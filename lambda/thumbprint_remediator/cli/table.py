"""Terminal rendering of a sweep report: one row per provider, colour when the terminal has it."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TextIO

from msgspec import UnsetType

from thumbprint_remediator.domain.report import needs_attention
from thumbprint_remediator.domain.status import COUNTED_ACTIONS, Action, Status
from thumbprint_remediator.domain.untrusted import ELLIPSIS, FIELD_LIMIT, LINE_LIMIT, server_text
from thumbprint_remediator.domain.views import Report

_COLOURS: dict[str, str] = {
    Status.OK: "32",
    Status.SKIPPED: "2",
    Status.EXPIRING: "33",
    Status.STALE: "33",
    Action.UPDATED: "32",
    Action.WOULD_UPDATE: "36",
    Action.BLOCKED: "31",
    Action.UPDATE_FAILED: "31",
}
_RED = "31"
# The summary line counts statuses from healthy to most serious (skipped providers are not counted).
_SUMMARY_STATUSES = tuple(status for status in reversed(Status) if status is not Status.SKIPPED)
COLUMNS = ("PROVIDER", "STATUS", "TRUST", "LIVE", "PINNED", "EXPIRY", "ACTION")
PROVIDER_WIDTH = 48
PINNED_SHOWN = 2


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def short(thumbprint: str | None) -> str:
    return server_text(thumbprint[:10]) if thumbprint else "-"


def findings_table(report: Report, colour: bool = False) -> str:
    """Provider, status, trust, live vs pinned thumbprint, nearest expiry, action."""
    urls = fitted((finding.url for finding in report.findings), PROVIDER_WIDTH)
    rows: list[tuple[str, ...]] = [COLUMNS]
    unpinned = more_pinned = False
    for finding in report.findings:
        hosts = finding.hosts
        live = [host.live_thumbprint for host in hosts if host.live_thumbprint]
        read = finding.thumbprints_before
        pinned = read or []
        marks = [f"{short(value)}{'' if value in pinned else '*'}" for value in live]
        unpinned = unpinned or any(value not in pinned for value in live)
        more_pinned = more_pinned or len(pinned) > PINNED_SHOWN
        trust = sorted({host.trust for host in hosts if host.trust})
        expiry = finding.nearest_expiry
        rows.append(
            (
                urls[finding.url],
                _shown(finding.status.value),
                _shown("/".join(trust)) or "-",
                " ".join(marks) or "-",
                "unknown"
                if read is None
                else " ".join(short(value) for value in pinned[:PINNED_SHOWN])
                + (" +" if len(pinned) > PINNED_SHOWN else "")
                or "-",
                f"{expiry.days_left}d" if expiry else "-",
                _shown(finding.action.value),
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(rows):
        cells = [str(cell).ljust(widths[i]) for i, cell in enumerate(row)]
        if colour and index == 0:
            cells = [_paint(cell, "1") for cell in cells]
        elif colour:
            cells[1] = _paint(cells[1], _COLOURS.get(row[1].strip(), _RED))
            cells[6] = _paint(cells[6], _COLOURS.get(row[6].strip(), "0"))
        lines.append("  ".join(cells).rstrip())
    # Only the marks the table shows are explained.
    legend = [*(["* = live thumbprint not pinned"] if unpinned else []), *(["+ = more pinned"] if more_pinned else [])]
    if legend:
        lines.append(f"({'; '.join(legend)})")
    return "\n".join(lines)


def summary_line(report: Report) -> str:
    summary = report.summary
    labels: tuple[Status | Action, ...] = (*_SUMMARY_STATUSES, *COUNTED_ACTIONS)
    # Each count is the summary's field named by its status or action.
    shown = {label: count for label in labels if (count := getattr(summary, label.value))}
    counts = [f"{shown[key]} {key.value.replace('_', ' ')}" for key in _SUMMARY_STATUSES if key in shown]
    actions = [f"{shown[key]} {key.value.replace('_', ' ')}" for key in COUNTED_ACTIONS if key in shown]
    mode = "dry run" if report.dry_run else "applied"
    return (
        f"{plural(summary.providers, 'provider')} in {report.duration_ms} ms ({mode}): "
        f"{', '.join(counts) or 'nothing to report'}" + (f"; {', '.join(actions)}" if actions else "")
    )


def problems_list(report: Report) -> str:
    """The problems of every provider that needs attention, with what to do."""
    lines: list[str] = []
    for finding in report.findings:
        if not needs_attention(finding):
            continue
        shown = [p for p in finding.problems if p.status is not Status.OK]
        lines.append(f"{_shown(finding.url)}: {_shown(finding.status.value)}, {_shown(finding.action.value)}")
        if finding.action_reason:
            lines.append(f"    {_shown(finding.action_reason, LINE_LIMIT)}")
        before, after = finding.thumbprints_before, finding.thumbprints_after
        if after is not None and after != before:  # the lists the reason calls before and after
            lines.append(f"    before: {_thumbprints(before)}")
            lines.append(f"    after:  {_thumbprints(after)}")
        for problem in shown:
            lines.append(f"  - {_shown(problem.message, LINE_LIMIT)}")
            lines.append(f"    what to do: {_shown(problem.remedy, LINE_LIMIT)}")
    return "\n".join(lines)


def posture_list(report: Report) -> str:
    """Who can use each provider (posture on): every judged statement, critical first, with its reason and the
    condition to write instead; then the posture notes (an unused provider, a listing cut short). Empty when
    posture was off."""
    posture = report.posture
    if isinstance(posture, UnsetType):
        return ""
    listed = f"{plural(posture.roles, 'role')} read in {plural(posture.calls, 'ListRoles call')}"
    lines = [f"Who can use each provider ({listed}, {posture.duration_ms} ms):"]
    for problem in posture.problems:
        lines.append(f"  account: {_shown(problem.message, LINE_LIMIT)}")
    for finding in report.findings:
        verdicts = finding.trusted_by
        if isinstance(verdicts, UnsetType):
            continue
        notes = [problem for problem in finding.problems if problem.severity == "info"]
        if not verdicts and not notes:
            continue
        lines.append(f"{_shown(finding.url)}")
        for verdict in verdicts:
            role = verdict.role_arn.rsplit("/", 1)[-1]
            lines.append(
                f"  {verdict.verdict:<8} role {_shown(role)}, statement {_shown(verdict.statement)}: "
                f"{_shown(verdict.reason, LINE_LIMIT)}"
            )
            if verdict.suggestion:
                lines.append(f"           write instead: {_shown(verdict.suggestion, LINE_LIMIT)}")
        lines.extend(f"  note: {_shown(problem.message, LINE_LIMIT)}" for problem in notes)
    return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def fitted(values: Iterable[object], width: int) -> dict[object, str]:
    """Each value, sanitized, as it fits a column `width` wide: cut in the middle, so that its start and its end
    stay (the end is where a CA's number, a URL's path or a cluster's id tells two apart). Values that would
    still look alike are shown whole: a cut never makes two things look the same."""
    whole = {value: _shown(value) for value in values}
    shown = {value: _middle_cut(text, width) for value, text in whole.items()}
    while True:
        alike: defaultdict[str, list[object]] = defaultdict(list)
        for value, text in shown.items():
            alike[text].append(value)
        cut = [value for group in alike.values() if len(group) > 1 for value in group if shown[value] != whole[value]]
        if not cut:
            return shown
        for value in cut:
            shown[value] = whole[value]


def _middle_cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + ELLIPSIS + text[len(text) - tail :]


def _thumbprints(values: Sequence[str] | None) -> str:
    if values is None:
        return "unknown (no read could tell)"
    return ", ".join(_shown(value) for value in values) or "(none)"


def _shown(value: object, limit: int = FIELD_LIMIT) -> str:
    # Provider URLs come from whoever created the provider, messages quote servers: never raw to a terminal.
    return server_text(value, limit)


def _paint(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m"
