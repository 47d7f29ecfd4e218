"""The stack and the function give every value the same verdict: a switch, an account, an OU, a role, an external id.

Each value goes through both entry points, the CDK context (StackConfig, ChannelsConfig, OrganizationConfig) and
the function's environment or payload (Settings, the ListAccounts step), against the verdict written out in
tests/unit/test_contract_validators.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.channels import ChannelsConfig
from infra.config import ConfigError, StackConfig
from infra.organization.config import OrganizationConfig
from infra.organization.member_role import (
    PARAMETER_CENTRAL_ACCOUNT,
    PARAMETER_CENTRAL_ROLE,
    PARAMETER_ORGANIZATION,
    member_role_template,
)
from tests.unit.test_contract_validators import (
    ACCOUNT_IDS,
    BOOLEANS,
    EXTERNAL_IDS,
    ORGANIZATION_IDS,
    PARENT_IDS,
    ROLE_NAMES,
)
from thumbprint_remediator.app.request import parse_invocation
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.names import ENV_DRY_RUN, ENV_FINDING_EVENTS, ENV_TOPIC_ARN
from thumbprint_remediator.domain.errors import RequestError, SettingsError

ORGANIZATION = {"organization": "true", "organizationId": "o-abcdef1234", "targetOus": "ou-abcd-abcdefgh"}
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def _exact(table: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The context trims each item of a list (`-c targetAccounts="1, 2"`) and a blank value means the default:
    values with whitespace around them, or none at all, say something about that syntax, not about the shape."""
    return [(value, verdict) for value, verdict in table if value and value == value.strip()]


def _stack_verdict(context: dict[str, Any], read: Any) -> Any:
    try:
        return read(context.get)
    except ConfigError as error:
        return error


def _settings_switch(name: str, spelling: str) -> bool | None:
    try:
        settings = Settings.from_env({ENV_TOPIC_ARN: TOPIC, name: spelling})
    except SettingsError:
        return None
    return bool(getattr(settings, name.lower()))


@pytest.mark.parametrize(("spelling", "verdict"), BOOLEANS)
def test_a_switch_means_the_same_in_the_context_and_in_the_environment(spelling: str, verdict: bool | None) -> None:
    # When the same spelling is given as -c dryRun=..., -c findingEvents=... and as DRY_RUN, FINDING_EVENTS
    dry_run = _stack_verdict({"dryRun": spelling}, StackConfig.from_context)
    finding_events = _stack_verdict({"findingEvents": spelling}, ChannelsConfig.from_context)

    # Then the stack reads it as the function does, or both refuse it naming the key
    if verdict is None:
        assert isinstance(dry_run, ConfigError)
        assert str(dry_run).startswith("dryRun: expected true or false")
        assert isinstance(finding_events, ConfigError)
        assert str(finding_events).startswith("findingEvents: expected true or false")
    else:
        assert isinstance(dry_run, StackConfig)
        assert dry_run.dry_run is verdict
        assert isinstance(finding_events, ChannelsConfig)
        assert finding_events.finding_events is verdict
    assert _settings_switch(ENV_DRY_RUN, spelling) is verdict
    assert _settings_switch(ENV_FINDING_EVENTS, spelling) is verdict


@pytest.mark.parametrize(("spelling", "verdict"), BOOLEANS)
def test_the_organization_switch_reads_the_same_spellings(spelling: str, verdict: bool | None) -> None:
    outcome = _stack_verdict({"organization": spelling}, OrganizationConfig.from_context)

    if verdict is None:
        assert isinstance(outcome, ConfigError)
        assert str(outcome).startswith("organization: expected true or false")
    elif verdict:  # switched on: the organization's id is the next thing it asks for
        assert isinstance(outcome, ConfigError)
        assert str(outcome).startswith("organizationId:")
    else:
        assert outcome is None


def test_a_json_boolean_from_cdk_json_is_taken_as_it_is() -> None:
    assert StackConfig.from_context({"dryRun": True, "history": False}.get).dry_run is True
    assert OrganizationConfig.from_context({"organization": False}.get) is None


def _lambda_list_accounts(**body: Any) -> bool:
    try:
        parse_invocation({"list_accounts": {"parents": ["r-ab12"], "role_name": "Member", **body}})
    except RequestError:
        return False
    return True


def _organization_accepts(**context: str) -> bool:
    return isinstance(_stack_verdict({**ORGANIZATION, **context}, OrganizationConfig.from_context), OrganizationConfig)


@pytest.mark.parametrize(("account", "verdict"), _exact(ACCOUNT_IDS))
def test_account_ids_agree(account: str, verdict: bool) -> None:
    assert _organization_accepts(targetAccounts=account) is verdict
    assert _lambda_list_accounts(accounts=[account]) is verdict


@pytest.mark.parametrize(("parent", "verdict"), _exact(PARENT_IDS))
def test_parent_ids_agree(parent: str, verdict: bool) -> None:
    assert _organization_accepts(targetOus=parent) is verdict
    assert _lambda_list_accounts(parents=[parent]) is verdict


@pytest.mark.parametrize(("role_name", "verdict"), _exact(ROLE_NAMES))
def test_role_names_agree(role_name: str, verdict: bool) -> None:
    assert _organization_accepts(memberRoleName=role_name) is verdict
    assert _lambda_list_accounts(role_name=role_name) is verdict


@pytest.mark.parametrize(("external_id", "verdict"), _exact(EXTERNAL_IDS))
def test_external_ids_agree(external_id: str, verdict: bool) -> None:
    assert _organization_accepts(externalId=external_id) is verdict
    assert _lambda_list_accounts(external_id=external_id) is verdict


@pytest.mark.parametrize(("organization_id", "verdict"), _exact(ORGANIZATION_IDS))
def test_organization_ids(organization_id: str, verdict: bool) -> None:
    assert _organization_accepts(organizationId=organization_id) is verdict


def _allowed(parameter: str) -> str:
    pattern = member_role_template("Member")["Parameters"][parameter]["AllowedPattern"]
    assert isinstance(pattern, str)
    return pattern


@pytest.mark.parametrize(("account", "verdict"), ACCOUNT_IDS)
def test_the_member_role_parameters_take_the_same_accounts(account: str, verdict: bool) -> None:
    # CloudFormation matches AllowedPattern against the whole value; [0-9] means the same in its engine and ours.
    assert (re.fullmatch(_allowed(PARAMETER_CENTRAL_ACCOUNT), account) is not None) is verdict
    role = f"arn:aws:iam::{account}:role/Central"
    assert (re.fullmatch(_allowed(PARAMETER_CENTRAL_ROLE), role) is not None) is verdict


@pytest.mark.parametrize(("organization_id", "verdict"), ORGANIZATION_IDS)
def test_the_member_role_parameters_take_the_same_organizations(organization_id: str, verdict: bool) -> None:
    assert (re.fullmatch(_allowed(PARAMETER_ORGANIZATION), organization_id) is not None) is verdict


@pytest.mark.parametrize("region", ["eu-west-\u0661", "eu-west-\uff11", "eu-w\u00e9st-1", "eu-west-1x", "eu-west"])
def test_a_region_is_ascii_and_whole(region: str) -> None:
    with pytest.raises(ConfigError, match="region"):
        ChannelsConfig.from_context({"region": region}.get)


def test_a_plain_region_is_taken() -> None:
    assert ChannelsConfig.from_context({"region": "ap-southeast-2"}.get).region == "ap-southeast-2"
