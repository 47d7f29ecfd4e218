"""checkov, the scanner enterprise pipelines run on CloudFormation: no failed check on any template we ship.

checkov lives in its own venv (`.venv-checkov`, created by `make install` from requirements-checkov.txt): it pins
boto3 and packaging to versions the project cannot run with. `.checkov.yaml` is its configuration, with the
reason for every check it skips.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.synthesis import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("cdk-assertions")

CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = PROJECT_ROOT / ".checkov.yaml"
TEMPLATES = ("default_stack", "overridden_stack", "organization_template")
# The checks that failed before the stack was hardened: each must now run, and pass, on every such resource.
HARDENED = {
    "AWS::Logs::LogGroup": ("CKV_AWS_158",),  # encrypted with a customer managed key
    "AWS::Lambda::Function": ("CKV_AWS_115", "CKV_AWS_116"),  # reserved concurrency, dead-letter queue
    "AWS::SQS::Queue": ("CKV_AWS_27",),  # encrypted
}
_SKIP_ENTRY = re.compile(r"^\s*-\s*(CKV2?_[A-Z]+_\d+)\s*#\s*(\S.*)$")


def _checkov(scan_dir: Path, *options: str) -> dict[str, Any]:
    """checkov's JSON report on every template in `scan_dir`, in one run (its start-up is the slow part).

    Run inside `scan_dir` with relative names: no other configuration file is picked up, and the file name
    checkov stores in each resource is the same on every machine (its secrets check reads that name too, and
    an unlucky temporary path of 40 base64-like characters reads as an AWS secret key).
    """
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: `make install` creates it")
    files = [
        argument for template in sorted(scan_dir.glob("*.template.json")) for argument in ("--file", template.name)
    ]
    result = subprocess.run(
        [str(CHECKOV), *options, *files, "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=scan_dir,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    assert result.returncode in (0, 1), f"checkov crashed ({result.returncode}): {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    assert isinstance(report, dict), "expected one framework (cloudformation) in checkov's report"
    assert report["check_type"] == "cloudformation"
    assert report["summary"]["parsing_errors"] == 0
    return report


def _checks(report: dict[str, Any], outcome: str, template: Path) -> set[tuple[str, str]]:
    return {
        (check["check_id"], check["resource"])
        for check in report["results"][f"{outcome}_checks"]
        if Path(check["file_abs_path"]).name == template.name
    }


def _skips() -> dict[str, str]:
    """The checks .checkov.yaml skips, each with the reason written beside it."""
    skipped = yaml.safe_load(CONFIG.read_text())["skip-check"]
    reasons = {match[1]: match[2] for line in CONFIG.read_text().splitlines() if (match := _SKIP_ENTRY.match(line))}
    assert sorted(reasons) == sorted(skipped), "every skip-check entry needs its reason on its line"
    return reasons


@pytest.fixture(scope="module")
def templates(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each synthesized template, copied under its fixture's name into one directory for checkov."""
    scan_dir = tmp_path_factory.mktemp("checkov")
    copies = {}
    for name in TEMPLATES:
        copies[name] = scan_dir / f"{name}.template.json"
        shutil.copyfile(request.getfixturevalue(name).template_path, copies[name])
    return copies


@pytest.fixture(scope="module")
def checkov_report(templates: dict[str, Path]) -> dict[str, Any]:
    """Every template scanned with the project's configuration."""
    return _checkov(next(iter(templates.values())).parent, "--config-file", str(CONFIG))


@pytest.mark.parametrize("stack_fixture", TEMPLATES)
def test_checkov_finds_no_failed_check(
    stack_fixture: str, templates: dict[str, Path], checkov_report: dict[str, Any]
) -> None:
    # Given a synthesized template, scanned by checkov with the project's configuration
    template = templates[stack_fixture]
    resources = json.loads(template.read_text())["Resources"]

    # Then nothing fails
    assert sorted(_checks(checkov_report, "failed", template)) == []
    # and the checks the stack was hardened for ran, and passed, on every resource they concern
    hardened = {
        (check_id, f"{resource['Type']}.{logical_id}")
        for logical_id, resource in resources.items()
        for check_id in HARDENED.get(resource["Type"], ())
    }
    assert len(hardened) >= 4
    assert hardened <= _checks(checkov_report, "passed", template)


def test_every_skipped_check_has_a_reason_and_fails_without_its_skip(templates: dict[str, Path]) -> None:
    # Given the skips and their reasons
    reasons = _skips()
    for check_id, reason in reasons.items():
        assert len(reason) >= 40, f"{check_id} needs a real reason, got {reason!r}"

    # When every template is scanned with nothing skipped
    report = _checkov(next(iter(templates.values())).parent, "--framework", "cloudformation", "--skip-download")

    # Then on each, exactly the skipped checks fail: no skip is stale, none hides another failure
    for name, template in templates.items():
        assert {check_id for check_id, _ in _checks(report, "failed", template)} == set(reasons), name


def test_checkov_stays_out_of_the_project_venv() -> None:
    # checkov pins boto3 and packaging to versions the engine and CDK cannot use.
    assert importlib.util.find_spec("checkov") is None
