"""The hostile matrix: what the sweep does with every hostile or faulty endpoint we could think of.

`python -m sandbox.matrix` runs every sweep of the matrix and regenerates docs/hostile-matrix.md
(`--check` only compares). It refuses to write a table in which a scenario did not get the status
and action the catalogue expects; the invariants are judged by the hostile tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sandbox.environment import Sandbox
from sandbox.matrix.render import DOC_PATH, render
from sandbox.matrix.runner import run_matrix


def main(argv: Sequence[str] | None = None) -> int:
    """Run the matrix and write (or, with --check, compare) the document; 1 when a scenario went astray."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    parser.add_argument("--output", type=Path, default=DOC_PATH)
    arguments = parser.parse_args(argv)
    log = io.StringIO()
    with (
        Sandbox() as sandbox,
        tempfile.TemporaryDirectory(prefix="hostile-matrix-") as workdir,
        contextlib.redirect_stdout(log),  # the handler's JSON logs and metrics
    ):
        results = run_matrix(sandbox, Path(workdir))
    wrong = [
        f"{item.scenario.name}: expected {item.scenario.status}/{item.scenario.action}, got {item.status}/{item.action}"
        for item in results.outcomes()
        if (item.status, item.action) != (item.scenario.status, item.scenario.action)
    ]
    for line in wrong:
        print(line, file=sys.stderr)
    if wrong:
        return 1
    document = render(results.outcomes(), results.scale)
    current = arguments.output.read_text() if arguments.output.exists() else None
    if arguments.check:
        if current != document:
            print(f"{arguments.output} is out of date: run python -m sandbox.matrix", file=sys.stderr)
            return 1
        return 0
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(document)
    print(f"wrote {arguments.output} ({len(results.outcomes())} scenarios)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
