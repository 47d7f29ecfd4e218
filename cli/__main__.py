"""`python -m cli`, from the repository root: an alias of the console script `oidc-thumbprints`.

The CLI lives in the engine's distribution (lambda/thumbprint_remediator/cli), so that `pipx install ./lambda`
installs it; this alias keeps the old spelling working. Without a command it sweeps, as it always did.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from thumbprint_remediator.cli.main import COMMANDS, main, run

PROG = "python -m cli"


def with_default_command(argv: Sequence[str]) -> list[str]:
    """`python -m cli --apply` is `oidc-thumbprints sweep --apply`; a command, --help or --version is kept."""
    if argv and argv[0] in (*COMMANDS, "-h", "--help", "--version"):
        return list(argv)
    return ["sweep", *argv]


def alias_main(argv: Sequence[str] | None = None) -> int:
    return main(with_default_command(sys.argv[1:] if argv is None else argv), PROG)


if __name__ == "__main__":
    run(with_default_command(sys.argv[1:]), PROG)
