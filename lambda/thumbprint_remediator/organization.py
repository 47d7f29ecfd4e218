"""Organization sweeps, the pure part: which accounts to sweep and how, and one report and alert from every
account's outcome. No I/O: the state machine fans out, the adapters list and assume, runtime wires it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from thumbprint_remediator.alerts import (
    TEXT_BUDGET,
    Alert,
    TextBudget,
    ascii_subject,
    compose_alert,
    show,
    trimmed_json,
)
from thumbprint_remediator.contract import MEMBER_ROLE_ARN_PATTERN
from thumbprint_remediator.report import compact_finding, needs_attention
from thumbprint_remediator.status import ATTENTION_ORDER, COUNTED_ACTIONS, AccountState, Action, Status
from thumbprint_remediator.untrusted import FIELD_LIMIT, LINE_LIMIT, sanitized_tree
from thumbprint_remediator.views import HandedReport, OrganizationReport, ReportLike, as_tree, to_builtins

ACCOUNT_STATES: tuple[AccountState, ...] = tuple(AccountState)
# Each account is swept in its own child workflow of a Distributed Map and its result is one line of the results
# in S3: nothing carries every account's result inline, so each gets the same fixed budget, whatever their number.
ACCOUNT_RESULT_BYTES = 8 * 1024  # one account's compact report, as the child workflow returns it
ACCOUNT_ENTRY_BYTES = 4 * 1024  # one account's entry in the organization report, error text included
MAX_ACCOUNTS_PER_SWEEP = 10_000
OVER_LIMIT_REASON = (
    f"over the {MAX_ACCOUNTS_PER_SWEEP} accounts one organization sweep is sized for: narrow targetOus or "
    "targetAccounts, or deploy a second organization stack for the rest"
)
_TAIL_RESERVE = 1024  # room kept in the text budget for the lines that close the text part
# The alert names at most this many accounts needing attention; the stored report has every account.
ALERT_ACCOUNTS = 50
_ALERT_HEALTHY_NAMED = 20
_NAME_BYTES = 128
_TEXT_BYTES = 1024
_CAUSE_LIMIT = 1000

MEMBER_ROLE_REMEDY = (
    "check the StackSet's stack instance for this account (it deploys the member role), that the account is in "
    "the target OUs, and that no SCP denies sts:AssumeRole; the next sweep retries"
)
_REMEDIES = {
    "States.Timeout": "the account's sweep ran out of time: raise the function timeout (at most 900 s)",
    "Sandbox.Timedout": "the account's sweep ran out of time: raise the function timeout (at most 900 s)",
    "States.TaskFailed": "read the function's log for this account; the next sweep retries",
}
# SNS takes at most 10 message attributes: the account alert's counts but stale and unreachable, which make room
# for the two account counts.
_ATTRIBUTE_COUNTS = ("providers", Action.UPDATED, Action.WOULD_UPDATE, Action.BLOCKED, Status.EXPIRING)
# What the subject and each account's headline count, most serious first ("stale" is in the action it led to).
_ATTENTION_KEYS = tuple(label for label in ATTENTION_ORDER if label is not Status.STALE)


@dataclass(frozen=True)
class MemberAccount:
    """An account of the organization, as Organizations lists it."""

    account_id: str
    name: str
    status: str = "ACTIVE"  # ACTIVE | SUSPENDED | PENDING_CLOSURE
    parent: str | None = None


def plan_sweeps(
    accounts: Sequence[MemberAccount],
    *,
    own_account: str | None,
    partition: str,
    role_name: str,
    external_id: str | None,
    only: Sequence[str] | None = None,
    limit: int = MAX_ACCOUNTS_PER_SWEEP,
) -> dict[str, Any]:
    """The state machine's work list: one sweep payload per active account (at most `limit`), and why any other
    is left out.

    Each payload asks for no alert (the organization's alert is the aggregated one) and a compact report. The
    account the function runs in is swept with the function's own role: StackSets never deploy to the
    management account, and the function's role already holds the OIDC permissions there.
    """
    by_id = {account.account_id: account for account in accounts}
    wanted = list(dict.fromkeys(only)) if only is not None else list(by_id)
    items: list[dict[str, Any]] = []
    not_swept: list[dict[str, Any]] = []
    for account_id in wanted:
        account = by_id.get(account_id)
        if account is None:
            not_swept.append(
                {"account_id": account_id, "name": "", "reason": "not found below the target roots or OUs"}
            )
            continue
        if account.status != "ACTIVE":
            not_swept.append(
                {"account_id": account_id, "name": account.name, "reason": f"account is {account.status.lower()}"}
            )
            continue
        if len(items) >= limit:
            not_swept.append({"account_id": account_id, "name": account.name, "reason": OVER_LIMIT_REASON})
            continue
        sweep: dict[str, Any] = {"notify": "never", "report": "compact", "compact_bytes": ACCOUNT_RESULT_BYTES}
        if account_id != own_account:
            sweep["account_role_arn"] = MEMBER_ROLE_ARN_PATTERN.format(
                partition=partition, account=account_id, role_name=role_name
            )
            if external_id is not None:
                sweep["external_id"] = external_id
        items.append({"account_id": account_id, "name": _cut(account.name, _NAME_BYTES), "sweep": sweep})
    return {"accounts": items, "not_swept": not_swept}


def aggregate(
    results: Iterable[Mapping[str, Any]],
    not_swept: Iterable[Mapping[str, Any]] = (),
    *,
    execution: str | None = None,
) -> OrganizationReport:
    """One organization report from each account's report (or the error the state machine caught)."""
    accounts = [account_entry(result) for result in results]
    accounts += [
        {
            "account": str(item["account_id"]),
            "name": str(item.get("name") or ""),
            "state": "not_swept",
            "summary": None,
            "findings": [],
            "error": {"code": "not_swept", "message": str(item.get("reason", "")), "remedy": None},
        }
        for item in not_swept
    ]
    order = {state: index for index, state in enumerate(ACCOUNT_STATES)}
    accounts.sort(key=lambda entry: (order[entry["state"]], entry["account"]))
    report = {
        "execution": execution,
        "dry_run": any(entry.get("dry_run") for entry in accounts),
        "summary": _summary(accounts),
        "accounts": accounts,
    }
    return msgspec.convert(sanitized_tree(report), OrganizationReport)


def account_entry(result: Mapping[str, Any], budget: int = ACCOUNT_ENTRY_BYTES) -> dict[str, Any]:
    """One account's part of the organization report: its state, counts, what needs attention, its error; at
    most `budget` bytes of JSON whatever the account's report or error held."""
    return bounded_entry(_account_entry(result), budget)


def _account_entry(result: Mapping[str, Any]) -> dict[str, Any]:
    account_id, name = str(result["account_id"]), str(result.get("name") or "")
    if "report" not in result:
        return {
            "account": account_id,
            "name": name,
            "state": "failed",
            "summary": None,
            "findings": [],
            "error": caught_error(result.get("error") or {}),
        }
    try:
        # Compact from the state machine's children, full from a manual sweep: every field checked either way.
        report = to_builtins(msgspec.convert(result["report"], HandedReport))
    except msgspec.ValidationError as invalid:
        return {
            "account": account_id,
            "name": name,
            "state": "failed",
            "summary": None,
            "findings": [],
            "error": {
                "code": "result_unreadable",
                "message": f"the account's report is malformed: {invalid}",
                "remedy": "read the function's log for this account's sweep; the next sweep retries",
            },
        }
    error = report.get("error")
    attention = [compact_finding(finding) for finding in report["findings"] if needs_attention(finding)]
    summary = report.get("summary") or {}
    needs_look = attention or any(summary.get(key) for key in _ATTENTION_KEYS)
    state = "failed" if error else ("attention" if needs_look else "ok")
    return {
        "account": account_id,
        "name": name,
        "state": state,
        "sweep_id": report.get("sweep_id"),
        "dry_run": bool(report.get("dry_run")),
        "duration_ms": report.get("duration_ms"),
        "summary": report.get("summary"),
        "findings": [] if error else attention,
        "findings_not_shown": 0 if error else int(report.get("attention_omitted") or 0),
        "error": error,
    }


def caught_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """What Step Functions' Catch recorded ({"Error", "Cause"}), as an account error: code, message, remedy."""
    code = str(error.get("Error") or "States.TaskFailed")
    cause = error.get("Cause")
    message = str(cause or code)
    if isinstance(cause, str):
        try:
            parsed = _decoded(cause, LambdaError)  # a Lambda error: {"errorType", "errorMessage", "stackTrace"}
        except msgspec.ValidationError:
            pass  # a plain-text cause: the message as it is
        else:
            code = parsed.errorType or code
            message = parsed.errorMessage or message
    if len(message) > _CAUSE_LIMIT:
        message = message[:_CAUSE_LIMIT] + " ...[cut]"
    remedy = _REMEDIES.get(code, "read the function's log for this account; the next sweep retries")
    return {"code": _cut(code, 128), "message": message, "remedy": remedy}


def bounded_entry(entry: Mapping[str, Any], budget: int = ACCOUNT_ENTRY_BYTES) -> dict[str, Any]:
    """`entry` cut to `budget` bytes of JSON: texts capped, findings kept while they fit and the rest counted.

    Holds by construction: what is left after every cut is a fixed set of short fields."""
    bounded = {key: entry.get(key) for key in ("account", "name", "state", "sweep_id", "dry_run", "duration_ms")}
    bounded["account"] = _cut(str(entry.get("account", "")), 32)
    bounded["name"] = _cut(str(entry.get("name") or ""), _NAME_BYTES)
    bounded["sweep_id"] = _cut(str(entry["sweep_id"]), 64) if entry.get("sweep_id") is not None else None
    bounded["duration_ms"] = entry["duration_ms"] if isinstance(entry.get("duration_ms"), int | float) else None
    summary = entry.get("summary")
    bounded["summary"] = (
        {
            key: summary[key]
            for key in _SUMMARY_KEYS
            if key in summary and (summary[key] is None or isinstance(summary[key], int | float))
        }
        if isinstance(summary, Mapping)
        else None
    )
    error = entry.get("error")
    bounded["error"] = (
        {
            "code": _cut(str(error.get("code") or "error"), 128),
            "message": _cut(str(error.get("message") or ""), _TEXT_BYTES),
            "remedy": _cut(str(error["remedy"]), 512) if error.get("remedy") else None,
        }
        if isinstance(error, Mapping)
        else (None if not error else {"code": "error", "message": _cut(str(error), _TEXT_BYTES), "remedy": None})
    )
    findings = list(entry.get("findings") or [])
    kept: list[Any] = []
    bounded["findings"] = kept
    not_shown = int(entry.get("findings_not_shown") or 0) + len(findings)
    bounded["findings_not_shown"] = not_shown
    used = _json_bytes(bounded) + 8  # room for the count to grow by digits
    for finding in findings:
        size = _json_bytes(finding) + 2
        if used + size > budget:
            break
        kept.append(finding)
        used += size
    bounded["findings_not_shown"] = not_shown - len(kept)
    if used > budget:  # only a hostile summary gets here: keep the counts that fit, count what was dropped
        bounded["summary"] = None
    return bounded


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` bytes of JSON (escapes counted), a visible mark where it was cut."""
    if len(json.dumps(text)) - 2 <= limit:
        return text
    kept, used = [], 0
    for character in text:
        used += len(json.dumps(character)) - 2
        if used > limit - 9:
            break
        kept.append(character)
    return "".join(kept) + " ...[cut]"


def _json_bytes(value: Any) -> int:
    """Bytes of `value` as the report is written (ASCII JSON: every escape counted)."""
    return len(json.dumps(value, separators=(",", ":"), default=str))


def map_run_result(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One line of a Distributed Map's result files as an account's result ({"account_id", "name", and "report"
    or "error"}): a child that succeeded returns it as its Output; one that failed all the same has its Input
    (the work item) and the Error and Cause that ended it."""
    status = str(entry.get("Status") or "")
    unreadable = "the account's child workflow returned no account result"
    if status == "SUCCEEDED":
        try:
            output = _decoded(entry.get("Output"), AccountResult)
        except msgspec.ValidationError as invalid:
            unreadable += f" ({invalid})"
        else:
            if not isinstance(output.report, UnsetType) or not isinstance(output.error, UnsetType):
                return to_builtins(output)
    try:
        item = to_builtins(_decoded(entry.get("Input"), WorkItem))
    except msgspec.ValidationError:
        item = {"account_id": "unknown", "name": ""}
    error = {"Error": entry.get("Error") or f"States.{status.title() or 'Unknown'}", "Cause": entry.get("Cause")}
    if status == "SUCCEEDED":
        error = {"Error": "result_unreadable", "Cause": unreadable}
    return {"account_id": item["account_id"], "name": item["name"], "error": error}


class WorkItem(msgspec.Struct, frozen=True, kw_only=True):
    """An account of the work list, as the Distributed Map hands it to a child."""

    account_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{12}$")]
    name: str = ""


class AccountResult(WorkItem, frozen=True, kw_only=True):
    """What an account's child workflow returns: its report, or the error its Catch recorded."""

    report: dict[str, Any] | UnsetType = UNSET
    error: dict[str, Any] | UnsetType = UNSET


class LambdaError(msgspec.Struct, frozen=True):
    """A Lambda error as Step Functions records it in a Cause."""

    errorType: str | None = None  # Lambda's own field names
    errorMessage: str | None = None


StructT = TypeVar("StructT", bound=msgspec.Struct)


def _decoded(value: Any, kind: type[StructT]) -> StructT:
    """`value` (JSON text or an object) as `kind`; msgspec.ValidationError says precisely what is wrong."""
    if isinstance(value, str | bytes):
        try:
            return msgspec.json.decode(value, type=kind)
        except msgspec.DecodeError as error:  # not JSON at all
            raise msgspec.ValidationError(str(error)) from error
    return msgspec.convert(value, kind)


def with_missing_accounts(
    results: Iterable[Mapping[str, Any]], work_list: Sequence[Mapping[str, Any]]
) -> Iterator[Mapping[str, Any]]:
    """`results`, then a failure for each account of the work list that has none (a child that never ran)."""
    seen: set[str] = set()
    for result in results:
        seen.add(str(result.get("account_id")))
        yield result
    for item in work_list:
        if str(item.get("account_id")) not in seen:
            yield {
                "account_id": str(item.get("account_id")),
                "name": str(item.get("name") or ""),
                "error": {"Error": "no_result", "Cause": "the Distributed Map wrote no result for this account"},
            }


def alert_view(report: ReportLike, report_location: str | None) -> dict[str, Any]:
    """What the alert carries of a report of any size: the summary, the first ALERT_ACCOUNTS accounts needing
    attention (most serious first), a few healthy ones, how many are left out, and where the full report is."""
    report = as_tree(report)
    needing = [entry for entry in report["accounts"] if entry["state"] != "ok"]
    healthy = [entry for entry in report["accounts"] if entry["state"] == "ok"]
    shown = needing[:ALERT_ACCOUNTS] + healthy[:_ALERT_HEALTHY_NAMED]
    return {
        **{key: value for key, value in report.items() if key != "accounts"},
        "accounts": shown,
        "accounts_not_listed": len(needing) - len(needing[:ALERT_ACCOUNTS]),
        "report_location": report_location,
    }


# What an account's summary may hold in the organization report: the counters the engine's reports carry.
_COUNT_KEYS: tuple[str, ...] = (*(status.value for status in Status), *(action.value for action in COUNTED_ACTIONS))
_SUMMARY_KEYS = ("providers", *_COUNT_KEYS, "min_days_to_expiry")


def _summary(accounts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    states = Counter(entry["state"] for entry in accounts)
    summary: dict[str, Any] = {"accounts": len(accounts)}
    summary.update({f"accounts_{state}": states.get(state, 0) for state in ACCOUNT_STATES})
    swept = [entry["summary"] for entry in accounts if entry["summary"] and not entry["error"]]
    summary["providers"] = sum(int(counts.get("providers", 0)) for counts in swept)
    for key in _COUNT_KEYS:
        summary[key] = sum(int(counts.get(key, 0)) for counts in swept)
    expiries = [counts["min_days_to_expiry"] for counts in swept if counts.get("min_days_to_expiry") is not None]
    summary["min_days_to_expiry"] = min(expiries) if expiries else None
    return summary


# --- the alert ------------------------------------------------------------------------------------------------
def should_notify_organization(report: ReportLike, notify_on: str) -> bool:
    """`always`, `never`, or `problems`: an account failed or was left out, or a finding needs attention."""
    report = as_tree(report)
    if notify_on == "always":
        return True
    if notify_on == "never":
        return False
    return any(entry["state"] != "ok" for entry in report["accounts"])


def organization_severity(report: ReportLike) -> str:
    """`critical`: an account failed or was left out, or a provider is broken or blocked; `warning`: anything
    else needing attention; `info`."""
    report = as_tree(report)
    summary = report["summary"]
    if summary["accounts_failed"] or summary["accounts_not_swept"]:
        return "critical"
    if any(summary.get(status) for status in Status if status.critical) or any(
        summary.get(action) for action in Action if action.critical
    ):
        return "critical"
    return "warning" if summary["accounts_attention"] else "info"


def summary_counts(summary: Mapping[str, Any]) -> list[str]:
    """What needs attention in a summary, most serious first: ["1 blocked", "3 updated"]."""
    return [f"{summary[key]} {key.replace('_', ' ')}" for key in _ATTENTION_KEYS if summary.get(key)]


def render_organization_alert(report: ReportLike) -> Alert:
    """Subject with organization-wide counts, a block per account that needs attention, and the JSON."""
    report = as_tree(report)
    summary = report["summary"]
    level = organization_severity(report)
    attributes: dict[str, tuple[str, str]] = {
        "severity": ("String", level),
        "account": ("String", "organization"),
        "dry_run": ("String", "true" if report.get("dry_run") else "false"),
        "accounts": ("Number", str(summary["accounts"])),
        "accounts_failed": ("Number", str(summary["accounts_failed"] + summary["accounts_not_swept"])),
    }
    for name in _ATTRIBUTE_COUNTS:
        attributes[name] = ("Number", str(summary.get(name, 0)))
    return compose_alert(_subject(report), attributes, _text(report, level), lambda room: _json_section(report, room))


def _subject(report: Mapping[str, Any]) -> str:
    summary = report["summary"]
    failed = summary["accounts_failed"] + summary["accounts_not_swept"]
    parts = [f"{failed} account{'s' if failed != 1 else ''} failed"] if failed else []
    parts += summary_counts(summary)
    if not parts:
        parts = [f"all {summary['providers']} OK"]
    prefix = "OIDC thumbprints (dry run): " if report.get("dry_run") else "OIDC thumbprints: "
    suffix = f" ({summary['accounts']} accounts)"
    subject = prefix + ", ".join(parts)
    if len(subject) + len(suffix) > 100:
        subject = subject[: 100 - len(suffix) - 3].rstrip(", ") + "..."
    return ascii_subject(subject + suffix)


def _text(report: Mapping[str, Any], level: str) -> str:
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
    healthy = [entry for entry in accounts if entry["state"] == "ok"]
    healthy_count = int(summary.get("accounts_ok", len(healthy)))
    names = ", ".join(_label(entry) for entry in healthy[:20]) + (
        f" and {healthy_count - len(healthy[:20])} more" if healthy_count > len(healthy[:20]) else ""
    )
    closing = [f"Healthy accounts ({healthy_count}): {names or 'none'}."]
    if report.get("report_location"):
        closing.append(f"Full report (every account): {show(report['report_location'], LINE_LIMIT)}")
    reserve = len("\n".join(closing).encode()) + _TAIL_RESERVE
    needing = [entry for entry in accounts if entry["state"] != "ok"]
    not_listed = int(report.get("accounts_not_listed") or 0)  # left out of an alert_view
    where = "the full report" if report.get("report_location") else "the JSON"
    shown = 0
    for entry in needing:
        if not text.add(_account_block(entry), reserve):
            break
        shown += 1
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
        state = "NOT SWEPT" if entry["state"] == "not_swept" else "FAILED"
        block = [f"== Account {_label(entry)}: {state} ({show(error['code'])})", f"  {show(error['message'])}"]
        if error.get("remedy"):
            block.append(f"  What to do: {show(error['remedy'])}")
        return [*block, ""]
    counts = ", ".join(summary_counts(entry["summary"] or {})) or "needs attention"
    block = [f"== Account {_label(entry)}: {counts}", ""]
    for finding in entry["findings"]:
        block.extend(_finding_block(finding))
    if entry.get("findings_not_shown"):
        block += [
            f"  ... and {entry['findings_not_shown']} more: the function's log has every provider of this sweep "
            f"(sweep_id {show(entry.get('sweep_id'))})",
            "",
        ]
    return block


def _finding_block(finding: Mapping[str, Any]) -> list[str]:
    action = show(finding["action"])
    headline = show(finding["status"]).upper() + ("" if action == "none" else f" -> {action.upper()}")
    before, after = show(", ".join(finding["thumbprints_before"])), show(", ".join(finding["thumbprints_after"]))
    block = [f"[{headline}] {show(finding['url'], FIELD_LIMIT)}", f"  ARN: {show(finding['arn'])}"]
    if before != after:
        block.append(f"  Thumbprints: {before or '(none)'} -> {after or '(none)'}")
    else:
        block.append(f"  Thumbprints: {before or '(none)'} (unchanged)")
    if finding.get("problems"):
        block.append(f"  Problems: {show(', '.join(finding['problems']))}")
    if finding.get("days_to_expiry") is not None:
        block.append(f"  Nearest certificate expiry: {show(finding['days_to_expiry'])} days")
    if finding.get("error"):
        block.append(f"  Error: {show(finding['error'])}")
    return [*block, ""]


def _label(entry: Mapping[str, Any]) -> str:
    account = show(entry["account"], 64)
    return f"{account} ({show(entry['name'], FIELD_LIMIT)})" if entry.get("name") else account


def _json_section(report: Mapping[str, Any], budget: int) -> str:
    full = "Full report (JSON):\n" + json.dumps(sanitized_tree(report), indent=1, default=str)
    if len(full.encode()) <= budget:
        return full
    # Too big for SNS: keep the accounts that need attention, and of each finding what a person acts on.
    accounts = [
        {**entry, "findings": [_slim_finding(finding) for finding in entry["findings"]]}
        for entry in report["accounts"]
        if entry["state"] != "ok"
    ]
    note = (
        "Report trimmed to fit SNS's 256 KB limit: healthy accounts and finding details are left out, and "
        "accounts_omitted counts the accounts that did not fit; each account's findings are in the function's "
        "log (by sweep_id)."
    )
    return trimmed_json(report, "accounts", accounts, budget, note)


def _slim_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("arn", "status", "action", "thumbprints_before", "thumbprints_after", "error")
    slim = {key: finding.get(key) for key in keep}
    # Compact findings (the state machine's) carry problem codes, full ones (manual sweeps) problem objects.
    slim["problems"] = [
        problem.get("code") if isinstance(problem, Mapping) else problem for problem in finding.get("problems", [])
    ]
    return slim
