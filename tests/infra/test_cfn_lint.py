"""cfn-lint on the synthesized templates: no errors, and no warning but the one CDK's own output causes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.synthesis import Synthesized

pytestmark = pytest.mark.xdist_group("cdk-assertions")

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
# CDK adds DependsOn on the function's role next to the Role GetAtt; harmless and not ours to change.
TOLERATED_WARNINGS = {"W3005"}


@pytest.mark.parametrize("stack_fixture", ["default_stack", "overridden_stack"])
def test_template_passes_cfn_lint(stack_fixture: str, request: pytest.FixtureRequest) -> None:
    # Given
    stack: Synthesized = request.getfixturevalue(stack_fixture)

    # When
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", "--regions", *REGIONS, "--", str(stack.template_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    # Then
    assert result.stderr == "", result.stderr
    matches = json.loads(result.stdout or "[]")
    findings = [
        f"{match['Level']} {match['Rule']['Id']} at {'/'.join(map(str, match['Location']['Path']))}: {match['Message']}"
        for match in matches
        if match["Level"] == "Error" or match["Rule"]["Id"] not in TOLERATED_WARNINGS
    ]
    assert findings == []
