"""What every command prints: a table for people, or JSON for programs (`--output json`, `--json` for short)."""

from __future__ import annotations

import argparse

OUTPUTS = ("table", "json")


def add_output_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--output", "-o", choices=OUTPUTS, default="table", help=f"{what} (default: %(default)s)")
    parser.add_argument("--json", dest="output", action="store_const", const="json", help="the same as --output json")
