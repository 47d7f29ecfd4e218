"""The workstation CLI sweeps another account through a role (--role-arn, --external-id), as the function's
organization sweep does: IAM through the assumed role, and a role it cannot assume is one line and exit 2."""

from __future__ import annotations

import pytest

from sandbox.environment import Sandbox, stale_thumbprint
from tests.cli_runner import Cli
from tests.org.conftest import EXTERNAL_ID, Organization

# moto's STS model has no AccessDenied shape (AWS answers it as a generic error); it warns on serializing one.
pytestmark = pytest.mark.filterwarnings("ignore:Exception\\(AccessDenied\\):UserWarning")


def test_role_arn_sweeps_and_fixes_the_roles_account(
    cli: Cli, sandbox: Sandbox, org: Organization, central_credentials: dict[str, str]
) -> None:
    # Given a stale provider in prod, and one with the same issuer in the account whose credentials are used
    issuer = sandbox.fleet.add("healthy")
    stale = [stale_thumbprint("prod")]
    in_prod = org.emulated.create_provider(org.prod, issuer.url, stale)
    at_home = sandbox.register(issuer, pinned="stale")
    role = org.member_role_arn(org.prod)

    # When the CLI sweeps prod through its member role, applying
    run = cli("sweep", "--role-arn", role, "--external-id", EXTERNAL_ID, "--apply", "--json", env=central_credentials)

    # Then prod's provider was fixed in prod, the report says whose account and which role
    assert run.status == 0, run.err
    assert (run.report["account"], run.report["role_arn"]) == (org.prod, role)
    [finding] = run.report["findings"]
    assert (finding["arn"], finding["action"]) == (in_prod, "updated")
    assert org.emulated.thumbprints(org.prod, in_prod) == [*issuer.expected_thumbprints.values(), *stale]
    # And the caller's own account was not touched
    assert sandbox.thumbprints(at_home) == list(at_home.pinned)


def test_a_role_that_cannot_be_assumed_is_one_line_and_exit_2(
    cli: Cli, sandbox: Sandbox, org: Organization, central_credentials: dict[str, str]
) -> None:
    issuer = sandbox.fleet.add("healthy")
    in_prod = org.emulated.create_provider(org.prod, issuer.url, [stale_thumbprint("prod")])
    role = org.member_role_arn(org.prod)

    wrong_id = cli("sweep", "--role-arn", role, "--external-id", "not-the-external-id", env=central_credentials)
    no_id = cli("sweep", "--external-id", EXTERNAL_ID, env=central_credentials)

    assert wrong_id.status == 2
    (line,) = wrong_id.err.strip().splitlines()
    assert line.startswith(f"error: cannot assume {role}: AccessDenied")
    assert "its trust policy must let arn:aws:sts::" in line
    assert no_id.status == 2
    assert no_id.err.strip() == "error: --external-id is given without --role-arn"
    assert issuer.connections == 0
    assert org.emulated.thumbprints(org.prod, in_prod) == [stale_thumbprint("prod")]
