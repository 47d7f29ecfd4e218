"""The machine a run happened on: enough to judge whether two result files compare."""

from __future__ import annotations

import os
import platform
import ssl
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from bench import REPO_ROOT

_PACKAGES = ("boto3", "botocore", "moto", "cryptography", "aws-lambda-powertools", "aws-xray-sdk")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _command(*arguments: str) -> str | None:
    try:
        result = subprocess.run(arguments, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def describe() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "openssl_cli": _command("openssl", "version"),
        "openssl_python": ssl.OPENSSL_VERSION,
        "load_average_at_start": list(os.getloadavg()),
        "git_commit": _command("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_command("git", "status", "--porcelain", "--untracked-files=no")),
        "packages": versions,
    }
