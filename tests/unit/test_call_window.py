"""Calls that run after the report (the channels) are refused before they are sent once their worst case no
longer fits before the invocation's end."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from thumbprint_remediator.app.channels import Channels, publish
from thumbprint_remediator.aws.clients import CallWindow, Clients, worst_case_seconds
from thumbprint_remediator.aws.config_rule import ConfigEvaluations
from thumbprint_remediator.aws.finding_events import FindingEvents
from thumbprint_remediator.aws.security_hub import HubTarget
from thumbprint_remediator.domain.errors import OutOfTimeError
from thumbprint_remediator.domain.report import build_report
from thumbprint_remediator.domain.views import to_builtins

ENTRY = {"Source": "s", "DetailType": "d", "Detail": "{}"}


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Log:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.errors.append(msg)


@pytest.fixture
def dead_aws(monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """A session whose every endpoint is a loopback port nobody listens on: a call that is sent cannot connect."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    return boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def test_a_call_whose_worst_case_does_not_fit_is_never_sent(dead_aws: boto3.Session) -> None:
    # Given a window that ends one second before one call's worst case would
    clock = _Clock()
    window = CallWindow(clock)
    window.until(clock.now + worst_case_seconds("write") - 1)
    client = Clients(dead_aws).client("events", "write", window)

    # When a call is made, Then it is refused before anything is sent (no attempt to reach the dead endpoint)
    with pytest.raises(OutOfTimeError, match="events PutEvents not sent"):
        client.put_events(Entries=[ENTRY])


def test_a_call_that_fits_is_sent(dead_aws: boto3.Session) -> None:
    # Given a window with room for one call's worst case
    clock = _Clock()
    window = CallWindow(clock)
    window.until(clock.now + worst_case_seconds("write") + 1)
    client = Clients(dead_aws).client("events", "write", window)

    # When a call is made, Then it is sent: it fails to connect, which only a sent call can
    with pytest.raises(EndpointConnectionError):
        client.put_events(Entries=[ENTRY])


def test_no_end_admits_every_call(dead_aws: boto3.Session) -> None:
    window = CallWindow(_Clock())
    window.until(None)
    with pytest.raises(EndpointConnectionError):
        Clients(dead_aws).client("events", "write", window).put_events(Entries=[ENTRY])


def test_channels_out_of_time_are_an_outcome_not_a_failed_sweep(dead_aws: boto3.Session) -> None:
    # Given the channels, and a report, with the invocation's end already past
    clock = _Clock()
    window = CallWindow(clock)
    log = _Log()
    channels = Channels(
        events=FindingEvents(Clients(dead_aws).client("events", "read", window)),
        security_hub=None,
        config=ConfigEvaluations(Clients(dead_aws).client("config", "read", window)),
        log=log,
        window=window,
    )
    report = build_report(
        account="123456789012",
        dry_run=True,
        started_at=datetime(2026, 11, 28, tzinfo=UTC),
        duration_ms=0,
        findings=[],
        sweep_id="unit",
    )

    # When the report is published to the channels
    published = publish(channels, report, HubTarget(account="123456789012", region="us-east-1"), None, end=clock.now)

    # Then the events channel records that it was not sent, and says so in the log
    assert "not sent" in to_builtins(published)["channels"]["events"]["error"]
    assert log.errors == ["channel delivery failed"]
