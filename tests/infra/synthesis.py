"""In-process synthesis for the assertion tests: the app `app.py` builds, with bundling skipped.

Bundling is skipped (context `aws:cdk:bundling-stacks` = []): the asset hash is computed from the
source and the bundling options all the same, so hash assertions still hold. The real bundling runs
in test_cdk_cli.py through `npx cdk synth`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.application import STACK_NAME, build_app
from infra.stack import ThumbprintRemediatorStack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The feature flags `cdk synth` passes from cdk.json: the tested template is the deployed one.
CDK_JSON_CONTEXT: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
SKIP_BUNDLING: dict[str, list[str]] = {"aws:cdk:bundling-stacks": []}
ALERT_EMAILS = ("ops@example.com", "secops@example.com")
OVERRIDES = {
    "dryRun": "true",
    "architecture": "x86_64",
    "schedule": "rate(6 hours)",
    "expiryWarningDays": "14",
    "notifyOn": "always",
    "memorySize": "1024",
    "timeout": "120",
}


@dataclass(frozen=True)
class Synthesized:
    """A synthesized app and what the tests read from it."""

    app: App
    stack: ThumbprintRemediatorStack
    template: Template
    template_path: Path

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.to_json()["Resources"]  # type: ignore[no-any-return]

    def only(self, resource_type: str) -> dict[str, Any]:
        """The properties of the one resource of this type."""
        found = self.template.find_resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]

    def logical_id(self, resource_type: str) -> str:
        found = self.template.find_resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found))


def synthesize(context: Mapping[str, Any], outdir: Path) -> Synthesized:
    app = build_app({**CDK_JSON_CONTEXT, **SKIP_BUNDLING, **context}, outdir=str(outdir), checks=False)
    app.synth()
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, ThumbprintRemediatorStack)
    return Synthesized(
        app=app,
        stack=stack,
        template=Template.from_stack(stack),
        template_path=outdir / f"{STACK_NAME}.template.json",
    )
