"""The command line: `oidc-thumbprints sweep|history`, `--version`, and how a run ends (its exit status).

Exit status, for every command: 0 done and nothing needs attention, 1 done and something does (problems remain,
or history that could not be read), 2 nothing could be done as asked (a bad flag or variable, credentials,
region, access, an unknown provider or table), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from thumbprint_remediator.cli import history, sweep

PROG = "oidc-thumbprints"
DISTRIBUTION = "thumbprint-remediator"
COMMANDS = ("sweep", "history")


def version() -> str:
    """The installed distribution's version (its metadata), or why there is none."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return f"unknown (the {DISTRIBUTION} distribution is not installed)"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check IAM OIDC providers' thumbprints against their live TLS chains, and fix stale ones.",
        epilog="Exit status: 0 nothing needs attention, 1 something does, 2 usage, setup or AWS error. "
        f"'{prog} COMMAND --help' describes a command.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    sweep.add_parser(commands)
    history.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Run one command; its exit status. argparse's own errors (usage) exit 2 through SystemExit."""
    arguments = build_parser(prog).parse_args(sys.argv[1:] if argv is None else list(argv))
    status: int = arguments.run(arguments)
    return status


def run(argv: Sequence[str] | None = None, prog: str = PROG) -> None:
    """The console script: exit with the command's status; Ctrl-C and a closed pipe end it without a traceback."""
    try:
        status = main(argv, prog)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        status = 130
    except BrokenPipeError:  # `oidc-thumbprints history | head`: the reader left; nothing more to say
        # Python flushes stdout again at exit: point it at /dev/null so that flush cannot fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)
