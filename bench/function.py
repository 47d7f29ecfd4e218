"""The parent's handle on `bench.function_worker`: start it with the handler's environment, invoke, stop."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from bench import REPO_ROOT

# Long enough for the slowest sweep the benchmark runs (500 providers, dead hosts); a hang beyond it is a bug.
ANSWER_TIMEOUT_SECONDS = 600.0


class FunctionError(RuntimeError):
    """The worker failed, answered with an error, or did not answer in time."""


@dataclass(frozen=True)
class Invocation:
    """One timed invocation of the handler, as the worker measured it."""

    seconds: float
    cpu_seconds: float  # the function process's CPU time (all threads) during the invocation
    summary: dict[str, Any]
    problems: dict[str, int] = field(default_factory=dict)
    alert_sent: bool = False
    rss_kib: int = 0


class FunctionProcess:
    """The real handler in a fresh interpreter, with `environment` on top of this process's environment."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.function_worker"],
            cwd=REPO_ROOT,
            env={**os.environ, **environment},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        ready = self._answer()
        self.import_seconds = float(ready["import_seconds"])
        self.rss_after_import_kib = int(ready["rss_kib"])

    def __enter__(self) -> FunctionProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def invoke(self, event: Any = None, timeout_seconds: float = 900) -> Invocation:
        """Run `lambda_handler(event, context)` once; the context says `timeout_seconds` remain."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"op": "invoke", "event": event, "timeout_seconds": timeout_seconds}))
        self._process.stdin.write("\n")
        self._process.stdin.flush()
        answer = self._answer()
        return Invocation(
            seconds=float(answer["seconds"]),
            cpu_seconds=float(answer["cpu_seconds"]),
            summary=dict(answer["summary"]),
            problems=dict(answer["problems"]),
            alert_sent=bool(answer["alert_sent"]),
            rss_kib=int(answer["rss_kib"]),
        )

    def _answer(self) -> dict[str, Any]:
        stdout = self._process.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], ANSWER_TIMEOUT_SECONDS)
        line = stdout.readline() if readable else ""
        if not line:
            self.close()
            raise FunctionError(
                f"the function worker ended or stalled (exit code {self._process.returncode}); its stderr says why"
            )
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise FunctionError(f"the handler raised {answer['error']}")
        return answer

    def close(self) -> None:
        """Ask the worker to exit, and make sure it has (idempotent)."""
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.write(json.dumps({"op": "exit"}) + "\n")
                self._process.stdin.flush()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
