"""The alerts: one SNS message per sweep of an account or of an organization, with a form for each reader.

People read the e-mail (the `default` and `email` forms): what needs action now, then what needs action soon, then
what the tool did (for information, without remedies), then the healthy ones, with the links to look further.
Programs read the report as JSON (the `sqs`, `lambda`, `https` and `email-json` forms). Severity comes from impact
(impact.py). Both kinds of alert share the subject, the finding blocks, the budgets and the forms; organization.py
only plans and aggregates. Pure: what the shell learned (region, stack, links) comes in an AlertContext.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from thumbprint_remediator.contract.names import SKIP_TAG_KEY
from thumbprint_remediator.domain.impact import (
    OUTSIDE_CHANGE_CODE,
    FindingImpact,
    Impact,
    judge,
    open_posture,
    stale_left_open,
    worst,
)
from thumbprint_remediator.domain.report import tree_needs_attention
from thumbprint_remediator.domain.status import ATTENTION_ORDER, SUMMARY_ATTENTION, AccountState, Action, Status
from thumbprint_remediator.domain.untrusted import FIELD_LIMIT, LINE_LIMIT, sanitized_tree, server_text
from thumbprint_remediator.domain.views import ReportLike, as_tree

SUBJECT_LIMIT = 100  # SNS: at most 100 printable ASCII characters, no newlines
MESSAGE_LIMIT = 256 * 1024  # SNS: the whole message (every form), attributes included, in UTF-8 bytes
# The e-mail text gets at most this many UTF-8 bytes; it is sent twice (`default`, `email`), the JSON form four times.
TEXT_BUDGET = 64 * 1024
_TAIL_RESERVE = 1024  # room kept in the text budget for the lines that close the text
_SECTION_OVERHEAD = 512  # a section's own lines besides its providers: title, the "listed by URL only" note
# The forms of one message (MessageStructure=json): people read the text, programs the report.
TEXT_FORMS: Final = ("default", "email")
JSON_FORMS: Final = ("sqs", "lambda", "https", "email-json")

# How an attention-worthy finding is counted in the subject, most serious first: a pin set outside the tool that
# widens what IAM trusts right after the blocked writes; `changed` last: healthy, but history saw a change.
_LABEL_ORDER: tuple[str, ...] = (
    *ATTENTION_ORDER[: ATTENTION_ORDER.index(Action.BLOCKED) + 1],
    "trust_widened",
    "critical_trust",  # thumbprints healthy, but a role trusts the provider too broadly (posture)
    *ATTENTION_ORDER[ATTENTION_ORDER.index(Action.BLOCKED) + 1 :],
    "broad_trust",
    "changed",
)
# The posture section of a provider's block lists this many judged statements, critical first, then "and N more".
POSTURE_LINES: Final = 5
# The organization's alert names at most this many accounts needing attention; the stored report has every account.
ALERT_ACCOUNTS = 50
_ALERT_HEALTHY_NAMED = 20
_SKIP_HOLD = f"not written: tagged {SKIP_TAG_KEY}"
# What blocked a write, in a few words, for the Action line (the problem below says the detail).
_BLOCKED_BY: Final = {
    Status.ERROR: "the provider could not be assessed",
    Status.UNREACHABLE: "an endpoint did not answer",
    Status.EXPIRED: "a certificate expired",
    Status.UNTRUSTED: "the chain does not verify",
    Status.INVALID_DISCOVERY: "the discovery document or JWKS is unusable",
}
_SECTIONS: Final = (
    (Impact.CRITICAL, "ACT NOW"),
    (Impact.WARNING, "ACT SOON"),
)


@dataclass(frozen=True)
class AlertContext:
    """Where the alert's reader can look further, as the shell learned it; any part may be unknown (a workstation
    run knows none of them)."""

    region: str | None = None
    partition: str = "aws"
    stack_name: str | None = None
    function_name: str | None = None
    dashboard_name: str | None = None
    log_group_name: str | None = None

    def console(self, service: str) -> str | None:
        """The AWS console's home of `service` in this region, or None where the region is unknown."""
        if not self.region:
            return None
        host = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}.get(
            self.partition, f"{self.region}.console.aws.amazon.com"
        )
        return f"https://{host}/{service}/home?region={self.region}"

    def dashboard_url(self) -> str | None:
        home = self.console("cloudwatch")
        return f"{home}#dashboards:name={self.dashboard_name}" if home and self.dashboard_name else None

    def logs_url(self, sweep_id: str) -> str | None:
        """The log group's events filtered on the sweep id (the console's own double escaping, `%` written `$`)."""
        home = self.console("cloudwatch")
        if not home or not self.log_group_name:
            return None
        group = quote(quote(self.log_group_name, safe=""), safe="").replace("%", "$")
        pattern = quote(quote(f'"{sweep_id}"', safe=""), safe="").replace("%", "$")
        return f"{home}#logsV2:log-groups/log-group/{group}/log-events$3FfilterPattern$3D{pattern}"

    def provider_url(self, arn: str) -> str | None:
        home = self.console("iam")
        return f"{home}#/identity_providers/details/OPENID/{quote(arn, safe='')}" if home else None

    def invoke_command(self, payload: Mapping[str, Any]) -> str | None:
        """The AWS CLI command that invokes the function with `payload`, or None where the function is unknown."""
        if not self.function_name:
            return None
        region = f" --region {self.region}" if self.region else ""
        return (
            f"aws lambda invoke{region} --function-name {self.function_name} --cli-binary-format raw-in-base64-out "
            f"--payload '{json.dumps(payload)}' report.json"
        )


@dataclass(frozen=True)
class Alert:
    """One SNS message: the subject, the e-mail text, the report as JSON, and the attributes subscribers filter on."""

    subject: str
    body: str  # the e-mail text: the `default` and `email` forms
    attributes: Mapping[str, tuple[str, str]]  # name -> (DataType, value)
    report_json: str = "{}"  # the `sqs`, `lambda`, `https` and `email-json` forms

    def forms(self) -> dict[str, str]:
        """Each protocol's form of the message (SNS gives any other protocol `default`)."""
        return {**dict.fromkeys(TEXT_FORMS, self.body), **dict.fromkeys(JSON_FORMS, self.report_json)}

    def message(self) -> str:
        """The Message published with MessageStructure='json'."""
        return json.dumps(self.forms(), ensure_ascii=False, separators=(",", ":"))

    @property
    def size(self) -> int:
        """What SNS counts against its limit, in UTF-8 bytes: the message, and every attribute's name, type and
        value; the subject too, to be safe."""
        return _overhead(self.subject, self.attributes) + len(self.message().encode())


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


def form_cost(text: str) -> int:
    """The UTF-8 bytes `text` takes as a string value of the message's JSON (quotes and escapes included).
    Escaping is per character, so the cost of a concatenation is the sum of the costs of its parts."""
    return len(json.dumps(text, ensure_ascii=False).encode())


def compose_alert(
    subject: str, attributes: Mapping[str, tuple[str, str]], text: str, json_form: Callable[[int], str]
) -> Alert:
    """Subject, the text forms, then the JSON forms, each in exactly the bytes SNS leaves for it."""
    subject = ascii_subject(subject)
    attributes = {name: (kind, show(value, FIELD_LIMIT)) for name, (kind, value) in attributes.items()}
    empty = Alert(subject, text, attributes, "")
    room = (MESSAGE_LIMIT - empty.size) // len(JSON_FORMS)  # what each JSON form may add
    return Alert(subject=subject, body=text, attributes=attributes, report_json=json_form(room))


def _json_cost(value: Any) -> int:
    return form_cost(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)) - 2


def trimmed_json(
    report: Mapping[str, Any], key: str, items: Sequence[Mapping[str, Any]], budget: int, note: str
) -> str:
    """The JSON form when the full report does not fit: `report` with as many of `items` under `key` as fit in
    `budget` (form_cost), the rest counted in `trimmed.<key>_omitted`. Always valid JSON; never over `budget`."""
    # Sanitized again with a tighter cap: the summary must fit whatever the report holds.
    skeleton = {**sanitized_tree({k: v for k, v in report.items() if k != key}, LINE_LIMIT), key: []}
    skeleton["trimmed"] = {"note": note, f"{key}_omitted": len(items)}
    size = _json_cost(skeleton) + 2
    kept: list[Mapping[str, Any]] = []
    for raw in items:
        item = sanitized_tree(raw, LINE_LIMIT)
        cost = _json_cost(item) + 1
        if size + cost > budget:
            break
        kept.append(item)
        size += cost
    if size > budget:  # not even the summary fits: say so, if only that fits
        left_out = json.dumps({"trimmed": {"note": "no room within SNS's 256 KB: the function's log has the report"}})
        return left_out if form_cost(left_out) <= budget else "{}"
    skeleton[key] = kept
    skeleton["trimmed"] = {"note": note, f"{key}_omitted": len(items) - len(kept)}
    return json.dumps(skeleton, separators=(",", ":"), ensure_ascii=False, default=str)


def _overhead(subject: str, attributes: Mapping[str, tuple[str, str]]) -> int:
    return len(subject.encode()) + sum(
        len(name.encode()) + len(kind.encode()) + len(value.encode()) for name, (kind, value) in attributes.items()
    )


# --- when, and how serious -------------------------------------------------------------------------------------
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
    return any(tree_needs_attention(finding) for finding in report["findings"])


def _is_news(finding: Mapping[str, Any]) -> bool:
    history = finding.get("history")
    if not isinstance(history, Mapping) or history.get("state") != "on":
        return tree_needs_attention(finding)
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
    return _level(_impacts(report).values())


def findings_severity(findings: Sequence[Mapping[str, Any]], change: Mapping[str, Any] | None = None) -> str:
    """`critical` (something needs action now), `warning` (something needs action soon) or `info` (nothing is
    open: what was fixed or changed is told for information), from each finding's impact (impact.py)."""
    return _level(judge(finding, change).level for finding in findings)


def _level(impacts: Iterable[FindingImpact | Impact]) -> str:
    levels = [impact.level if isinstance(impact, FindingImpact) else impact for impact in impacts]
    most = worst(levels)
    return most.value if most.open else "info"


def _impacts(report: Mapping[str, Any]) -> dict[int, FindingImpact]:
    change = report.get("change") if isinstance(report.get("change"), Mapping) else None
    return {index: judge(finding, change) for index, finding in enumerate(report["findings"])}


def open_counts(impacts: Iterable[FindingImpact]) -> dict[str, int]:
    """The attributes a subscription filter pages on: what still needs action, apart from what was fixed."""
    levels = Counter(impact.level for impact in impacts)
    return {
        "open_critical": levels[Impact.CRITICAL],
        "open_warning": levels[Impact.WARNING],
        "fixed": levels[Impact.FIXED],
    }


# --- the account's alert ---------------------------------------------------------------------------------------
def render_alert(report: ReportLike, context: AlertContext | None = None) -> Alert:
    """Subject, e-mail text, JSON form and message attributes for a sweep report, within SNS's 256 KB."""
    report = as_tree(report)
    context = context or AlertContext()
    impacts = _impacts(report)
    level = _level(impacts.values())
    summary = report["summary"]
    attributes: dict[str, tuple[str, str]] = {
        "severity": ("String", level),
        "account": ("String", str(report.get("account") or "unknown")),
        "dry_run": ("String", "true" if report.get("dry_run") else "false"),
        "providers": ("Number", str(summary.get("providers", len(report["findings"])))),
        **{name: ("Number", str(count)) for name, count in open_counts(impacts.values()).items()},
        **{str(name): ("Number", str(summary.get(name, 0))) for name in _ACCOUNT_COUNTS},
    }
    return compose_alert(
        render_subject(report),
        attributes,
        render_text(report, level, context, impacts),
        lambda room: _json_form(report, room, context),
    )


# Beside severity, account, dry_run, providers and the open_* and fixed counts: SNS takes 10 attributes.
_ACCOUNT_COUNTS: Final = (Action.WOULD_UPDATE, Action.BLOCKED, Status.EXPIRING)


def attention_counts(findings: Sequence[Mapping[str, Any]], change: Mapping[str, Any] | None = None) -> list[str]:
    """What needs attention, counted most serious first: ["1 blocked", "3 updated"]."""
    counts = Counter(_label(f, change) for f in findings if tree_needs_attention(f))
    return [f"{counts[label]} {label.replace('_', ' ')}" for label in _LABEL_ORDER if counts.get(label)]


def render_subject(report: ReportLike) -> str:
    report = as_tree(report)
    change = report.get("change") if isinstance(report.get("change"), Mapping) else None
    parts = attention_counts(report["findings"], change)
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


def render_text(
    report: ReportLike,
    level: str,
    context: AlertContext | None = None,
    impacts: Mapping[int, FindingImpact] | None = None,
) -> str:
    """The e-mail, at most TEXT_BUDGET bytes, in the order of urgency: the header and where to look, what needs
    action now, then soon (a block each while they fit, then by URL), then what was done or changed, for
    information, then the healthy ones on one line."""
    report = as_tree(report)
    context = context or AlertContext()
    findings = report["findings"]
    impacts = impacts if impacts is not None else _impacts(report)
    by_level: dict[Impact, list[Mapping[str, Any]]] = {impact: [] for impact in Impact}
    for index, finding in enumerate(findings):
        by_level[impacts[index].level].append(finding)
    news = _common_news([finding for finding in findings if tree_needs_attention(finding)])
    text = TextBudget(TEXT_BUDGET)
    text.add(
        [
            *_header(report, level, context, by_level),
            *([f"Why this e-mail: {show(news)}"] if news else []),
            "",
            *_where_to_look(report, context, "the JSON form"),
            "",
        ]
    )
    closing = _healthy_line(by_level[Impact.HEALTHY])
    reserve = len(closing.encode()) + _TAIL_RESERVE
    change = report.get("change") if isinstance(report.get("change"), Mapping) else None
    sweep_id = show(report.get("sweep_id"), FIELD_LIMIT)
    sections: list[tuple[str, list[Mapping[str, Any]], Callable[[Mapping[str, Any]], list[str]]]] = []
    for impact, title in _SECTIONS:
        if by_level[impact]:
            plural = "s" if impact is Impact.WARNING and len(by_level[impact]) != 1 else ""
            sections.append(
                (
                    f"{title}: {len(by_level[impact])} {impact.value}{plural}",
                    by_level[impact],
                    lambda f: _open_block(f, context, change, news),
                )
            )
    done = by_level[Impact.FIXED] + by_level[Impact.CHANGED]
    if done:
        parts = [f"{len(by_level[Impact.FIXED])} fixed by this sweep"] if by_level[Impact.FIXED] else []
        parts += [f"{len(by_level[Impact.CHANGED])} changed"] if by_level[Impact.CHANGED] else []
        sections.append((f"DONE, FOR YOUR INFORMATION: {', '.join(parts)}", done, lambda f: _done_block(f, news)))
    # Each section leaves room to list every later section's providers by URL: none goes unaccounted for.
    later = [
        sum(len(_listing(f).encode()) + 1 for f in findings) + len(title.encode()) + _SECTION_OVERHEAD
        for title, findings, _ in sections
    ]
    for index, (title, findings, block) in enumerate(sections):
        text.add([title, ""], reserve)
        _add_section(text, findings, reserve, sum(later[index + 1 :]), sweep_id, block)
    text.add([closing])
    return text.text()


def _header(
    report: Mapping[str, Any], level: str, context: AlertContext, by_level: Mapping[Impact, Sequence[Any]]
) -> list[str]:
    account = show(report.get("account") or "unknown", FIELD_LIMIT)
    where = f" in {show(context.region, FIELD_LIMIT)}" if context.region else ""
    mode = " (dry run: nothing was changed)" if report.get("dry_run") else ""
    critical, warning = len(by_level[Impact.CRITICAL]), len(by_level[Impact.WARNING])
    counts = (
        [
            f"{critical + warning} {'needs' if critical + warning == 1 else 'need'} action "
            f"({critical} now, {warning} soon)"
        ]
        if critical + warning
        else ["nothing needs action"]
    )
    if by_level[Impact.FIXED]:
        counts.append(f"{len(by_level[Impact.FIXED])} fixed by this sweep")
    if by_level[Impact.CHANGED]:
        counts.append(f"{len(by_level[Impact.CHANGED])} changed")
    counts.append(f"{len(by_level[Impact.HEALTHY])} healthy")
    total = sum(len(group) for group in by_level.values())
    return [
        f"OIDC thumbprint sweep of account {account}{where} at {_moment(report.get('started_at'))}{mode}.",
        f"Severity: {level}. {_count(total, 'provider')} checked: {', '.join(counts)}.",
        *_history_header(report.get("history")),
    ]


def _where_to_look(report: Mapping[str, Any], context: AlertContext, full_report: str) -> list[str]:
    """The links and commands a reader needs to look further: sweep id, stack, dashboard, logs, the re-check."""
    organization = "sweep_id" not in report
    sweep_id = show(report.get("sweep_id") or report.get("execution") or "unknown", FIELD_LIMIT)
    stack = f"stack {show(context.stack_name, FIELD_LIMIT)}" if context.stack_name else ""
    function = f"function {show(context.function_name, FIELD_LIMIT)}" if context.function_name else ""
    ran = ", ".join(part for part in (stack, function) if part)
    lines = [f"Run by {ran}." if organization and ran else f"Sweep {sweep_id}" + (f", {ran}." if ran else ".")]
    if (dashboard := context.dashboard_url()) is not None:
        lines.append(f"Dashboard: {dashboard}")
    if context.log_group_name:
        logs = context.logs_url(sweep_id)
        lines.append(f"Logs of this sweep: {logs}" if logs else f"Logs: {show(context.log_group_name, FIELD_LIMIT)}")
        lines.append(
            f'  (log group {show(context.log_group_name, FIELD_LIMIT)}, filtered on "{sweep_id}": every provider\'s '
            "line and the full report)"
        )
    lines.append(
        f"Full report: {full_report}, which this topic sends its SQS, Lambda, HTTPS and email-json subscribers"
        + ("; and the function's log (search its sweep id)." if context.log_group_name else ".")
    )
    # An organization is swept again by its state machine, not by invoking the function.
    recheck = None if organization else context.invoke_command({"dry_run": True, "notify": "never"})
    if recheck:
        lines.append(f"Re-check now (dry run, no e-mail): {recheck}")
    lines.append(f"A provider managed elsewhere: tag it {SKIP_TAG_KEY}=true (the sweep still checks it, never writes).")
    return lines


def _add_section(
    text: TextBudget,
    findings: Sequence[Mapping[str, Any]],
    reserve: int,
    later: int,
    sweep_id: str,
    block: Callable[[Mapping[str, Any]], list[str]],
) -> None:
    """A block per finding while they fit (leaving `reserve` bytes, and room to list the rest and the `later`
    sections' providers by URL, never less than half the budget for blocks), then the rest by URL only."""
    listings = [_listing(finding) for finding in findings]
    listing_room = [0] * (len(listings) + 1)
    for index in range(len(listings) - 1, -1, -1):
        listing_room[index] = listing_room[index + 1] + len(listings[index].encode()) + 1
    shown = _add_blocks(
        text,
        (block(finding) for finding in findings),
        lambda i: reserve + _SECTION_OVERHEAD + min(listing_room[i + 1] + later, TEXT_BUDGET // 2),
    )
    if shown == len(findings):
        return
    rest = len(findings) - shown
    text.add(
        [
            f"{rest} more providers here, listed by URL only: the alert's text is capped at {TEXT_BUDGET // 1024} KB. "
            f"The JSON form and the function's log (sweep_id {sweep_id}) have them all.",
        ]
    )
    listed = 0
    for line in listings[shown:]:
        if not text.add([line], reserve + min(later, TEXT_BUDGET // 2)):
            break
        listed += 1
    if listed < rest:
        text.add([f"  ... and {rest - listed} more (see the function's log, sweep_id {sweep_id})."])
    text.add([""])


def _listing(finding: Mapping[str, Any]) -> str:
    return f"  [{_headline(finding)}] {show(finding['url'], FIELD_LIMIT)}"


def _history_header(history: Mapping[str, Any] | None) -> list[str]:
    if not history:
        return []
    if not history.get("enabled"):
        return ["History is off (no HISTORY_TABLE): this sweep compared nothing with earlier sweeps."]
    unavailable = history.get("unavailable", 0)
    return (
        [
            f"History was unavailable for {_count(unavailable, 'provider')}: "
            f"{'it was' if unavailable == 1 else 'they were'} swept statelessly."
        ]
        if unavailable
        else []
    )


def _common_news(findings: Sequence[Mapping[str, Any]]) -> str | None:
    """Why this e-mail, when every finding it tells of says the same: said once, at the top."""
    reasons = {str((finding.get("history") or {}).get("news") or "") for finding in findings}
    return reasons.pop() or None if len(reasons) == 1 else None


def _headline(finding: Mapping[str, Any]) -> str:
    action = show(finding["action"], FIELD_LIMIT)
    return show(finding["status"], FIELD_LIMIT).upper() + ("" if action == Action.NONE else f" -> {action.upper()}")


def _add_blocks(text: TextBudget, blocks: Iterable[list[str]], room: Callable[[int], int]) -> int:
    """Add whole blocks to `text` while each fits with `room(index)` bytes to spare; how many were added."""
    shown = 0
    for index, block in enumerate(blocks):
        if not text.add(block, room(index)):
            break
        shown += 1
    return shown


def finding_block(
    finding: Mapping[str, Any],
    context: AlertContext | None = None,
    change: Mapping[str, Any] | None = None,
    news: str | None = None,
) -> list[str]:
    """A provider's block in either alert, by its impact: one that needs action says why, what to do and how to
    re-check; one that was fixed or changed says what happened, without remedies."""
    impact = judge(finding, change)
    if impact.level.open:
        return _open_block(finding, context or AlertContext(), change, news)
    return _done_block(finding, news)


def _open_block(
    finding: Mapping[str, Any], context: AlertContext, change: Mapping[str, Any] | None, news: str | None
) -> list[str]:
    impact = judge(finding, change)
    arn = show(finding["arn"])
    headline = _headline(finding) + (", TRUST WIDENED" if impact.widened is not None else "")
    block = [
        f"[{headline}] {show(finding['url'], FIELD_LIMIT)}",
        f"  {impact.level.value.capitalize()}: {impact.why}.",
        f"  ARN: {arn}",
    ]
    if "days_to_expiry" not in finding and (console := context.provider_url(str(finding["arn"]))) is not None:
        block.append(f"  IAM console: {console}")
    if finding.get("action_reason"):
        block.append(f"  Action: {_action_line(finding)}")
    block.append(_thumbprints_line(finding))
    if impact.widened is not None:
        block.extend(_widened_lines(finding, impact))
    if "days_to_expiry" in finding:
        block.extend(_compact_lines(finding))
    else:
        # A missing pin's severity line already says what IAM relies on.
        told = stale_left_open(finding) or impact.widened is not None
        block.extend(_full_lines(finding, reliance_told=told, widened=impact.widened is not None))
        block.extend(posture_lines(finding))
    if finding.get("error"):
        block.append(f"  Error: {show(finding['error'])}")
    block.extend(_history_lines(finding.get("history"), news))
    recheck = context.invoke_command({"providers": [str(finding["arn"])], "dry_run": True, "notify": "never"})
    if recheck and "days_to_expiry" not in finding:
        block.append(f"  Re-check it: {recheck}")
    block.append("")
    return block


def _done_block(finding: Mapping[str, Any], news: str | None) -> list[str]:
    """What the sweep did, or what changed: for information, no remedies."""
    block = [f"[{_headline(finding)}] {show(finding['url'], FIELD_LIMIT)}", f"  ARN: {show(finding['arn'])}"]
    if finding.get("action_reason"):
        block.append(f"  Action: {show(finding['action_reason'])}")
    block.append(_thumbprints_line(finding))
    for problem in finding.get("problems") or ():
        if isinstance(problem, Mapping) and problem.get("status") == Status.STALE:
            block.append(f"  Fixed: {show(problem['message'])}")
        elif isinstance(problem, Mapping) and problem.get("code") == OUTSIDE_CHANGE_CODE:
            block.append(f"  {show(problem['message'])}")
    if "days_to_expiry" in finding:
        block.extend(_compact_lines(finding))
    block.extend(_history_lines(finding.get("history"), news))
    block.append("")
    return block


def posture_lines(finding: Mapping[str, Any], limit: int = POSTURE_LINES) -> list[str]:
    """Who can use the provider, where it needs a person: each critical, then warning, statement with its role,
    reason and the condition to write instead (at most `limit`, then "and N more"); then the other open posture
    problems (an audience no client ID satisfies, the quota) with what to do. Nothing when all is well."""
    verdicts = [
        verdict
        for verdict in finding.get("trusted_by") or ()
        if isinstance(verdict, Mapping) and verdict.get("verdict") in ("critical", "warning")
    ]
    others = [
        problem
        for _, problem in open_posture(finding)
        if isinstance(problem, Mapping) and problem.get("code") not in ("trust_critical", "trust_warning")
    ]
    if not verdicts and not others:
        return []
    counts = Counter(str(verdict["verdict"]) for verdict in verdicts)
    named = ", ".join(f"{counts[level]} {level}" for level in ("critical", "warning") if counts.get(level))
    lines = [f"  Who can use it ({named or 'see below'}):"]
    for verdict in verdicts[:limit]:
        role = show(str(verdict.get("role_arn", "")).rsplit("/", 1)[-1], FIELD_LIMIT)
        lines.append(
            f"  - {show(verdict['verdict'], FIELD_LIMIT).upper()} role {role}, statement "
            f"{show(verdict.get('statement'), FIELD_LIMIT)}: {show(verdict.get('reason'))}"
        )
        lines.append(f"    Role: {show(verdict.get('role_arn'))}")
        if verdict.get("suggestion"):
            lines.append(f"    Write instead: {show(verdict['suggestion'])}")
    if len(verdicts) > limit:
        lines.append(f"  ... and {len(verdicts) - limit} more (the JSON form's trusted_by has every statement)")
    for problem in others:
        lines.append(f"  - {show(problem.get('message'))}")
        if problem.get("remedy"):
            lines.append(f"    What to do: {show(problem['remedy'])}")
    return lines


def _thumbprints_line(finding: Mapping[str, Any]) -> str:
    before, after = finding.get("thumbprints_before"), finding.get("thumbprints_after")
    if before is None and after is None:
        return "  Thumbprints: unknown (IAM's list was not read)"
    if before != after:
        read_back = " (read back from IAM)" if finding["action"] == Action.UPDATED else ""
        return f"  Thumbprints: {_list(before)} -> {_list(after)}{read_back}"
    return f"  Thumbprints: {_list(before)} (unchanged)"


def _action_line(finding: Mapping[str, Any]) -> str:
    """What was done and why, in a few words: a blocked write names what blocked it, not its whole message again."""
    reason = str(finding["action_reason"])
    problems = [p for p in finding.get("problems") or () if isinstance(p, Mapping)]
    for problem in problems:
        if reason == f"not updated: {problem.get('message')}":
            what = _BLOCKED_BY.get(Status(problem["status"])) if problem["status"] in Status else None
            return f"not updated: {what or show(problem['code'], FIELD_LIMIT)} (the first problem below)"
    return show(reason)


def _widened_lines(finding: Mapping[str, Any], impact: FindingImpact) -> list[str]:
    assert impact.widened is not None
    pins = impact.widened.pins
    by = impact.widened.by or (
        "someone outside the tool (this sweep cannot say who: CloudTrail's UpdateOpenIDConnectProviderThumbprint "
        "events on this provider can)"
    )
    lines = [
        f"  Trust widened: IAM now also trusts {_list(list(pins))} for this provider, and no certificate the issuer "
        f"presents matches {'it' if len(pins) == 1 else 'them'}. Set by {show(by)}.",
    ]
    rest = [pin for pin in finding.get("thumbprints_after") or () if pin not in pins]
    remove = (
        f"; if nobody owns {'it' if len(pins) == 1 else 'them'}, remove {'it' if len(pins) == 1 else 'them'}: "
        f"aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn {show(finding['arn'])} "
        f"--thumbprint-list {' '.join(rest)}"
        if rest
        else ""
    )
    lines.append(f"    What to do: ask who set it why{remove}")
    return lines


def _compact_lines(finding: Mapping[str, Any]) -> list[str]:
    codes = Counter(str(code) for code in finding.get("problems") or ())
    named = ", ".join(code if count == 1 else f"{code} ({count})" for code, count in codes.items())
    lines = [f"  Problems: {show(named)}"] if codes else []
    lines.extend(f"  Changed: {show(change)}" for change in finding.get("changes") or [])
    if finding.get("days_to_expiry") is not None:
        lines.append(f"  Nearest certificate expiry: {show(finding['days_to_expiry'])} days")
    return lines


def _full_lines(finding: Mapping[str, Any], *, reliance_told: bool = False, widened: bool = False) -> list[str]:
    lines = []
    reliance = finding.get("thumbprint_reliance")
    if reliance_told:
        pass
    elif reliance == "required":
        lines.append("  IAM relies on the thumbprint for this provider (private CA or TLS 1.3 only).")
    elif reliance == "fallback":
        lines.append("  Public CA: IAM verifies the chain itself; the thumbprint is its fallback.")
    else:
        lines.append(
            "  Whether IAM relies on the thumbprint is unknown: no chain verified here (IAM, from AWS's network, may "
            "see another)."
        )
    expiry = finding.get("nearest_expiry")
    if expiry:
        lines.append(
            f"  Nearest expiry: {_moment(expiry['not_after'])} ({show(expiry['days_left'], FIELD_LIMIT)} days) "
            f"{show(expiry['subject'], FIELD_LIMIT)}"
        )
    lines.extend(_problem_lines(finding, widened=widened))
    return lines


def _problem_lines(finding: Mapping[str, Any], *, widened: bool = False) -> list[str]:
    """Each open problem with what to do, blockers first. A pin the sweep would make follows from a blocker (one
    remedy, not two that pull apart); under a skip tag it is the owner's to make; once written it is fixed; after a
    write that did not land, the write's error is the thing to fix. A change someone else made is named."""
    shown_notes = ("tls13_only", OUTSIDE_CHANGE_CODE)
    problems = [p for p in finding["problems"] if p["status"] != Status.OK or p["code"] in shown_notes]
    blocked = any(Status(p["status"]).blocks_write for p in problems if p["status"] in Status)
    problems.sort(key=lambda p: 0 if p["status"] in Status and Status(p["status"]).blocks_write else 1)
    held = str(finding.get("action_reason") or "").startswith(_SKIP_HOLD)
    lines: list[str] = []
    expiring = [p for p in problems if p["code"] == "certificate_expiring"]
    for problem in problems:
        if problem["code"] == "certificate_expiring":
            if problem is expiring[0]:
                lines.extend(_expiry_lines(finding, expiring, held))
            continue
        if problem["status"] == Status.STALE and finding["action"] == Action.UPDATED:
            lines.append(f"  - Fixed: {show(problem['message'])}")
            continue
        lines.append(f"  - {show(problem['message'])}")
        if problem["code"] == OUTSIDE_CHANGE_CODE and widened:
            continue  # what to do is the widened trust's, above
        if problem["status"] == Status.STALE and blocked:
            lines.append("    No action of its own: the sweep pins it once the problem above is resolved.")
        elif problem["status"] == Status.STALE and Action(finding["action"]).failed:
            lines.append(
                "    What to do: the sweep's write did not land (Error below): fix that; the next sweep writes again."
            )
        elif problem["status"] == Status.STALE and held:
            lines.append(
                f"    What to do: the tool does not write this provider ({SKIP_TAG_KEY}=true): pin it where "
                "the provider is managed, or remove the tag and the sweep pins it."
            )
        elif problem.get("remedy"):
            lines.append(f"    What to do: {show(problem['remedy'])}")
    return lines


def _expiry_lines(finding: Mapping[str, Any], problems: Sequence[Mapping[str, Any]], held: bool) -> list[str]:
    """Expiring certificates, one bullet per host and date (a leaf and its issuing CA often share one), each with
    the remedy its certificates need: a leaf is renewed, not pinned; a new top certificate is pinned."""
    groups: dict[tuple[str, str], list[tuple[Mapping[str, Any], Mapping[str, Any] | None, str]]] = {}
    for problem in problems:
        certificate, role = _certificate_of(finding, problem)
        day = str(certificate["not_after"])[:10] if certificate else str(problem.get("message"))
        groups.setdefault((str(problem.get("host")), day), []).append((problem, certificate, role))
    lines: list[str] = []
    for (host, day), members in groups.items():
        if any(certificate is None for _, certificate, _ in members):
            for problem, _, _ in members:
                lines += [f"  - {show(problem['message'])}", f"    What to do: {show(problem.get('remedy') or '')}"]
            continue
        first = members[0][1]
        assert first is not None
        named = "; ".join(
            f"{role} '{show(certificate['subject'], FIELD_LIMIT)}'" for _, certificate, role in members if certificate
        )
        count = "a certificate" if len(members) == 1 else f"{len(members)} certificates"
        lines.append(
            f"  - {show(host, FIELD_LIMIT)}: {count} expire{'s' if len(members) == 1 else ''} on {day} "
            f"({show(first['days_left'], FIELD_LIMIT)} days left): {named}"
        )
        roles = {role for _, _, role in members}
        top = any(role.startswith("top") or "also its top" in role for role in roles)
        if top and held:
            then = f"; then pin the new top certificate where the provider is managed ({SKIP_TAG_KEY}=true)"
        elif top:
            then = "; once the new chain is live the sweep pins its top certificate"
        elif roles == {"server certificate"}:
            then = ": IAM pins the top certificate, so there is nothing to re-pin"
        else:
            then = "; the sweep pins the new chain once it is live"
        renew = "renew it" if len(members) == 1 else "renew them"
        lines.append(f"    What to do: {renew} before {day}{then}.")
    return lines


def _certificate_of(finding: Mapping[str, Any], problem: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, str]:
    """The certificate a problem is about (its `instance`) and its place in the presented chain."""
    for host in finding.get("hosts") or ():
        if _endpoint(host) != problem.get("host"):
            continue
        chain = host.get("certificates") or []
        for index, certificate in enumerate(chain):
            if certificate.get("sha1") != problem.get("instance"):
                continue
            if index == 0:
                return certificate, "server certificate" + (
                    " (also its top, the one IAM pins)" if len(chain) == 1 else ""
                )
            if index == len(chain) - 1:
                return certificate, "top certificate (the one IAM pins)"
            return certificate, "intermediate"
    return None, ""


def _endpoint(host: Mapping[str, Any]) -> str:
    """A report host as problems name it (models.Endpoint's text: no port when it is 443, IPv6 in brackets)."""
    name = str(host.get("host"))
    name = f"[{name}]" if ":" in name else name
    return name if host.get("port") == 443 else f"{name}:{host.get('port')}"


def _history_lines(history: Mapping[str, Any] | None, news: str | None = None) -> list[str]:
    """What history says of a finding: changes since the last sweep, pruning, placeholders, or why it is missing.
    Why this e-mail only where it differs from what the top of the e-mail says once."""
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
    if history.get("news") and history.get("news") != news:
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


def _healthy_line(healthy: Sequence[Mapping[str, Any]]) -> str:
    if not healthy:
        return "Healthy: none."
    names = ", ".join(
        show(f["url"], FIELD_LIMIT) + (" (tagged skip)" if f["status"] == Status.SKIPPED else "") for f in healthy[:10]
    ) + (f" and {len(healthy) - 10} more" if len(healthy) > 10 else "")
    skipped = any(f["status"] == Status.SKIPPED for f in healthy)
    note = " Tagged skip: checked like the others, never written." if skipped else ""
    return f"Healthy ({len(healthy)}): {names}.{note}"


def _json_form(report: Mapping[str, Any], budget: int, context: AlertContext) -> str:
    # Too big for SNS: keep the findings that need attention, without certificate detail, as many as fit.
    where = f" (log group {context.log_group_name})" if context.log_group_name else ""
    note = (
        "Report trimmed to fit SNS's 256 KB limit: healthy providers and certificate details are left out, and "
        "trimmed.findings_omitted counts the findings that did not fit; the full report is in the function's "
        f"log{where} (sweep_id {show(report.get('sweep_id'), FIELD_LIMIT)})."
    )
    return _json_part(
        report,
        budget,
        "findings",
        lambda: [{**f, "hosts": []} for f in report["findings"] if tree_needs_attention(f)],
        note,
    )


def _json_part(
    report: Mapping[str, Any],
    budget: int,
    key: str,
    kept: Callable[[], Sequence[Mapping[str, Any]]],
    note: str,
) -> str:
    """Both alerts' JSON form: the full report if it fits in `budget`, else `trimmed_json` of the `kept` items."""
    full = json.dumps(sanitized_tree(report), separators=(",", ":"), ensure_ascii=False, default=str)
    if form_cost(full) <= budget:
        return full
    return trimmed_json(report, key, kept(), budget, note)


def _label(finding: Mapping[str, Any], change: Mapping[str, Any] | None = None) -> str:
    action = str(finding["action"])
    impact = judge(finding, change)
    if impact.widened is not None and impact.level is Impact.CRITICAL and action == Action.NONE:
        return "trust_widened"
    posture = open_posture(finding)
    if posture and action == "none" and Status(finding["status"]).healthy:
        return "critical_trust" if posture[0][0] == "critical" else "broad_trust"
    history = finding.get("history") or {}
    if (
        action == Action.NONE
        and Status(finding["status"]).healthy
        and (
            history.get("since_last_sweep")
            or history.get("untold")
            or any(problem.get("code") == OUTSIDE_CHANGE_CODE for problem in finding.get("problems", ()))
        )
    ):
        return "changed"  # healthy, but a change was seen (drift, a new chain, a change someone else made)
    return action if action != Action.NONE else str(finding["status"])


def _list(values: Sequence[str] | None) -> str:
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
    accounts needing attention (most urgent first), a few healthy ones, how many are left out, and where the
    full report is."""
    report = as_tree(report)
    needing = _by_urgency([entry for entry in report["accounts"] if entry["state"] != AccountState.OK])
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


def account_impact(entry: Mapping[str, Any]) -> Impact:
    """An account's most urgent finding: critical when it could not be swept, or its summary counts a critical
    status or a blocked, failed or unknown write (whatever findings its entry could carry)."""
    if entry["state"] in (AccountState.FAILED, AccountState.NOT_SWEPT) or entry.get("error"):
        return Impact.CRITICAL
    summary = entry.get("summary") or {}
    if any(summary.get(status) for status in Status if status.critical) or any(
        summary.get(action) for action in (Action.BLOCKED, Action.UPDATE_FAILED, Action.UPDATE_UNKNOWN)
    ):
        return Impact.CRITICAL
    found = worst(judge(finding).level for finding in entry.get("findings") or ())
    if found is Impact.HEALTHY and entry["state"] == AccountState.ATTENTION:
        return Impact.WARNING  # needs a look, though its entry carries no finding that says why
    return found


def _by_urgency(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(entries, key=lambda entry: account_impact(entry).rank)


def organization_severity(report: ReportLike) -> str:
    """`critical`: an account failed or was left out, or something needs action now; `warning`: something needs
    action soon; `info`: nothing is open."""
    report = as_tree(report)
    summary = report["summary"]
    if summary["accounts_failed"] or summary["accounts_not_swept"]:
        return "critical"
    most = worst(account_impact(entry) for entry in report["accounts"])
    return most.value if most.open else "info"


def summary_counts(summary: Mapping[str, Any]) -> list[str]:
    """What needs attention in a summary, most serious first: ["1 blocked", "3 updated"]."""
    return [f"{summary[key]} {key.replace('_', ' ')}" for key in SUMMARY_ATTENTION if summary.get(key)]


def render_organization_alert(report: ReportLike, context: AlertContext | None = None) -> Alert:
    """Subject with organization-wide counts, a block per account that needs attention (most urgent first), the
    links, and the JSON form."""
    report = as_tree(report)
    context = context or AlertContext()
    summary = report["summary"]
    level = organization_severity(report)
    failed = summary["accounts_failed"] + summary["accounts_not_swept"]
    impacts = [judge(finding) for entry in report["accounts"] for finding in entry.get("findings") or ()]
    counts = open_counts(impacts)
    counts["open_critical"] += failed  # an account that could not be swept needs action now
    attributes: dict[str, tuple[str, str]] = {
        "severity": ("String", level),
        "account": ("String", "organization"),
        "dry_run": ("String", "true" if report.get("dry_run") else "false"),
        "accounts": ("Number", str(summary["accounts"])),
        "accounts_failed": ("Number", str(failed)),
        "providers": ("Number", str(summary["providers"])),
        **{name: ("Number", str(count)) for name, count in counts.items()},
        "would_update": ("Number", str(summary.get("would_update", 0))),
    }
    return compose_alert(
        _organization_subject(report),
        attributes,
        _organization_text(report, level, context),
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


def _organization_text(report: Mapping[str, Any], level: str, context: AlertContext) -> str:
    """The text, at most TEXT_BUDGET bytes: a block per account that needs attention (most urgent first) while they
    fit, then the others by account id only, then the healthy ones."""
    summary = report["summary"]
    accounts = report["accounts"]
    mode = " (dry run: nothing was changed)" if report.get("dry_run") else ""
    where = f" (run in {show(context.region, FIELD_LIMIT)})" if context.region else ""
    location = report.get("report_location")
    acting = sum(1 for entry in accounts if entry["state"] == AccountState.ATTENTION and account_impact(entry).open)
    full_report = (
        f"every account's, in {show(location, LINE_LIMIT)}; this alert's part in the JSON form"
        if location
        else "the JSON form"
    )
    text = TextBudget(TEXT_BUDGET)
    text.add(
        [
            f"OIDC thumbprint sweep of {summary['accounts']} accounts of the organization{where}{mode}.",
            f"Execution: {show(report.get('execution') or 'manual')}.",
            f"Severity: {level}. Accounts: {summary['accounts_ok']} OK, {summary['accounts_attention']} need "
            f"attention ({acting} need action), {summary['accounts_failed']} failed, {summary['accounts_not_swept']} "
            f"not swept. {_count(summary['providers'], 'provider')} checked.",
            "",
            *_where_to_look(report, context, full_report),
            "",
        ]
    )
    healthy = [entry for entry in accounts if entry["state"] == AccountState.OK]
    healthy_count = int(summary.get("accounts_ok", len(healthy)))
    names = ", ".join(_account_label(entry) for entry in healthy[:20]) + (
        f" and {healthy_count - len(healthy[:20])} more" if healthy_count > len(healthy[:20]) else ""
    )
    closing = [f"Healthy accounts ({healthy_count}): {names or 'none'}."]
    if location:
        closing.append(f"Full report (every account): {show(location, LINE_LIMIT)}")
    reserve = len("\n".join(closing).encode()) + _TAIL_RESERVE
    needing = _by_urgency([entry for entry in accounts if entry["state"] != AccountState.OK])
    not_listed = int(report.get("accounts_not_listed") or 0)  # left out of an alert_view
    where_all = "the full report" if location else "the JSON form"
    shown = _add_blocks(text, (_account_block(entry, context) for entry in needing), lambda _: reserve)
    rest = needing[shown:]
    if rest or not_listed:
        total = len(rest) + not_listed
        listed = 0
        for end in range(min(len(rest), ALERT_ACCOUNTS), 0, -1):  # as many account ids as fit on the line
            ids = ", ".join(show(entry["account"], 64) for entry in rest[:end])
            more = f" and {total - end} more" if end < total else ""
            line = f"... and {total} more accounts need attention (see {where_all}): {ids}{more}"
            if text.add([line, ""], reserve):
                listed = end
                break
        if not listed:
            text.add([f"... and {total} more accounts need attention (see {where_all}).", ""])
    text.add(closing)
    return text.text()


def _account_block(entry: Mapping[str, Any], context: AlertContext) -> list[str]:
    error = entry.get("error")
    impact = account_impact(entry)
    if error:
        state = "NOT SWEPT" if entry["state"] == AccountState.NOT_SWEPT else "FAILED"
        block = [f"== Account {_account_label(entry)}: {state} ({show(error['code'])})", f"  {show(error['message'])}"]
        if error.get("remedy"):
            block.append(f"  What to do: {show(error['remedy'])}")
        return [*block, ""]
    counts = ", ".join(summary_counts(entry["summary"] or {})) or "needs attention"
    label = f"{impact.value}: " if impact.open else ""
    block = [f"== Account {_account_label(entry)}: {label}{counts}", ""]
    findings = sorted(entry["findings"], key=lambda finding: judge(finding).level.rank)
    for finding in findings:
        block.extend(finding_block(finding, context))
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
        "trimmed.accounts_omitted counts the accounts that did not fit; each account's findings are in the "
        "function's log (by sweep_id)"
        + (f", and the full report in {report['report_location']}." if report.get("report_location") else ".")
    )
    return _json_part(
        report,
        budget,
        "accounts",
        lambda: [
            {**entry, "findings": [_slim_finding(finding) for finding in entry["findings"]]}
            for entry in _by_urgency([entry for entry in report["accounts"] if entry["state"] != AccountState.OK])
        ],
        note,
    )


def _slim_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A compact finding (views.CompactFinding) with what a person acts on; still schema-valid."""
    keep = ("arn", "url", "status", "action", "thumbprints_before", "thumbprints_after", "error", "days_to_expiry")
    slim = {key: finding.get(key) for key in keep}
    # Compact findings carry problem codes, full ones problem objects.
    slim["problems"] = [
        problem.get("code") if isinstance(problem, Mapping) else problem for problem in finding.get("problems", [])
    ]
    if finding.get("thumbprint_reliance"):
        slim["thumbprint_reliance"] = finding["thumbprint_reliance"]
    return slim


def _count(number: object, noun: str) -> str:
    """`1 provider`, `7 providers`: a count the reader reads as a sentence."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
