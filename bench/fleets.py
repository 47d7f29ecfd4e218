"""`python -m bench.fleets`: sweep cost by fleet shape, with backend sampling on and off.

Two fleets on one sandbox, measured side by side through the real handler in its own process:
- `eks`: 100 providers on 3 EKS-like hosts (`/id/<cluster>` paths on one endpoint each) plus 10 on a
  GitHub-like host whose successive handshakes present two different intermediates (all pinned);
- `distinct`: today's benchmark fleet, every provider on its own issuer (half with a separate JWKS host).
Per fleet and size: wall time, TLS handshakes the issuers saw, CPU milliseconds per provider in the
function's process, and its peak RSS; with sampling on (the defaults) and off (SAMPLE_ADDRESSES=1,
SAMPLES_PER_ADDRESS=0). Also the peak RSS of a fresh function sweeping 500 distinct providers, and
the scripted openssl procedure over the 100 distinct providers.

python -m bench.fleets --out docs/benchmark     # writes fleets.json there
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import REPO_ROOT
from bench.baseline import run_procedure
from bench.config import BenchConfig
from bench.function import FunctionProcess
from bench.run import _overrides, sweep_settings
from bench.scene import BenchProvider, Scene
from sandbox.environment import Sandbox
from sandbox.issuers import IssuerEndpoint
from thumbprint_remediator.contract.names import ENV_SAMPLE_ADDRESSES, ENV_SAMPLES_PER_ADDRESS

EKS_HOSTS = (34, 33, 33)  # 100 clusters in 3 regions
GITHUB_PROVIDERS = 10
GITHUB_CHAINS = ("public", "rotated")  # two intermediates, as token.actions.githubusercontent.com served in 2023
SAMPLING = {
    "on": {},
    "off": {ENV_SAMPLE_ADDRESSES: "1", ENV_SAMPLES_PER_ADDRESS: "0"},
}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def eks_fleet(sandbox: Sandbox, latency: float) -> list[BenchProvider]:
    """100 providers on 3 shared hosts, then 10 on a host alternating two chains."""
    providers: list[BenchProvider] = []
    for count in EKS_HOSTS:
        for tenant in sandbox.fleet.add_shared_host(count, latency=latency):
            top = tenant.discovery.expected_thumbprint
            assert top is not None
            providers.append(BenchProvider("eks", tenant.url, (top,), ((tenant.discovery.endpoint, top),), tenant))
    tops = tuple(sandbox.pki.chain(name).top_thumbprint for name in GITHUB_CHAINS)
    for tenant in sandbox.fleet.add_shared_host(GITHUB_PROVIDERS, latency=latency, alternating=GITHUB_CHAINS):
        providers.append(BenchProvider("github", tenant.url, tops, ((tenant.discovery.endpoint, tops[0]),), tenant))
    return providers


def endpoints_of(providers: Sequence[BenchProvider]) -> list[IssuerEndpoint]:
    """The distinct issuer endpoints behind `providers` (a shared host counts once)."""
    seen: dict[int, IssuerEndpoint] = {}
    for provider in providers:
        if provider.issuer is not None:
            for endpoint in provider.issuer.endpoints:
                seen.setdefault(id(endpoint), endpoint)
    return list(seen.values())


def measure(function: FunctionProcess, scene: Scene, providers: Sequence[BenchProvider], runs: int) -> dict[str, Any]:
    """`runs` warm sweeps of exactly `providers`; the median and every sample."""
    scene.use(providers)
    endpoints = endpoints_of(providers)
    seconds, handshakes, cpu_ms = [], [], []
    all_ok, rss_kib = True, 0
    for _ in range(runs):
        before = sum(endpoint.handshakes for endpoint in endpoints)
        invocation = function.invoke(None)
        handshakes.append(sum(endpoint.handshakes for endpoint in endpoints) - before)
        seconds.append(invocation.seconds)
        cpu_ms.append(invocation.cpu_seconds * 1000 / len(providers))
        all_ok = all_ok and invocation.summary.get("ok") == len(providers)
        rss_kib = max(rss_kib, invocation.rss_kib)
    return {
        "providers": len(providers),
        "endpoints": len(endpoints),
        "median_s": statistics.median(seconds),
        "samples_s": [round(value, 4) for value in seconds],
        "handshakes": statistics.median(handshakes),
        "cpu_ms_per_provider": round(statistics.median(cpu_ms), 3),
        "peak_rss_mib": round(rss_kib / 1024, 1),
        "all_ok": all_ok,
    }


def run(config: BenchConfig, runs: int, rss_size: int, baseline: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"latency_s": config.latency, "runs": runs, "fleets": {}}
    with Sandbox() as sandbox:
        scene = Scene(sandbox, config.latency)
        try:
            eks = eks_fleet(sandbox, config.latency)
            distinct = scene.grow_live(100)
            shapes = {"eks": (eks[:1], eks), "distinct": (distinct[:1], distinct)}
            settings = sweep_settings(config)
            for sampling, extra in SAMPLING.items():
                environment = sandbox.handler_environment(**_overrides(settings), **extra)
                with FunctionProcess(environment) as function:
                    scene.use(distinct[:1])
                    function.invoke(None)  # cold start, untimed: clients and trust store
                    for fleet, sizes in shapes.items():
                        for providers in sizes:
                            _say(f"fleet {fleet}, sampling {sampling}: {len(providers)} providers")
                            row = measure(function, scene, providers, runs)
                            results["fleets"].setdefault(fleet, {}).setdefault(sampling, []).append(row)
            if rss_size:
                many = scene.grow_live(rss_size)
                environment = sandbox.handler_environment(**_overrides(settings))
                with FunctionProcess(environment) as function:
                    scene.use(many[:1])
                    function.invoke(None)
                    _say(f"peak RSS: {rss_size} distinct providers, sampling on")
                    results["rss"] = measure(function, scene, many, 1)
            if baseline:
                _say("openssl procedure: 100 distinct providers")
                procedure = run_procedure(distinct)
                results["baseline"] = {
                    "seconds": procedure.seconds,
                    "hosts": procedure.hosts,
                    "correct": procedure.correct,
                }
        finally:
            scene.close()
    results["targets"] = targets(results)
    return results


def _row(results: dict[str, Any], fleet: str, sampling: str, size_index: int) -> dict[str, Any]:
    row: dict[str, Any] = results["fleets"][fleet][sampling][size_index]
    return row


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 13's targets, each with its measured figure."""
    eks_1, eks_n = _row(results, "eks", "on", 0), _row(results, "eks", "on", 1)
    dis_1, dis_n = _row(results, "distinct", "on", 0), _row(results, "distinct", "on", 1)
    dis_off = _row(results, "distinct", "off", 1)
    # Per endpoint: every sample (addresses x (1 + extra)) plus the pool's connections.
    handshake_bound = eks_n["endpoints"] * (2 + 4)
    rows = [
        (
            "EKS: handshakes <= endpoints x (samples + pool)",
            eks_n["handshakes"],
            handshake_bound,
            eks_n["handshakes"] <= handshake_bound,
        ),
        (
            "EKS: sweep(110) / sweep(1) <= 1.3",
            eks_n["median_s"] / eks_1["median_s"],
            1.3,
            eks_n["median_s"] / eks_1["median_s"] <= 1.3,
        ),
        (
            "distinct: sweep(100) / sweep(1) <= 1.5",
            dis_n["median_s"] / dis_1["median_s"],
            1.5,
            dis_n["median_s"] / dis_1["median_s"] <= 1.5,
        ),
        (
            "distinct at 100: sampling on / off <= 1.25",
            dis_n["median_s"] / dis_off["median_s"],
            1.25,
            dis_n["median_s"] / dis_off["median_s"] <= 1.25,
        ),
        ("EKS: CPU ms per provider <= 2", eks_n["cpu_ms_per_provider"], 2.0, eks_n["cpu_ms_per_provider"] <= 2.0),
    ]
    if "baseline" in results:
        speedup = results["baseline"]["seconds"] / dis_n["median_s"]
        rows.append(("distinct at 100: >= 50x the openssl procedure", speedup, 50.0, speedup >= 50))
    if "rss" in results:
        rss = results["rss"]["peak_rss_mib"]
        rows.append((f"peak RSS at {results['rss']['providers']} providers <= 128 MiB", rss, 128.0, rss <= 128))
    return [
        {"target": name, "measured": round(float(value), 3), "limit": limit, "met": bool(met)}
        for name, value, limit, met in rows
    ]


def table(results: dict[str, Any]) -> str:
    lines = [
        "| Fleet | Sampling | Providers | Endpoints | Sweep (median) | TLS handshakes | CPU ms/provider | Peak RSS |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for fleet, by_sampling in results["fleets"].items():
        for sampling, rows in by_sampling.items():
            for row in rows:
                lines.append(
                    f"| {fleet} | {sampling} | {row['providers']} | {row['endpoints']} | {row['median_s']:.2f} s | "
                    f"{row['handshakes']:g} | {row['cpu_ms_per_provider']:.2f} | {row['peak_rss_mib']:.0f} MiB |"
                )
    lines += ["", "| Target | Measured | Met |", "|---|--:|---|"]
    lines += [f"| {t['target']} | {t['measured']:g} | {'met' if t['met'] else 'missed'} |" for t in results["targets"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleets", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    parser.add_argument("--runs", type=int, default=3, help="timed sweeps per fleet, size and sampling")
    parser.add_argument("--rss-size", type=int, default=500, help="providers of the peak-RSS sweep (0: skip)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the openssl procedure")
    arguments = parser.parse_args(argv)
    results = run(BenchConfig(), arguments.runs, arguments.rss_size, not arguments.no_baseline)
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "fleets.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
