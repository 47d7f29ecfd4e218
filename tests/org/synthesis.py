"""The organization stack, synthesized in process (bundling skipped, as tests/infra does), and its definition."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.application import STACK_NAME, build_app
from infra.organization.stack import OrganizationStack
from tests.infra.synthesis import CDK_JSON_CONTEXT, SKIP_BUNDLING

ORGANIZATION_ID = "o-a1b2c3d4e5"
TARGET_OUS = ("ou-a1b2-11111111", "ou-a1b2-22222222")
ORGANIZATION_CONTEXT = {
    "organization": "true",
    "organizationId": ORGANIZATION_ID,
    "targetOus": ",".join(TARGET_OUS),
    "alertEmails": "ops@example.com",
}


@dataclass(frozen=True)
class SynthesizedOrganization:
    app: App
    stack: OrganizationStack
    template: Template
    template_path: Path

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.to_json()["Resources"]  # type: ignore[no-any-return]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def only(self, resource_type: str) -> dict[str, Any]:
        found = self.of_type(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]

    def logical_id(self, resource_type: str, containing: str = "") -> str:
        found = [key for key in self.of_type(resource_type) if containing in key]
        assert len(found) == 1, f"expected one {resource_type} with {containing!r}, found {found}"
        return found[0]

    def definition(self, resolve: Callable[[Mapping[str, Any]], str] | None = None) -> dict[str, Any]:
        """The state machine's ASL, with each intrinsic (Ref, GetAtt) replaced by `resolve(it)`."""
        joined = self.only("AWS::StepFunctions::StateMachine")["DefinitionString"]["Fn::Join"]
        resolve = resolve or placeholder
        return json.loads("".join(part if isinstance(part, str) else resolve(part) for part in joined[1]))  # type: ignore[no-any-return]


def placeholder(intrinsic: Mapping[str, Any]) -> str:
    """A readable stand-in: ${AWS::Partition}, ${SweepFunction.Arn}."""
    if "Ref" in intrinsic:
        return "${" + str(intrinsic["Ref"]) + "}"
    logical_id, attribute = intrinsic["Fn::GetAtt"]
    return "${" + f"{logical_id}.{attribute}" + "}"


def synthesize_organization(
    context: Mapping[str, Any], outdir: Path, *, checks: bool = False
) -> SynthesizedOrganization:
    app = build_app({**CDK_JSON_CONTEXT, **SKIP_BUNDLING, **context}, outdir=str(outdir), checks=checks)
    app.synth()
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, OrganizationStack)
    return SynthesizedOrganization(app, stack, Template.from_stack(stack), outdir / f"{STACK_NAME}.template.json")
