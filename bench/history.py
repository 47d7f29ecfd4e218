"""`python -m bench.history`: what the history table costs a sweep, at 100 and 500 providers.

Per size: the same EKS-like fleet (shared hosts of 100 providers) swept through the real handler statelessly,
then with a history table twice (the first sweep creates every record, the second reads and rewrites them).
DynamoDB calls are counted by the sandbox's fault proxy in front of moto; every mode goes through the proxy, so
the wall times compare like with like. moto on loopback answers in well under a millisecond: against real
DynamoDB add the round trip per call, spread over MAX_WORKERS threads.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench import REPO_ROOT
from sandbox.environment import Sandbox
from sandbox.faults import FaultProxy
from thumbprint_remediator.contract.names import ENV_HISTORY_TABLE, ENV_MAX_WORKERS, ENV_NOTIFY_ON

SHARED_HOST_SIZE = 100


def _sweep(sandbox: Sandbox, proxy: FaultProxy, **overrides: str) -> tuple[float, dict[str, int], dict[str, Any]]:
    before = {action: len(proxy.calls_of(action)) for action in ("GetItem", "PutItem")}
    environment: dict[str, Any] = {ENV_NOTIFY_ON: "never", ENV_MAX_WORKERS: "64", **overrides}
    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):  # the function's JSON logs and EMF lines
        report = sandbox.invoke(None, {**environment, "AWS_ENDPOINT_URL": proxy.url})
    elapsed = time.monotonic() - started
    calls = {action: len(proxy.calls_of(action)) - count for action, count in before.items()}
    return elapsed, calls, report


def measure(size: int, runs: int) -> dict[str, Any]:
    """Wall time (best of `runs`) and DynamoDB calls of a stateless, a first and a repeated history sweep."""
    with Sandbox() as sandbox, FaultProxy(sandbox.account.endpoint_url) as proxy:
        sandbox.account.delete_all_providers()  # moto's state is per process: an earlier size's providers linger
        for start in range(0, size, SHARED_HOST_SIZE):
            for tenant in sandbox.fleet.add_shared_host(min(SHARED_HOST_SIZE, size - start)):
                sandbox.register(tenant)
        stateless = [_sweep(sandbox, proxy)[0] for _ in range(runs)]
        first, repeated = [], []
        first_calls: dict[str, int] = {}
        repeated_calls: dict[str, int] = {}
        unavailable = 0
        checked = 0
        for _ in range(runs):
            table = sandbox.account.create_history_table(f"bench-{uuid.uuid4().hex[:8]}")
            elapsed, first_calls, _ = _sweep(sandbox, proxy, **{ENV_HISTORY_TABLE: table})
            first.append(elapsed)
            elapsed, repeated_calls, report = _sweep(sandbox, proxy, **{ENV_HISTORY_TABLE: table})
            repeated.append(elapsed)
            unavailable += report["history"]["unavailable"]
            checked = report["summary"]["providers"]
    return {
        "providers": size,
        "providers_swept": checked,
        "stateless_s": round(min(stateless), 3),
        "history_first_s": round(min(first), 3),
        "history_repeat_s": round(min(repeated), 3),
        "dynamodb_calls_first": first_calls,
        "dynamodb_calls_repeat": repeated_calls,
        "history_unavailable": unavailable,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Providers | Stateless | History, first sweep | History, next sweep | DynamoDB calls per sweep |",
        "|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        calls = row["dynamodb_calls_repeat"]
        lines.append(
            f"| {row['providers']} | {row['stateless_s']:.2f} s | {row['history_first_s']:.2f} s | "
            f"{row['history_repeat_s']:.2f} s | {calls['GetItem']} GetItem + {calls['PutItem']} PutItem |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    parser.add_argument("--sizes", default="100,500", help="provider counts")
    parser.add_argument("--runs", type=int, default=2, help="sweeps per mode and size (the best is kept)")
    arguments = parser.parse_args(argv)
    rows = [measure(int(size), arguments.runs) for size in arguments.sizes.split(",")]
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "history.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
