"""What one benchmark run measures: the full run `make bench` does, and the tiny one CI smoke-tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchConfig:
    sizes: tuple[int, ...] = (1, 10, 50, 100, 500)
    # The sequential openssl procedure takes ~0.18 s per host: measured up to 100 providers,
    # extrapolated (and marked so) beyond, to keep `make bench` well under 10 minutes.
    baseline_sizes: tuple[int, ...] = (1, 10, 50, 100)
    runs: int = 5
    baseline_runs: int = 3
    latency: float = 0.1  # injected by the issuers before each TLS handshake and each HTTP response
    # Dead hosts, the MAX_WORKERS scan, peak RSS and the in-process comparison use this size.
    reference_size: int = 100
    dead_fraction: float = 0.1
    dead_runs: int = 3  # each costs about one timeout (5 s by default)
    worker_scan: tuple[int, ...] = (16, 32, 64, 128)
    scan_runs: int = 3
    in_process_runs: int = 3
    import_runs: int = 9
    cold_import_runs: int = 3
    architectures: tuple[str, ...] = ("arm64", "x86_64")
    # None: the function's own defaults (Settings()), which is what a deployment gets.
    connect_timeout: float | None = None
    read_timeout: float | None = None
    host_budget: float | None = None

    @classmethod
    def smoke(cls) -> BenchConfig:
        """Every stage once, as small as it gets: proves the benchmark still runs, measures nothing."""
        return cls(
            sizes=(1, 2),
            baseline_sizes=(1, 2),
            runs=1,
            baseline_runs=1,
            reference_size=2,
            dead_fraction=0.5,
            dead_runs=1,
            worker_scan=(),
            in_process_runs=0,
            import_runs=1,
            cold_import_runs=0,
            architectures=(),
            connect_timeout=0.5,
            read_timeout=0.5,
            host_budget=2.0,
        )
