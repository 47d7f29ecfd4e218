"""The benchmark still runs: `python -m bench --smoke` does every stage once, tiny. It measures nothing;
the figures live in docs/benchmark/, produced by `make bench`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.impure
@pytest.mark.slow
def test_benchmark_runs_every_stage_and_writes_table_json_and_plot(tmp_path: Path) -> None:
    # Given the smallest configuration (N=1,2, one run, no asset build)
    command = [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)]
    # When it runs from the repository root, as `make bench` runs it
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    # Then it prints the table against the targets
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Target" in result.stdout
    # And the JSON holds every stage, each of which saw what it should
    results = json.loads((tmp_path / "results.json").read_text())
    assert [row["providers"] for row in results["sweep"]] == [1, 2]
    assert all(row["ours"]["all_ok"] and row["baseline"]["all_correct"] for row in results["sweep"])
    assert {row["kind"] for row in results["dead_hosts"]} == {"hung", "black_hole"}
    assert all(row["as_expected"] for row in results["dead_hosts"])
    assert results["import"]["handler_us"] > 0
    assert results["rss"]["peak_rss_bytes"] > 0
    assert {"cpu", "cores", "memory_bytes", "python", "openssl_cli", "date"} <= results["machine"].keys()
    # And the plot is a PNG
    assert (tmp_path / "sweep_time.png").read_bytes().startswith(b"\x89PNG")
