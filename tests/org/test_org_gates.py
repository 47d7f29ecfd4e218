"""Organization mode's gates: cdk-nag clean with narrow, needed acknowledgements; context validated at synth;
the single-account template untouched unless organization mode is on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import CfnResource, Validations

from infra.application import STACK_NAME, build_app
from infra.config import ConfigError
from infra.organization.config import DEFAULT_MAX_CONCURRENCY, OrganizationConfig
from tests.infra.nag import nag_acknowledgements, nag_findings
from tests.infra.synthesis import ALERT_EMAILS, CDK_JSON_CONTEXT, SKIP_BUNDLING
from tests.org.synthesis import ORGANIZATION_CONTEXT, ORGANIZATION_ID, TARGET_OUS, SynthesizedOrganization
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME

pytestmark = pytest.mark.xdist_group("cdk-assertions")


@pytest.mark.parametrize("stack_fixture", ["organization_stack", "narrowed_organization_stack"])
def test_aws_solutions_checks_leave_no_unacknowledged_finding(
    stack_fixture: str, request: pytest.FixtureRequest
) -> None:
    stack: SynthesizedOrganization = request.getfixturevalue(stack_fixture)

    assert sorted(nag_findings(stack.app)) == []


def test_every_acknowledgement_is_on_a_resource_with_a_reason_and_silences_a_real_finding(
    organization_stack: SynthesizedOrganization, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    acknowledgements = nag_acknowledgements(organization_stack.app)
    for (rule, path), (construct, reason) in acknowledgements.items():
        assert CfnResource.is_cfn_resource(construct), f"{rule} is acknowledged on {path}, not on a resource"
        assert len(reason) >= 40, f"{rule} on {path} needs a real reason, got {reason!r}"

    # Given the same app built with acknowledgements ignored
    monkeypatch.setattr(Validations, "acknowledge", lambda self, *rules: None)
    unacknowledged = build_app(
        {**CDK_JSON_CONTEXT, **SKIP_BUNDLING, **ORGANIZATION_CONTEXT}, outdir=str(tmp_path), checks=False
    )

    # Then its findings are exactly what the real app acknowledges: none stale, none too broad
    assert nag_findings(unacknowledged) == set(acknowledgements)


@pytest.mark.impure
def test_the_app_as_app_py_builds_it_synthesizes_organization_mode_with_its_checks(tmp_path: Path) -> None:
    app = build_app({**CDK_JSON_CONTEXT, **SKIP_BUNDLING, **ORGANIZATION_CONTEXT}, outdir=str(tmp_path))

    assembly = app.synth()

    assert assembly.get_stack_by_name(STACK_NAME).template["Resources"]


@pytest.mark.impure
def test_single_account_template_is_the_same_with_organization_mode_off(tmp_path: Path) -> None:
    def template(**extra: Any) -> dict[str, Any]:
        outdir = tmp_path / str(len(extra))
        context = {**CDK_JSON_CONTEXT, **SKIP_BUNDLING, "alertEmails": ",".join(ALERT_EMAILS), **extra}
        build_app(context, outdir=str(outdir), checks=False).synth()
        return json.loads((outdir / f"{STACK_NAME}.template.json").read_text())  # type: ignore[no-any-return]

    assert template(organization="false") == template()


# --- context ---------------------------------------------------------------------------------------------------
def _config(**context: Any) -> OrganizationConfig | None:
    return OrganizationConfig.from_context(context.get)


def test_organization_mode_is_off_by_default() -> None:
    assert _config() is None
    assert _config(organization="false") is None


def test_organization_defaults() -> None:
    config = _config(organization="true", organizationId=ORGANIZATION_ID, targetOus=" , ".join(TARGET_OUS))

    assert config == OrganizationConfig(
        organization_id=ORGANIZATION_ID,
        target_ous=TARGET_OUS,
        target_accounts=None,
        member_role_name=DEFAULT_MEMBER_ROLE_NAME,
        external_id=f"oidc-thumbprint-remediator-{ORGANIZATION_ID}",
        max_concurrency=DEFAULT_MAX_CONCURRENCY,
        call_as="SELF",
    )


def test_cdk_json_lists_are_accepted() -> None:
    config = _config(
        organization=True, organizationId=ORGANIZATION_ID, targetOus=list(TARGET_OUS), callAs="delegated_admin"
    )

    assert config is not None
    assert config.target_ous == TARGET_OUS
    assert config.call_as == "DELEGATED_ADMIN"


ON = {"organization": "true", "organizationId": ORGANIZATION_ID, "targetOus": TARGET_OUS[0]}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"targetOus": TARGET_OUS[0]}, "targetOus: organization settings need -c organization=true"),
        ({"organization": "maybe"}, "organization: expected true or false"),
        ({"organization": "true", "targetOus": TARGET_OUS[0]}, "organizationId: expected your organization's id"),
        ({**ON, "organizationId": "o-short"}, "organizationId: expected"),
        ({"organization": "true", "organizationId": ORGANIZATION_ID}, "targetOus: expected a comma-separated list"),
        ({**ON, "targetOus": "ou-x"}, "targetOus: expected root or OU ids"),
        ({**ON, "targetAccounts": "12345"}, "targetAccounts: expected 12-digit account ids"),
        ({**ON, "memberRoleName": "bad/name"}, "memberRoleName: expected an IAM role name"),
        ({**ON, "externalId": "x"}, "externalId: expected 2 to 1224 characters"),
        ({**ON, "maxConcurrency": "901"}, "maxConcurrency: expected a whole number from 1 to 900"),
        ({**ON, "maxConcurrency": "0"}, "maxConcurrency: expected a whole number from 1 to 900"),
        ({**ON, "callAs": "ADMIN"}, "callAs: expected SELF"),
    ],
)
def test_a_bad_organization_setting_stops_synthesis_naming_the_key(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _config(**context)
    assert message in str(raised.value)
