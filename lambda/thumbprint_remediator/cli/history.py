"""`oidc-thumbprints history [PROVIDER]`: a provider's timeline from the history table (chains seen, pins written,
drift), as a table or, with --json, as the stored records."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from thumbprint_remediator.clients import Clients
from thumbprint_remediator.errors import HistoryUnavailable, RemediatorError
from thumbprint_remediator.history import HistoryTable
from thumbprint_remediator.inventory import IamOidcProviders
from thumbprint_remediator.memory import HistoryRecord
from thumbprint_remediator.request import select_providers
from thumbprint_remediator.untrusted import FIELD_LIMIT, server_text


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "history",
        help="what the history table remembers of each provider: chains seen, pins written, drift",
        description="Show what the history table remembers of each provider (docs/history.md).",
    )
    parser.set_defaults(run=run)
    parser.add_argument("provider", nargs="?", metavar="ARN_OR_URL", help="one provider (default: all)")
    parser.add_argument("--table", required=True, metavar="NAME", help="the history table (HISTORY_TABLE)")
    parser.add_argument("--json", action="store_true", help="print the stored records as JSON")
    parser.add_argument("--profile", help="AWS profile to use (default: the usual credential chain)")
    parser.add_argument("--region", help="AWS region of the table")


def run(arguments: argparse.Namespace) -> int:
    import boto3  # noqa: PLC0415 - after argparse so --help is instant

    try:
        clients = Clients(boto3.Session(profile_name=arguments.profile, region_name=arguments.region))
        table = HistoryTable(arguments.table, clients.client("dynamodb"))
        arns = IamOidcProviders(client=clients.iam()).list_arns()
        if arguments.provider:  # the sweep's own rule: exact URL (only the host folds case), or exact ARN
            arns = select_providers(arns, [arguments.provider])
        records: list[tuple[str, HistoryRecord | None, str | None]] = []
        for arn in arns:
            try:
                records.append((arn, table.load(arn), None))
            except HistoryUnavailable as error:
                records.append((arn, None, error.detail))
    except RemediatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, endpoint, network: one line, no traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    if arguments.json:
        print(json.dumps([_as_json(arn, record, problem) for arn, record, problem in records], indent=2))
    else:
        print("\n\n".join(timeline(arn, record, problem) for arn, record, problem in records))
    return 0


def _as_json(arn: str, record: HistoryRecord | None, problem: str | None) -> dict[str, Any]:
    return {"arn": arn, "record": None if record is None else record.to_dict(), "unavailable": problem}


def timeline(arn: str, record: HistoryRecord | None, problem: str | None = None) -> str:
    """One provider's timeline: chains seen (oldest first), then the pins as IAM held and as the tool wrote them."""
    head = f"{_shown(arn)}"
    if problem is not None:
        return f"{head}\n  history unavailable: {_shown(problem)}"
    if record is None:
        return f"{head}\n  no history yet"
    lines = [
        head,
        f"  sweeps: {record.sweeps}, first {record.first_seen:%Y-%m-%d %H:%M}, last {record.last_seen:%Y-%m-%d %H:%M}",
    ]
    rows = [("FIRST SEEN", "LAST SEEN", "ENDPOINT", "ADDRESS", "TOP", "TOP SUBJECT", "TRUST", "VERIFIED")]
    for chain in sorted(record.chains, key=lambda c: c.first_seen):
        top = chain.certificates[-1] if chain.certificates else None
        rows.append(
            (
                f"{chain.first_seen:%Y-%m-%d}",
                f"{chain.last_seen:%Y-%m-%d}",
                _shown(chain.endpoint, 40),
                _shown(chain.address, 40),
                (top.sha1[:10] if top else "-"),
                _shown(top.subject if top else "-", 40),
                chain.trust,
                "yes" if chain.verified else "no",
            )
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines.extend("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
    lines.append(f"  pins as last seen in IAM: {', '.join(record.pins_seen) or '(none)'}")
    if record.pins_written is not None and record.pins_written_at is not None:
        written_at = f"{record.pins_written_at:%Y-%m-%d %H:%M}"
        lines.append(f"  pins last written by the tool ({written_at}): {', '.join(record.pins_written)}")
        if set(record.pins_written) != set(record.pins_seen):
            lines.append("  drift: IAM's list differs from the one the tool last wrote")
    for pin in record.pins:
        presented = f"{pin.last_presented:%Y-%m-%d}" if pin.last_presented else "never"
        lines.append(f"  pin {pin.sha1}: last presented {presented}, {pin.sweeps_unpresented} sweeps since")
    return "\n".join(lines)


def _shown(value: object, limit: int = FIELD_LIMIT) -> str:
    return server_text(value, limit)
