"""The function's asset, built without Docker: the engine installed by pip as a distribution, plus the handler.

One `pip install --target` takes the engine (`lambda/`, a setuptools project) and the pinned
requirements beside it, resolved together: a pin outside a range the engine declares fails the
build. With `--platform manylinux2014_<machine> --only-binary=:all:` it fetches the wheels the Lambda
runtime can load whatever machine synthesizes, so no container is needed. The engine is built from a
scratch copy of `lambda/` without the excluded files: what is built is what is hashed, and the work
tree is left as it was. The handler module is the asset's entry point, not part of the distribution:
it is copied to the asset root, where the function's handler setting finds it.

The Docker image is only the fallback CDK uses when local bundling declines (no pip). The
architecture and the CA bundle's digest sit in the bundling `environment`, which is part of the
asset hash: arm64 and x86_64 assets never share a hash, and a changed CA bundle yields a new asset.
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerVolume, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra.config import Architecture
from infra.contract import LAMBDA_DIR

PYTHON_VERSION: Final = "3.13"
REQUIREMENTS_FILE: Final = "requirements.txt"
ENTRY_MODULE: Final = "handler.py"  # at the asset root: the function's handler is handler.lambda_handler
# Where the Lambda runtime unpacks the asset (LAMBDA_TASK_ROOT).
TASK_ROOT: Final = "/var/task"
EXTRA_CA_BUNDLE_NAME: Final = "extra-ca-bundle.pem"
# Never part of the asset, nor of its hash: caches, tests, and what building or an editable install leaves.
EXCLUDE: Final = (
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
    "build",
    "dist",
    "tests",
)
# The python3.13 runtime ships the AWS SDK; aws-xray-sdk pulls botocore in, so it is removed again.
PROVIDED_BY_RUNTIME: Final = ("boto3", "botocore", "s3transfer")
_MACHINES: Final[dict[Architecture, str]] = {"arm64": "aarch64", "x86_64": "x86_64"}
_DOCKER_PLATFORMS: Final[dict[Architecture, str]] = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}
_CA_MOUNT: Final = "/extra-ca"
_CODE: Final = "/tmp/code"  # noqa: S108 - inside the throwaway build container: the filtered copy of lambda/


def pip_platform(architecture: Architecture) -> str:
    """The wheel platform tag the Lambda runtime can load for this architecture."""
    return f"manylinux2014_{_MACHINES[architecture]}"


def pip_install_arguments(project: str, requirements: str, target: str, architecture: Architecture) -> list[str]:
    """`pip install` arguments (after `pip`): the engine project and its pinned requirements, as wheels for
    the Lambda's platform and Python. The engine itself is pure Python: pip builds its wheel here."""
    return [
        "install",
        project,
        "--requirement",
        requirements,
        "--target",
        target,
        "--platform",
        pip_platform(architecture),
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
    ]


@dataclass(frozen=True)
class AssetSpec:
    """What goes into the asset: the code directory, the architecture, an optional CA bundle."""

    architecture: Architecture
    source_dir: Path = LAMBDA_DIR
    extra_ca_bundle: Path | None = None

    @property
    def extra_ca_bundle_path(self) -> str | None:
        """Where the CA bundle is inside the running function, if one is packaged."""
        return f"{TASK_ROOT}/{EXTRA_CA_BUNDLE_NAME}" if self.extra_ca_bundle else None

    def hash_environment(self) -> dict[str, str]:
        """Bundling environment: read by the Docker fallback and hashed with the source by CDK."""
        environment = {"TARGET_ARCHITECTURE": self.architecture, "PIP_PLATFORM": pip_platform(self.architecture)}
        if self.extra_ca_bundle:
            environment["EXTRA_CA_BUNDLE_SHA256"] = hashlib.sha256(self.extra_ca_bundle.read_bytes()).hexdigest()
        return environment


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Builds the asset with this interpreter's pip; declines (so CDK falls back to Docker) without pip."""

    def __init__(self, spec: AssetSpec, python: str = sys.executable) -> None:
        self._spec = spec
        self._python = python

    def try_bundle(self, output_dir: str, *_options: Any, **_keyword_options: Any) -> bool:
        """Build the asset into output_dir. CDK's bundling options are not needed: the spec holds them."""
        if not _has_pip(self._python):
            return False
        build_asset(self._spec, Path(output_dir), self._python)
        return True


def build_asset(spec: AssetSpec, output_dir: Path, python: str = sys.executable) -> None:
    """Install the engine and its wheels, drop what the runtime provides, then add the handler and the CA bundle."""
    with tempfile.TemporaryDirectory(prefix="thumbprint-remediator-build-") as scratch:
        project = Path(scratch) / "lambda"
        shutil.copytree(spec.source_dir, project, ignore=shutil.ignore_patterns(*EXCLUDE))
        arguments = pip_install_arguments(
            str(project), str(project / REQUIREMENTS_FILE), str(output_dir), spec.architecture
        )
        command = [python, "-m", "pip", *arguments]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed arguments
    if result.returncode != 0:
        raise RuntimeError(f"bundling failed: {shlex.join(command)}\n{result.stderr.strip()}")
    _remove_provided_by_runtime(output_dir)
    shutil.rmtree(output_dir / "bin", ignore_errors=True)  # console scripts of the wheels
    shutil.copyfile(spec.source_dir / ENTRY_MODULE, output_dir / ENTRY_MODULE)
    if spec.extra_ca_bundle:
        shutil.copyfile(spec.extra_ca_bundle, output_dir / EXTRA_CA_BUNDLE_NAME)


def _remove_provided_by_runtime(output_dir: Path) -> None:
    for name in PROVIDED_BY_RUNTIME:
        shutil.rmtree(output_dir / name, ignore_errors=True)
        for metadata in output_dir.glob(f"{name}-*.dist-info"):
            shutil.rmtree(metadata)


def _has_pip(python: str) -> bool:
    probe = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, check=False)  # noqa: S603
    return probe.returncode == 0


def docker_command(spec: AssetSpec) -> list[str]:
    """The same build inside the SAM build image, for hosts where local bundling declines."""
    excluded = " -o ".join(f"-name {shlex.quote(name)}" for name in EXCLUDE)
    install = pip_install_arguments(_CODE, f"{_CODE}/{REQUIREMENTS_FILE}", "/asset-output", spec.architecture)
    steps: list[str] = [
        f"mkdir -p {_CODE} && cp -R /asset-input/. {_CODE}/",
        f"find {_CODE} -mindepth 1 \\( {excluded} \\) -prune -exec rm -rf {{}} +",
        shlex.join(["pip", *install]),
        "rm -rf /asset-output/bin "
        + " ".join(f"/asset-output/{name} /asset-output/{name}-*.dist-info" for name in PROVIDED_BY_RUNTIME),
        f"cp {_CODE}/{ENTRY_MODULE} /asset-output/{ENTRY_MODULE}",
    ]
    if spec.extra_ca_bundle:
        steps.append(f"cp {_CA_MOUNT}/{shlex.quote(spec.extra_ca_bundle.name)} /asset-output/{EXTRA_CA_BUNDLE_NAME}")
    return ["bash", "-c", " && ".join(steps)]


def function_code(spec: AssetSpec) -> lambda_.Code:
    """The asset for `lambda_.Function(code=...)`: local pip bundling first, Docker as the fallback."""
    runtime = lambda_.Runtime.PYTHON_3_13
    volumes: Sequence[DockerVolume] = (
        [DockerVolume(host_path=str(spec.extra_ca_bundle.parent), container_path=_CA_MOUNT)]
        if spec.extra_ca_bundle
        else []
    )
    return lambda_.Code.from_asset(
        str(spec.source_dir),
        exclude=list(EXCLUDE),
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            image=runtime.bundling_image,
            command=docker_command(spec),
            environment=spec.hash_environment(),
            platform=_DOCKER_PLATFORMS[spec.architecture],
            volumes=list(volumes),
            local=LocalPipBundling(spec),
        ),
    )
