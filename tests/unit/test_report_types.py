"""The typed report: frozen once built, its committed JSON Schema current, every output checked against it, and
the organization's hand-offs decoded with a precise error instead of a crash."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import jsonschema
import msgspec
import pytest

from sandbox.report_schema import SCHEMA_FILE, validate_handler_output
from tests.unit.builders import NOW
from thumbprint_remediator.domain.organization import account_entry, caught_error, map_run_result
from thumbprint_remediator.domain.report import Finding, build_report, compact_report, finished
from thumbprint_remediator.domain.rules import Expiry
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import (
    AlertOutcome,
    ChangeEntry,
    CompactSummary,
    FindingHistory,
    OrganizationSummary,
    PlaceholderPin,
    Report,
    Summary,
    to_builtins,
)
from thumbprint_remediator.report.schema import rendered

ARN = "arn:aws:iam::123456789012:oidc-provider/issuer.example"


def _report(*findings: Finding) -> Report:
    return build_report(
        account="123456789012", dry_run=True, started_at=NOW, duration_ms=5, findings=findings, sweep_id="s1"
    )


def _expiring_today() -> Finding:
    expiry = Expiry(
        endpoint="issuer.example", subject="CN=issuer.example", not_after=NOW + timedelta(hours=3), days_left=0
    )
    return Finding(arn=ARN, url="issuer.example", status=Status.EXPIRING, nearest_expiry=expiry)


def test_a_built_report_cannot_be_changed() -> None:
    report = _report(_expiring_today())
    with pytest.raises(AttributeError):
        report.account = "999999999999"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        report.summary.expiring = 0  # type: ignore[misc]
    # A part contributed later makes a new report; the first one is as it was
    sent = finished(report, alert=AlertOutcome(sent=False, notify_on="never"))
    assert to_builtins(sent)["alert"] == {"sent": False, "notify_on": "never"}
    assert "alert" not in to_builtins(report)


def test_every_report_carries_its_schema_version() -> None:
    report = _report(_expiring_today())
    assert to_builtins(report)["schema_version"] == "1"
    assert to_builtins(compact_report(report))["schema_version"] == "1"


def test_a_compact_report_keeps_a_nearest_expiry_of_zero_days() -> None:
    # Given a certificate that expires today  When the report is compacted  Then 0 days is kept, not dropped
    compact = to_builtins(compact_report(_report(_expiring_today())))
    assert compact["summary"] == {"providers": 1, "expiring": 1, "min_days_to_expiry": 0}
    assert compact["findings"][0]["days_to_expiry"] == 0


def test_a_compact_report_without_any_expiry_leaves_it_out() -> None:
    compact = to_builtins(compact_report(_report(Finding(arn=ARN, url="issuer.example", status=Status.OK))))
    assert compact["summary"] == {"providers": 1, "ok": 1}


def test_the_committed_schema_is_what_the_types_generate() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    assert rendered() == committed, (
        "docs/report.schema.json is out of date: run `python -m thumbprint_remediator.report.schema`"
    )


def test_a_report_validates_against_the_committed_schema() -> None:
    tree = to_builtins(_report(_expiring_today()))
    assert validate_handler_output(tree) is tree


@pytest.mark.parametrize(
    ("spoil", "named"),
    [
        (lambda tree: tree["summary"].update(providers="1"), "'1' is not of type 'integer'"),
        (lambda tree: tree["findings"][0].update(status="fine"), "'fine' is not one of"),
        (lambda tree: tree.pop("schema_version"), "'schema_version' is a required property"),
        (lambda tree: tree.update(extra=True), "Additional properties are not allowed"),
        (lambda tree: tree["findings"][0]["nearest_expiry"].pop("days_left"), "'days_left' is a required property"),
    ],
)
def test_a_malformed_report_fails_validation(spoil: Any, named: str) -> None:
    # Given a valid report, spoiled in one place
    tree = copy.deepcopy(to_builtins(_report(_expiring_today())))
    spoil(tree)
    # When it is validated  Then the schema refuses it and says why
    with pytest.raises(jsonschema.ValidationError) as refused:
        validate_handler_output(tree)
    assert named in str(refused.value)


PLACEHOLDER = "0" * 40
DEAD_PIN = "ab" * 20
DRIFT = "changed outside the tool: added " + "cd" * 20


def _with_history(history: FindingHistory, dry_run: bool = True) -> Report:
    finding = Finding(arn=ARN, url="issuer.example", status=Status.STALE, history=history)
    return build_report(
        account="123456789012",
        dry_run=dry_run,
        started_at=NOW,
        duration_ms=5,
        findings=[finding],
        sweep_id="s1",
        history_enabled=True,
    )


def _dry_run_history() -> FindingHistory:
    return FindingHistory(
        state="on",
        first_sweep=False,
        since_last_sweep=[ChangeEntry(kind="drift", detail=DRIFT)],
        drift=True,
        news=None,
        placeholder_pins=[PlaceholderPin(thumbprint=PLACEHOLDER, why="placeholder value")],
        would_prune=[DEAD_PIN],
        prune_pending=[],
    )


def test_a_report_with_history_validates_and_keeps_the_history_shape() -> None:
    # Given a dry-run finding whose history saw drift and would prune a pin
    tree = to_builtins(_with_history(_dry_run_history()))
    # Then the report validates against the committed schema
    assert validate_handler_output(tree) is tree
    # And the finding's history is exactly these keys: no `pruned` in a dry run, no `reason` while history is on
    assert tree["findings"][0]["history"] == {
        "state": "on",
        "first_sweep": False,
        "since_last_sweep": [{"kind": "drift", "detail": DRIFT}],
        "drift": True,
        "news": None,
        "placeholder_pins": [{"thumbprint": PLACEHOLDER, "why": "placeholder value"}],
        "would_prune": [DEAD_PIN],
        "prune_pending": [],
    }
    assert tree["history"] == {"enabled": True, "unavailable": 0, "changed": 1, "drifted": 1}


def test_a_history_that_could_not_be_read_carries_only_its_reason_and_placeholders() -> None:
    reason = "history unavailable for this provider: ResourceNotFoundException"
    history = FindingHistory(state="unavailable", reason=reason, placeholder_pins=[])
    tree = to_builtins(_with_history(history, dry_run=False))
    assert validate_handler_output(tree) is tree
    assert tree["findings"][0]["history"] == {"state": "unavailable", "reason": reason, "placeholder_pins": []}
    assert tree["history"] == {"enabled": True, "unavailable": 1, "changed": 0, "drifted": 0}


@pytest.mark.parametrize(
    ("spoil", "named"),
    [
        (lambda history: history.update(drift="yes"), "'yes' is not of type 'boolean'"),
        (lambda history: history.update(state="off"), "'off' is not one of"),
        (lambda history: history.update(news=3), "3 is not valid under any of the given schemas"),
        (lambda history: history.update(would_prune=DEAD_PIN), "is not of type 'array'"),
        (lambda history: history.update(reprieved=[DEAD_PIN]), "Additional properties are not allowed"),
        (lambda history: history.pop("placeholder_pins"), "'placeholder_pins' is a required property"),
        (lambda history: history["since_last_sweep"][0].pop("detail"), "'detail' is a required property"),
        (lambda history: history["since_last_sweep"][0].update(seen=1), "Additional properties are not allowed"),
        (lambda history: history["placeholder_pins"][0].update(why=None), "None is not of type 'string'"),
    ],
    ids=[
        "drift-text",
        "unknown-state",
        "news-number",
        "prune-not-a-list",
        "unknown-key",
        "no-placeholders",
        "change-without-detail",
        "change-unknown-key",
        "placeholder-without-why",
    ],
)
def test_a_malformed_history_entry_fails_validation(spoil: Any, named: str) -> None:
    # Given a valid report with history, its finding's history spoiled in one place
    tree = copy.deepcopy(to_builtins(_with_history(_dry_run_history())))
    spoil(tree["findings"][0]["history"])
    # When it is validated  Then the schema refuses it and says why
    with pytest.raises(jsonschema.ValidationError) as refused:
        validate_handler_output(tree)
    assert named in str(refused.value)
    assert list(refused.value.absolute_path)[:3] == ["findings", 0, "history"]


def test_a_malformed_member_report_is_that_accounts_failure_with_the_exact_field() -> None:
    # Given a member's compact report whose summary holds text where a count belongs
    report = to_builtins(compact_report(_report(_expiring_today())))
    report["summary"]["providers"] = "many"
    # When it is aggregated
    entry = account_entry({"account_id": "111111111111", "name": "dev", "report": report})
    # Then the account failed, and the error says which field was wrong
    assert entry["state"] == "failed"
    assert entry["error"]["code"] == "result_unreadable"
    assert "got `str` - at `$.summary[...]`" in entry["error"]["message"]


def test_a_member_report_that_is_not_an_object_is_that_accounts_failure() -> None:
    entry = account_entry({"account_id": "111111111111", "name": "", "report": ["not", "a", "report"]})
    assert (entry["state"], entry["error"]["code"]) == ("failed", "result_unreadable")
    assert "Expected `object`, got `array`" in entry["error"]["message"]


def test_a_child_output_with_a_bad_account_id_is_unreadable_and_says_why() -> None:
    output = json.dumps({"account_id": "12345", "name": "x", "report": {}})
    result = map_run_result(
        {"Status": "SUCCEEDED", "Output": output, "Input": json.dumps({"account_id": "111111111111"})}
    )
    assert result["account_id"] == "111111111111"
    assert result["error"]["Error"] == "result_unreadable"
    assert "$.account_id" in result["error"]["Cause"]


def test_a_lambda_error_cause_is_decoded_and_a_plain_one_kept() -> None:
    cause = json.dumps({"errorType": "OutOfTimeError", "errorMessage": "no time left", "stackTrace": []})
    assert caught_error({"Error": "States.TaskFailed", "Cause": cause})["code"] == "OutOfTimeError"
    assert caught_error({"Error": "States.TaskFailed", "Cause": cause})["message"] == "no time left"
    plain = caught_error({"Error": "States.Timeout", "Cause": "took too long"})
    assert (plain["code"], plain["message"]) == ("States.Timeout", "took too long")
    # A cause that is JSON but not a Lambda error is kept as text
    odd = caught_error({"Error": "States.TaskFailed", "Cause": json.dumps({"errorType": 7})})
    assert odd["code"] == "States.TaskFailed"


def test_server_text_in_a_contributed_part_is_sanitized_too() -> None:
    report = finished(_report(), alert=AlertOutcome(sent=False, notify_on="never", error="refused\x1b[31m\r\n"))
    assert "\x1b" not in to_builtins(report)["alert"]["error"]
    assert "\r" not in msgspec.json.encode(report).decode()


def test_an_account_id_with_a_trailing_newline_is_not_an_account_id() -> None:
    # `$` in a searched pattern also matches before a final newline: the length bound refuses it
    output = json.dumps({"account_id": "111111111111\n", "report": {}})
    result = map_run_result({"Status": "SUCCEEDED", "Output": output, "Input": "{}"})
    assert (result["account_id"], result["error"]["Error"]) == ("unknown", "result_unreadable")


# The summaries spell their counts out as fields (a JSON Schema names each one); status.py is the one definition
# of what is counted, and these hold the fields to it: a new status or action fails here until the summaries
# count it.
@pytest.mark.parametrize(
    ("summary", "before", "optional"),
    [
        (Summary, ("providers",), False),
        (CompactSummary, ("providers",), True),
        (
            OrganizationSummary,
            ("accounts", "accounts_failed", "accounts_attention", "accounts_ok", "accounts_not_swept", "providers"),
            False,
        ),
    ],
)
def test_every_summary_counts_each_status_and_action_of_the_one_definition(
    summary: type[msgspec.Struct], before: tuple[str, ...], optional: bool
) -> None:
    counted = (*(str(status) for status in Status), *(str(action) for action in Action if action is not Action.NONE))
    assert summary.__struct_fields__ == (*before, *counted, "min_days_to_expiry")
    # A compact summary leaves zero counts out; the others always carry every count.
    fields, given = summary.__struct_fields__, summary.__struct_defaults__
    defaults = dict(zip(fields[len(fields) - len(given) :], given, strict=True))
    assert all(defaults.get(name) is msgspec.UNSET for name in counted) is optional
