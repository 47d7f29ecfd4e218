"""Cold-start proxy: how long `import handler` takes in a fresh interpreter, against `import boto3` alone.

Both are timed with `python -X importtime` (the top-level line's cumulative microseconds), in fresh
interpreters, alternating, after one warm-up each, with the environment Lambda sets (LAMBDA_TASK_ROOT
makes the X-Ray SDK take its Lambda path; outside Lambda it builds two botocore clients at import,
which the function never pays). Bytecode lives in a private PYTHONPYCACHEPREFIX, so both sides read
cached bytecode and the tree gets no __pycache__.

Where the asset for this machine's architecture was built, the layout is Lambda's: the asset first
(as /var/task), then only what the python3.13 runtime provides (boto3 and its dependencies), with
`-S` so nothing else from the venv is importable. Otherwise `lambda/` on top of the venv.
A second figure imports the handler with no bytecode for the asset's own modules: the asset ships
none (pip --no-compile) and /var/task is read-only, so that is what a real cold start compiles.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import LAMBDA_ROOT

# What the python3.13 managed runtime ships besides the standard library.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


@dataclass(frozen=True)
class Layout:
    name: str
    handler_root: Path  # what LAMBDA_TASK_ROOT names: the asset, or lambda/
    handler_path: tuple[Path, ...]
    boto3_path: tuple[Path, ...]
    isolated: bool  # run with -S: only the paths above are importable


def source_layout() -> Layout:
    """lambda/ on top of the venv."""
    return Layout("lambda/ + venv site-packages", LAMBDA_ROOT, (LAMBDA_ROOT,), (), isolated=False)


def asset_layout(asset_dir: Path, workdir: Path) -> Layout:
    """The built asset first, then a directory holding only what the runtime provides (links into the venv)."""
    runtime_dir = workdir / "runtime"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for name in RUNTIME_PROVIDED:
        link = runtime_dir / name
        if not link.exists():
            link.symlink_to(site_packages / name)
    return Layout("Lambda: asset + runtime-provided boto3", asset_dir, (asset_dir, runtime_dir), (runtime_dir,), True)


@dataclass(frozen=True)
class ImportRun:
    microseconds: int
    self_by_package: dict[str, int]  # self time summed per top-level package ("stdlib" for the standard library)


def _environment(layout: Layout, path: tuple[Path, ...], pycache: Path, write_bytecode: bool) -> dict[str, str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPYCACHEPREFIX": str(pycache),
        "LAMBDA_TASK_ROOT": str(layout.handler_root),
        "AWS_LAMBDA_FUNCTION_NAME": "oidc-thumbprint-remediator",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "oidc-thumbprint-remediator",
        "POWERTOOLS_METRICS_NAMESPACE": "OidcThumbprintRemediator",
    }
    if path:
        environment["PYTHONPATH"] = os.pathsep.join(str(item) for item in path)
    if not write_bytecode:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def time_import(layout: Layout, module: str, pycache: Path, write_bytecode: bool = True) -> ImportRun:
    """`python -X importtime -c "import <module>"` once; the top-level cumulative time and a breakdown."""
    path = layout.handler_path if module == "handler" else layout.boto3_path
    command = [sys.executable, *(["-S"] if layout.isolated else []), "-X", "importtime", "-c", f"import {module}"]
    result = subprocess.run(
        command,
        env=_environment(layout, path, pycache, write_bytecode),
        capture_output=True,
        text=True,
        check=False,
    )
    total: int | None = None
    by_package: Counter[str] = Counter()
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative_us, name = (part for part in line[len("import time:") :].split("|"))
        if not self_us.strip().isdigit():
            continue  # the header line
        package = name.strip().split(".")[0]
        by_package["stdlib" if package in sys.stdlib_module_names else package] += int(self_us)
        if name.rstrip() == f" {module}":
            total = int(cumulative_us)
    if result.returncode != 0 or total is None:
        raise RuntimeError(f"import {module} failed: {result.stderr.strip().splitlines()[-1:]}")
    return ImportRun(total, dict(by_package.most_common(8)))


def measure_imports(layout: Layout, runs: int, workdir: Path, cold_runs: int) -> dict[str, object]:
    """Median import times of handler and boto3 (alternating), and of handler without asset bytecode."""
    pycache = workdir / "pycache"
    time_import(layout, "handler", pycache)  # warm-up: writes the bytecode both sides read (handler imports boto3)
    handler_runs: list[ImportRun] = []
    boto3_runs: list[ImportRun] = []
    for index in range(runs):
        pair = ("handler", "boto3") if index % 2 == 0 else ("boto3", "handler")
        for module in pair:
            (handler_runs if module == "handler" else boto3_runs).append(time_import(layout, module, pycache))
    handler_us = statistics.median(run.microseconds for run in handler_runs)
    boto3_us = statistics.median(run.microseconds for run in boto3_runs)
    median_run = sorted(handler_runs, key=lambda run: run.microseconds)[len(handler_runs) // 2]

    # The same, minus the asset's own bytecode: the runtime's (boto3, stdlib) stays cached.
    cold_us: float | None = None
    if cold_runs:
        no_asset_bytecode = workdir / "pycache-no-asset"
        shutil.copytree(pycache, no_asset_bytecode, dirs_exist_ok=True, symlinks=True)
        shutil.rmtree(no_asset_bytecode / layout.handler_root.resolve().relative_to("/"), ignore_errors=True)
        cold_us = statistics.median(
            time_import(layout, "handler", no_asset_bytecode, write_bytecode=False).microseconds
            for _ in range(cold_runs)
        )
    return {
        "layout": layout.name,
        "runs": runs,
        "handler_us": handler_us,
        "boto3_us": boto3_us,
        "ratio": handler_us / boto3_us,
        "handler_samples_us": [run.microseconds for run in handler_runs],
        "boto3_samples_us": [run.microseconds for run in boto3_runs],
        "handler_self_us_by_package": median_run.self_by_package,
        "handler_without_asset_bytecode_us": cold_us,
        "ratio_without_asset_bytecode": None if cold_us is None else cold_us / boto3_us,
    }
