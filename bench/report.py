"""The results as a table on stdout, a JSON file and a plot; and the figures against the issue's targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from thumbprint_remediator.app.settings import Settings

MB = 1_000_000
MIB = 1024 * 1024


def _row_at(results: dict[str, Any], size: int) -> dict[str, Any] | None:
    return next((row for row in results.get("sweep", []) if row["providers"] == size), None)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with the measured value; `met` is None where it was not measured."""
    reference = results["config"]["reference_size"]
    one, at_reference = _row_at(results, 1), _row_at(results, reference)
    rows: list[dict[str, Any]] = []

    def add(name: str, goal: str, value: float | None, met: bool | None, shown: str) -> None:
        rows.append({"target": name, "goal": goal, "value": value, "met": met, "shown": shown})

    if one and at_reference:
        ratio = at_reference["ours"]["median_s"] / one["ours"]["median_s"]
        add(f"sweep({reference}) / sweep(1)", "<= 1.5", ratio, ratio <= 1.5, f"{ratio:.2f}")
        if "baseline_over_ours" in at_reference:
            faster = at_reference["baseline_over_ours"]
            add(f"openssl procedure / ours at N={reference}", ">= 20", faster, faster >= 20, f"{faster:.1f}x")
    for dead in results.get("dead_hosts", []):
        add(
            f"{dead['dead']} {dead['kind']} hosts: added time",
            "<= 1.1 timeout",
            dead["extra_in_timeouts"],
            dead["extra_in_timeouts"] <= 1.1,
            f"{dead['extra_s']:.2f} s = {dead['extra_in_timeouts']:.2f} x {dead['timeout_s']:g} s",
        )
    sweeps = results.get("sweep", [])
    if sweeps:
        worst = max(row["handshakes_per_host"] for row in sweeps)
        # Each host is sampled: its one loopback address, plus SAMPLES_PER_ADDRESS more handshakes.
        samples = 1 + Settings().samples_per_address
        add("TLS handshakes per distinct host", f"= {samples}", worst, worst == samples, f"{worst:.2f} (worst N)")
    imports = results.get("import")
    if imports:
        add(
            "import handler / import boto3",
            "<= 1.5",
            imports["ratio"],
            imports["ratio"] <= 1.5,
            f"{imports['ratio']:.2f}",
        )
    for item in results.get("asset", []):
        if "zipped_bytes" in item:
            zipped = item["zipped_bytes"] / MB
            add(f"asset zipped ({item['architecture']})", "<= 8 MB", zipped, zipped <= 8, f"{zipped:.2f} MB")
    return rows


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def table(results: dict[str, Any]) -> str:  # noqa: C901 - one optional section per benchmark, printed only when it ran
    """The whole result as plain text."""
    machine, settings, config = results["machine"], results["settings"], results["config"]
    lines = [
        f"Benchmark {machine['date']}: {machine['cpu']}, {machine['cores']} cores, "
        f"{(machine['memory_bytes'] or 0) / 2**30:.1f} GiB, Python {machine['python']}, {machine['openssl_cli']}",
        f"Injected latency {config['latency'] * 1000:g} ms per TLS handshake and per HTTP response. "
        f"Function: MAX_WORKERS={settings['max_workers']}, timeouts connect {settings['connect_timeout']:g} s, "
        f"read {settings['read_timeout']:g} s, host budget {settings['host_budget']:g} s, "
        f"NOTIFY_ON={settings['notify_on']}.",
        "",
        f"Sweep time vs providers (ours: median of {config['runs']}; openssl: median of {config['baseline_runs']})",
        f"{'N':>5} {'hosts':>6} {'ours s':>8} {'/ours(1)':>9} {'cpu s':>7} {'sandbox':>8} "
        f"{'openssl s':>10} {'openssl/ours':>13} {'handshakes/host':>16}",
    ]
    one = _row_at(results, 1)
    for row in results.get("sweep", []):
        ours = row["ours"]["median_s"]
        baseline = row.get("baseline")
        shown_baseline = "-"
        shown_ratio = "-"
        if baseline:
            mark = "~" if baseline["extrapolated"] else ""
            shown_baseline = f"{mark}{_seconds(baseline['median_s'])}"
            shown_ratio = f"{mark}{row['baseline_over_ours']:.1f}"
        relative = f"{ours / one['ours']['median_s']:.2f}" if one else "-"
        flag = "" if row["ours"]["all_ok"] else "  (not all ok!)"
        lines.append(
            f"{row['providers']:>5} {row['hosts']:>6} {_seconds(ours):>8} {relative:>9} "
            f"{row['ours']['cpu_median_s']:>7.3f} {row['ours']['sandbox_cpu_median_s']:>8.3f} "
            f"{shown_baseline:>10} {shown_ratio:>13} {row['handshakes_per_host']:>16.2f}{flag}"
        )
    fit = results.get("baseline_fit")
    if fit and any(row.get("baseline", {}).get("extrapolated") for row in results.get("sweep", [])):
        lines.append(
            f"  ~ extrapolated: openssl = {fit['intercept_s']:.2f} s + {fit['seconds_per_host']:.3f} s/host, "
            f"fitted on {fit['fitted_on_hosts']} hosts"
        )
    if results.get("dead_hosts"):
        lines += ["", "Dead hosts (replacing live providers; healthy sweep of the same size for comparison)"]
        for dead in results["dead_hosts"]:
            lines.append(
                f"  {dead['dead']:>3} {dead['kind']:<10} of {dead['providers']}: {dead['median_s']:.2f} s vs "
                f"{dead['healthy_median_s']:.2f} s healthy: +{dead['extra_s']:.2f} s = "
                f"{dead['extra_in_timeouts']:.2f} x {dead['timeout_setting']} ({dead['timeout_s']:g} s)"
                + ("" if dead["as_expected"] else "  (unexpected statuses!)")
            )
    if results.get("workers"):
        lines += ["", f"MAX_WORKERS at N={config['reference_size']} (median of {config['scan_runs']})"]
        lines += [
            f"  {row['max_workers']:>4}: {row['median_s']:.3f} s   cpu {row['cpu_median_s']:.3f} s   "
            f"peak RSS {row['peak_rss_bytes'] / MIB:.0f} MiB"
            for row in results["workers"]
        ]
    if results.get("in_process"):
        lines.append(
            f"  (Sandbox.invoke in process, N={results['in_process']['providers']}: "
            f"{results['in_process']['median_s']:.3f} s: handler, moto and issuers share one GIL)"
        )
    lines.append("")
    imports = results.get("import")
    if imports:
        shown = (
            f"Import ({imports['layout']}): handler {imports['handler_us'] / 1000:.0f} ms, boto3 "
            f"{imports['boto3_us'] / 1000:.0f} ms: x{imports['ratio']:.2f}"
        )
        if imports["handler_without_asset_bytecode_us"] is not None:
            shown += (
                f"; without the asset's bytecode {imports['handler_without_asset_bytecode_us'] / 1000:.0f} ms "
                f"(x{imports['ratio_without_asset_bytecode']:.2f})"
            )
        lines.append(shown)
    rss = results.get("rss")
    if rss:
        lines.append(
            f"Peak RSS of one cold {rss['providers']}-provider sweep: {rss['peak_rss_bytes'] / MIB:.1f} MiB "
            f"({rss['after_import_bytes'] / MIB:.1f} MiB after import; "
            f"that cold sweep took {rss['cold_sweep_s']:.2f} s)"
        )
    for item in results.get("asset", []):
        if "zipped_bytes" in item:
            lines.append(
                f"Asset {item['architecture']}: {item['zipped_bytes'] / MB:.2f} MB zipped, "
                f"{item['unzipped_bytes'] / MB:.1f} MB unzipped, {item['files']} files"
            )
        else:
            lines.append(f"Asset {item['architecture']}: not built ({item['error']})")
    lines += ["", f"{'Target':<42} {'goal':>15} {'measured':>30}  met"]
    for row in results.get("targets", []):
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        lines.append(f"{row['target']:<42} {row['goal']:>15} {row['shown']:>30}  {met}")
    lines.append(f"\nWall time {results['wall_seconds']:.0f} s")
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")


def plot(results: dict[str, Any], path: Path) -> None:
    """Sweep time vs N (ours and openssl), and where available MAX_WORKERS and dead hosts, as one PNG."""
    import matplotlib  # noqa: PLC0415 - only when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    panels = 1 + bool(results.get("workers")) + bool(results.get("dead_hosts"))
    figure, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 4.8), squeeze=False)
    config, settings = results["config"], results["settings"]
    rows = results["sweep"]

    axis = axes[0][0]
    sizes = [row["providers"] for row in rows]
    ours = [row["ours"]["median_s"] for row in rows]
    errors = [
        [row["ours"]["median_s"] - row["ours"]["min_s"] for row in rows],
        [row["ours"]["max_s"] - row["ours"]["median_s"] for row in rows],
    ]
    axis.errorbar(
        sizes, ours, yerr=errors, marker="o", capsize=3, label=f"this sweep (MAX_WORKERS={settings['max_workers']})"
    )
    measured = [row for row in rows if row.get("baseline") and not row["baseline"]["extrapolated"]]
    estimated = [row for row in rows if row.get("baseline") and row["baseline"]["extrapolated"]]
    if measured:
        axis.plot(
            [row["providers"] for row in measured],
            [row["baseline"]["median_s"] for row in measured],
            marker="s",
            color="tab:red",
            label="openssl s_client + x509, sequential",
        )
        for row in measured + estimated:
            ratio = row["baseline_over_ours"]
            axis.annotate(
                f"{'~' if row['baseline']['extrapolated'] else ''}{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x",
                (row["providers"], row["baseline"]["median_s"]),
                textcoords="offset points",
                xytext=(-6, 7) if ratio >= 1.5 else (6, -4),
                fontsize=8,
                color="tab:red",
            )
    if measured and estimated:
        last = measured[-1]
        axis.plot(
            [last["providers"], *(row["providers"] for row in estimated)],
            [last["baseline"]["median_s"], *(row["baseline"]["median_s"] for row in estimated)],
            linestyle="--",
            color="tab:red",
        )
        axis.plot(
            [row["providers"] for row in estimated],
            [row["baseline"]["median_s"] for row in estimated],
            linestyle="none",
            marker="s",
            markerfacecolor="white",
            color="tab:red",
            label="openssl, extrapolated (linear in hosts)",
        )
    one = _row_at(results, 1)
    if one:
        axis.axhline(1.5 * one["ours"]["median_s"], color="grey", linestyle=":", label="target: 1.5 x sweep(1)")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xticks(sizes, [str(size) for size in sizes])
    axis.minorticks_off()
    highest = max([*ours, *(row["baseline"]["median_s"] for row in rows if row.get("baseline"))])
    axis.set_ylim(top=highest * 2.5)
    axis.set_xlabel("OIDC providers (half with a separate JWKS host)")
    axis.set_ylabel("seconds (median)")
    axis.set_title(f"Sweep time vs providers, {config['latency'] * 1000:g} ms injected latency")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8, loc="upper left")

    column = 1
    if results.get("workers"):
        axis = axes[0][column]
        column += 1
        scan = results["workers"]
        axis.plot([row["max_workers"] for row in scan], [row["median_s"] for row in scan], marker="o")
        default = next((row for row in scan if row["max_workers"] == settings["max_workers"]), None)
        if default:
            axis.plot(
                [default["max_workers"]],
                [default["median_s"]],
                marker="*",
                markersize=14,
                color="tab:green",
                linestyle="none",
                label=f"default ({default['max_workers']})",
            )
        if one:
            axis.axhline(one["ours"]["median_s"], color="grey", linestyle=":", label="sweep(1)")
        axis.set_xscale("log", base=2)
        axis.set_xticks([row["max_workers"] for row in scan], [str(row["max_workers"]) for row in scan])
        axis.minorticks_off()
        axis.set_ylim(bottom=0)
        axis.set_xlabel("MAX_WORKERS")
        axis.set_ylabel("seconds (median)")
        axis.set_title(f"Sweep of {config['reference_size']} providers vs MAX_WORKERS")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)

    if results.get("dead_hosts"):
        axis = axes[0][column]
        dead_rows = results["dead_hosts"]
        labels = ["all live"] + [f"{row['dead']} {row['kind']}" for row in dead_rows]
        values = [dead_rows[0]["healthy_median_s"]] + [row["median_s"] for row in dead_rows]
        bars = axis.bar(labels, values, color=["tab:blue"] + ["tab:orange"] * len(dead_rows))
        axis.bar_label(bars, fmt="%.2f s", fontsize=8)
        limit = dead_rows[0]["healthy_median_s"] + 1.1 * dead_rows[0]["timeout_s"]
        axis.axhline(limit, color="grey", linestyle=":", label="target: all live + 1.1 x timeout")
        axis.set_ylim(0, limit * 1.15)
        axis.legend(fontsize=8, loc="upper left")
        axis.set_ylabel("seconds (median)")
        axis.set_title(f"Dead hosts among {config['reference_size']} providers")
        axis.grid(True, axis="y", alpha=0.3)

    machine = results["machine"]
    figure.suptitle(
        f"{machine['date'][:10]} · {machine['cpu']}, {machine['cores']} cores · Python {machine['python']}",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
