"""`oidc-thumbprints sweep`: sweep an account's IAM OIDC providers from a workstation.

Dry run unless --apply is given. Uses your own AWS credentials (profile, environment, SSO), the same engine
as the Lambda and the same settings: its environment variables, read by its rules, overridden by flags.
Exit status: 0 all healthy or fixed, 1 problems remain, 2 usage, setup or AWS error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from thumbprint_remediator.app.request import parse_role_arn
from thumbprint_remediator.app.runtime import build_sweeper
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.aws.clients import Clients
from thumbprint_remediator.aws.inventory import IamOidcProviders
from thumbprint_remediator.aws.roles import IamRoles
from thumbprint_remediator.cli.aws import (
    IAM_DEFAULT_REGION,
    SetupError,
    add_aws_options,
    add_role_options,
    assume,
    caller_of,
    describe,
    open_session,
)
from thumbprint_remediator.cli.configuration import SettingFlag, checked, settings_for
from thumbprint_remediator.cli.output import add_output_options
from thumbprint_remediator.cli.providers import provider_argument, require_in_scope, select, sweep_request
from thumbprint_remediator.cli.table import findings_table, posture_list, problems_list, summary_line, use_colour
from thumbprint_remediator.contract.names import (
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_NOTIFY_ON,
    ENV_TOPIC_ARN,
    NOTIFY_CHOICES,
)
from thumbprint_remediator.domain.errors import RemediatorError, SettingsError
from thumbprint_remediator.domain.report import Finding, finished
from thumbprint_remediator.domain.status import Action
from thumbprint_remediator.domain.views import Report, to_builtins

SETTING_FLAGS = (
    SettingFlag(
        "--expiry-warning-days",
        ENV_EXPIRY_WARNING_DAYS,
        "expiry_warning_days",
        "DAYS",
        "warn this many days before a certificate of a chain expires",
    ),
    SettingFlag(
        "--extra-ca-bundle",
        ENV_EXTRA_CA_BUNDLE,
        "extra_ca_bundle",
        "PEM",
        "a PEM file of the private CAs your issuers' chains lead to",
    ),
    SettingFlag(
        "--host-budget",
        ENV_HOST_BUDGET,
        "host_budget",
        "SECONDS",
        "time budget per host: connect, handshakes and the discovery and JWKS documents",
    ),
    SettingFlag("--workers", ENV_MAX_WORKERS, "max_workers", "N", "providers probed at once"),
    SettingFlag(
        "--notify",
        ENV_NOTIFY_ON,
        "notify_on",
        "{" + ",".join(NOTIFY_CHOICES) + "}",
        "when --topic-arn gets the alert: always, on changes (with history; else as problems), on problems, never",
    ),
    SettingFlag(
        "--history-table",
        ENV_HISTORY_TABLE,
        "history_table",
        "NAME",
        "remember sweeps in this DynamoDB table (docs/history.md); needs the table's region",
    ),
)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "sweep",
        usage="%(prog)s [options]",
        help="check every provider's thumbprints against its live TLS chains (dry run unless --apply)",
        description="Check every IAM OIDC provider's thumbprints against its live TLS chains; with --apply, write "
        "the fixed lists. Settings come from the function's environment variables (EXTRA_CA_BUNDLE, HISTORY_TABLE, "
        "NOTIFY_ON, EXPIRY_WARNING_DAYS, HOST_BUDGET_SECONDS, MAX_WORKERS, ...), overridden by the flags below.",
        epilog="Exit status: 0 every provider healthy or fixed, 1 problems remain, 2 usage, setup or AWS error.",
    )
    parser.set_defaults(run=run)
    parser.add_argument("--apply", action="store_true", help="write the fixed thumbprint lists (default: dry run)")
    parser.add_argument(
        "--provider",
        action="append",
        dest="providers",
        type=provider_argument,
        metavar="ARN_OR_URL",
        help="only this provider (repeatable)",
    )
    add_output_options(parser, "the table of findings, or the report as JSON")
    add_aws_options(
        parser, f"AWS region (IAM is global: {IAM_DEFAULT_REGION} if none is configured; history needs its table's)"
    )
    add_role_options(parser)
    for setting in SETTING_FLAGS:
        setting.add_to(parser)
    parser.add_argument(
        "--timeout",
        type=checked(ENV_HOST_BUDGET),
        metavar="SECONDS",
        help="deprecated: the old name of --host-budget",
    )
    parser.add_argument(
        "--topic-arn",
        type=checked(ENV_TOPIC_ARN),
        help="also publish the alert to this SNS topic, when --notify says so",
    )
    parser.add_argument("--verbose", action="store_true", help="log each provider as it is assessed")


def configure(arguments: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    """The run's settings: the environment, then the flags. SettingsError for a bad variable (flags are checked
    as argparse reads them)."""
    if arguments.timeout is not None:
        print("warning: --timeout is deprecated: it is the time budget per host; use --host-budget", file=sys.stderr)
    flags = {setting.variable: getattr(arguments, _dest(setting.flag)) for setting in SETTING_FLAGS}
    if flags[ENV_HOST_BUDGET] is None:
        flags[ENV_HOST_BUDGET] = arguments.timeout
    try:
        return settings_for(environ, flags, apply=arguments.apply, topic_arn=arguments.topic_arn).settings
    except SettingsError as error:
        raise SettingsError(f"{error} (from the environment: fix or unset it, or override it with its flag)") from None


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def run(arguments: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO if arguments.verbose else logging.WARNING, stream=sys.stderr)
    as_json = arguments.output == "json"
    try:
        report = sweep(arguments)
    except RemediatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, region, endpoint, network: one line that says what to do
        if arguments.verbose:
            raise
        print(f"error: {describe(error, arguments.profile) or f'{type(error).__name__}: {error}'}", file=sys.stderr)
        return 2
    print_report(report, as_json=as_json)
    return 0 if all(f.status.healthy or f.action is Action.UPDATED for f in report.findings) else 1


def sweep(arguments: argparse.Namespace) -> Report:
    """Check the arguments, reach the account, sweep it; the report. Raises RemediatorError (a usage, setup or
    AWS error the message explains) or the AWS SDK's own errors (`describe` explains those)."""
    if arguments.external_id is not None and arguments.role_arn is None:
        raise SetupError("--external-id is given without --role-arn")
    settings = configure(arguments, os.environ)
    request = sweep_request(arguments.providers, apply=arguments.apply)
    topic_region = settings.topic_arn.split(":")[3] if settings.topic_arn else None
    session = open_session(
        arguments.profile,
        arguments.region,
        needs_region=f"the history table {settings.history_table!r}" if settings.history_table else None,
        default_region=topic_region,
    )
    caller = caller_of(session)
    role = parse_role_arn(arguments.role_arn)
    account, partition = (caller.account, caller.partition) if role is None else _account_of_role(role)
    # A provider ARN of another account or partition is refused before any IAM call (or role assumed).
    how = "your credentials reach" if role is None else "--role-arn reaches"
    require_in_scope(request, account=account, partition=partition, how=how)
    sweeper = build_sweeper(settings, logging.getLogger("thumbprint_remediator"), session=session)
    if role is not None:
        # As the function sweeps a member account: IAM through the role; history and the topic stay yours.
        member = Clients(assume(session, caller, role, arguments.external_id))
        inventory = IamOidcProviders(client=member.iam(), write_client=member.iam_writer())
        roles = IamRoles(client=member.iam()) if sweeper.roles is not None else None
        sweeper = replace(sweeper, inventory=inventory, roles=roles)
    if request.providers:
        select(sweeper.inventory.list_arns(), request.providers, account=account)
    progress = Progress(enabled=sys.stderr.isatty() and arguments.output != "json")
    report = sweeper.run(request, account=account, progress=progress.advance)
    progress.done()
    return report if role is None else finished(report, role_arn=role)


def _account_of_role(role_arn: str) -> tuple[str, str]:
    _, partition, _, _, account, _ = role_arn.split(":", 5)
    return account, partition


def print_report(report: Report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(to_builtins(report), indent=2, default=str))  # the one place it becomes JSON
        return
    print(findings_table(report, colour=use_colour(sys.stdout)))
    print()
    problems = problems_list(report)
    if problems:
        print(problems)
        print()
    posture = posture_list(report)
    if posture:
        print(posture)
        print()
    print(summary_line(report))
    if report.dry_run and report.summary.would_update:
        print("Dry run: nothing was written. Run again with --apply to write the lists shown as after.")


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
