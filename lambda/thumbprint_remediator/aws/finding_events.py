"""Events for routing: one EventBridge event per finding that needs attention and one per sweep summary, on the
default bus, for users' own rules (chat, paging). Built from the sweep report; no rule is re-applied here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from msgspec import UNSET

from thumbprint_remediator.contract.names import (
    FINDING_EVENT_DETAIL_TYPE,
    FINDING_EVENT_SOURCE,
    SUMMARY_EVENT_DETAIL_TYPE,
)
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import ChannelError
from thumbprint_remediator.domain.report import tree_compact_finding, tree_needs_attention
from thumbprint_remediator.domain.views import EventsOutcome, ReportLike, as_tree
from thumbprint_remediator.report.alerts import attention_counts, findings_severity

# What this adapter calls (the contract collects it for infra): events on the default bus only.
PERMISSIONS: Final = (Permissions(actions=("events:PutEvents",), resource="default-event-bus"),)
# EventBridge: an entry (and a whole PutEvents request) is at most 256 KB; at most 10 entries per request.
ENTRY_LIMIT: Final = 256 * 1024
REQUEST_LIMIT: Final = 256 * 1024
ENTRIES_PER_CALL: Final = 10
_ENTRY_OVERHEAD: Final = 14  # the Time field, as EventBridge counts an entry's size


def entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as EventBridge counts it: Source, DetailType, Detail, Resources (UTF-8), plus Time."""
    size = _ENTRY_OVERHEAD
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key, "")).encode())
    size += sum(len(resource.encode()) for resource in entry.get("Resources", []))
    return size


def build_entries(report: ReportLike) -> list[dict[str, Any]]:
    """The entries of one sweep: its findings that need attention, then the summary; each within 256 KB."""
    report = as_tree(report)
    context = {"account": report.get("account"), "sweep_id": report.get("sweep_id"), "dry_run": report.get("dry_run")}
    change = report.get("change") if isinstance(report.get("change"), Mapping) else None  # names who, as the alert
    entries = []
    for finding in report["findings"]:
        if not tree_needs_attention(finding):
            continue
        detail = {**context, "severity": findings_severity([finding], change), "finding": finding}
        entries.append(_entry(FINDING_EVENT_DETAIL_TYPE, detail, [finding["arn"]], finding))
    summary = {
        **context,
        "severity": findings_severity(report["findings"], change),
        "started_at": report.get("started_at"),
        "summary": report["summary"],
        "attention": attention_counts(report["findings"], change),
    }
    if "change" in report:
        summary["change"] = report["change"]
    entries.append(_entry(SUMMARY_EVENT_DETAIL_TYPE, summary, []))
    return entries


def _entry(
    detail_type: str, detail: dict[str, Any], resources: list[str], finding: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    entry = {
        "Source": FINDING_EVENT_SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":"), default=str),
        "Resources": resources,
    }
    if entry_size(entry) > ENTRY_LIMIT and finding is not None:
        # Certificates make a finding large: the compact form names everything a rule routes on.
        detail = {**detail, "finding": {**tree_compact_finding(finding), "truncated": True}}
        entry["Detail"] = json.dumps(detail, separators=(",", ":"), default=str)
    return entry


def batches(entries: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Groups of at most 10 entries and 256 KB per PutEvents request."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        this = entry_size(entry)
        if current and (len(current) == ENTRIES_PER_CALL or size + this > REQUEST_LIMIT):
            groups.append(current)
            current, size = [], 0
        current.append(entry)
        size += this
    if current:
        groups.append(current)
    return groups


class FindingEvents:
    """EventBridge adapter: puts the sweep's events on the default bus."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def publish(self, report: ReportLike) -> EventsOutcome:
        """Put every entry; how many were sent and failed. ChannelError if EventBridge cannot be reached at all."""
        report = as_tree(report)
        sent = failed = 0
        errors: list[str] = []
        for batch in batches(build_entries(report)):
            try:
                response = self._client.put_events(Entries=batch)
            except (ClientError, BotoCoreError) as error:
                raise ChannelError("events", f"PutEvents failed after {sent} entries: {error}") from error
            failed += int(response.get("FailedEntryCount", 0))
            sent += len(batch) - int(response.get("FailedEntryCount", 0))
            errors.extend(
                f"{item['ErrorCode']}: {item.get('ErrorMessage', '')}"
                for item in response.get("Entries", [])
                if item.get("ErrorCode")
            )
        return EventsOutcome(sent=sent, failed=failed, errors=errors[:5] if errors else UNSET)
