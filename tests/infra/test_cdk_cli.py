"""The real CDK CLI (`npx cdk synth`, version pinned in package.json) with bundling on, for both architectures.

The asset it produces must hold the handler, the engine (installed as a distribution, exactly its
modules), Powertools and a cryptography build for the target machine (read from the ELF header of its
Rust extension), and no AWS SDK: the runtime has it. Building it leaves the work tree as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.application import STACK_NAME
from infra.bundling import ENTRY_MODULE, EXTRA_CA_BUNDLE_NAME, PROVIDED_BY_RUNTIME
from infra.contract import LAMBDA_DIR
from tests.infra.synthesis import PROJECT_ROOT

pytestmark = [pytest.mark.cdk_cli, pytest.mark.slow, pytest.mark.xdist_group("cdk-cli")]

CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
RUST_EXTENSION = Path("cryptography/hazmat/bindings/_rust.abi3.so")
ELF_MACHINES = {"arm64": 183, "x86_64": 62}  # EM_AARCH64, EM_X86_64
CFFI_TAGS = {"arm64": "aarch64", "x86_64": "x86_64"}
PACKAGE = "thumbprint_remediator"


@dataclass(frozen=True)
class CliSynth:
    architecture: str
    outdir: Path
    asset_dir: Path
    asset_hash: str
    seconds: float


def _cdk(*arguments: str) -> subprocess.CompletedProcess[str]:
    if not CDK.exists():
        pytest.fail("the pinned CDK CLI is missing: run `npm ci` (or `make install`)")
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run(
        ["npx", "--no-install", "cdk", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _synth(outdir: Path, architecture: str, *context: str) -> CliSynth:
    started = time.monotonic()
    result = _cdk("synth", "--quiet", "--output", str(outdir), "-c", f"architecture={architecture}", *context)
    seconds = time.monotonic() - started
    assert result.returncode == 0, f"cdk synth failed:\n{result.stdout}\n{result.stderr}"
    manifest = json.loads((outdir / f"{STACK_NAME}.assets.json").read_text())
    (asset_hash,) = [key for key, asset in manifest["files"].items() if asset["source"]["packaging"] == "zip"]
    asset_dir = outdir / manifest["files"][asset_hash]["source"]["path"]
    return CliSynth(architecture, outdir, asset_dir, asset_hash, seconds)


def _zipped_size(directory: Path, destination: Path) -> int:
    """The asset as `cdk deploy` uploads it: one zip of the directory, handler at the root."""
    archive = Path(shutil.make_archive(str(destination), "zip", root_dir=directory))
    with zipfile.ZipFile(archive) as package:
        assert {"handler.py", str(RUST_EXTENSION)} <= set(package.namelist())
    return archive.stat().st_size


def _files_under(root: Path, directory: str) -> set[str]:
    """Files below root/directory, relative to root, without bytecode (Python writes it while tests import)."""
    return {
        path.relative_to(root).as_posix()
        for path in (root / directory).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _work_tree_of_the_asset() -> set[str]:
    return {
        path.relative_to(LAMBDA_DIR).as_posix() for path in LAMBDA_DIR.rglob("*") if "__pycache__" not in path.parts
    }


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF shared object"
    assert header[4] == 2, f"{path} is not 64-bit"
    return int.from_bytes(header[18:20], "little")


def _assert_holds_the_code_for(synth: CliSynth) -> None:
    asset = synth.asset_dir
    # The code, at the root the handler string expects
    assert (asset / ENTRY_MODULE).read_bytes() == (LAMBDA_DIR / ENTRY_MODULE).read_bytes()
    # The engine as pip installs a distribution: exactly its modules (and py.typed), with its metadata
    assert _files_under(asset, PACKAGE) == _files_under(LAMBDA_DIR, PACKAGE)
    (metadata,) = asset.glob(f"{PACKAGE}-*.dist-info")
    assert "Name: thumbprint-remediator" in (metadata / "METADATA").read_text().splitlines()
    assert (asset / "aws_lambda_powertools" / "__init__.py").is_file()
    assert (asset / "aws_xray_sdk").is_dir()  # powertools[tracer]
    # cryptography (and cffi) built for the function's machine
    assert _elf_machine(asset / RUST_EXTENSION) == ELF_MACHINES[synth.architecture]
    cffi = [path.name for path in asset.glob("_cffi_backend.cpython-313-*-linux-gnu.so")]
    assert cffi == [f"_cffi_backend.cpython-313-{CFFI_TAGS[synth.architecture]}-linux-gnu.so"]
    # nothing the runtime provides, nothing that is not code
    for name in PROVIDED_BY_RUNTIME:
        assert not (asset / name).exists(), f"{name} is bundled, but the python3.13 runtime provides it"
        assert not list(asset.glob(f"{name}-*.dist-info"))
    assert not list(asset.rglob("__pycache__"))
    assert not list(asset.rglob("*.pyc"))
    assert not (asset / "requirements.txt").exists()
    assert not (asset / "pyproject.toml").exists()
    assert not [name for name in ("build", "dist", "tests") if (asset / name).exists()]
    assert not list(asset.glob("*.egg-info"))
    assert not (asset / "bin").exists()


def test_cdk_synth_bundles_a_complete_asset_for_each_architecture(
    tmp_path: Path, private_ca_bundle: Path, record_property: Callable[[str, object], None]
) -> None:
    # Given the pinned CLI, bundling on: arm64 as deployed by default, x86_64 with a private CA bundle.
    # (One test, not several: the synths are the slow part and must run once, on one worker.)
    work_tree = _work_tree_of_the_asset()
    arm64 = _synth(tmp_path / "arm64", "arm64", "-c", "alertEmails=ops@example.com")
    x86_64 = _synth(tmp_path / "x86_64", "x86_64", "-c", f"extraCaBundle={private_ca_bundle}")

    # Then each asset holds the code and its libraries for its machine, and nothing else
    for synth in (arm64, x86_64):
        _assert_holds_the_code_for(synth)
        size = _zipped_size(synth.asset_dir, tmp_path / f"asset-{synth.architecture}")
        record_property(f"asset_zip_bytes_{synth.architecture}", size)
        record_property(f"cdk_synth_seconds_{synth.architecture}", round(synth.seconds, 1))
        print(f"{synth.architecture}: zipped asset {size / 1e6:.1f} MB ({size} bytes), cdk synth {synth.seconds:.1f} s")
        assert size < 50 * 1024 * 1024  # Lambda's limit for a zip uploaded directly
    # and building them left lambda/ as it was (the engine is built from a scratch copy)
    assert _work_tree_of_the_asset() == work_tree
    # and the architectures never share an asset
    assert arm64.asset_hash != x86_64.asset_hash
    # and the CA bundle is packaged where the environment points, only when asked for
    template = json.loads((x86_64.outdir / f"{STACK_NAME}.template.json").read_text())
    (function,) = [item for item in template["Resources"].values() if item["Type"] == "AWS::Lambda::Function"]
    assert (x86_64.asset_dir / EXTRA_CA_BUNDLE_NAME).read_bytes() == private_ca_bundle.read_bytes()
    assert function["Properties"]["Environment"]["Variables"]["EXTRA_CA_BUNDLE"] == f"/var/task/{EXTRA_CA_BUNDLE_NAME}"
    assert not (arm64.asset_dir / EXTRA_CA_BUNDLE_NAME).exists()


def test_bad_context_fails_synthesis_with_a_message_naming_the_key(tmp_path: Path) -> None:
    result = _cdk("synth", "--quiet", "--output", str(tmp_path), "-c", "architecture=sparc")

    assert result.returncode != 0
    assert "Invalid context: architecture: expected one of arm64, x86_64, got 'sparc'" in result.stderr
