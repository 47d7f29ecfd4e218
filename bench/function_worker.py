"""The function's side of the benchmark: the real handler, invoked on request, in a process of its own.

Run as `python -m bench.function_worker` with the handler's environment (the parent builds it with
`Sandbox.handler_environment`). A process of its own because the deployed function shares its CPU
and GIL with neither IAM nor the OIDC issuers, and so that its peak RSS is the function's alone.
It reads one JSON request per line on stdin and answers one JSON line on the original stdout; the
handler's logs and metrics (Powertools writes JSON to stdout) go to /dev/null. It deliberately does
not import the sandbox: that would load moto into the measured process.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import Counter
from typing import Any

from sandbox.entry_point import import_handler
from sandbox.lambda_context import LocalLambdaContext


def _peak_rss_kib() -> int:
    """This process's peak RSS since exec. Not ru_maxrss: Linux carries that over from the forking parent."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB; an upper bound


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _outcome(report: dict[str, Any]) -> dict[str, Any]:
    """What the parent checks: the summary, and every problem code seen."""
    problems: Counter[str] = Counter()
    for finding in report.get("findings", []):
        for problem in finding.get("problems", []):
            problems[str(problem.get("code"))] += 1
    return {
        "summary": report.get("summary", {}),
        "problems": dict(problems),
        "alert_sent": bool(report.get("alert", {}).get("sent")),
        "duration_ms": report.get("duration_ms"),
    }


def main() -> None:
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # Powertools' logger and metrics write here

    started = time.perf_counter()
    handler = import_handler()  # the Lambda asset's entry module, timed as its cold import

    answers.write(
        json.dumps({"ready": True, "import_seconds": time.perf_counter() - started, "rss_kib": _peak_rss_kib()}) + "\n"
    )
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "invoke":
            context = LocalLambdaContext(float(request.get("timeout_seconds", 900)), log_stream_name="bench")
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            try:
                report = handler.lambda_handler(request.get("event"), context)
            except Exception as error:  # the parent reports it; the process stays usable
                answers.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
                continue
            seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
            outcome = {"seconds": seconds, "cpu_seconds": cpu_seconds, **_outcome(report), "rss_kib": _peak_rss_kib()}
            answers.write(json.dumps(outcome) + "\n")
        elif request["op"] == "exit":
            break
        else:
            answers.write(json.dumps({"error": f"unknown op {request['op']!r}"}) + "\n")


if __name__ == "__main__":
    main()
