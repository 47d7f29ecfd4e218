"""An organization sweep run end to end offline, for the slow tests and the benchmark: an emulated organization
of any size (member accounts in one OU, each with the member role from the StackSet's template), the organization
stack's synthesized state machine executed by moto's interpreter, and the real handler serving every step.

The member role is created from the template's own role properties through IAM (what the StackSet's stack
instance creates), not through one CloudFormation stack per account: at thousands of accounts that is hours.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.environment import Sandbox, applied_environment, load_handler
from sandbox.lambda_context import LocalLambdaContext
from sandbox.organization import MANAGEMENT_ACCOUNT, EmulatedOrganization, enforced_role_trust
from sandbox.report_schema import validate_handler_output
from sandbox.step_functions import (
    Execution,
    InterpreterCounters,
    LocalFunctions,
    executing_state_machines,
    run_state_machine,
    writing_map_results,
)

CENTRAL_ROLE_NAME = "OidcThumbprintRemediatorSweepRole"
FUNCTION_NAME = "oidc-thumbprint-remediator-org"


@dataclass(frozen=True)
class OrganizationScene:
    """Who is where: the organization, its OU of members, the central role, the external id, the bucket."""

    organization: EmulatedOrganization
    unit: str
    members: tuple[str, ...]
    central_role_arn: str
    external_id: str
    bucket: str


def build_scene(
    sandbox: Sandbox,
    members: int,
    *,
    member_template: Mapping[str, Any],
    external_id: str,
    broken_roles: int = 0,
    bucket: str = "oidc-thumbprint-remediator-org-sweeps",
) -> OrganizationScene:
    """An organization with `members` accounts in a new OU, each holding the member role; the first
    `broken_roles` of them hold it with a trust policy that admits nobody, so STS refuses the central role."""
    organization = EmulatedOrganization(sandbox.account).create()
    unit = organization.add_unit(f"sweep-{uuid.uuid4().hex[:8]}")
    central_role_arn = _central_role(organization)
    role = next(iter(member_template["Resources"].values()))["Properties"]
    parameters = {"CentralAccountId": MANAGEMENT_ACCOUNT, "CentralRoleArn": central_role_arn}
    parameters |= {"OrganizationId": organization.id, "ExternalId": external_id}
    accounts = []
    organizations, target = organization.client("organizations"), {"account": MANAGEMENT_ACCOUNT}
    iam = organization.client("iam")  # one client, pointed at each member in turn: clients cost 0.3 s each

    def act_in_target(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = target["account"]

    iam.meta.events.register("before-sign", act_in_target)
    for index in range(members):
        name = f"member-{index:05d}-{uuid.uuid4().hex[:6]}"
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        account_id = str(status["AccountId"])
        organizations.move_account(AccountId=account_id, SourceParentId=organization.root_id, DestinationParentId=unit)
        target["account"] = account_id
        trust = _resolve(role["AssumeRolePolicyDocument"], {**parameters, "AWS::Partition": "aws"})
        if index < broken_roles:
            trust = {"Version": "2012-10-17", "Statement": []}
        iam.create_role(RoleName=role["RoleName"], AssumeRolePolicyDocument=json.dumps(trust))
        for policy in role["Policies"]:
            document = _resolve(policy["PolicyDocument"], {"AWS::Partition": "aws", "AWS::AccountId": account_id})
            iam.put_role_policy(
                RoleName=role["RoleName"], PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        accounts.append(account_id)
    organization.create_store_bucket(bucket)
    return OrganizationScene(organization, unit, tuple(accounts), central_role_arn, external_id, bucket)


@dataclass(frozen=True)
class SweepRun:
    """One execution and what it cost."""

    execution: Execution
    wall_seconds: float
    lambda_invocations: int
    most_in_flight: int
    counters: InterpreterCounters


@contextmanager
def warm_function(sandbox: Sandbox, environment: Mapping[str, str]) -> Iterator[Any]:
    """The handler as one warm Lambda execution environment: settings and clients built once, then reused."""
    with applied_environment(sandbox.handler_environment(**environment)):
        handler = load_handler()

        def invoke(event: Any) -> Any:
            return validate_handler_output(handler.lambda_handler(event, LocalLambdaContext(900)))

        yield invoke


def sweep(
    sandbox: Sandbox,
    scene: OrganizationScene,
    definition_for: Callable[[str, str], dict[str, Any]],
    *,
    timeout: float = 3600,
) -> SweepRun:
    """Execute the state machine (`definition_for(function_arn, bucket)` gives its ASL) with the handler warm, as
    the central role; AssumeRole honours the member roles' trust policies."""
    credentials = scene.organization.credentials_of(scene.central_role_arn)
    functions = LocalFunctions(sandbox.account)
    started = time.monotonic()
    with (
        enforced_role_trust(),
        writing_map_results() as counters,
        executing_state_machines(sandbox.account),
        functions.serving(),
        warm_function(sandbox, credentials) as invoke,
    ):
        function_arn = functions.create(FUNCTION_NAME, invoke)
        execution = run_state_machine(
            sandbox.account,
            f"organization-sweep-{uuid.uuid4().hex[:8]}",  # moto's backends outlive a sandbox: never reuse one
            definition_for(function_arn, scene.bucket),
            {},
            timeout=timeout,
        )
    return SweepRun(
        execution=execution,
        wall_seconds=time.monotonic() - started,
        lambda_invocations=len(functions.invocations.payloads),
        most_in_flight=functions.invocations.most_in_flight,
        counters=counters,
    )


def organization_definition(context: Mapping[str, str], outdir: Path) -> Callable[[str, str], dict[str, Any]]:
    """Synthesize the organization stack (bundling skipped) and return `definition_for(function_arn, bucket)`:
    its state machine's ASL with the function's ARN, the bucket's name and the partition filled in."""
    from infra.application import STACK_NAME, build_app  # noqa: PLC0415 - CDK loads only where it is asked for

    cdk_context = json.loads((Path(__file__).resolve().parents[1] / "cdk.json").read_text())["context"]
    app = build_app(
        {**cdk_context, "aws:cdk:bundling-stacks": [], "organization": "true", **context},
        outdir=str(outdir),
        checks=False,
    )
    app.synth()
    template = json.loads((outdir / f"{STACK_NAME}.template.json").read_text())
    resources = template["Resources"]
    [machine] = [item for item in resources.values() if item["Type"] == "AWS::StepFunctions::StateMachine"]
    [bucket_id] = [key for key, item in resources.items() if item["Type"] == "AWS::S3::Bucket"]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]

    def definition_for(function_arn: str, bucket: str) -> dict[str, Any]:
        def resolve(part: Any) -> str:
            if isinstance(part, str):
                return part
            if part == {"Ref": "AWS::Partition"}:
                return "aws"
            if part == {"Ref": bucket_id}:
                return bucket
            if "Fn::GetAtt" in part and resources[part["Fn::GetAtt"][0]]["Type"] == "AWS::Lambda::Function":
                return function_arn
            raise ValueError(f"unexpected intrinsic in the definition: {part}")

        return json.loads("".join(resolve(part) for part in parts))  # type: ignore[no-any-return]

    return definition_for


def _central_role(organization: EmulatedOrganization) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return organization.ensure_role(MANAGEMENT_ACCOUNT, CENTRAL_ROLE_NAME, trust)


def _resolve(value: Any, parameters: Mapping[str, str]) -> Any:
    """CloudFormation's Ref and Fn::Sub over plain parameters, enough for the member role's template."""
    if isinstance(value, Mapping):
        if set(value) == {"Ref"}:
            return parameters[value["Ref"]]
        if set(value) == {"Fn::Sub"}:
            text = str(value["Fn::Sub"])
            for name, replacement in parameters.items():
                text = text.replace("${" + name + "}", replacement)
            return text
        return {key: _resolve(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, parameters) for item in value]
    return value
