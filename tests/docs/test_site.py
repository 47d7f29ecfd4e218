"""The documentation site builds with --strict: a broken link or anchor, or a page left out of the nav, fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _copy_of_the_site(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copyfile(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = _build(ROOT, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    # Files in docs/ that are not pages are published beside them, as data the pages link to
    assert (tmp_path / "site" / "report.schema.json").is_file()
    assert (tmp_path / "site" / "benchmark" / "results.json").is_file()


def test_a_page_left_out_of_the_nav_fails_the_build(tmp_path: Path) -> None:
    # Given the site with one more page that no nav entry names
    project = _copy_of_the_site(tmp_path)
    (project / "docs" / "orphan.md").write_text("# Orphan\n")

    result = _build(project, tmp_path / "site")

    assert result.returncode != 0
    assert "orphan.md" in result.stderr


def test_a_broken_link_or_anchor_fails_the_build(tmp_path: Path) -> None:
    for broken in ("[gone](no-such-page.md)", "[gone](configuration.md#no-such-section)"):
        # Given a page linking to a page, or a section, that does not exist
        project = _copy_of_the_site(tmp_path / broken.split("(")[1].replace("#", "_").rstrip(")"))
        index = project / "docs" / "index.md"
        index.write_text(index.read_text() + f"\n{broken}\n")

        result = _build(project, tmp_path / "site")

        assert result.returncode != 0, f"{broken} did not fail the build"
