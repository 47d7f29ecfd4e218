"""The deadline arithmetic: every AWS client is bounded, and the reserves and the timeout floor follow."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.unit.builders import NOW, sha1_of
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.aws.clients import Clients, worst_case_seconds
from thumbprint_remediator.aws.telemetry import sweep_completed
from thumbprint_remediator.contract.deadlines import (
    ALERT_MAX_ATTEMPTS,
    AWS_READ_MAX_ATTEMPTS,
    IAM_WRITE_MAX_ATTEMPTS,
    REPORT_SLACK_SECONDS,
    TIME_BUDGET_EXHAUSTED,
    alert_reserve_seconds,
    minimum_timeout_seconds,
)
from thumbprint_remediator.domain.remediation import Remediation, Write, WriteOutcome, decide, judge_write
from thumbprint_remediator.domain.report import Finding, build_report, compact_report
from thumbprint_remediator.domain.rules import Assessment, Problem
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import Report

OLD, NEW = sha1_of("old"), sha1_of("new")


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")


@pytest.mark.parametrize(
    ("build", "attempts"),
    [
        (Clients.iam, AWS_READ_MAX_ATTEMPTS),
        (Clients.iam_writer, IAM_WRITE_MAX_ATTEMPTS),
        (Clients.sns, ALERT_MAX_ATTEMPTS),
        (Clients.sts, AWS_READ_MAX_ATTEMPTS),
        (Clients.organizations, AWS_READ_MAX_ATTEMPTS),
    ],
)
def test_every_client_has_explicit_timeouts_and_bounded_standard_retries(build: Any, attempts: int) -> None:
    # Given a client from the factory  When its configuration is read
    config = build(Clients(_session())).meta.config
    # Then nothing is left at botocore's 60 s defaults or legacy retries
    assert (config.connect_timeout, config.read_timeout) == (2.0, 4.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": attempts}


def test_the_alert_reserve_covers_the_sns_clients_worst_case() -> None:
    # Two attempts of 2 s + 4 s, one backoff of at most 1 s plus 5 s retry-after, then the report
    assert worst_case_seconds("alert") == 2 * 6 + 1 + 5
    assert alert_reserve_seconds() == worst_case_seconds("alert") + REPORT_SLACK_SECONDS


def test_the_smallest_timeout_probes_one_provider_with_every_reserve_kept() -> None:
    # alert 20 + drain 12 + listing 6 + one provider (read 6 + two host budgets 40 + write 12)
    assert minimum_timeout_seconds(20.0) == 20 + 12 + 6 + 6 + 40 + 12
    assert Settings(host_budget=4.0).minimum_timeout_seconds == 20 + 12 + 6 + 6 + 8 + 12


def _swept(*codes: tuple[str, ...]) -> Report:
    """A report with one finding per tuple, holding problems of those codes."""
    findings = [
        Finding(
            arn=f"arn:aws:iam::123456789012:oidc-provider/p{index}.example",
            url=f"p{index}.example",
            status=Status.UNREACHABLE if problems else Status.OK,
            problems=tuple(Problem(code, Status.UNREACHABLE, "m", "r") for code in problems),
        )
        for index, problems in enumerate(codes)
    ]
    return build_report(
        account="123456789012", dry_run=True, started_at=NOW, duration_ms=0, findings=findings, sweep_id="s"
    )


def test_a_sweep_with_a_provider_out_of_time_is_not_completed() -> None:
    assert sweep_completed(_swept((), (TIME_BUDGET_EXHAUSTED,))) == 0
    assert sweep_completed(_swept(("thumbprint_missing",))) == 1
    assert sweep_completed(_swept()) == 1
    assert sweep_completed(compact_report(_swept((TIME_BUDGET_EXHAUSTED,)))) == 0  # compact


def _assessment(proposed: tuple[str, ...] | None, block_reason: str | None = None) -> Assessment:
    return Assessment(Status.STALE, (), (NEW,), proposed, block_reason, "fallback", None)


def test_decide_writes_only_when_due_safe_live_and_in_time() -> None:
    before = (OLD,)
    assert decide(before, _assessment(None), dry_run=False, seconds_left=None, write_window=1) == Remediation(
        Action.NONE, before
    )
    assert decide(before, _assessment(None, "unsafe"), dry_run=False, seconds_left=None, write_window=1) == (
        Remediation(Action.BLOCKED, before, "unsafe")
    )
    proposed = (NEW, OLD)
    dry = decide(before, _assessment(proposed), dry_run=True, seconds_left=None, write_window=1)
    assert isinstance(dry, Remediation)
    assert dry.action == "would_update"
    late = decide(before, _assessment(proposed), dry_run=False, seconds_left=0.5, write_window=1)
    assert isinstance(late, Remediation)
    assert (late.action, late.after) == ("blocked", before)
    assert decide(before, _assessment(proposed), dry_run=False, seconds_left=1, write_window=1) == Write(proposed)


def test_judge_write_says_what_iam_holds() -> None:
    proposed, current = (NEW, OLD), (OLD,)
    assert judge_write(WriteOutcome(proposed, current, read_back=(OLD, NEW))).action == "updated"
    assert judge_write(WriteOutcome(proposed, current, refused="AccessDenied: no")).after == current
    unknown = judge_write(WriteOutcome(proposed, current, unanswered="timeout", read_back=current))
    assert (unknown.action, unknown.after) == ("update_unknown", current)
    unread = judge_write(WriteOutcome(proposed, current, unanswered="timeout", read_error="Throttling"))
    assert (unread.action, unread.after) == ("update_unknown", None)  # unknown, not the list before the write
    unchecked = judge_write(WriteOutcome(proposed, current, read_error="Throttling"))
    assert (unchecked.action, unchecked.after) == ("update_failed", None)  # sent, never read back: unknown
