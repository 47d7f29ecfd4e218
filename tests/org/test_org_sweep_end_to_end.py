"""A larger emulated organization swept end to end: the synthesized Distributed Map in moto's interpreter, the real
handler in process for every step, STS honouring each member role's trust policy. 1,000 and 10,000 accounts run
in the benchmark (`python -m bench.organization`); this keeps the suite's share to about a minute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.organization.member_role import member_role_template
from sandbox.environment import Sandbox
from sandbox.organization_sweep import build_scene, organization_definition, sweep
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("cdk-assertions"),
    pytest.mark.filterwarnings("ignore:Exception\\(AccessDenied\\):UserWarning"),
    pytest.mark.filterwarnings("ignore:No application metrics:UserWarning"),
]
MEMBERS = 120
BROKEN = 20
EXTERNAL_ID = "oidc-thumbprint-remediator-e2e"


def test_an_organization_of_many_accounts_is_swept_in_one_execution_with_constant_size_state(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given an organization of 120 member accounts, 20 of whose member roles trust nobody
    scene = build_scene(
        sandbox,
        MEMBERS,
        member_template=member_role_template(DEFAULT_MEMBER_ROLE_NAME),
        external_id=EXTERNAL_ID,
        broken_roles=BROKEN,
    )
    definition_for = organization_definition(
        {"organizationId": scene.organization.id, "targetOus": scene.unit, "externalId": EXTERNAL_ID}, tmp_path
    )

    # When the synthesized state machine runs
    run = sweep(sandbox, scene, definition_for, timeout=900)

    # Then one execution swept every account, each exactly once, within the default concurrency
    assert run.execution.status == "SUCCEEDED", (run.execution.error, run.execution.cause)
    summary = run.execution.output["summary"]
    assert (summary["accounts"], summary["accounts_ok"], summary["accounts_failed"]) == (
        MEMBERS,
        MEMBERS - BROKEN,
        BROKEN,
    )
    assert run.lambda_invocations == MEMBERS + 2  # ListAccounts, one per account, Aggregate
    assert 1 <= run.most_in_flight <= 40
    # And no state, parent's or child's, grew with the number of accounts
    assert run.counters.largest_state_bytes < 8 * 1024
    assert run.counters.state_transitions == 3 + 2 * MEMBERS
    # And the one alert names the failed accounts, said why, and points at the stored report
    [alert] = sandbox.alerts()
    assert alert.subject == f"OIDC thumbprints: {BROKEN} accounts failed ({MEMBERS} accounts)"
    assert alert.body.count("FAILED (member_role_unavailable)") == BROKEN
    assert f"s3://{scene.bucket}/{run.execution.output['report_key']}" in alert.body
    stored = scene.organization.objects(scene.bucket, run.execution.output["report_key"])
    report = json.loads(stored[run.execution.output["report_key"]])
    assert sorted(entry["account"] for entry in report["accounts"]) == sorted(scene.members)
