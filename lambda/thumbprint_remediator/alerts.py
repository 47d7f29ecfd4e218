"""The alerts: one SNS message per sweep of an account or of an organization, readable in an e-mail client,
filterable by attributes. Both kinds share the subject, the finding blocks, the text budget, the JSON part and
the severity (from Status.critical and Action.critical); organization.py only plans and aggregates."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from thumbprint_remediator.report import OUTSIDE_CHANGE_CODE, needs_attention
from thumbprint_remediator.status import ATTENTION_ORDER, SUMMARY_ATTENTION, AccountState, Action, Status
from thumbprint_remediator.untrusted import FIELD_LIMIT, LINE_LIMIT, sanitized_tree, server_text
from thumbprint_remediator.views import ReportLike, as_tree

SUBJECT_LIMIT = 100  # SNS: at most 100 printable ASCII characters, no newlines
MESSAGE_LIMIT = 256 * 1024  # SNS: the whole message, attributes included, in UTF-8 bytes
# The text part a person reads gets at most this many UTF-8 bytes; the JSON part gets what is left.
TEXT_BUDGET = 128 * 1024
_TAIL_RESERVE = 1024  # room kept in the text budget for the lines that close the text part

# How an attention-worthy finding is counted in the subject, most serious first; `changed` last: healthy, but
# history saw a change.
_LABEL_ORDER: tuple[str, ...] = (*ATTENTION_ORDER, "changed")
# SNS takes at most 10 message attributes: severity, account and dry_run, and these counts of the summary.
_ATTRIBUTE_COUNTS: tuple[str, ...] = (
    "providers",
    Action.UPDATED,
    Action.WOULD_UPDATE,
    Action.BLOCKED,
    Status.STALE,
    Status.EXPIRING,
    Status.UNREACHABLE,
)
# The organization's alert drops stale and unreachable to make room for its two account counts.
_ORGANIZATION_ATTRIBUTE_COUNTS = tuple(
    name for name in _ATTRIBUTE_COUNTS if name not in (Status.STALE, Status.UNREACHABLE)
)
# The organization's alert names at most this many accounts needing attention; the stored report has every account.
ALERT_ACCOUNTS = 50
_ALERT_HEALTHY_NAMED = 20


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str
    attributes: Mapping[str, tuple[str, str]]  # name -> (DataType, value)

    @property
    def size(self) -> int:
        """What SNS counts against its limit, in UTF-8 bytes: the message and every attribute's name, type
        and value; the subject too, to be safe."""
        return _overhead(self.subject, self.attributes) + len(self.body.encode())


class TextBudget:
    """The lines of an alert's text part; joined with newlines they never exceed `limit` UTF-8 bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lines: list[str] = []
        self._size = 0

    def add(self, lines: Sequence[str], reserve: int = 0) -> bool:
        """Append all of `lines` if they fit with `reserve` bytes to spare; else append nothing."""
        cost = sum(len(line.encode()) + 1 for line in lines)
        if self._size + cost + reserve > self.limit:
            return False
        self.lines.extend(lines)
        self._size += cost
        return True

    def text(self) -> str:
        return "\n".join(self.lines)


def show(value: object, limit: int = LINE_LIMIT) -> str:
    """A report value as the alert shows it: escaped and capped again (the report already is; defence in
    depth against anything that reached it another way)."""
    return server_text(value, limit)


def compose_alert(
    subject: str, attributes: Mapping[str, tuple[str, str]], text: str, json_part: Callable[[int], str]
) -> Alert:
    """Subject, the text part, then the JSON part in exactly the bytes SNS leaves for it."""
    subject = ascii_subject(subject)
    attributes = {name: (kind, show(value, FIELD_LIMIT)) for name, (kind, value) in attributes.items()}
    room = MESSAGE_LIMIT - _overhead(subject, attributes) - len(text.encode()) - 2
    return Alert(subject=subject, body=text + "\n\n" + json_part(room), attributes=attributes)


def trimmed_json(
    report: Mapping[str, Any], key: str, items: Sequence[Mapping[str, Any]], budget: int, note: str
) -> str:
    """The JSON part when the full report does not fit: `report` with as many of `items` under `key` as fit
    in `budget` bytes, the rest counted in `<key>_omitted`. Always valid JSON; never more than `budget`."""
    heading = "Report (JSON, trimmed):\n" + note + "\n"
    # Sanitized again with a tighter cap: the summary must fit whatever the report holds.
    skeleton = {**sanitized_tree({k: v for k, v in report.items() if k != key}, LINE_LIMIT), key: []}
    skeleton[f"{key}_omitted"] = len(items)
    size = len(heading.encode()) + len(json.dumps(skeleton, separators=(",", ":"), default=str))
    kept: list[Mapping[str, Any]] = []
    for raw in items:
        item = sanitized_tree(raw, LINE_LIMIT)
        cost = len(json.dumps(item, separators=(",", ":"), default=str)) + 1
        if size + cost > budget:
            break
        kept.append(item)
        size += cost
    if size > budget:  # not even the summary fits: say so, if only that fits
        left_out = "Report (JSON) left out: no room within SNS's 256 KB limit; the function's log has it."
        return left_out if len(left_out) <= budget else ""
    skeleton[key], skeleton[f"{key}_omitted"] = kept, len(items) - len(kept)
    return heading + json.dumps(skeleton, separators=(",", ":"), default=str)


def _overhead(subject: str, attributes: Mapping[str, tuple[str, str]]) -> int:
    return len(subject.encode()) + sum(
        len(name.encode()) + len(kind.encode()) + len(value.encode()) for name, (kind, value) in attributes.items()
    )


def should_notify(report: ReportLike, notify_on: str) -> bool:
    """`always`, `never`, `problems` (anything not ok, or anything changed) or `changes`: a finding whose history
    says it is news (memory.reminder_due, or a change), and as `problems` for one without usable history."""
    report = as_tree(report)
    if notify_on == "always":
        return True
    if notify_on == "never":
        return False
    if notify_on == "changes":
        return any(_is_news(finding) for finding in report["findings"])
    return any(needs_attention(finding) for finding in report["findings"])


def _is_news(finding: Mapping[str, Any]) -> bool:
    history = finding.get("history")
    if not isinstance(history, Mapping) or history.get("state") != "on":
        return needs_attention(finding)
    changed = Action(finding["action"]).attempted_write  # standing states are reminded, not repeated
    return (
        changed
        or bool(history.get("since_last_sweep"))
        or bool(history.get("untold"))
        or bool(history.get("news"))
        or any(problem.get("code") == OUTSIDE_CHANGE_CODE for problem in finding.get("problems", ()))
    )


def severity(report: ReportLike) -> str:
    report = as_tree(report)
    return findings_severity(report["findings"])


def findings_severity(findings: Sequence[Mapping[str, Any]]) -> str:
    """`critical` (a broken or blocked provider), `warning` (anything else needing attention) or `info`."""
    if any(_critical(f["status"], f["action"]) for f in findings):
        return "critical"
    if any(needs_attention(f) for f in findings):
        return "warning"
    return "info"


def _critical(status: str, action: str) -> bool:
    """The one rule behind both alerts' `critical`: a critical status, or a write blocked, failed or left undone."""
    return Status(status).critical or Action(action).critical


def _critical_counts(summary: Mapping[str, Any]) -> bool:
    """Whether a summary counts anything `_critical`."""
    return any(summary.get(status) for status in Status if status.critical) or any(
        summary.get(action) for action in Action if action.critical
    )


def render_alert(report: ReportLike) -> Alert:
    """Subject, e-mail body and message attributes for a sweep report, within SNS's 256 KB."""
    report = as_tree(report)
    summary = report["summary"]
    level = severity(report)
    attributes = _attributes(level, str(report.get("account") or "unknown"), report, summary, _ATTRIBUTE_COUNTS)
    return compose_alert(
        render_subject(report), attributes, render_text(report, level), lambda room: _json_section(report, room)
    )


def _attributes(
    level: str,
    account: str,
    report: Mapping[str, Any],
    summary: Mapping[str, Any],
    counts: Sequence[str],
    extra: Mapping[str, int] | None = None,
) -> dict[str, tuple[str, str]]:
    attributes: dict[str, tuple[str, str]] = {
        "severity": ("String", level),
        "account": ("String", account),
        "dry_run": ("String", "true" if report.get("dry_run") else "false"),
    }
    for name, value in (extra or {}).items():
        attributes[name] = ("Number", str(value))
    for name in counts:
        attributes[str(name)] = ("Number", str(summary.get(name, 0)))
    return attributes


def attention_counts(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """What needs attention, counted most serious first: ["1 blocked", "3 updated"]."""
    counts = Counter(_label(f) for f in findings if needs_attention(f))
    return [f"{counts[label]} {label.replace('_', ' ')}" for label in _LABEL_ORDER if counts.get(label)]


def render_subject(report: ReportLike) -> str:
    report = as_tree(report)
    parts = attention_counts(report["findings"])
    if not parts:
        parts = [f"all {len(report['findings'])} OK"]
    return _subject(parts, bool(report.get("dry_run")), f" ({report.get('account') or 'unknown account'})")


def _subject(parts: Sequence[str], dry_run: bool, suffix: str) -> str:
    """Both alerts' subject: what needs attention, cut with "..." so that `suffix` (whose sweep) always shows."""
    prefix = "OIDC thumbprints (dry run): " if dry_run else "OIDC thumbprints: "
    subject = prefix + ", ".join(parts)
    if len(subject) + len(suffix) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - len(suffix) - 3].rstrip(", ") + "..."
    return ascii_subject(subject + suffix)


def render_text(report: ReportLike, level: str) -> str:
    """The text part, at most TEXT_BUDGET bytes: a block per provider that needs attention while they fit,
    then the others by URL only, then the healthy ones."""
    report = as_tree(report)
    findings = report["findings"]
    attention = [f for f in findings if needs_attention(f)]
    healthy = [f for f in findings if not needs_attention(f)]
    mode = " (dry run: nothing was changed)" if report.get("dry_run") else ""
    account = show(report.get("account") or "unknown", FIELD_LIMIT)
    text = TextBudget(TEXT_BUDGET)
    text.add(
        [
            f"OIDC thumbprint sweep of account {account} at {show(report.get('started_at'), FIELD_LIMIT)}{mode}.",
            f"Severity: {level}. {len(findings)} providers checked, {len(attention)} need attention.",
            *_history_header(report.get("history")),
            "",
        ]
    )
    closing = _healthy_line(healthy)
    reserve = len(closing.encode()) + _TAIL_RESERVE
    listings = [f"  [{_headline(finding)}] {show(finding['url'], FIELD_LIMIT)}" for finding in attention]
    # Blocks leave room to list the providers after them by URL, but never less than half the budget.
    listing_room = [0] * (len(listings) + 1)
    for index in range(len(listings) - 1, -1, -1):
        listing_room[index] = listing_room[index + 1] + len(listings[index].encode()) + 1
    shown = _add_blocks(
        text,
        (finding_block(finding) for finding in attention),
        lambda index: reserve + min(listing_room[index + 1], TEXT_BUDGET // 2),
    )
    if shown < len(attention):
        rest = len(attention) - shown
        sweep_id = show(report.get("sweep_id"), FIELD_LIMIT)
        text.add(
            [
                f"{rest} more providers need attention, listed by URL only: the alert's text is capped at "
                f"{TEXT_BUDGET // 1024} KB. The JSON below and the function's log (sweep_id {sweep_id}) have them all.",
            ]
        )
        listed = 0
        for line in listings[shown:]:
            if not text.add([line], reserve):
                break
            listed += 1
        if listed < rest:
            text.add([f"  ... and {rest - listed} more (see the function's log, sweep_id {sweep_id})."])
        text.add([""])
    text.add([closing])
    return text.text()


def _history_header(history: Mapping[str, Any] | None) -> list[str]:
    if not history:
        return []
    if not history.get("enabled"):
        return ["History is off (no HISTORY_TABLE): this sweep compared nothing with earlier sweeps."]
    unavailable = history.get("unavailable", 0)
    return [f"History was unavailable for {unavailable} providers: they were swept statelessly."] if unavailable else []


def _headline(finding: Mapping[str, Any]) -> str:
    action = show(finding["action"], FIELD_LIMIT)
    return show(finding["status"], FIELD_LIMIT).upper() + ("" if action == "none" else f" -> {action.upper()}")


def _add_blocks(text: TextBudget, blocks: Iterable[list[str]], room: Callable[[int], int]) -> int:
    """Add whole blocks to `text` while each fits with `room(index)` bytes to spare; how many were added."""
    shown = 0
    for index, block in enumerate(blocks):
        if not text.add(block, room(index)):
            break
        shown += 1
    return shown


def finding_block(finding: Mapping[str, Any]) -> list[str]:
    """A provider's block in either alert. A full finding (an account's sweep) shows each problem with what to do,
    the thumbprint's reliance, the nearest expiry and history; a compact one (the organization's) its problem codes
    and days to the nearest expiry."""
    block = [f"[{_headline(finding)}] {show(finding['url'], FIELD_LIMIT)}", f"  ARN: {show(finding['arn'])}"]
    if finding.get("action_reason"):
        block.append(f"  Action: {show(finding['action_reason'])}")
    before, after = finding["thumbprints_before"], finding["thumbprints_after"]
    if before is None and after is None:
        block.append("  Thumbprints: unknown (IAM's list was not read)")
    elif before != after:
        block.append(f"  Thumbprints: {_list(before)} -> {_list(after)}")
    else:
        block.append(f"  Thumbprints: {_list(before)} (unchanged)")
    if "days_to_expiry" in finding:
        block.extend(_compact_lines(finding))
    else:
        block.extend(_full_lines(finding))
    if finding.get("error"):
        block.append(f"  Error: {show(finding['error'])}")
    block.extend(_history_lines(finding.get("history")))
    block.append("")
    return block


def _compact_lines(finding: Mapping[str, Any]) -> list[str]:
    lines = [f"  Problems: {show(', '.join(finding['problems']))}"] if finding.get("problems") else []
    lines.extend(f"  Changed: {show(change)}" for change in finding.get("changes") or [])
    if finding.get("days_to_expiry") is not None:
        lines.append(f"  Nearest certificate expiry: {show(finding['days_to_expiry'])} days")
    return lines


def _full_lines(finding: Mapping[str, Any]) -> list[str]:
    lines = []
    reliance = finding.get("thumbprint_reliance")
    if reliance == "required":
        lines.append("  IAM relies on the thumbprint for this provider (private CA or TLS 1.3 only).")
    elif reliance == "fallback":
        lines.append("  Public CA: IAM verifies the chain itself; the thumbprint is its fallback.")
    expiry = finding.get("nearest_expiry")
    if expiry:
        lines.append(
            f"  Nearest expiry: {_moment(expiry['not_after'])} ({show(expiry['days_left'], FIELD_LIMIT)} days) "
            f"{show(expiry['subject'], FIELD_LIMIT)}"
        )
    for problem in finding["problems"]:
        if problem["status"] == "ok" and problem["code"] != "tls13_only":
            continue
        lines.append(f"  - {show(problem['message'])}")
        if problem.get("remedy"):
            lines.append(f"    What to do: {show(problem['remedy'])}")
    return lines


def _history_lines(history: Mapping[str, Any] | None) -> list[str]:
    """What history says of a finding: changes since the last sweep, pruning, placeholders, or why it is missing."""
    if not history:
        return []
    if history.get("state") != "on":
        return [f"  {show(history.get('reason') or 'history unavailable for this provider')}"]
    lines = [
        f"  Since the last sweep: {show(change['detail'])} ({show(change['kind'])})"
        for change in history.get("since_last_sweep", [])
    ]
    lines.extend(
        f"  Not yet told (seen {_moment(change['observed_at'])} by a sweep that sent no "
        f"alert): {show(change['detail'])} ({show(change['kind'])})"
        for change in history.get("untold", [])
    )
    if history.get("untold_dropped"):
        lines.append(f"  ... and {history['untold_dropped']} older changes not yet told (see history)")
    if history.get("news"):
        lines.append(f"  Why this e-mail: {show(history['news'])}")
    for key, label in (
        ("pruned", "Pruned (no verified chain presented it for the window)"),
        ("would_prune", "Would prune"),
        ("prune_pending", "To prune at the next write"),
    ):
        if history.get(key):
            lines.append(f"  {label}: {_list(history[key])}")
    for placeholder in history.get("placeholder_pins", []):
        lines.append(f"  Placeholder pin {show(placeholder['thumbprint'])}: {show(placeholder['why'])}")
    return lines


def _healthy_line(healthy: list[Mapping[str, Any]]) -> str:
    if not healthy:
        return "Healthy: none."
    by_status = Counter(f["status"] for f in healthy)
    names = ", ".join(show(f["url"], FIELD_LIMIT) for f in healthy[:10]) + (
        f" and {len(healthy) - 10} more" if len(healthy) > 10 else ""
    )
    counts = ", ".join(f"{n} {show(status, FIELD_LIMIT)}" for status, n in sorted(by_status.items()))
    return f"Healthy: {counts}: {names}."


def _json_section(report: Mapping[str, Any], budget: int) -> str:
    # Too big for SNS: keep the findings that need attention, without certificate detail, as many as fit.
    note = (
        "Report trimmed to fit SNS's 256 KB limit: healthy providers and certificate details are left out, and "
        "findings_omitted counts the findings that did not fit; the full report is in the function's log "
        f"(sweep_id {show(report.get('sweep_id'), FIELD_LIMIT)})."
    )
    return _json_part(
        report,
        budget,
        "findings",
        lambda: [{k: v for k, v in f.items() if k != "hosts"} for f in report["findings"] if needs_attention(f)],
        note,
    )


def _json_part(
    report: Mapping[str, Any],
    budget: int,
    key: str,
    kept: Callable[[], Sequence[Mapping[str, Any]]],
    note: str,
) -> str:
    """Both alerts' JSON part: the full report if it fits in `budget`, else `trimmed_json` of the `kept` items."""
    full = "Full report (JSON):\n" + json.dumps(sanitized_tree(report), indent=1, default=str)
    if len(full.encode()) <= budget:
        return full
    return trimmed_json(report, key, kept(), budget, note)


def _label(finding: Mapping[str, Any]) -> str:
    action = str(finding["action"])
    history = finding.get("history") or {}
    if (
        action == "none"
        and Status(finding["status"]).healthy
        and (
            history.get("since_last_sweep")
            or history.get("untold")
            or any(problem.get("code") == OUTSIDE_CHANGE_CODE for problem in finding.get("problems", ()))
        )
    ):
        return "changed"  # healthy, but a change was seen (drift, a new chain, a change someone else made)
    return action if action != "none" else str(finding["status"])


def _list(values: list[str] | None) -> str:
    """Thumbprints (our own facts, never cut): "unknown" where IAM's list could not be read."""
    if values is None:
        return "unknown (not read)"
    return ", ".join(show(value, FIELD_LIMIT) for value in values) if values else "(none)"


def _moment(value: object) -> str:
    """One of our own timestamps as a reader wants it (`2027-02-26 14:03 UTC`), never cut; anything that is not
    an ISO 8601 time is shown as text."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return show(value, FIELD_LIMIT)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def ascii_subject(text: str) -> str:
    """SNS accepts printable ASCII only in a subject."""
    return _ascii(text)[:SUBJECT_LIMIT]


def _ascii(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


# --- the organization's alert ------------------------------------------------------------------------------------
def alert_view(report: ReportLike, report_location: str | None) -> dict[str, Any]:
    """What the organization's alert carries of a report of any size: the summary, the first ALERT_ACCOUNTS
    accounts needing attention (most serious first), a few healthy ones, how many are left out, and where the
    full report is."""
    report = as_tree(report)
    needing = [entry for entry in report["accounts"] if entry["state"] != AccountState.OK]
    healthy = [entry for entry in report["accounts"] if entry["state"] == AccountState.OK]
    shown = needing[:ALERT_ACCOUNTS] + healthy[:_ALERT_HEALTHY_NAMED]
    return {
        **{key: value for key, value in report.items() if key != "accounts"},
        "accounts": shown,
        "accounts_not_listed": len(needing) - len(needing[:ALERT_ACCOUNTS]),
        "report_location": report_location,
    }


def should_notify_organization(report: ReportLike, notify_on: str) -> bool:
    """`always`, `never`, or `problems`: an account failed or was left out, or a finding needs attention."""
    report = as_tree(report)
    if notify_on == "always":
        return True
    if notify_on == "never":
        return False
    return any(entry["state"] != AccountState.OK for entry in report["accounts"])


def organization_severity(report: ReportLike) -> str:
    """`critical`: an account failed or was left out, or a provider is broken or blocked; `warning`: anything
    else needing attention; `info`."""
    summary = as_tree(report)["summary"]
    if summary["accounts_failed"] or summary["accounts_not_swept"] or _critical_counts(summary):
        return "critical"
    return "warning" if summary["accounts_attention"] else "info"


def summary_counts(summary: Mapping[str, Any]) -> list[str]:
    """What needs attention in a summary, most serious first: ["1 blocked", "3 updated"]."""
    return [f"{summary[key]} {key.replace('_', ' ')}" for key in SUMMARY_ATTENTION if summary.get(key)]


def render_organization_alert(report: ReportLike) -> Alert:
    """Subject with organization-wide counts, a block per account that needs attention, and the JSON."""
    report = as_tree(report)
    summary = report["summary"]
    level = organization_severity(report)
    failed = summary["accounts_failed"] + summary["accounts_not_swept"]
    attributes = _attributes(
        level,
        "organization",
        report,
        summary,
        _ORGANIZATION_ATTRIBUTE_COUNTS,
        {"accounts": summary["accounts"], "accounts_failed": failed},
    )
    return compose_alert(
        _organization_subject(report),
        attributes,
        _organization_text(report, level),
        lambda room: _organization_json(report, room),
    )


def _organization_subject(report: Mapping[str, Any]) -> str:
    summary = report["summary"]
    failed = summary["accounts_failed"] + summary["accounts_not_swept"]
    parts = [f"{failed} account{'s' if failed != 1 else ''} failed"] if failed else []
    parts += summary_counts(summary)
    if not parts:
        parts = [f"all {summary['providers']} OK"]
    return _subject(parts, bool(report.get("dry_run")), f" ({summary['accounts']} accounts)")


def _organization_text(report: Mapping[str, Any], level: str) -> str:
    """The text part, at most TEXT_BUDGET bytes: a block per account that needs attention while they fit, then
    the others by account id only, then the healthy ones."""
    summary = report["summary"]
    accounts = report["accounts"]
    mode = " (dry run: nothing was changed)" if report.get("dry_run") else ""
    text = TextBudget(TEXT_BUDGET)
    text.add(
        [
            f"OIDC thumbprint sweep of {summary['accounts']} accounts of the organization{mode}.",
            f"Execution: {show(report.get('execution') or 'manual')}.",
            f"Severity: {level}. Accounts: {summary['accounts_ok']} OK, {summary['accounts_attention']} need "
            f"attention, {summary['accounts_failed']} failed, {summary['accounts_not_swept']} not swept. "
            f"{summary['providers']} providers checked.",
            "",
        ]
    )
    healthy = [entry for entry in accounts if entry["state"] == AccountState.OK]
    healthy_count = int(summary.get("accounts_ok", len(healthy)))
    names = ", ".join(_account_label(entry) for entry in healthy[:20]) + (
        f" and {healthy_count - len(healthy[:20])} more" if healthy_count > len(healthy[:20]) else ""
    )
    closing = [f"Healthy accounts ({healthy_count}): {names or 'none'}."]
    if report.get("report_location"):
        closing.append(f"Full report (every account): {show(report['report_location'], LINE_LIMIT)}")
    reserve = len("\n".join(closing).encode()) + _TAIL_RESERVE
    needing = [entry for entry in accounts if entry["state"] != AccountState.OK]
    not_listed = int(report.get("accounts_not_listed") or 0)  # left out of an alert_view
    where = "the full report" if report.get("report_location") else "the JSON"
    shown = _add_blocks(text, (_account_block(entry) for entry in needing), lambda _: reserve)
    rest = needing[shown:]
    if rest or not_listed:
        total = len(rest) + not_listed
        listed = 0
        for end in range(min(len(rest), ALERT_ACCOUNTS), 0, -1):  # as many account ids as fit on the line
            ids = ", ".join(show(entry["account"], 64) for entry in rest[:end])
            more = f" and {total - end} more" if end < total else ""
            line = f"... and {total} more accounts need attention (see {where}): {ids}{more}"
            if text.add([line, ""], reserve):
                listed = end
                break
        if not listed:
            text.add([f"... and {total} more accounts need attention (see {where}).", ""])
    text.add(closing)
    return text.text()


def _account_block(entry: Mapping[str, Any]) -> list[str]:
    error = entry.get("error")
    if error:
        state = "NOT SWEPT" if entry["state"] == AccountState.NOT_SWEPT else "FAILED"
        block = [f"== Account {_account_label(entry)}: {state} ({show(error['code'])})", f"  {show(error['message'])}"]
        if error.get("remedy"):
            block.append(f"  What to do: {show(error['remedy'])}")
        return [*block, ""]
    counts = ", ".join(summary_counts(entry["summary"] or {})) or "needs attention"
    block = [f"== Account {_account_label(entry)}: {counts}", ""]
    for finding in entry["findings"]:
        block.extend(finding_block(finding))
    if entry.get("findings_not_shown"):
        block += [
            f"  ... and {entry['findings_not_shown']} more: the function's log has every provider of this sweep "
            f"(sweep_id {show(entry.get('sweep_id'))})",
            "",
        ]
    return block


def _account_label(entry: Mapping[str, Any]) -> str:
    account = show(entry["account"], 64)
    return f"{account} ({show(entry['name'], FIELD_LIMIT)})" if entry.get("name") else account


def _organization_json(report: Mapping[str, Any], budget: int) -> str:
    # Too big for SNS: keep the accounts that need attention, and of each finding what a person acts on.
    note = (
        "Report trimmed to fit SNS's 256 KB limit: healthy accounts and finding details are left out, and "
        "accounts_omitted counts the accounts that did not fit; each account's findings are in the function's "
        "log (by sweep_id)."
    )
    return _json_part(
        report,
        budget,
        "accounts",
        lambda: [
            {**entry, "findings": [_slim_finding(finding) for finding in entry["findings"]]}
            for entry in report["accounts"]
            if entry["state"] != AccountState.OK
        ],
        note,
    )


def _slim_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("arn", "status", "action", "thumbprints_before", "thumbprints_after", "error")
    slim = {key: finding.get(key) for key in keep}
    # Compact findings carry problem codes, full ones problem objects.
    slim["problems"] = [
        problem.get("code") if isinstance(problem, Mapping) else problem for problem in finding.get("problems", [])
    ]
    return slim
