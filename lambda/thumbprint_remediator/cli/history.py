"""`oidc-thumbprints history [PROVIDER]`: a provider's timeline from the history table (chains seen, pins written,
drift), as a table or, with --output json, as the stored records."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.aws.clients import Clients
from thumbprint_remediator.aws.history import HistoryTable
from thumbprint_remediator.aws.inventory import IamOidcProviders
from thumbprint_remediator.cli.aws import SetupError, add_aws_options, caller_of, describe, open_session
from thumbprint_remediator.cli.configuration import checked
from thumbprint_remediator.cli.output import add_output_options
from thumbprint_remediator.cli.providers import provider_argument, select
from thumbprint_remediator.cli.table import fitted, plural
from thumbprint_remediator.contract.names import ENV_HISTORY_TABLE
from thumbprint_remediator.domain.errors import HistoryUnavailable, RemediatorError, SettingsError
from thumbprint_remediator.domain.memory import ChainSeen, HistoryRecord
from thumbprint_remediator.domain.untrusted import FIELD_LIMIT, server_text


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "history",
        usage="%(prog)s [ARN_OR_URL] [options]",
        help="what the history table remembers of each provider: chains seen, pins written, drift",
        description="Show what the history table remembers of each provider (docs/history.md).",
        epilog="Exit status: 0 shown, 1 some provider's history could not be read (shown in its place), 2 usage, "
        "setup or AWS error (a missing table included).",
    )
    parser.set_defaults(run=run)
    parser.add_argument(
        "provider", nargs="?", type=provider_argument, metavar="ARN_OR_URL", help="one provider (default: all)"
    )
    parser.add_argument(
        "--table",
        type=checked(ENV_HISTORY_TABLE),
        metavar="NAME",
        help="the history table: the stack's HistoryTableName output (env HISTORY_TABLE)",
    )
    add_output_options(parser, "the timelines, or the stored records as JSON")
    add_aws_options(parser, "the table's AWS region (env AWS_REGION)")


Loaded = tuple[str, HistoryRecord | None, str | None]


def run(arguments: argparse.Namespace) -> int:
    try:
        records = load(arguments)
    except RemediatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, region, endpoint, network: one line that says what to do
        print(f"error: {describe(error, arguments.profile) or f'{type(error).__name__}: {error}'}", file=sys.stderr)
        return 2
    if arguments.output == "json":
        print(json.dumps([_as_json(arn, record, problem) for arn, record, problem in records], indent=2))
    else:
        print(timelines(records))
    return 1 if any(problem is not None for _, _, problem in records) else 0


def load(arguments: argparse.Namespace) -> list[Loaded]:
    """Each provider's record (or why it could not be read). SetupError when the table cannot be read at all."""
    name = table_name(arguments.table, os.environ)
    session = open_session(arguments.profile, arguments.region, needs_region=f"the history table {name!r}")
    clients = Clients(session)
    table = HistoryTable(name, clients.client("dynamodb"))
    arns = IamOidcProviders(client=clients.iam()).list_arns()
    if arguments.provider:  # the sweep's own rule: exact URL (only the host folds case), or exact ARN
        arns = select(arns, [arguments.provider], account=caller_of(session).account)
    records: list[Loaded] = []
    for arn in arns:
        try:
            records.append((arn, table.load(arn), None))
        except HistoryUnavailable as error:
            if not records and isinstance(error.__cause__, ClientError | BotoCoreError):
                # The first read failed in AWS, not on a damaged item: the table itself cannot be read.
                raise SetupError(
                    f"cannot read the history table {name!r} in {session.region_name}: {server_text(error.detail)} "
                    "(the stack's HistoryTableName output names it; --region must be its region)"
                ) from None
            records.append((arn, None, error.detail))
    return records


def table_name(flag: str | None, environ: Mapping[str, str]) -> str:
    """--table, else HISTORY_TABLE, read by the function's rule; SetupError when neither names one."""
    try:
        name = Settings.from_env(
            {ENV_HISTORY_TABLE: flag or environ.get(ENV_HISTORY_TABLE, "")}, topic_required=False
        ).history_table
    except SettingsError as error:
        raise SettingsError(f"{error} (from the environment: fix or unset it, or pass --table)") from None
    if name is None:
        raise SetupError("no history table: pass --table NAME or set HISTORY_TABLE (the stack's HistoryTableName)")
    return name


def _as_json(arn: str, record: HistoryRecord | None, problem: str | None) -> dict[str, Any]:
    return {"arn": arn, "record": None if record is None else record.to_dict(), "unavailable": problem}


# Column widths of a timeline; a longer value is cut in the middle, or shown whole where a cut would make it
# look like another (table.fitted): two CAs whose names differ only at the end stay two.
ENDPOINT_WIDTH = 40
ADDRESS_WIDTH = 40
SUBJECT_WIDTH = 48
_COLUMNS = ("FIRST SEEN", "LAST SEEN", "ENDPOINT", "ADDRESS", "TOP", "TOP SUBJECT", "TRUST", "VERIFIED")


@dataclass(frozen=True)
class Columns:
    """How every endpoint, address and subject of the whole output is shown, decided over all of them at once."""

    endpoints: Mapping[object, str]
    addresses: Mapping[object, str]
    subjects: Mapping[object, str]

    @classmethod
    def of(cls, records: Sequence[HistoryRecord]) -> Columns:
        chains = [chain for record in records for chain in record.chains]
        return cls(
            endpoints=fitted((chain.endpoint for chain in chains), ENDPOINT_WIDTH),
            addresses=fitted((chain.address for chain in chains), ADDRESS_WIDTH),
            subjects=fitted((_top_subject(chain) for chain in chains), SUBJECT_WIDTH),
        )


def timelines(records: Sequence[Loaded]) -> str:
    """Every provider's timeline, one after the other, their columns fitted together."""
    columns = Columns.of([record for _, record, _ in records if record is not None])
    return "\n\n".join(timeline(arn, record, problem, columns) for arn, record, problem in records) or (
        "no OIDC providers"
    )


def timeline(arn: str, record: HistoryRecord | None, problem: str | None = None, columns: Columns | None = None) -> str:
    """One provider's timeline: chains seen (oldest first), then the pins as IAM held and as the tool wrote them."""
    head = f"{_shown(arn)}"
    if problem is not None:
        return f"{head}\n  history unavailable: {_shown(problem)}"
    if record is None:
        return f"{head}\n  no history yet"
    columns = columns or Columns.of([record])
    lines = [
        head,
        f"  sweeps: {record.sweeps}, first {record.first_seen:%Y-%m-%d %H:%M}, last {record.last_seen:%Y-%m-%d %H:%M}",
    ]
    rows = [_COLUMNS]
    for chain in sorted(record.chains, key=lambda c: c.first_seen):
        top = chain.certificates[-1] if chain.certificates else None
        rows.append(
            (
                f"{chain.first_seen:%Y-%m-%d}",
                f"{chain.last_seen:%Y-%m-%d}",
                columns.endpoints[chain.endpoint],
                columns.addresses[chain.address],
                (top.sha1[:10] if top else "-"),
                columns.subjects[_top_subject(chain)],
                _shown(chain.trust),
                "yes" if chain.verified else "no",
            )
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines.extend(
        ("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))).rstrip() for row in rows
    )
    lines.append(f"  pins as last seen in IAM: {', '.join(record.pins_seen) or '(none)'}")
    if record.pins_written is not None and record.pins_written_at is not None:
        written_at = f"{record.pins_written_at:%Y-%m-%d %H:%M}"
        lines.append(f"  pins last written by the tool ({written_at}): {', '.join(record.pins_written)}")
        if set(record.pins_written) != set(record.pins_seen):
            lines.append("  drift: IAM's list differs from the one the tool last wrote")
    for pin in record.pins:
        presented = f"{pin.last_presented:%Y-%m-%d}" if pin.last_presented else "never"
        since = plural(pin.sweeps_unpresented, "sweep")
        lines.append(f"  pin {pin.sha1}: last presented {presented}, {since} since")
    return "\n".join(lines)


def _top_subject(chain: ChainSeen) -> str:
    return chain.certificates[-1].subject if chain.certificates else "-"


def _shown(value: object, limit: int = FIELD_LIMIT) -> str:
    return server_text(value, limit)
