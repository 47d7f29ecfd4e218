"""Prints what the end-to-end test recorded (wall time, emulator gaps, IAM enforcement) after the run."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reports = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call" and "tests/e2e/" in report.nodeid and report.user_properties
    ]
    for report in reports:
        terminalreporter.write_sep("-", f"e2e: {report.nodeid.rpartition('::')[2]}")
        for name, value in report.user_properties:
            terminalreporter.write_line(f"{name}: {value}")
