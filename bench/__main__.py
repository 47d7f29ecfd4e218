"""`python -m bench`: measure, print the table, write results.json and sweep_time.png.

python -m bench                        # the full run (make bench), into bench/results/
python -m bench --out docs/benchmark   # refresh the committed figures
python -m bench --smoke --out /tmp/b   # every stage, tiny: proves it runs (CI)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from bench import REPO_ROOT, report
from bench.config import BenchConfig
from bench.run import run

RESULTS_FILE = "results.json"
PLOT_FILE = "sweep_time.png"


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(item) for item in text.split(",") if item.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results", help="where to write the files")
    parser.add_argument("--smoke", action="store_true", help="the tiny configuration CI runs")
    parser.add_argument("--sizes", type=_sizes, help="provider counts, e.g. 1,10,50,100,500")
    parser.add_argument("--runs", type=int, help="timed sweeps per size")
    parser.add_argument("--no-asset", action="store_true", help="skip building the Lambda asset (needs pip)")
    arguments = parser.parse_args(argv)

    config = BenchConfig.smoke() if arguments.smoke else BenchConfig()
    if arguments.sizes:
        config = dataclasses.replace(config, sizes=arguments.sizes)
    if arguments.runs:
        config = dataclasses.replace(config, runs=arguments.runs)
    if arguments.no_asset:
        config = dataclasses.replace(config, architectures=())

    results = run(config)
    results["targets"] = report.targets(results)
    arguments.out.mkdir(parents=True, exist_ok=True)
    report.write_json(results, arguments.out / RESULTS_FILE)
    report.plot(results, arguments.out / PLOT_FILE)
    print(report.table(results))
    print(f"\nWrote {arguments.out / RESULTS_FILE} and {arguments.out / PLOT_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
