"""The synthesized state machine, executed by moto's Step Functions interpreter against the emulated
organization, invoking the real handler for every step."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws_calls import CallRecorder
from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.faults import FaultProxy
from sandbox.step_functions import (
    Execution,
    InterpreterCounters,
    LocalFunctions,
    executing_state_machines,
    run_state_machine,
    writing_map_results,
)
from tests.org.conftest import EXTERNAL_ID, Organization
from tests.org.synthesis import ORGANIZATION_CONTEXT, SynthesizedOrganization, synthesize_organization
from thumbprint_remediator.contract.names import ENV_HISTORY_TABLE
from thumbprint_remediator.contract.permissions import declared_actions

pytestmark = [
    pytest.mark.xdist_group("cdk-assertions"),
    pytest.mark.filterwarnings("ignore:Exception\\(AccessDenied\\):UserWarning"),
]
FUNCTION_NAME = "oidc-thumbprint-remediator-org"
BUCKET = "oidc-thumbprint-remediator-org-sweeps"


class LambdaTimeout(Exception):
    """What Lambda reports when a function runs out of time."""

    error_type = "Sandbox.Timedout"


@pytest.fixture(scope="module")
def emulated_stack(organization: Organization, tmp_path_factory: pytest.TempPathFactory) -> SynthesizedOrganization:
    """The organization stack as deployed in the emulated organization: its id, its workloads OU, its external id."""
    context = {
        **ORGANIZATION_CONTEXT,
        "organizationId": organization.emulated.id,
        "targetOus": organization.workloads_ou,
        "externalId": EXTERNAL_ID,
        "maxConcurrency": "2",
    }
    return synthesize_organization(context, Path(tmp_path_factory.mktemp("cdk-emulated-organization")))


@pytest.fixture
def counters() -> Iterator[InterpreterCounters]:
    with writing_map_results() as counted:
        yield counted


@pytest.fixture
def functions(sandbox: Sandbox, org: Organization, counters: InterpreterCounters) -> Iterator[LocalFunctions]:
    org.emulated.create_store_bucket(BUCKET)
    local = LocalFunctions(sandbox.account)
    with executing_state_machines(sandbox.account), local.serving():
        yield local


def _definition(stack: SynthesizedOrganization, function_arn: str) -> dict[str, Any]:
    def resolve(intrinsic: Mapping[str, Any]) -> str:
        if intrinsic == {"Ref": "AWS::Partition"}:
            return "aws"
        if intrinsic == {"Ref": stack.logical_id("AWS::S3::Bucket")}:
            return BUCKET
        assert intrinsic == {"Fn::GetAtt": [stack.logical_id("AWS::Lambda::Function"), "Arn"]}, intrinsic
        return function_arn

    return stack.definition(resolve)


def _run(
    sandbox: Sandbox,
    functions: LocalFunctions,
    stack: SynthesizedOrganization,
    credentials: dict[str, str],
    timed_out: frozenset[str] = frozenset(),
) -> Execution:
    def central_function(event: Any) -> Any:
        role_arn = event.get("account_role_arn", "") if isinstance(event, dict) else ""
        if role_arn and role_arn.split(":")[4] in timed_out:
            raise LambdaTimeout("Task timed out after 300.00 seconds")
        return sandbox.invoke(event, credentials)

    function_arn = functions.create(FUNCTION_NAME, central_function)
    return run_state_machine(sandbox.account, "organization-sweep", _definition(stack, function_arn), {})


def test_one_execution_sweeps_every_member_and_alerts_once_for_the_organization(
    sandbox: Sandbox,
    org: Organization,
    central_credentials: dict[str, str],
    functions: LocalFunctions,
    emulated_stack: SynthesizedOrganization,
) -> None:
    # Given a stale provider in prod, a healthy one in dev (nested OU), legacy without its member role, and
    # batch, whose sweep times out
    rotated, healthy = sandbox.fleet.add("healthy"), sandbox.fleet.add("healthy")
    in_prod = org.emulated.create_provider(org.prod, rotated.url, [stale_thumbprint("prod")])
    org.emulated.create_provider(org.dev, healthy.url, list(healthy.expected_thumbprints.values()))

    # When the state machine runs
    execution = _run(sandbox, functions, emulated_stack, central_credentials, timed_out=frozenset({org.batch}))

    # Then it completes although two accounts failed, each as that account's result
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    summary = execution.output["summary"]
    assert (summary["accounts"], summary["accounts_ok"], summary["accounts_attention"]) == (4, 1, 1)
    assert (summary["accounts_failed"], summary["providers"], summary["updated"]) == (2, 2, 1)
    # And prod's provider was fixed in prod
    assert org.emulated.thumbprints(org.prod, in_prod)[0] == next(iter(rotated.expected_thumbprints.values()))
    # And exactly one alert went out, for the organization, naming each failed account and why
    [alert] = sandbox.alerts()
    assert alert.subject == "OIDC thumbprints: 2 accounts failed, 1 updated (4 accounts)"
    assert alert.attributes["severity"] == "critical"
    assert f"== Account {org.legacy} (legacy): FAILED (member_role_unavailable)" in alert.body
    assert f"== Account {org.batch} (batch): FAILED (Sandbox.Timedout)" in alert.body
    assert "Task timed out after 300.00 seconds" in alert.body
    assert f"== Account {org.prod} (prod): 1 updated" in alert.body
    assert execution.output["alert"]["sent"] is True


def test_the_map_invokes_each_account_once_within_its_concurrency(
    sandbox: Sandbox,
    org: Organization,
    central_credentials: dict[str, str],
    functions: LocalFunctions,
    counters: InterpreterCounters,
    emulated_stack: SynthesizedOrganization,
) -> None:
    execution = _run(sandbox, functions, emulated_stack, central_credentials)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    payloads = functions.invocations.payloads
    sweeps = [payload for payload in payloads if "list_accounts" not in payload and "aggregate" not in payload]
    assert sorted(payload["account_role_arn"] for payload in sweeps) == sorted(
        org.member_role_arn(account_id) for account_id in org.members
    )
    assert all(payload["notify"] == "never" and payload["report"] == "compact" for payload in sweeps)
    assert [next(iter(payload)) for payload in (payloads[0], payloads[-1])] == ["list_accounts", "aggregate"]
    # And it ran as one Distributed Map run, each account in a child workflow, never more than two at once
    assert len(execution.events("MapRunStarted")) == 1
    assert len(execution.events("MapRunSucceeded")) == 1
    assert 1 <= functions.invocations.most_in_flight <= 2  # the stack was synthesized with maxConcurrency=2
    # ListAccounts, Aggregate and the Map in the parent; SweepAccount and AccountSwept/AccountFailed per child
    assert counters.state_transitions == 3 + 2 * len(org.members)


def test_the_parent_state_stays_pointers_and_counts_and_the_bucket_holds_no_credentials(
    sandbox: Sandbox,
    org: Organization,
    central_credentials: dict[str, str],
    functions: LocalFunctions,
    counters: InterpreterCounters,
    emulated_stack: SynthesizedOrganization,
) -> None:
    # Given the organization, when the state machine runs
    execution = _run(sandbox, functions, emulated_stack, central_credentials)

    # Then no state of the parent carries an account's report: the Map's output is where its results are
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    [exited] = [event for event in execution.events("MapStateExited")]
    state = json.loads(exited["stateExitedEventDetails"]["output"])
    assert set(state) == {"work_list_key", "not_swept_key", "accounts", "not_swept", "results"}
    assert set(state["results"]) == {"manifest_key"}
    # And the bucket holds the work list, the results the ResultWriter wrote, and the stored report
    objects = org.emulated.objects(BUCKET)
    work_list = json.loads(objects[state["work_list_key"]])
    assert sorted(item["account_id"] for item in work_list) == sorted(org.members)
    manifest = json.loads(objects[state["results"]["manifest_key"]])
    [succeeded] = manifest["ResultFiles"]["SUCCEEDED"]
    assert len(json.loads(objects[succeeded["Key"]])) == len(org.members)
    report = json.loads(objects[execution.output["report_key"]])
    assert sorted(entry["account"] for entry in report["accounts"]) == sorted(org.members)
    # And none of it is a credential the central role was given
    everything = b"".join(objects.values()).decode()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert central_credentials[name] not in everything
    assert not re.search(r"SecretAccessKey|SessionToken|AccessKeyId", everything)


def test_what_an_organization_sweep_calls_is_exactly_what_the_adapters_declare(
    sandbox: Sandbox,
    org: Organization,
    central_credentials: dict[str, str],
    functions: LocalFunctions,
    emulated_stack: SynthesizedOrganization,
    aws_calls: CallRecorder,
) -> None:
    # Given a stale provider in prod (written; IAM answers its read without tags, as older endpoints do), a
    # healthy one in dev, and the central function with its history table
    rotated, healthy = sandbox.fleet.add("healthy"), sandbox.fleet.add("healthy")
    in_prod = org.emulated.create_provider(org.prod, rotated.url, [stale_thumbprint("prod")])
    org.emulated.create_provider(org.dev, healthy.url, list(healthy.expected_thumbprints.values()))
    table = sandbox.account.create_history_table(f"org-history-{org.emulated.id[-6:]}")
    try:
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            proxy.without_tags(in_prod)
            environment = {**central_credentials, "AWS_ENDPOINT_URL": proxy.url, ENV_HISTORY_TABLE: table}

            # When the state machine runs
            execution = _run(sandbox, functions, emulated_stack, environment)
    finally:
        sandbox.account.delete_history_table(table)

    # Then it swept and alerted
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output["summary"]["updated"] == 1
    # And the central role called what the organization's adapters, the alert and the history declare
    central_key = central_credentials["AWS_ACCESS_KEY_ID"]
    assert aws_calls.actions([central_key]) == declared_actions(["organization", "alerts", "history"])
    # And in the members, each member role's session called exactly what the inventory and the roles adapter
    # declare (what it holds: posture is on by default)
    member_keys = {call.access_key for call in aws_calls.calls} - {central_key}
    assert len(member_keys) == 3  # prod, dev and batch; legacy has no member role to assume
    assert aws_calls.actions(member_keys) == declared_actions(["sweep", "posture"])
