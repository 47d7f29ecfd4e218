"""The README's first command, the demo output the README and docs/alerts.md show, and the sandbox's promise to
leave nothing behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox.environment import Sandbox

ROOT = Path(__file__).resolve().parents[2]
# What changes from run to run: ports, thumbprints, cluster ids, times. Replaced alike in the docs and the output.
_VARYING = (
    (re.compile(r"localhost:\d+"), "localhost:PORT"),
    (re.compile(r"\b[0-9a-f]{40}\b"), "SHA1"),
    (re.compile(r"\b[0-9a-f]{10}\b"), "SHA1-PREFIX"),
    (re.compile(r"[0-9A-F]{20,}"), "CLUSTER"),
    (re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z"), "TIMESTAMP"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "DATE"),
    (re.compile(r"\b\d\d:\d\d UTC\b"), "HH:MM UTC"),
    (re.compile(r"\d+ ms\b"), "N ms"),
    (re.compile(r"\d+\.\d+ s\b"), "N s"),
)


def _normalized(line: str) -> str:
    for pattern, stand_in in _VARYING:
        line = pattern.sub(stand_in, line)
    return re.sub(r" +", " ", line.rstrip())


def _shown_demo_lines(doc: Path, marker: str) -> list[str]:
    """The lines of the code block that follows `marker` in `doc`, but for the elisions (`...`)."""
    text = doc.read_text(encoding="utf-8")
    start = text.index("```", text.index(marker)) + 3
    block = text[text.index("\n", start) + 1 : text.index("\n```", start)]
    return [line for line in block.splitlines() if line.strip() and line.strip() != "..."]


def _assert_shown_in_order(doc: Path, marker: str, output: str) -> None:
    printed = [_normalized(line) for line in output.splitlines()]
    position = 0
    for line in _shown_demo_lines(doc, marker):
        wanted = _normalized(line)
        assert wanted in printed[position:], (
            f"{doc.name} shows a line the demo does not print (in this order): {line!r}"
        )
        position = printed.index(wanted, position) + 1


@pytest.mark.impure
def test_demo_runs_every_section_and_exits_zero() -> None:
    # When the demo runs as `make demo` runs it
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    elapsed = time.monotonic() - started
    # Then it succeeds and shows the dry-run table, the before/after lists and the delivered alert
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for section in (
        "1. Dry run: what the sweep would do",
        "2. Real sweep (the scheduled event)",
        "3. The alert, as SNS delivers it: the e-mail, and the report the queue received",
        "4. The next sweep: what changed since the last sweep",
        "npx cdk deploy",
    ):
        assert section in out
    assert "would_update" in out
    assert "(read back from IAM)" in out
    # The provider tagged skip is watched, not written: its stale list is told, and left as it was
    assert "Subject: OIDC thumbprints: 1 blocked, 3 updated, 1 stale, 1 expiring (123456789012)" in out
    assert "Action: not written: tagged oidc-thumbprint-remediator:skip=true" in out
    assert re.search(r"Nearest expiry: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ days\)", out)
    assert "[STALE -> UPDATED]" in out
    # The e-mail carries no JSON: the queue got the report, the e-mail says where it is
    assert "Full report (JSON)" not in out
    assert re.search(r"The queue received the report as JSON \([\d,]+ bytes, 7 findings", out)
    assert re.search(r"; [\d,]+ in all, of SNS's 262,144\.", out)
    # Blocks in the order of urgency: the blocked provider first, the fixed ones after the warnings
    assert out.index("ACT NOW: 1 critical") < out.index("[UNTRUSTED -> BLOCKED]") < out.index("ACT SOON: 2 warnings")
    assert out.index("ACT SOON: 2 warnings") < out.index("DONE, FOR YOUR INFORMATION: 3 fixed by this sweep")
    # And the pin added by hand to the private CA's provider is critical, not a drift note
    assert "[OK, TRUST WIDENED] localhost:" in out
    # The second sweep remembers the first: the rotation and the change made outside the tool
    assert "since the last sweep: rotated_intermediate" in out
    assert "since the last sweep: drift: changed outside the tool" in out
    assert "\033[" not in out  # no colour when not on a terminal
    # And what the README and the alerts page show of it is what it prints, line for line and in order
    _assert_shown_in_order(ROOT / "README.md", "<!-- demo-output", out)
    _assert_shown_in_order(ROOT / "docs" / "alerts.md", "<!-- demo-alert", out)
    print(f"demo wall time: {elapsed:.1f} s")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.impure
def test_sandbox_stop_leaves_no_listening_port_or_thread() -> None:
    threads_before = threading.active_count()
    with Sandbox() as sandbox:
        for behaviour in ("healthy", "separate_jwks_host", "hung", "slow_trickle"):
            sandbox.add_provider(behaviour)
        ports = [endpoint.port for p in sandbox.providers for endpoint in p.issuer.endpoints]
        ports.append(sandbox.account.port)
        sandbox.invoke({"dry_run": True, "notify": "never"})
        assert all(_listening(port) for port in ports)
    deadline = time.monotonic() + 10
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.1)  # sweep worker threads wind down on their own
    assert not any(_listening(port) for port in ports)
    assert threading.active_count() <= threads_before


@pytest.mark.impure
def test_sandbox_serve_stops_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C to stop"):
            break
    endpoint = next(line for line in lines if line.startswith("export AWS_ENDPOINT_URL="))
    port = int(endpoint.rsplit(":", 1)[1])
    assert _listening(port)
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "Sandbox stopped." in rest
    assert not _listening(port)


# `python -m cli --apply --help` is the old spelling (no command: a sweep), kept by the alias.
@pytest.mark.parametrize("argv", [["sweep", "--help"], ["--apply", "--help"]])
def test_cli_help_describes_dry_run_default(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "--apply" in result.stdout
    assert "default: dry run" in result.stdout
