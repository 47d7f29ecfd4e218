"""One benchmark run: asset sizes, import times, then every sweep measurement on one sandbox.

The sandbox (moto in server mode and the issuer fleet) runs in this process; the handler runs in a
`FunctionProcess`, as in Lambda where neither IAM nor the issuers share the function's CPU. Every
invocation is a warm one (clients and trust store built by a first, untimed invocation), sweeps the
whole emulated account, and publishes its alert to SNS (NOTIFY_ON=always), as a scheduled sweep that
finds something does. The openssl baseline runs between our sweeps, alternating which goes first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bench import asset, coldstart, machine
from bench.baseline import run_procedure
from bench.config import BenchConfig
from bench.function import FunctionProcess, Invocation
from bench.scene import DEAD_KINDS, BenchProvider, Scene
from sandbox.environment import Sandbox
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.names import (
    ENV_CONNECT_TIMEOUT,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_NOTIFY_ON,
    ENV_READ_TIMEOUT,
)

Progress = Callable[[str], None]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _spread(samples: Sequence[float]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "samples_s": [round(sample, 4) for sample in samples],
    }


def _host_architecture() -> str | None:
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())


def sweep_settings(config: BenchConfig) -> dict[str, Any]:
    """The function's settings during the benchmark: its defaults, unless the config overrides a timeout."""
    defaults = Settings()
    return {
        "max_workers": defaults.max_workers,
        "connect_timeout": config.connect_timeout or defaults.connect_timeout,
        "read_timeout": config.read_timeout or defaults.read_timeout,
        "host_budget": config.host_budget or defaults.host_budget,
        "notify_on": "always",
    }


def _overrides(settings: dict[str, Any], max_workers: int | None = None) -> dict[str, str]:
    """What the benchmark sets on top of the sandbox's handler environment."""
    return {
        ENV_NOTIFY_ON: settings["notify_on"],
        ENV_MAX_WORKERS: str(max_workers or settings["max_workers"]),
        ENV_CONNECT_TIMEOUT: str(settings["connect_timeout"]),
        ENV_READ_TIMEOUT: str(settings["read_timeout"]),
        ENV_HOST_BUDGET: str(settings["host_budget"]),
    }


class _Sweeps:
    """The sweep measurements, sharing one sandbox, one scene and one warm function process."""

    def __init__(self, sandbox: Sandbox, scene: Scene, config: BenchConfig, say: Progress) -> None:
        self.sandbox = sandbox
        self.scene = scene
        self.config = config
        self.say = say
        self.settings = sweep_settings(config)
        self.overrides = _overrides(self.settings)
        self.environment = sandbox.handler_environment(**self.overrides)

    def _invoke(
        self, function: FunctionProcess, providers: Sequence[BenchProvider]
    ) -> tuple[Invocation, int, int, float]:
        """One invocation; also the TLS handshakes and connections the issuers saw, and the sandbox's CPU time."""
        handshakes = sum(provider.handshakes for provider in providers)
        connections = sum(provider.connections for provider in providers)
        sandbox_cpu = time.process_time()  # this process: moto's threads and the issuers' loop
        invocation = function.invoke(None)
        return (
            invocation,
            sum(provider.handshakes for provider in providers) - handshakes,
            sum(provider.connections for provider in providers) - connections,
            time.process_time() - sandbox_cpu,
        )

    def size(self, function: FunctionProcess, size: int) -> dict[str, Any]:
        """Our sweep and the openssl procedure over `size` live providers, interleaved."""
        providers = self.scene.grow_live(size)
        self.scene.use(providers)
        hosts = sum(len(provider.hosts) for provider in providers)
        with_baseline = size in self.config.baseline_sizes
        ours: list[Invocation] = []
        handshakes: list[int] = []
        connections: list[int] = []
        sandbox_cpu: list[float] = []
        baseline = []
        rounds = max(self.config.runs, self.config.baseline_runs if with_baseline else 0)
        for index in range(rounds):
            for side in ("ours", "baseline") if index % 2 == 0 else ("baseline", "ours"):
                if side == "ours" and index < self.config.runs:
                    invocation, handshake_count, connection_count, cpu = self._invoke(function, providers)
                    ours.append(invocation)
                    sandbox_cpu.append(cpu)
                    handshakes.append(handshake_count)
                    connections.append(connection_count)
                elif side == "baseline" and with_baseline and index < self.config.baseline_runs:
                    baseline.append(run_procedure(providers))
        row: dict[str, Any] = {
            "providers": size,
            "hosts": hosts,
            "ours": {
                **_spread([run.seconds for run in ours]),
                "cpu_median_s": statistics.median(run.cpu_seconds for run in ours),
                "sandbox_cpu_median_s": statistics.median(sandbox_cpu),
                "all_ok": all(run.summary.get("ok") == size for run in ours),
                "alert_sent": all(run.alert_sent for run in ours),
            },
            "handshakes_per_host": max(handshakes) / hosts,
            "connections_per_host": max(connections) / hosts,
            "handshakes_per_provider": max(handshakes) / size,
        }
        if baseline:
            row["baseline"] = {
                **_spread([run.seconds for run in baseline]),
                "extrapolated": False,
                "all_correct": all(run.correct == run.hosts for run in baseline),
            }
            row["baseline_over_ours"] = row["baseline"]["median_s"] / row["ours"]["median_s"]
        shown = f"  N={size:<4} ours {row['ours']['median_s']:.3f} s"
        if baseline:
            shown += f"   openssl {row['baseline']['median_s']:.2f} s   x{row['baseline_over_ours']:.1f}"
        self.say(shown + f"   handshakes/host {row['handshakes_per_host']:.2f}")
        return row

    def dead_hosts(self, function: FunctionProcess, healthy_median: float) -> list[dict[str, Any]]:
        """The reference size with a fraction of its providers replaced by dead hosts of each kind."""
        size = self.config.reference_size
        dead = max(1, round(size * self.config.dead_fraction))
        rows = []
        for kind in DEAD_KINDS:
            providers = [*self.scene.grow_live(size - dead), *self.scene.grow_dead(kind, dead)]
            self.scene.use(providers)
            runs = [function.invoke(None) for _ in range(self.config.dead_runs)]
            timeout = self.settings["read_timeout"] if kind == "hung" else self.settings["connect_timeout"]
            spread = _spread([run.seconds for run in runs])
            extra = spread["median_s"] - healthy_median
            rows.append(
                {
                    "kind": kind,
                    "providers": size,
                    "dead": dead,
                    "timeout_s": timeout,
                    "timeout_setting": ENV_READ_TIMEOUT if kind == "hung" else ENV_CONNECT_TIMEOUT,
                    **spread,
                    "healthy_median_s": healthy_median,
                    "extra_s": extra,
                    "extra_in_timeouts": extra / timeout,
                    "sweep_in_timeouts": spread["median_s"] / timeout,
                    "summary": runs[-1].summary,
                    "problems": runs[-1].problems,
                    "as_expected": all(
                        run.summary.get("unreachable") == dead and run.summary.get("ok") == size - dead for run in runs
                    ),
                }
            )
            self.say(
                f"  {dead} {kind} of {size}: {spread['median_s']:.2f} s "
                f"(+{extra:.2f} s = {extra / timeout:.2f} x the {timeout:g} s timeout)"
            )
        self.scene.use(self.scene.grow_live(size))
        return rows

    def worker_scan(self) -> list[dict[str, Any]]:
        """The reference size swept with each MAX_WORKERS, each in a fresh function process."""
        size = self.config.reference_size
        self.scene.use(self.scene.grow_live(size))
        rows = []
        for workers in sorted({*self.config.worker_scan, self.settings["max_workers"]}):
            environment = self.sandbox.handler_environment(**_overrides(self.settings, workers))
            with FunctionProcess(environment) as function:
                function.invoke(None)  # warm-up
                runs = [function.invoke(None) for _ in range(self.config.scan_runs)]
            row = {
                "max_workers": workers,
                "providers": size,
                **_spread([run.seconds for run in runs]),
                "cpu_median_s": statistics.median(run.cpu_seconds for run in runs),
                "peak_rss_bytes": max(run.rss_kib for run in runs) * 1024,
                "all_ok": all(run.summary.get("ok") == size for run in runs),
            }
            rows.append(row)
            self.say(f"  MAX_WORKERS={workers:<4} {row['median_s']:.3f} s")
        return rows

    def peak_rss(self) -> dict[str, Any]:
        """A fresh function process, one (cold) sweep of the reference size: its peak RSS."""
        size = self.config.reference_size
        self.scene.use(self.scene.grow_live(size))
        with FunctionProcess(self.environment) as function:
            invocation = function.invoke(None)
            after_import = function.rss_after_import_kib
        self.say(f"  peak RSS, one cold sweep of {size}: {invocation.rss_kib / 1024:.1f} MiB")
        return {
            "providers": size,
            "peak_rss_bytes": invocation.rss_kib * 1024,
            "after_import_bytes": after_import * 1024,
            "cold_sweep_s": invocation.seconds,
            "all_ok": invocation.summary.get("ok") == size,
        }

    def in_process(self) -> dict[str, Any]:
        """The same size through `Sandbox.invoke`: handler, moto and issuers sharing one process and GIL."""
        size = self.config.reference_size
        self.scene.use(self.scene.grow_live(size))
        samples = []
        with _stdout_silenced():  # the handler's logs and metrics go to stdout, the table's place
            for _ in range(self.config.in_process_runs):
                started = time.perf_counter()
                report = self.sandbox.invoke(None, self.overrides, timeout_seconds=900)
                samples.append(time.perf_counter() - started)
                if report["summary"].get("ok") != size:
                    raise RuntimeError(f"in-process sweep: {report['summary']}")
        row = {"providers": size, **_spread(samples)}
        self.say(f"  Sandbox.invoke in process, N={size}: {row['median_s']:.3f} s")
        return row


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """File descriptor 1 to /dev/null for the block: also for loggers that hold their own handle on it."""
    sys.stdout.flush()
    saved = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(quiet)


def _extrapolate_baseline(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Least-squares seconds = a + b * hosts over the measured sizes; fills in the sizes not measured."""
    measured = [(row["hosts"], row["baseline"]["median_s"]) for row in rows if "baseline" in row]
    if len(measured) < 2:
        return None
    mean_hosts = statistics.fmean(hosts for hosts, _ in measured)
    mean_seconds = statistics.fmean(seconds for _, seconds in measured)
    slope = sum((hosts - mean_hosts) * (seconds - mean_seconds) for hosts, seconds in measured) / sum(
        (hosts - mean_hosts) ** 2 for hosts, _ in measured
    )
    intercept = mean_seconds - slope * mean_hosts
    for row in rows:
        if "baseline" not in row:
            estimate = intercept + slope * row["hosts"]
            row["baseline"] = {"median_s": estimate, "extrapolated": True}
            row["baseline_over_ours"] = estimate / row["ours"]["median_s"]
    return {"seconds_per_host": slope, "intercept_s": intercept, "fitted_on_hosts": [hosts for hosts, _ in measured]}


def _assets(config: BenchConfig, workdir: Path, say: Progress) -> tuple[list[dict[str, Any]], dict[str, Path]]:
    rows: list[dict[str, Any]] = []
    built: dict[str, Path] = {}
    for architecture in config.architectures:
        output = workdir / f"asset-{architecture}"
        try:
            bundler = asset.build(architecture, output)
        except asset.AssetBuildError as error:
            rows.append({"architecture": architecture, "error": str(error)})
            say(f"  asset {architecture}: cannot build ({error})")
            continue
        size = asset.measure(output, architecture, bundler, workdir / f"asset-{architecture}.zip")
        rows.append(dataclasses.asdict(size))
        built[architecture] = output
        say(
            f"  asset {architecture}: {size.zipped_bytes / 1e6:.2f} MB zipped, "
            f"{size.unzipped_bytes / 1e6:.1f} MB unzipped"
        )
    return rows, built


def run(config: BenchConfig, say: Progress = _say) -> dict[str, Any]:
    """Measure everything `config` asks for; returns the results (see bench.report for their use)."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": machine.describe(),
        "config": dataclasses.asdict(config),
        "settings": sweep_settings(config),
    }
    with tempfile.TemporaryDirectory(prefix="oidc-bench-") as temporary:
        workdir = Path(temporary)
        if config.architectures:
            say("Lambda asset (the CDK app's bundling, then zip -9)")
        results["asset"], built = _assets(config, workdir, say)

        native = built.get(_host_architecture() or "")
        layout = coldstart.asset_layout(native, workdir) if native else coldstart.source_layout()
        say(f"Import time, {layout.name}")
        results["import"] = coldstart.measure_imports(layout, config.import_runs, workdir, config.cold_import_runs)
        say(
            f"  import handler {results['import']['handler_us'] / 1000:.0f} ms, "
            f"import boto3 {results['import']['boto3_us'] / 1000:.0f} ms"
        )

        with Sandbox() as sandbox:
            scene = Scene(sandbox, config.latency)
            try:
                sweeps = _Sweeps(sandbox, scene, config, say)
                rows = []
                say(
                    f"Sweeps ({config.latency * 1000:g} ms injected latency, "
                    f"MAX_WORKERS={sweeps.settings['max_workers']})"
                )
                with FunctionProcess(sweeps.environment) as function:
                    scene.use(scene.grow_live(1))
                    function.invoke(None)  # warm-up: clients and trust store, once per "cold start"
                    for size in sorted(config.sizes):
                        rows.append(sweeps.size(function, size))
                        if size == config.reference_size:
                            say("Dead hosts")
                            results["dead_hosts"] = sweeps.dead_hosts(function, rows[-1]["ours"]["median_s"])
                results["sweep"] = rows
                results["baseline_fit"] = _extrapolate_baseline(rows)
                if config.worker_scan:
                    say(f"MAX_WORKERS at N={config.reference_size}")
                    results["workers"] = sweeps.worker_scan()
                say("Peak RSS")
                results["rss"] = sweeps.peak_rss()
                if config.in_process_runs:
                    results["in_process"] = sweeps.in_process()
            finally:
                scene.close()
    results["wall_seconds"] = time.perf_counter() - started
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    return results
