"""One version for the project: the two distributions, the CDK CLI's package and the changelog's first entry."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _versions() -> dict[str, str]:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return {
        "pyproject.toml": tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"],
        "lambda/pyproject.toml": tomllib.loads((ROOT / "lambda" / "pyproject.toml").read_text())["project"]["version"],
        "package.json": json.loads((ROOT / "package.json").read_text())["version"],
        "package-lock.json": lock["version"],
        "package-lock.json packages['']": lock["packages"][""]["version"],
    }


def test_every_file_names_the_same_version() -> None:
    versions = _versions()

    assert len(set(versions.values())) == 1, versions


def test_the_changelogs_first_entry_is_that_version() -> None:
    # Given the changelog's entries, newest first: "## X.Y.Z — unreleased" or "## X.Y.Z — YYYY-MM-DD"
    entries = re.findall(
        r"^## (\d+\.\d+\.\d+) — (unreleased|\d{4}-\d{2}-\d{2})$", (ROOT / "CHANGELOG.md").read_text(), re.M
    )

    # Then the first one is the version the files name
    assert entries, "CHANGELOG.md has no entry"
    assert entries[0][0] == next(iter(_versions().values()))
