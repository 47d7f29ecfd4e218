"""cdk-nag's AWS Solutions checks: no unacknowledged finding; every acknowledgement narrow and needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import CfnResource, Stack, Validations
from aws_cdk import aws_sns as sns

from infra.application import STACK_NAME, build_app
from tests.infra.nag import nag_acknowledgements, nag_findings
from tests.infra.synthesis import ALERT_EMAILS, CDK_JSON_CONTEXT, SKIP_BUNDLING, Synthesized

pytestmark = pytest.mark.xdist_group("cdk-assertions")


@pytest.mark.parametrize("stack_fixture", ["default_stack", "overridden_stack"])
def test_aws_solutions_checks_leave_no_unacknowledged_finding(
    stack_fixture: str, request: pytest.FixtureRequest
) -> None:
    stack: Synthesized = request.getfixturevalue(stack_fixture)

    assert sorted(nag_findings(stack.app)) == []


def test_every_acknowledgement_has_a_reason_and_sits_on_the_resource_it_excuses(default_stack: Synthesized) -> None:
    acknowledgements = nag_acknowledgements(default_stack.app)

    assert acknowledgements, "expected the documented acknowledgements (IAM5 wildcards, L1)"
    for (rule, path), (construct, reason) in acknowledgements.items():
        assert CfnResource.is_cfn_resource(construct), f"{rule} is acknowledged on {path}, not on a resource"
        assert len(reason) >= 40, f"{rule} on {path} needs a real reason, got {reason!r}"


def test_every_acknowledgement_silences_a_real_finding(
    default_stack: Synthesized, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given the same app built with acknowledgements ignored
    monkeypatch.setattr(Validations, "acknowledge", lambda self, *rules: None)
    unacknowledged = build_app(
        {**CDK_JSON_CONTEXT, **SKIP_BUNDLING, "alertEmails": ",".join(ALERT_EMAILS)}, outdir=str(tmp_path), checks=False
    )

    # Then its findings are exactly what the real app acknowledges: none stale, none too broad
    assert nag_findings(unacknowledged) == set(nag_acknowledgements(default_stack.app))


@pytest.mark.impure
def test_the_app_fails_synthesis_on_a_new_finding(tmp_path: Path) -> None:
    # Given the app as app.py builds it (checks on), plus a topic nobody encrypted
    app = build_app({**CDK_JSON_CONTEXT, **SKIP_BUNDLING}, outdir=str(tmp_path))
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, Stack)
    sns.Topic(stack, "Unencrypted")

    # When / Then
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        app.synth()
    assert "AwsSolutions-SNS3" in str(raised.value) + (tmp_path / "validation-report.json").read_text()
