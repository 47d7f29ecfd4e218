"""The workstation CLI as the person on call uses it, against the sandbox (moto in server mode, real TLS issuers):
the function's environment and defaults, flags that override them, every bad value, credential and region error
refused in one line with exit 2, an unknown provider answered with the real ones, another account through a role
(tests/org/test_cli_role.py), history that cannot be read, and tables that never make two things look alike."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sandbox.environment import Sandbox
from tests.cli_runner import Cli
from thumbprint_remediator.cli.providers import SHOWN_PROVIDERS
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_NOTIFY_ON,
    ENV_TOPIC_ARN,
)

ROOT = Path(__file__).resolve().parents[2]


def _finding(report: dict[str, Any], arn: str) -> dict[str, Any]:
    return next(finding for finding in report["findings"] if finding["arn"] == arn)


# --- the command: version, help ------------------------------------------------------------------------------


def test_version_is_the_distributions(cli: Cli) -> None:
    version = tomllib.loads((ROOT / "lambda" / "pyproject.toml").read_text())["project"]["version"]

    run = cli("--version")

    assert (run.status, run.out.strip()) == (0, f"oidc-thumbprints {version}")


def test_help_names_every_command_and_explains_every_flag(cli: Cli) -> None:
    top = cli("--help")
    sweep = cli("sweep", "--help")

    assert top.status == sweep.status == 0
    assert {"sweep", "history"} <= set(top.out.split())
    flags = sweep.out.replace("\n", " ")
    for flag, said in {
        "--notify": "env NOTIFY_ON; default: changes",
        "--expiry-warning-days": "env EXPIRY_WARNING_DAYS; default: 30",
        "--host-budget": "time budget per host",
        "--timeout": "deprecated",
        "--role-arn": "STS",
        "--output": "json",
    }.items():
        assert flag in flags
        assert said in " ".join(flags.split()), (flag, said)


def test_python_m_cli_from_the_repository_root_is_an_alias_that_still_sweeps_by_default() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "--help"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    legacy = subprocess.run(
        [sys.executable, "-m", "cli", "--apply", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0
    assert "history" in result.stdout
    assert legacy.returncode == 0
    assert "--host-budget" in legacy.stdout  # `python -m cli --apply` is a sweep


# --- the function's environment and defaults -----------------------------------------------------------------


def test_the_sweep_reads_the_functions_environment_and_defaults(cli: Cli, sandbox: Sandbox, history_table: str) -> None:
    # Given a private-CA provider, and the environment the sandbox exports (EXTRA_CA_BUNDLE, HISTORY_TABLE), with
    # the function's TOPIC_ARN and DRY_RUN=false too (what `make sandbox` prints)
    provider = sandbox.add_provider("private_ca")
    environment = {
        ENV_EXTRA_CA_BUNDLE: sandbox.trust_environment[ENV_EXTRA_CA_BUNDLE],
        ENV_HISTORY_TABLE: history_table,
        ENV_TOPIC_ARN: sandbox.topic_arn,
        ENV_DRY_RUN: "false",
    }

    run = cli("sweep", "--output", "json", env=environment)

    # Then the provider is trusted through the bundle, history is on, and notify is the stack's default
    assert run.status == 0, run.err
    finding = _finding(run.report, provider.arn)
    assert (finding["status"], {host["trust"] for host in finding["hosts"]}) == ("ok", {"private"})
    assert run.report["history"]["enabled"] is True
    assert run.report["alert"]["notify_on"] == "changes"
    # And the function's own switches stay the function's: a workstation run writes only with --apply and
    # publishes only with --topic-arn
    assert run.report["dry_run"] is True
    assert sandbox.alerts() == []


def test_flags_override_the_environment(cli: Cli, sandbox: Sandbox) -> None:
    # Given a provider whose certificates expire in 10 days, and EXPIRY_WARNING_DAYS=5 and NOTIFY_ON=always
    provider = sandbox.add_provider("expiring_soon")
    environment = {ENV_EXPIRY_WARNING_DAYS: "5", ENV_NOTIFY_ON: "always"}

    from_environment = cli("sweep", "--json", env=environment)
    from_flags = cli("sweep", "--json", "--expiry-warning-days", "30", "--notify", "problems", env=environment)

    assert _finding(from_environment.report, provider.arn)["status"] == "ok"
    assert from_environment.report["alert"]["notify_on"] == "always"
    assert _finding(from_flags.report, provider.arn)["status"] == "expiring"
    assert from_flags.report["alert"]["notify_on"] == "problems"
    assert (from_environment.status, from_flags.status) == (0, 1)


def test_host_budget_is_the_honest_name_and_timeout_a_deprecated_alias(cli: Cli, sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")

    budget = cli("sweep", "--json", "--host-budget", "5")
    timeout = cli("sweep", "--json", "--timeout", "5")

    assert (budget.status, _finding(budget.report, provider.arn)["status"]) == (0, "ok")
    assert "deprecated" not in budget.err
    assert (timeout.status, _finding(timeout.report, provider.arn)["status"]) == (0, "ok")
    assert "warning: --timeout is deprecated" in timeout.err
    assert "--host-budget" in timeout.err


# --- bad input: refused with its range, exit 2, nothing called -----------------------------------------------

BAD_FLAGS = [
    (("--workers", "0"), "argument --workers: must be between 1 and 256, got '0'"),
    (("--workers", "many"), "argument --workers: must be a whole number between 1 and 256, got 'many'"),
    (("--expiry-warning-days", "-5"), "argument --expiry-warning-days: must be a whole number between 0 and 3650"),
    (("--host-budget", "0.1"), "argument --host-budget: must be between 0.5 and 300, got '0.1'"),
    (("--timeout", "0"), "argument --timeout: must be between 0.5 and 300, got '0'"),
    (("--notify", "sometimes"), "argument --notify: must be one of always, changes, problems, never"),
    (("--history-table", "x"), "argument --history-table: must be a DynamoDB table name (3-255"),
    (("--extra-ca-bundle", "/nonexistent/ca.pem"), "argument --extra-ca-bundle: names '/nonexistent/ca.pem', which"),
    (("--topic-arn", "alerts"), "argument --topic-arn: must be the ARN of the alerts SNS topic"),
    (("--provider", "not a url!"), "argument --provider: 'not a url!' is neither an OIDC provider ARN nor a provider"),
    (("--role-arn", "admin"), "argument --role-arn: must be an IAM role ARN"),
    (("--output", "yaml"), "argument --output/-o: invalid choice: 'yaml'"),
]


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS, ids=[" ".join(flags) for flags, _ in BAD_FLAGS])
def test_a_bad_flag_is_refused_with_its_allowed_range(
    cli: Cli, sandbox: Sandbox, flags: tuple[str, ...], message: str
) -> None:
    provider = sandbox.add_provider("expiring_soon")

    run = cli("sweep", *flags)

    assert run.status == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert provider.issuer.connections == 0


BAD_VARIABLES = [
    (ENV_MAX_WORKERS, "0", "MAX_WORKERS must be between 1 and 256, got '0'"),
    (ENV_EXPIRY_WARNING_DAYS, "-5", "EXPIRY_WARNING_DAYS must be a whole number between 0 and 3650"),
    (ENV_HOST_BUDGET, "0", "HOST_BUDGET_SECONDS must be between 0.5 and 300"),
    (ENV_NOTIFY_ON, "sometimes", "NOTIFY_ON must be one of always, changes, problems, never"),
]


@pytest.mark.parametrize(("variable", "value", "message"), BAD_VARIABLES, ids=[v for v, _, _ in BAD_VARIABLES])
def test_a_bad_variable_is_refused_naming_it_and_its_range(
    cli: Cli, sandbox: Sandbox, variable: str, value: str, message: str
) -> None:
    provider = sandbox.add_provider("healthy")

    run = cli("sweep", env={variable: value})

    assert run.status == 2
    (line,) = run.error_lines
    assert line.startswith(f"error: {message}")
    assert "from the environment" in line
    assert provider.issuer.connections == 0


# --- credentials and region ----------------------------------------------------------------------------------


def test_no_credentials_is_one_line_with_the_fix(cli: Cli, sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")

    run = cli("sweep", unset=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))

    assert run.status == 2
    assert run.err.strip().splitlines() == [
        "error: no AWS credentials found: sign in (aws sso login, aws configure), or choose a profile with "
        "--profile or AWS_PROFILE"
    ]
    assert provider.issuer.connections == 0


def test_an_unknown_profile_says_how_to_list_the_real_ones(cli: Cli) -> None:
    run = cli("sweep", "--profile", "nosuch")

    assert run.status == 2
    assert len(run.error_lines) == 1
    assert "nosuch" in run.err
    assert "aws configure list-profiles" in run.err


def test_without_a_region_iam_uses_us_east_1_and_says_so(cli: Cli, sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")

    run = cli("sweep", "--json", unset=("AWS_REGION", "AWS_DEFAULT_REGION"))

    assert run.status == 0, run.err
    assert _finding(run.report, provider.arn)["status"] == "ok"
    assert "no AWS region configured; using us-east-1 (IAM is global" in run.err


def test_history_without_a_region_asks_for_the_tables(cli: Cli, sandbox: Sandbox, history_table: str) -> None:
    provider = sandbox.add_provider("healthy")
    no_region = ("AWS_REGION", "AWS_DEFAULT_REGION")

    swept = cli("sweep", "--history-table", history_table, unset=no_region)
    shown = cli("history", "--table", history_table, unset=no_region)

    for run in (swept, shown):
        assert run.status == 2
        assert run.err.strip().splitlines() == [
            f"error: the history table {history_table!r} lives in one region and none is configured: "
            "pass --region or set AWS_REGION"
        ]
    assert provider.issuer.connections == 0


# --- which providers -----------------------------------------------------------------------------------------


def test_an_unknown_provider_lists_the_real_ones_up_to_a_bound(cli: Cli, sandbox: Sandbox) -> None:
    # Given more providers than the error lists (names no issuer serves: nothing is probed)
    urls = sorted(f"localhost:1/tenant-{index:02d}" for index in range(SHOWN_PROVIDERS + 2))
    for url in urls:
        sandbox.register_url(url)

    run = cli("sweep", "--provider", "localhost:1/tenant-99")

    assert run.status == 2
    (line,) = run.error_lines
    assert line.startswith(
        "error: no OIDC provider 'localhost:1/tenant-99' in account 123456789012; its 12 providers: "
    )
    assert all(url in line for url in urls[:SHOWN_PROVIDERS])
    assert urls[-1] not in line
    assert line.endswith(" and 2 more")


def test_an_arn_of_another_account_is_answered_in_the_clis_words(cli: Cli, sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")
    foreign = provider.arn.replace(":123456789012:", ":999999999999:")

    run = cli("sweep", "--provider", foreign)

    assert run.status == 2
    (line,) = run.error_lines
    assert "invalid payload" not in line
    assert f"--provider '{foreign}' is not in account 123456789012 (aws)" in line
    assert "--profile" in line
    assert "--role-arn" in line
    assert provider.issuer.connections == 0


# --- history -------------------------------------------------------------------------------------------------


def test_history_of_a_missing_table_is_one_line_and_exit_2(cli: Cli, sandbox: Sandbox) -> None:
    for _ in range(3):
        sandbox.add_provider("healthy")

    run = cli("history", "--table", "nosuch")

    assert run.status == 2
    assert run.out == ""
    (line,) = run.err.strip().splitlines()
    assert line.startswith("error: cannot read the history table 'nosuch' in us-east-1: ResourceNotFoundException")


def test_history_reads_the_table_from_history_table(cli: Cli, sandbox: Sandbox, history_table: str) -> None:
    provider = sandbox.add_provider("healthy")
    sandbox.invoke(None, {ENV_HISTORY_TABLE: history_table})

    run = cli("history", provider.url, env={ENV_HISTORY_TABLE: history_table})

    assert run.status == 0, run.err
    assert run.out.startswith(provider.arn)
    assert "sweeps: 1" in run.out


# --- tables --------------------------------------------------------------------------------------------------


def test_history_never_cuts_the_name_that_tells_two_cas_apart(cli: Cli, sandbox: Sandbox, history_table: str) -> None:
    # Given a provider seen presenting one CA, then (after a rotation) its successor
    provider = sandbox.add_provider("healthy")
    sandbox.invoke(None, {ENV_HISTORY_TABLE: history_table})
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("rotated"))
    sandbox.invoke(None, {ENV_HISTORY_TABLE: history_table})
    names = [sandbox.pki.chain(name).top_certificate.subject.rfc4514_string() for name in ("public", "rotated")]
    assert names == ["CN=Sandbox Public Issuing CA 1,O=OIDC Sandbox", "CN=Sandbox Public Issuing CA 2,O=OIDC Sandbox"]

    run = cli("history", provider.url, "--table", history_table)

    # Then both are in the timeline, each with what tells it from the other
    assert run.status == 0, run.err
    rows = [line for line in run.out.splitlines() if "Issuing CA" in line]
    assert len(rows) == 2
    assert "CA 1," in rows[0]
    assert "CA 2," in rows[1]


def test_the_provider_column_keeps_what_tells_two_urls_apart(cli: Cli, sandbox: Sandbox) -> None:
    # Given two providers whose URLs share their first 60 characters (nothing serves them: both unreachable)
    prefix = "localhost:1/realms/production-eu-west-1/protocol/openid-connect/tenants"
    urls = [f"{prefix}/alpha", f"{prefix}/omega"]
    for url in urls:
        sandbox.register_url(url)

    run = cli("sweep")

    table = run.out.split("\n\n", 1)[0].splitlines()
    cells = sorted(line.split()[0] for line in table if line.startswith("localhost:1/"))
    assert len(cells) == 2
    assert cells[0] != cells[1]
    assert cells[0].endswith("/alpha")
    assert cells[1].endswith("/omega")


def test_the_table_counts_in_the_singular_and_shows_the_lists_it_mentions(cli: Cli, sandbox: Sandbox) -> None:
    # Given one provider whose CA rotated: a dry run would update its list
    provider = sandbox.add_provider("healthy")
    sandbox.fleet.rotate(provider.issuer, "rotated")

    run = cli("sweep")

    assert run.status == 1
    assert "1 provider in " in run.out
    assert "1 providers" not in run.out
    # The reason and the hint speak of the list shown as after: it is shown, in full, with the one it replaces
    assert "dry run: the list shown as after was not written" in run.out
    live = sandbox.pki.chain("rotated").top_thumbprint
    assert f"    before: {', '.join(provider.pinned)}" in run.out
    after = next(line for line in run.out.splitlines() if line.startswith("    after:"))
    assert live in after
    assert "--apply to write the lists shown as after" in run.out
    # And the legend explains only the marks the table shows (a live thumbprint not pinned; no "+")
    assert "(* = live thumbprint not pinned)" in run.out
