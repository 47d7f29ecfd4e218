"""Wiring: build the adapters once per cold start and run a sweep for one invocation."""

from __future__ import annotations

import time
from typing import Any

import boto3

from thumbprint_remediator.inventory import CLIENT_CONFIG, IamOidcProviders
from thumbprint_remediator.probe import OidcProber, ProbeLimits
from thumbprint_remediator.publisher import AlertPublisher
from thumbprint_remediator.request import SweepRequest
from thumbprint_remediator.settings import Settings
from thumbprint_remediator.sweep import Log, Sweeper
from thumbprint_remediator.trust import TrustEvaluator

# Kept free at the end of the Lambda's time for the alert and the return.
LAMBDA_RESERVE_SECONDS = 15.0


def build_sweeper(settings: Settings, log: Log, session: boto3.Session | None = None) -> Sweeper:
    """Clients, trust store and prober, created once and reused by every sweep."""
    session = session or boto3.Session()
    return Sweeper(
        settings=settings,
        inventory=IamOidcProviders(client=session.client("iam", config=CLIENT_CONFIG)),
        prober=OidcProber(
            ProbeLimits(
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                host_budget=settings.host_budget,
            )
        ),
        trust=TrustEvaluator.from_system(settings.extra_ca_bundle),
        publisher=AlertPublisher(settings.topic_arn, client=session.client("sns")) if settings.topic_arn else None,
        log=log,
    )


def account_of(context: Any, session: boto3.Session | None = None) -> str | None:
    """The account the function runs in: from its ARN, else from STS."""
    function_arn = getattr(context, "invoked_function_arn", None)
    if isinstance(function_arn, str) and function_arn.count(":") >= 4:
        return function_arn.split(":")[4]
    identity = (session or boto3.Session()).client("sts").get_caller_identity()
    return str(identity["Account"])


def deadline_of(context: Any) -> float | None:
    """A time.monotonic() deadline from the Lambda context's remaining time, minus a reserve."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds_left = float(remaining()) / 1000
    return time.monotonic() + max(seconds_left - LAMBDA_RESERVE_SECONDS, 1.0)


def run(sweeper: Sweeper, request: SweepRequest, context: Any) -> dict[str, Any]:
    return sweeper.run(request, account=account_of(context), deadline=deadline_of(context))
