"""`oidc-thumbprints sweep`: sweep this account's IAM OIDC providers from a workstation.

Dry run unless --apply is given. Uses your own AWS credentials (profile, environment, SSO) and the
same engine as the Lambda. Exit status: 0 all healthy or fixed, 1 problems remain, 2 usage or
setup error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Any

from thumbprint_remediator.cli.table import findings_table, problems_list, summary_line, use_colour
from thumbprint_remediator.errors import RemediatorError
from thumbprint_remediator.report import Finding
from thumbprint_remediator.request import parse_event, require_providers_in_scope
from thumbprint_remediator.runtime import build_sweeper
from thumbprint_remediator.settings import Settings
from thumbprint_remediator.status import Action, Status
from thumbprint_remediator.views import to_builtins


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "sweep",
        help="check every provider's thumbprints against its live TLS chains (dry run unless --apply)",
        description="Check every IAM OIDC provider's thumbprints against its live TLS chains.",
    )
    parser.set_defaults(run=run)
    parser.add_argument("--apply", action="store_true", help="write the fixed thumbprint lists (default: dry run)")
    parser.add_argument("--json", action="store_true", help="print the raw report as JSON instead of the table")
    parser.add_argument(
        "--provider", action="append", dest="providers", metavar="ARN_OR_URL", help="only this provider (repeatable)"
    )
    parser.add_argument("--profile", help="AWS profile to use (default: the usual credential chain)")
    parser.add_argument("--region", help="AWS region for the clients (IAM is global)")
    parser.add_argument("--expiry-warning-days", type=int, default=30, metavar="DAYS")
    parser.add_argument("--extra-ca-bundle", metavar="PEM", help="extra CAs for private-CA issuers")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS", help="time budget per host")
    parser.add_argument(
        "--workers", type=int, default=Settings().max_workers, help="providers probed at once (default: %(default)s)"
    )
    parser.add_argument("--topic-arn", help="also publish the alert to this SNS topic")
    parser.add_argument("--notify", choices=("always", "changes", "problems", "never"), default="problems")
    parser.add_argument(
        "--history-table", metavar="NAME", help="remember sweeps in this DynamoDB table (docs/history.md)"
    )
    parser.add_argument("--verbose", action="store_true", help="log each provider as it is assessed")


def run(arguments: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO if arguments.verbose else logging.WARNING, stream=sys.stderr)
    import boto3  # noqa: PLC0415 - after argparse so --help is instant

    try:
        request = parse_event(
            {"dry_run": not arguments.apply, "notify": arguments.notify}
            | ({"providers": arguments.providers} if arguments.providers else {})
        )
        settings = Settings(
            topic_arn=arguments.topic_arn,
            dry_run=not arguments.apply,
            expiry_warning_days=arguments.expiry_warning_days,
            extra_ca_bundle=arguments.extra_ca_bundle,
            notify_on=arguments.notify,
            host_budget=arguments.timeout,
            max_workers=arguments.workers,
            history_table=arguments.history_table,
        )
        session = boto3.Session(profile_name=arguments.profile, region_name=arguments.region)
        account, partition = caller_account(session)
        # A provider ARN of another account or partition is refused before any IAM call.
        require_providers_in_scope(request, account=account, partition=partition)
        sweeper = build_sweeper(settings, logging.getLogger("thumbprint_remediator"), session=session)
        progress = Progress(enabled=sys.stderr.isatty() and not arguments.json)
        report = to_builtins(sweeper.run(request, account=account, progress=progress.advance))
        progress.done()
    except RemediatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, endpoint, network: say it in one line, no traceback
        if arguments.verbose:
            raise
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print_report(report, as_json=arguments.json)
    return 0 if all(Status(f["status"]).healthy or f["action"] == Action.UPDATED for f in report["findings"]) else 1


def caller_account(session: Any) -> tuple[str, str]:
    """The account and partition of the credentials in use, from STS (`arn:<partition>:...`)."""
    identity = session.client("sts").get_caller_identity()
    return str(identity["Account"]), str(identity["Arn"]).split(":")[1]


def print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    print(findings_table(report, colour=use_colour(sys.stdout)))
    print()
    problems = problems_list(report)
    if problems:
        print(problems)
        print()
    print(summary_line(report))
    if report["dry_run"] and report["summary"].get(Action.WOULD_UPDATE):
        print("Dry run: nothing was written. Run again with --apply to write the lists shown.")


class Progress:
    """A live count on stderr while providers are probed."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._lock = threading.Lock()

    def advance(self, finding: Finding, done: int, total: int) -> None:
        if not self._enabled:
            return
        with self._lock:
            bar = "#" * (20 * done // total)
            sys.stderr.write(f"\r\033[K[{bar:<20}] {done}/{total} {finding.url[:50]} {finding.status}")
            sys.stderr.flush()

    def done(self) -> None:
        if self._enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
