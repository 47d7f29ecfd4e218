"""Deadlines: the AWS clients' bounds and every reserve of the sweep derived from them, so the function and
infra (the smallest timeout synth accepts) read one arithmetic."""

from __future__ import annotations

import math
from typing import Final

# Every AWS client (aws/clients.py) is built with these bounds.
AWS_CONNECT_TIMEOUT_SECONDS: Final = 2.0
AWS_READ_TIMEOUT_SECONDS: Final = 4.0
# Reads back off on throttling through botocore's standard retries.
AWS_READ_MAX_ATTEMPTS: Final = 3
# One attempt per IAM write: the sweep retries writes itself, after re-reading, against its deadline, so a
# retry can never be sent by a worker the invocation has already given up on.
IAM_WRITE_MAX_ATTEMPTS: Final = 1
ALERT_MAX_ATTEMPTS: Final = 2
# botocore's standard mode waits at most min(2**i, 20) s before retry i (0-based), plus up to 5 s more when
# the service asks for it (x-amz-retry-after).
RETRY_BACKOFF_CAP_SECONDS: Final = 20.0
RETRY_AFTER_EXTRA_SECONDS: Final = 5.0
# Building, logging and returning the report once the alert is settled.
REPORT_SLACK_SECONDS: Final = 2.0
# The host budget a deployment gets when HOST_BUDGET_SECONDS is not set (Settings.host_budget's default).
DEFAULT_HOST_BUDGET_SECONDS: Final = 20.0


def aws_attempt_seconds() -> float:
    """The longest one attempt of any AWS call can take: connect, then wait for the answer."""
    return AWS_CONNECT_TIMEOUT_SECONDS + AWS_READ_TIMEOUT_SECONDS


def aws_call_worst_case_seconds(max_attempts: int) -> float:
    """The longest one AWS call can take with `max_attempts` attempts, backoff included."""
    backoff = sum(
        min(2.0**retry, RETRY_BACKOFF_CAP_SECONDS) + RETRY_AFTER_EXTRA_SECONDS for retry in range(max_attempts - 1)
    )
    return max_attempts * aws_attempt_seconds() + backoff


def alert_reserve_seconds() -> float:
    """Kept free at the very end of the Lambda's time: the alert's worst case, then the report's return."""
    return aws_call_worst_case_seconds(ALERT_MAX_ATTEMPTS) + REPORT_SLACK_SECONDS


def write_window_seconds(attempt: float | None = None) -> float:
    """What a write needs before the deadline to be started: one update attempt and one read-back."""
    return 2 * (aws_attempt_seconds() if attempt is None else attempt)


def drain_reserve_seconds(attempt: float | None = None) -> float:
    """Kept after the sweep's deadline: await a write still in flight, then read the provider afresh."""
    return 2 * (aws_attempt_seconds() if attempt is None else attempt)


def provider_seconds(host_budget: float, attempt: float | None = None, history: bool = False) -> float:
    """The most one provider can cost: its read, two host budgets (discovery and JWKS) and a write; with a history
    table also its record's read and conditional write, one attempt each."""
    attempt = aws_attempt_seconds() if attempt is None else attempt
    return attempt + 2 * host_budget + write_window_seconds(attempt) + (2 * attempt if history else 0.0)


def minimum_timeout_seconds(host_budget: float = DEFAULT_HOST_BUDGET_SECONDS, history: bool = False) -> int:
    """The shortest function timeout in which a sweep lists the providers and probes (and fixes) at least one,
    with the drain and the alert still reserved. Below it every provider would be 'time budget exhausted'."""
    listing = aws_attempt_seconds()
    needed = (
        alert_reserve_seconds() + drain_reserve_seconds() + listing + provider_seconds(host_budget, history=history)
    )
    return math.ceil(needed)


# The problem of a provider the sweep's time budget left out; a sweep with one is not SweepCompleted.
TIME_BUDGET_EXHAUSTED: Final = "time_budget_exhausted"
