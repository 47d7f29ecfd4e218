"""The distribution installs the console script `oidc-thumbprints`, which runs from any directory.

The engine (lambda/) is built and installed, as `pip install ./lambda` or `pipx install ./lambda` would, into a
scratch venv under the temporary directory: pip builds it in isolation (setuptools from PyPI, the one download).
The engine's runtime dependencies are not downloaded again: a .pth file lends the scratch venv the project venv's
site-packages, behind its own, so that the engine and its script are the scratch venv's and nothing else is.
Then, from a directory outside the repository and without PYTHONPATH, the script answers --version and --help
and sweeps the sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.environment import Sandbox

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = ROOT / "lambda"
# What a build must not see or leave (the work tree's caches, an editable install's metadata).
_NOT_COPIED = ("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    venv: Path
    outside: Path  # a directory outside the repository, to run from
    seconds: float

    @property
    def script(self) -> Path:
        return self.venv / "bin" / "oidc-thumbprints"

    def run(self, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environment = {
            key: value for key, value in os.environ.items() if key != "PYTHONPATH" and not key.startswith("AWS_")
        }
        environment.update({"AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true", **(env or {})})
        return subprocess.run(
            [str(self.script), *arguments],
            cwd=self.outside,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    started = time.monotonic()
    scratch = tmp_path_factory.mktemp("console-script")
    project = scratch / "lambda"
    shutil.copytree(LAMBDA_DIR, project, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    (Path(purelib) / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # The project venv's pip installs into the scratch venv (pip --python): no pip bootstrapped there.
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    outside = scratch / "elsewhere"
    outside.mkdir()
    return Installed(venv, outside, time.monotonic() - started)


def test_the_console_script_answers_version_and_help_outside_the_repository(
    installed: Installed, record_property: Callable[[str, object], None]
) -> None:
    record_property("install_seconds", round(installed.seconds, 1))
    print(f"built and installed into a scratch venv in {installed.seconds:.1f} s")
    version = tomllib.loads((LAMBDA_DIR / "pyproject.toml").read_text())["project"]["version"]

    answered = installed.run("--version")
    sweep_help = installed.run("sweep", "--help")
    history_help = installed.run("history", "--help")

    assert (answered.returncode, answered.stdout.strip()) == (0, f"oidc-thumbprints {version}")
    assert sweep_help.returncode == 0, sweep_help.stderr
    for flag in ("--host-budget", "--role-arn", "--output", "--notify", "--apply"):
        assert flag in sweep_help.stdout
    assert history_help.returncode == 0, history_help.stderr
    assert "--table" in history_help.stdout


def test_the_installed_engine_is_the_scratch_venvs_own(installed: Installed) -> None:
    where = subprocess.run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "import thumbprint_remediator.cli; print(thumbprint_remediator.cli.__file__)",
        ],
        cwd=installed.outside,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert Path(where.stdout.strip()).is_relative_to(installed.venv)


def test_the_console_script_sweeps_the_sandbox(installed: Installed, sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")
    environment = {**sandbox.account.environment(), "SSL_CERT_FILE": sandbox.trust_environment["SSL_CERT_FILE"]}

    swept = installed.run("sweep", "--output", "json", "--provider", provider.url, env=environment)

    assert swept.returncode == 0, swept.stderr
    [finding] = json.loads(swept.stdout)["findings"]
    assert (finding["arn"], finding["status"]) == (provider.arn, "ok")
