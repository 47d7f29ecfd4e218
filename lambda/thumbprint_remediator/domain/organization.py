"""Organization sweeps, the pure part: which accounts to sweep and how, and one report from every account's
outcome (its alert is rendered in alerts.py, with the account alert's building blocks). No I/O: the state
machine fans out, the adapters list and assume, runtime wires it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from thumbprint_remediator.contract.names import MEMBER_ROLE_ARN_PATTERN
from thumbprint_remediator.contract.validators import ACCOUNT_ID_PATTERN
from thumbprint_remediator.domain.report import tree_compact_finding, tree_needs_attention
from thumbprint_remediator.domain.status import COUNTED_ACTIONS, SUMMARY_ATTENTION, AccountState, Status
from thumbprint_remediator.domain.untrusted import sanitized_tree
from thumbprint_remediator.domain.views import HandedReport, OrganizationReport, to_builtins

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


def _failed_entry(account_id: str, name: str, error: Mapping[str, Any]) -> dict[str, Any]:
    """An account whose sweep gave no readable report: no summary, no findings, the error that says why."""
    return {"account": account_id, "name": name, "state": "failed", "summary": None, "findings": [], "error": error}


def _account_entry(result: Mapping[str, Any]) -> dict[str, Any]:
    account_id, name = str(result["account_id"]), str(result.get("name") or "")
    if "report" not in result:
        return _failed_entry(account_id, name, caught_error(result.get("error") or {}))
    try:
        # Compact from the state machine's children, full from a manual sweep: every field checked either way.
        report = to_builtins(msgspec.convert(result["report"], HandedReport))
    except msgspec.ValidationError as invalid:
        return _failed_entry(
            account_id,
            name,
            {
                "code": "result_unreadable",
                "message": f"the account's report is malformed: {invalid}",
                "remedy": "read the function's log for this account's sweep; the next sweep retries",
            },
        )
    error = report.get("error")
    attention = [tree_compact_finding(finding) for finding in report["findings"] if tree_needs_attention(finding)]
    summary = report.get("summary") or {}
    needs_look = attention or any(summary.get(key) for key in SUMMARY_ATTENTION)
    state = AccountState.FAILED if error else (AccountState.ATTENTION if needs_look else AccountState.OK)
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


def told_marks(results: Iterable[Mapping[str, Any]]) -> list[tuple[str, int, bool]]:
    """What marks the members' news told once the organization's alert is delivered: (provider ARN, history
    version, reminded) of every carried finding with a mark; an unreadable report has none."""
    marks: list[tuple[str, int, bool]] = []
    for result in results:
        if "report" not in result:
            continue
        try:
            report = msgspec.convert(result["report"], HandedReport)
        except msgspec.ValidationError:
            continue
        marks.extend(
            (finding.arn, finding.told_mark.version, finding.told_mark.reminded)
            for finding in report.findings
            if finding.told_mark is not None
        )
    return marks


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

    # The length too: a pattern is searched, and `$` also matches before a trailing newline.
    account_id: Annotated[str, msgspec.Meta(pattern=f"^{ACCOUNT_ID_PATTERN}$", min_length=12, max_length=12)]
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
