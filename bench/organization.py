"""`python -m bench.organization`: the organization sweep at 10, 100, 1,000 (and 10,000) accounts, end to end.

Each size gets a fresh sandbox: an emulated organization of that many member accounts (each with the member role),
the organization stack synthesized for it, and its Distributed Map executed by moto's interpreter with the real
handler warm in process. Per sweep it records wall time, state transitions (every state entered, parent and child
workflows), Lambda invocations, S3 GET and PUT requests, and the largest state seen; then an estimate of what the
sweep costs at list prices (PRICES below, and docs/organizations.md's "Sizing the organization sweep").

python -m bench.organization                              # 10, 100, 1000 accounts
python -m bench.organization --sizes 10000 --out /tmp/o   # the 10,000-account sweep (about an hour here)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from bench import REPO_ROOT
from infra.organization.member_role import member_role_template
from sandbox.environment import Sandbox
from sandbox.organization_sweep import build_scene, organization_definition, sweep
from thumbprint_remediator.contract.names import DEFAULT_MEMBER_ROLE_NAME

RESULTS_FILE: Final = "organization.json"
EXTERNAL_ID: Final = "oidc-thumbprint-remediator-bench"
# us-east-1 list prices (USD) as AWS publishes them on its pricing pages for Step Functions (Standard workflows),
# Lambda (requests, arm64 GB-seconds) and S3 Standard (requests); see docs/organizations.md for the date and the pages.
PRICES: Final = {
    "state_transition": 0.025 / 1000,
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second_arm64": 0.0000133334,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
}
# The emulator's member sweeps take milliseconds; a real one (AssumeRole, list and read the providers, probe their
# hosts) takes about a second at 512 MB. The estimate assumes that, not the emulated duration.
ASSUMED_SWEEP_SECONDS: Final = 1.0
MEMORY_GB: Final = 0.5


def measure(members: int) -> dict[str, Any]:
    """One sweep of an organization of `members` accounts, in a fresh sandbox."""
    with Sandbox() as sandbox, tempfile.TemporaryDirectory(prefix="bench-org-") as outdir:
        started = time.monotonic()
        scene = build_scene(
            sandbox,
            members,
            member_template=member_role_template(DEFAULT_MEMBER_ROLE_NAME),
            external_id=EXTERNAL_ID,
        )
        scene_seconds = time.monotonic() - started
        definition_for = organization_definition(
            {"organizationId": scene.organization.id, "targetOus": scene.unit, "externalId": EXTERNAL_ID}, Path(outdir)
        )
        run = sweep(sandbox, scene, definition_for, timeout=4 * 3600)
        output = run.execution.output or {}
        figures = {
            "accounts": members,
            "status": run.execution.status,
            "accounts_swept": (output.get("summary") or {}).get("accounts"),
            "wall_seconds": round(run.wall_seconds, 1),
            "scene_seconds": round(scene_seconds, 1),
            "state_transitions": run.counters.state_transitions,
            "lambda_invocations": run.lambda_invocations,
            "most_in_flight": run.most_in_flight,
            "s3_get": run.counters.s3_get,
            "s3_put": run.counters.s3_put,
            "largest_state_bytes": run.counters.largest_state_bytes,
        }
    figures["estimated_cost_usd"] = estimate(figures)
    return figures


def estimate(figures: dict[str, Any]) -> dict[str, float]:
    """List-price cost of one sweep from its counts; Lambda time at ASSUMED_SWEEP_SECONDS per invocation."""
    transitions = figures["state_transitions"] * PRICES["state_transition"]
    requests = figures["lambda_invocations"] * PRICES["lambda_request"]
    compute = figures["lambda_invocations"] * ASSUMED_SWEEP_SECONDS * MEMORY_GB * PRICES["lambda_gb_second_arm64"]
    storage = figures["s3_put"] * PRICES["s3_put"] + figures["s3_get"] * PRICES["s3_get"]
    parts = {"step_functions": transitions, "lambda": requests + compute, "s3": storage}
    return {**{key: round(value, 6) for key, value in parts.items()}, "total": round(sum(parts.values()), 6)}


def table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| accounts | wall time (s) | state transitions | Lambda invocations | S3 GET / PUT | largest state (bytes) "
        "| est. cost per sweep (USD) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        lines.append(
            f"| {row['accounts']:,} | {row['wall_seconds']} | {row['state_transitions']:,} | "
            f"{row['lambda_invocations']:,} | {row['s3_get']} / {row['s3_put']} | {row['largest_state_bytes']:,} | "
            f"{row['estimated_cost_usd']['total']:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.organization", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="member accounts per sweep, e.g. 10,100,1000,10000")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results", help="where to write the JSON")
    arguments = parser.parse_args(argv)
    results = []
    for size in (int(item) for item in arguments.sizes.split(",") if item.strip()):
        print(f"organization sweep of {size} accounts ...", file=sys.stderr, flush=True)
        results.append(measure(size))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / RESULTS_FILE).write_text(json.dumps({"prices": PRICES, "results": results}, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
