"""The Lambda asset's size per architecture, built exactly as the CDK app builds it, then zipped.

The build is `infra.bundling.build_asset` (the engine distribution and its pinned wheels for
manylinux2014_<arch> and CPython 3.13, minus what the runtime provides, plus the handler), run in a
child interpreter because importing infra starts the jsii runtime. Where that module cannot be
imported, the documented equivalent runs here: the same `pip install` and the same removals.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import LAMBDA_ROOT, REPO_ROOT

ARCHITECTURES = ("arm64", "x86_64")
_PIP_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
_PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
_EXCLUDED = (
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
_INFRA_BUILD = (
    "import sys; from pathlib import Path; from infra.bundling import AssetSpec, build_asset; "
    "build_asset(AssetSpec(sys.argv[1]), Path(sys.argv[2]))"
)


class AssetBuildError(RuntimeError):
    """pip could not build the asset (no index reachable, a wheel missing for the platform...)."""


@dataclass(frozen=True)
class AssetSize:
    architecture: str
    bundler: str  # which build ran
    unzipped_bytes: int
    zipped_bytes: int
    files: int
    largest: dict[str, int]  # top-level entries by unzipped bytes


def build(architecture: str, output_dir: Path) -> str:
    """Build the asset into `output_dir` (created); returns which build ran."""
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _INFRA_BUILD, architecture, str(output_dir)],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return "infra.bundling.build_asset"
    if "ImportError" not in result.stderr and "ModuleNotFoundError" not in result.stderr:
        raise AssetBuildError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "pip failed")
    _pip_build(architecture, output_dir)
    return "pip install --platform (infra.bundling not importable)"


def _pip_build(architecture: str, output_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-asset-") as scratch:
        project = Path(scratch) / "lambda"
        shutil.copytree(LAMBDA_ROOT, project, ignore=shutil.ignore_patterns(*_EXCLUDED))
        _pip_install(project, architecture, output_dir)
    for name in _PROVIDED_BY_RUNTIME:
        shutil.rmtree(output_dir / name, ignore_errors=True)
        for metadata in output_dir.glob(f"{name}-*.dist-info"):
            shutil.rmtree(metadata)
    shutil.rmtree(output_dir / "bin", ignore_errors=True)
    shutil.copyfile(LAMBDA_ROOT / "handler.py", output_dir / "handler.py")


def _pip_install(project: Path, architecture: str, output_dir: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        str(project),
        "--requirement",
        str(project / "requirements.txt"),
        "--target",
        str(output_dir),
        "--platform",
        f"manylinux2014_{_PIP_MACHINES[architecture]}",
        "--only-binary=:all:",
        "--python-version",
        "3.13",
        "--implementation",
        "cp",
        "--no-compile",
        "--quiet",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssetBuildError(result.stderr.strip() or "pip failed")


def measure(asset_dir: Path, architecture: str, bundler: str, zip_path: Path) -> AssetSize:
    """Unzipped size (sum of file sizes), and the size of a deflate-9 zip of the directory."""
    files = sorted(path for path in asset_dir.rglob("*") if path.is_file())
    per_entry: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            relative = path.relative_to(asset_dir)
            archive.write(path, relative.as_posix())
            per_entry[relative.parts[0]] += path.stat().st_size
    return AssetSize(
        architecture=architecture,
        bundler=bundler,
        unzipped_bytes=sum(per_entry.values()),
        zipped_bytes=zip_path.stat().st_size,
        files=len(files),
        largest=dict(per_entry.most_common(6)),
    )
