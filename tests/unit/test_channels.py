"""The channels' pure parts: CloudTrail and Config events in, ASFF findings, EventBridge entries and Config
evaluations out, all drawn from one sweep report."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.builders import NOW, assessed, capture, probe_of, provider, sha1_of
from thumbprint_remediator.app.request import SweepRequest, parse_invocation
from thumbprint_remediator.aws.cloudtrail import ChangeRequest, parse_change_event
from thumbprint_remediator.aws.config_rule import (
    ANNOTATION_LIMIT,
    SCHEDULED_NOTIFICATION,
    describe_problem,
    evaluations,
    parse_config_rule_event,
)
from thumbprint_remediator.aws.finding_events import ENTRY_LIMIT, REQUEST_LIMIT, batches, build_entries, entry_size
from thumbprint_remediator.aws.security_hub import (
    FINDING_LIMIT,
    Evidence,
    HubTarget,
    active_findings,
    evidence_of,
    plan_imports,
)
from thumbprint_remediator.contract.names import (
    CHANGE_EVENT_NAMES,
    CONFIG_RESOURCE_TYPE,
    FINDING_EVENT_DETAIL_TYPE,
    SERVICE_NAME,
    SUMMARY_EVENT_DETAIL_TYPE,
)
from thumbprint_remediator.domain.errors import RequestError
from thumbprint_remediator.domain.models import ProbeFailure
from thumbprint_remediator.domain.report import Finding
from thumbprint_remediator.domain.rules import Problem, failed_assessment
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import server_text
from thumbprint_remediator.domain.views import Report, to_builtins

ARN = "arn:aws:iam::123456789012:oidc-provider/issuer.example/id/ONE"
ROLE = "arn:aws:iam::123456789012:role/OidcThumbprintRemediator-SweepRole"
TARGET = HubTarget(account="123456789012", region="eu-west-1")


def mixed_report(fixed: Collection[str] = ()) -> dict[str, Any]:
    """`mixed` as JSON values."""
    return to_builtins(mixed(fixed))


def mixed(fixed: Collection[str] = ()) -> Report:
    """One healthy, one stale and one unreachable provider, as the rules judge them; those whose URL is in `fixed`
    now healthy and pinned right."""
    healthy = capture(["leaf", "intermediate"])
    timeout = ProbeFailure(kind=Status.UNREACHABLE, code="connect_timeout", message=server_text("connect timed out"))
    unreachable = capture([], failure=timeout)
    cases = (
        ("healthy.example", provider(sha1_of("intermediate")), probe_of(healthy)),
        ("stale.example", provider(sha1_of("old")), probe_of(healthy)),
        ("down.example", provider(sha1_of("old")), probe_of(unreachable, failure=timeout, jwks_known=False)),
    )
    return assessed(
        *(
            (url, provider(sha1_of("intermediate")), probe_of(healthy)) if url in fixed else (url, pins, probe)
            for url, pins, probe in cases
        )
    )


def evidence_in(report: Report) -> dict[str, Evidence]:
    return {finding.arn: evidence_of(finding) for finding in report.findings}


# --- CloudTrail ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("event_name", CHANGE_EVENT_NAMES)
def test_every_documented_change_event_names_its_provider_and_caller(
    change_event: Callable[..., dict[str, Any]], event_name: str
) -> None:
    # Given the CloudTrail event of each call the rule listens to
    event = change_event(event_name, ARN)
    # When it is parsed as an invocation
    change = parse_invocation(event)
    # Then it names the provider, the call and who made it
    assert not isinstance(change, SweepRequest)
    assert change.provider_arn == ARN  # type: ignore[union-attr]
    assert change.event_name == event_name  # type: ignore[union-attr]
    assert change.principal.arn == event["detail"]["userIdentity"]["arn"]  # type: ignore[union-attr]


def test_the_tools_own_role_is_recognised_by_its_session_issuer(change_event: Callable[..., dict[str, Any]]) -> None:
    own = parse_change_event(change_event("UpdateOpenIDConnectProviderThumbprint", ARN, ROLE))
    other = parse_change_event(change_event("UpdateOpenIDConnectProviderThumbprint", ARN))

    assert own.made_by(ROLE)
    assert not other.made_by(ROLE)
    assert not own.made_by(None)  # no role configured: nothing is taken for the tool's own


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "aws.s3"}, "unsupported event"),
        ({"detail-type": "Object Created"}, "unsupported event"),
        ({"detail": "not a record"}, "'detail' must be the CloudTrail record"),
        ({"detail": {"eventSource": "s3.amazonaws.com"}}, "eventSource"),
        ({"account": "999999999999"}, "not in the event's account"),
    ],
)
def test_foreign_or_malformed_events_are_rejected_with_a_clear_error(
    change_event: Callable[..., dict[str, Any]], change: dict[str, Any], message: str
) -> None:
    # Given a change event with one part replaced
    event = {**change_event("UpdateOpenIDConnectProviderThumbprint", ARN), **change}
    # Then it is refused before anything is called, saying what is wrong
    with pytest.raises(RequestError, match=message):
        parse_invocation(event)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("eventName", "DeleteRole", "eventName"),
        ("requestParameters", {"openIDConnectProviderArn": "arn:aws:iam::123456789012:role/x"}, "provider ARN"),
        ("userIdentity", None, "userIdentity"),
    ],
)
def test_record_fields_are_validated(
    change_event: Callable[..., dict[str, Any]], field: str, value: Any, message: str
) -> None:
    event = change_event("UpdateOpenIDConnectProviderThumbprint", ARN, **{field: value})
    with pytest.raises(RequestError, match=message):
        parse_invocation(event)


def test_a_refused_call_is_parsed_with_its_error_code(change_event: Callable[..., dict[str, Any]]) -> None:
    event = change_event("TagOpenIDConnectProvider", ARN, errorCode="AccessDenied")
    assert parse_change_event(event).error_code == "AccessDenied"


def test_the_schedules_event_is_still_a_full_sweep() -> None:
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert parse_invocation(event) == SweepRequest(source="schedule")


# --- Config ---------------------------------------------------------------------------------------------------------
def config_event(invoking: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": "{}",
        "resultToken": "token-1",
        "eventLeftScope": False,
        "configRuleName": "oidc-thumbprints",
        "accountId": "123456789012",
        **extra,
    }


def change_item(status: str = "OK", resource_type: str = CONFIG_RESOURCE_TYPE) -> dict[str, Any]:
    return {
        "messageType": "ConfigurationItemChangeNotification",
        "notificationCreationTime": "2026-11-30T10:00:00.000Z",
        "configurationItem": {
            "resourceType": resource_type,
            "resourceId": "oidc-one",
            "ARN": ARN,
            "configurationItemStatus": status,
            "configurationItemCaptureTime": "2026-11-30T09:59:00.000Z",
        },
    }


def test_config_change_notification_targets_one_provider() -> None:
    request = parse_invocation(config_event(change_item()))
    assert request.provider_arn == ARN  # type: ignore[union-attr]
    assert request.resource_id == "oidc-one"  # type: ignore[union-attr]
    assert not request.not_applicable  # type: ignore[union-attr]


def test_config_scheduled_notification_targets_every_provider() -> None:
    invoking = {"messageType": SCHEDULED_NOTIFICATION, "notificationCreationTime": "2026-11-30T10:00:00.000Z"}
    request = parse_config_rule_event(config_event(invoking))
    assert request.provider_arn is None


def test_config_deleted_item_is_not_applicable() -> None:
    assert parse_config_rule_event(config_event(change_item("ResourceDeleted"))).not_applicable


def test_config_event_for_another_resource_type_is_rejected() -> None:
    with pytest.raises(RequestError, match="evaluates AWS::IAM::OIDCProvider only"):
        parse_config_rule_event(config_event(change_item(resource_type="AWS::IAM::Role")))


def test_config_evaluations_of_a_mixed_account_follow_the_sweep() -> None:
    # Given a report with a healthy, a stale and an unreachable provider
    report = mixed()
    invoking = {"messageType": SCHEDULED_NOTIFICATION, "notificationCreationTime": "2026-11-30T10:00:00.000Z"}
    # When Config's evaluations are drawn from it
    results = evaluations(report, parse_config_rule_event(config_event(invoking)))
    by_resource = {item["ComplianceResourceId"]: item for item in results}
    # Then the healthy one is compliant and the others are not, each annotated with its problem
    statuses = {finding.arn: finding.status for finding in report.findings}
    for arn, item in by_resource.items():
        expected = "COMPLIANT" if statuses[arn] == "ok" else "NON_COMPLIANT"
        assert item["ComplianceType"] == expected
        assert len(item["Annotation"]) <= ANNOTATION_LIMIT
        if expected == "NON_COMPLIANT":
            assert statuses[arn] in item["Annotation"]
    assert sorted(item["ComplianceType"] for item in results) == ["COMPLIANT", "NON_COMPLIANT", "NON_COMPLIANT"]


def test_annotation_is_cut_to_256_characters() -> None:
    stale = Finding(
        arn=ARN, url="issuer.example", status=Status.STALE, problems=(Problem("stale", Status.STALE, "x" * 1000, ""),)
    )
    assert len(describe_problem(stale.view())) == ANNOTATION_LIMIT


# --- Events -----------------------------------------------------------------------------------------------------
def test_events_are_one_per_finding_needing_attention_and_one_summary() -> None:
    report = mixed_report()
    entries = build_entries(report)
    kinds = [entry["DetailType"] for entry in entries]
    attention = [f for f in report["findings"] if f["status"] != "ok"]

    assert kinds == [FINDING_EVENT_DETAIL_TYPE] * len(attention) + [SUMMARY_EVENT_DETAIL_TYPE]
    assert {entry["Source"] for entry in entries} == {SERVICE_NAME}
    details = [json.loads(entry["Detail"]) for entry in entries[:-1]]
    assert [detail["finding"]["arn"] for detail in details] == [f["arn"] for f in attention]
    assert {detail["severity"] for detail in details} <= {"critical", "warning"}


def test_an_oversized_finding_is_compacted_under_the_entry_limit() -> None:
    report = mixed_report()
    report["findings"][1]["hosts"] = [{"certificates": ["x" * 1000] * 300}]  # 300 KB of certificate detail
    entry = build_entries(report)[0]
    assert entry_size(entry) <= ENTRY_LIMIT
    assert json.loads(entry["Detail"])["finding"]["truncated"] is True


def test_batches_hold_at_most_ten_entries_and_256_kb() -> None:
    entries = [{"Source": "s", "DetailType": "d", "Detail": "x" * 60_000, "Resources": []} for _ in range(9)]
    entries += [{"Source": "s", "DetailType": "d", "Detail": "{}", "Resources": []} for _ in range(25)]
    groups = batches(entries)

    assert [entry for group in groups for entry in group] == entries
    assert all(len(group) <= 10 for group in groups)
    assert all(sum(entry_size(entry) for entry in group) <= REQUEST_LIMIT for group in groups)


# --- Security Hub ---------------------------------------------------------------------------------------------
def test_one_asff_finding_per_provider_and_problem_with_the_rules_remedy() -> None:
    typed = mixed()
    findings = active_findings(typed, TARGET, NOW)
    report = to_builtins(typed)
    problems = [(f["arn"], p) for f in report["findings"] for p in f["problems"] if p["status"] != "ok"]

    assert len(findings) == len(problems)
    for asff, (arn, problem) in zip(findings, problems, strict=True):
        assert asff["Resources"][0]["Id"] == arn
        assert asff["Remediation"]["Recommendation"]["Text"].startswith(problem["remedy"][:100])
        assert asff["FindingProviderFields"]["Severity"]["Label"] in {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
        assert asff["FindingProviderFields"]["Types"]
        assert asff["ProductArn"] == "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
        assert len(json.dumps(asff).encode()) < FINDING_LIMIT
    assert len({asff["Id"] for asff in findings}) == len(findings)


def test_finding_ids_are_stable_across_sweeps() -> None:
    first = active_findings(mixed(), TARGET, NOW)
    second = active_findings(mixed(), TARGET, NOW + timedelta(days=1))
    assert [f["Id"] for f in first] == [f["Id"] for f in second]


def test_a_fixed_problem_is_archived_and_a_kept_one_keeps_its_creation_time() -> None:
    # Given last sweep's active findings, and a sweep where the stale provider is fixed
    before = active_findings(mixed(), TARGET, NOW)
    now = NOW + timedelta(days=1)
    fixed = mixed(fixed={"stale.example"})
    current = active_findings(fixed, TARGET, now)
    # When the imports are planned
    imports, archived = plan_imports(current, before, None, now, evidence_in(fixed))
    # Then the fixed problem is archived and resolved, the others are updated in place
    gone = [f for f in imports if f["RecordState"] == "ARCHIVED"]
    assert archived == len(gone) == len(before) - len(current) > 0
    assert all(f["Workflow"] == {"Status": "RESOLVED"} and "stale.example" in f["Id"] for f in gone)
    kept = [f for f in imports if f["RecordState"] == "ACTIVE"]
    assert {f["CreatedAt"] for f in kept} == {before[0]["CreatedAt"]}


def test_only_covered_providers_findings_are_archived() -> None:
    before = active_findings(mixed(), TARGET, NOW)
    fixed = mixed(fixed={"stale.example", "down.example"})
    down = "arn:aws:iam::123456789012:oidc-provider/down.example"
    imports, archived = plan_imports([], before, [down], NOW, evidence_in(fixed))
    assert archived == len(imports) > 0
    assert all("down.example" in f["Id"] for f in imports)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
RECORD_FIELDS = ("eventSource", "eventName", "userIdentity", "requestParameters", "responseElements", "errorCode")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event_name=st.sampled_from(CHANGE_EVENT_NAMES),
    record=st.dictionaries(st.sampled_from(RECORD_FIELDS), JSON_VALUES, max_size=3),
    envelope=st.dictionaries(st.sampled_from(["source", "detail-type", "account", "detail"]), JSON_VALUES, max_size=2),
)
def test_any_mangled_change_event_is_a_change_or_a_validation_error(
    change_event: Callable[..., dict[str, Any]],
    event_name: str,
    record: dict[str, Any],
    envelope: dict[str, Any],
) -> None:
    # Given a documented change event with some fields replaced by arbitrary JSON
    event = change_event(event_name, ARN, **record)
    event.update(envelope)
    # When it is parsed, then it is a valid change naming a provider ARN, or a RequestError: nothing else
    try:
        invocation = parse_invocation(event)
    except RequestError:
        return
    if isinstance(invocation, ChangeRequest):
        assert invocation.provider_arn.startswith("arn:aws") or invocation.error_code is not None


@settings(max_examples=100)
@given(invoking=JSON_VALUES | st.text(max_size=30), token=JSON_VALUES)
def test_any_mangled_config_event_is_a_config_request_or_a_validation_error(invoking: Any, token: Any) -> None:
    event = {"invokingEvent": invoking if isinstance(invoking, str) else json.dumps(invoking), "resultToken": token}
    try:
        request = parse_config_rule_event(event)
    except RequestError:
        return
    assert request.result_token


def test_a_provider_that_could_not_be_assessed_keeps_its_findings() -> None:
    # Given last sweep's findings, and a sweep where the stale provider could not be assessed at all
    before = active_findings(mixed(), TARGET, NOW)
    stale_arn = "arn:aws:iam::123456789012:oidc-provider/stale.example"
    current = [f for f in before if f["Resources"][0]["Id"] != stale_arn]
    failed = failed_assessment("internal_error", "unexpected error", "report this bug")
    errored = Finding(arn=stale_arn, url="stale.example", status=failed.status, problems=failed.problems)
    # When the imports are planned
    _, archived = plan_imports(current, before, None, NOW, {stale_arn: evidence_of(errored.view())})
    # Then nothing is archived: not seen is not fixed
    assert archived == 0
