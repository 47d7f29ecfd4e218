"""The real CDK CLI synthesizes organization mode through app.py, bundling on, and refuses a bad setting."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from infra.application import STACK_NAME
from tests.infra.synthesis import PROJECT_ROOT
from tests.org.synthesis import ORGANIZATION_ID, TARGET_OUS

pytestmark = [pytest.mark.cdk_cli, pytest.mark.slow, pytest.mark.xdist_group("cdk-cli")]


def _cdk(*arguments: str) -> subprocess.CompletedProcess[str]:
    if not (PROJECT_ROOT / "node_modules" / ".bin" / "cdk").exists():
        pytest.fail("the pinned CDK CLI is missing: run `npm ci` (or `make install`)")
    return subprocess.run(
        ["npx", "--no-install", "cdk", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_cdk_synth_in_organization_mode(tmp_path: Path) -> None:
    # When docs/organizations.md's deploy command is synthesized (deploy minus the credentials)
    result = _cdk(
        "synth",
        "--quiet",
        "--output",
        str(tmp_path),
        "-c",
        "organization=true",
        "-c",
        f"organizationId={ORGANIZATION_ID}",
        "-c",
        f"targetOus={','.join(TARGET_OUS)}",
    )

    # Then it succeeds, cdk-nag included, with the StackSet and the state machine in the one stack
    assert result.returncode == 0, f"cdk synth failed:\n{result.stdout}\n{result.stderr}"
    template = json.loads((tmp_path / f"{STACK_NAME}.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::CloudFormation::StackSet", "AWS::StepFunctions::StateMachine", "AWS::Lambda::Function"} <= types


def test_cdk_synth_names_a_missing_organization_id(tmp_path: Path) -> None:
    result = _cdk("synth", "--quiet", "--output", str(tmp_path), "-c", "organization=true", "-c", "targetOus=r-ab12")

    assert result.returncode != 0
    assert "Invalid context: organizationId: expected your organization's id" in result.stderr
