"""One sweep through the real handler, and the sweeps of the scenarios that each need their own.

`sweep` invokes `lambda_handler` with the matrix's settings and reads back what IAM holds; the AWS
faults, deadlines and write-path faults run theirs behind a `FaultProxy`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from sandbox.environment import Resolver, Sandbox
from sandbox.faults import FaultProxy, dead_endpoint_url
from sandbox.matrix.model import Pinned, ProviderRun, RunResult, Scenario
from sandbox.matrix.registration import public_top, register
from thumbprint_remediator.contract.deadlines import DEFAULT_HOST_BUDGET_SECONDS, minimum_timeout_seconds
from thumbprint_remediator.contract.names import (
    ENV_CONNECT_TIMEOUT,
    ENV_HOST_BUDGET,
    ENV_MAX_WORKERS,
    ENV_READ_TIMEOUT,
    SERVICE_NAME,
)
from thumbprint_remediator.domain.errors import AlertDeliveryError, RemediatorError

# The sweep's settings in every matrix run (the sandbox's defaults, spelled out: the budget uses them).
CONNECT_TIMEOUT: Final = 2.0
READ_TIMEOUT: Final = 2.0
HOST_BUDGET: Final = 4.0
MAX_WORKERS: Final = 16
# On top of two host budgets per provider: IAM calls, retries after throttling, trust checks.
PER_PROVIDER_ALLOWANCE: Final = 3.0
# Once per sweep: cold start (settings, trust store), listing, the alert.
SWEEP_ALLOWANCE: Final = 5.0
SCALE_PROVIDERS: Final = 100
SCALE_LAMBDA_TIMEOUT: Final = minimum_timeout_seconds()  # the shortest timeout the stack accepts


def sweep_budget(providers: int, workers: int = MAX_WORKERS, host_budget: float = HOST_BUDGET) -> float:
    """The wall time a sweep may take: each provider costs at most two host budgets (the discovery
    and the JWKS endpoint) plus its IAM calls, and `workers` providers are swept at a time."""
    rounds = math.ceil(providers / workers) if providers else 0
    return rounds * (2 * host_budget + PER_PROVIDER_ALLOWANCE) + SWEEP_ALLOWANCE


def sweep(
    sandbox: Sandbox,
    name: str,
    providers: list[ProviderRun],
    environment: Mapping[str, str] | None = None,
    *,
    timeout_seconds: float = 300,
    event: Any = None,
    resolver: Resolver | None = None,
) -> RunResult:
    """Invoke the real handler once (with `event`, the scheduled sweep by default) and read back every
    provider's list from IAM. With `resolver`, the handler's own wiring resolving names with it instead
    (`Sandbox.sweep_resolving`: a manual sweep, no Lambda context)."""
    settings = {
        ENV_CONNECT_TIMEOUT: f"{CONNECT_TIMEOUT:g}",
        ENV_READ_TIMEOUT: f"{READ_TIMEOUT:g}",
        ENV_HOST_BUDGET: f"{HOST_BUDGET:g}",
        ENV_MAX_WORKERS: str(MAX_WORKERS),
        **(environment or {}),
    }
    report: dict[str, Any] | None = None
    error: BaseException | None = None
    started = time.monotonic()
    try:
        if resolver is None:
            report = sandbox.invoke(event, settings, timeout_seconds=timeout_seconds)
        else:
            report = sandbox.sweep_resolving(resolver, **settings)
    except AlertDeliveryError as failure:
        error, report = failure, failure.report
    except RemediatorError as failure:
        error = failure
    wall = time.monotonic() - started
    findings = {finding["arn"]: finding for finding in (report or {}).get("findings", [])}
    for run in providers:
        run.finding = findings.get(run.arn)
        run.after = _read_back(sandbox, run.arn)
    budget = sweep_budget(len(providers), int(settings[ENV_MAX_WORKERS]), float(settings[ENV_HOST_BUDGET]))
    return RunResult(name, providers, report, error, wall, budget, {"alerts": sandbox.alerts()})


def _read_back(sandbox: Sandbox, arn: str) -> tuple[str, ...] | None:
    try:
        response = sandbox.account.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        return tuple(response["ThumbprintList"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise


# --- AWS faults (each its own sweep, behind the fault proxy) ----------------------------------------


def _bystanders(sandbox: Sandbox, count: int, behaviour: str = "rotated_intermediate") -> list[ProviderRun]:
    return [
        register(sandbox, Scenario("", "", "", "", "", behaviour=behaviour, pinned=public_top)) for _ in range(count)
    ]


def _subject(sandbox: Sandbox, name: str, behaviour: str = "rotated_intermediate") -> ProviderRun:
    return register(sandbox, Scenario(name, "", "", "", "", behaviour=behaviour, pinned=public_top))


def _calls(proxy: FaultProxy) -> list[tuple[str, str | None]]:
    return [(call.action, call.fault) for call in proxy.calls]


def run_throttling(sandbox: Sandbox, workdir: Path) -> RunResult:
    """IAM throttles the first call of each kind: the sweep gets through on botocore's retries."""
    sandbox.clear()
    providers = [_subject(sandbox, "iam_throttling"), *_bystanders(sandbox, 2), *_bystanders(sandbox, 1, "healthy")]
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.throttle("ListOpenIDConnectProviders", times=1)
        proxy.throttle("GetOpenIDConnectProvider", times=3)
        proxy.throttle("UpdateOpenIDConnectProviderThumbprint", times=1)
        result = sweep(sandbox, "iam_throttling", providers, {"AWS_ENDPOINT_URL": proxy.url})
        result.details["calls"] = _calls(proxy)
    return result


def run_access_denied(sandbox: Sandbox, workdir: Path) -> RunResult:
    """An SCP denies the update of one provider: its finding says so, the others are still fixed."""
    sandbox.clear()
    subject = _subject(sandbox, "iam_access_denied_on_update")
    providers = [subject, *_bystanders(sandbox, 2)]
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.deny(
            "UpdateOpenIDConnectProviderThumbprint",
            "User: arn:aws:sts::123456789012:assumed-role/remediator/sweep is not authorized to perform: "
            "iam:UpdateOpenIDConnectProviderThumbprint with an explicit deny in a service control policy",
            OpenIDConnectProviderArn=subject.arn,
        )
        result = sweep(sandbox, "iam_access_denied_on_update", providers, {"AWS_ENDPOINT_URL": proxy.url})
        result.details["calls"] = _calls(proxy)
    return result


def deleted_when(action: str, name: str) -> Callable[[Sandbox, Path], RunResult]:
    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        subject = _subject(sandbox, name)
        providers = [subject, *_bystanders(sandbox, 2)]
        iam = sandbox.account.iam
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            proxy.before(
                action,
                lambda _: iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=subject.arn),
                OpenIDConnectProviderArn=subject.arn,
            )
            result = sweep(sandbox, name, providers, {"AWS_ENDPOINT_URL": proxy.url})
            result.details["calls"] = _calls(proxy)
        return result

    return run


def run_sns_unavailable(sandbox: Sandbox, workdir: Path) -> RunResult:
    """SNS answers 503 to every Publish: the fix stands, the report is logged and carried by the error."""
    sandbox.clear()
    providers = [_subject(sandbox, "sns_unavailable"), *_bystanders(sandbox, 1, "healthy")]
    logged = _RecordCollector()
    handler_logger = logging.getLogger(SERVICE_NAME)
    handler_logger.addHandler(logged)
    try:
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            proxy.unavailable("Publish")
            # SNS's client has no retry configuration of its own: AWS_MAX_ATTEMPTS keeps its retries short.
            environment = {"AWS_ENDPOINT_URL": proxy.url, "AWS_MAX_ATTEMPTS": "2"}
            result = sweep(sandbox, "sns_unavailable", providers, environment)
            result.details["calls"] = _calls(proxy)
    finally:
        handler_logger.removeHandler(logged)
    result.details["logged_reports"] = [
        getattr(record, "report", None) for record in logged.records if record.levelno >= logging.ERROR
    ]
    return result


class _RecordCollector(logging.Handler):
    """Keeps the log records the handler emits (the report it logs when the alert cannot be sent)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def run_endpoint_dead(sandbox: Sandbox, workdir: Path) -> RunResult:
    """AWS_ENDPOINT_URL points where nothing listens: a clear InventoryError, nothing probed or written."""
    sandbox.clear()
    providers = [_subject(sandbox, "aws_endpoint_dead"), *_bystanders(sandbox, 1, "healthy")]
    return sweep(sandbox, "aws_endpoint_dead", providers, {"AWS_ENDPOINT_URL": dead_endpoint_url()})


def run_alert_size(sandbox: Sandbox, workdir: Path) -> RunResult:
    """100 providers that all need attention, one serving a 1 MiB document with a 300,000-character issuer:
    the sweep still delivers one alert within SNS's 256 KB."""
    sandbox.clear()
    providers = [register(sandbox, Scenario(ALERT_SIZE, "", "", "", "", behaviour="huge_hostile_issuer"))]
    for index in range(SCALE_PROVIDERS - 1):
        behaviour = "hostile_certificate_names" if index % 5 else "rotated_intermediate"
        pinned: Pinned = "stale" if index % 5 else public_top
        providers.append(register(sandbox, Scenario("", "", "", "", "", behaviour=behaviour, pinned=pinned)))
    return sweep(sandbox, ALERT_SIZE, providers)


ALERT_SIZE: Final = "alert_1_mib_document_among_100"


# --- deadlines and the IAM write path (each its own sweep, behind the fault proxy) ---------------------

UPDATE: Final = "UpdateOpenIDConnectProviderThumbprint"
# The function timeouts the deadline scenarios run with: the one a default deployment may not go below,
# and 60 s (which synth used to accept) with the host budget a deployment has by default.
FLOOR_TIMEOUT: Final = minimum_timeout_seconds(DEFAULT_HOST_BUDGET_SECONDS)
BELOW_FLOOR_TIMEOUT: Final = 60
DEFAULT_HOST_BUDGET_SETTING: Final = {ENV_HOST_BUDGET: f"{DEFAULT_HOST_BUDGET_SECONDS:g}"}


def run_sns_hung(sandbox: Sandbox, workdir: Path) -> RunResult:
    """SNS accepts the connection and never answers: the alert costs at most its reserve, the report survives."""
    sandbox.clear()
    providers = [_subject(sandbox, "sns_hung"), *_bystanders(sandbox, 1, "healthy")]
    release = threading.Event()
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.before("Publish", lambda _: release.wait(120), times=None)
        try:
            result = sweep(sandbox, "sns_hung", providers, {"AWS_ENDPOINT_URL": proxy.url})
        finally:
            release.set()
        result.details["calls"] = _calls(proxy)
    return result


def timed(name: str, timeout_seconds: int) -> Callable[[Sandbox, Path], RunResult]:
    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        providers = [_subject(sandbox, name)]
        return sweep(sandbox, name, providers, DEFAULT_HOST_BUDGET_SETTING, timeout_seconds=timeout_seconds)

    return run


def run_update_in_flight_at_deadline(sandbox: Sandbox, workdir: Path) -> RunResult:
    """Updates reach IAM 17 s after they are sent, in a function with 30 s left: none may land after the report."""
    sandbox.clear()
    name = "iam_update_in_flight_at_deadline"
    providers = [_subject(sandbox, name)]
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.before(UPDATE, lambda _: time.sleep(17), times=None)
        environment = {"AWS_ENDPOINT_URL": proxy.url, ENV_HOST_BUDGET: "0.5"}
        result = sweep(sandbox, name, providers, environment, timeout_seconds=30)
        result.details["calls"] = _calls(proxy)
    return result


def write_fault(name: str, inject: Callable[[FaultProxy, ProviderRun], object]) -> Callable[[Sandbox, Path], RunResult]:
    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        subject = _subject(sandbox, name)
        providers = [subject, *_bystanders(sandbox, 1)]
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            inject(proxy, subject)
            result = sweep(sandbox, name, providers, {"AWS_ENDPOINT_URL": proxy.url})
            result.details["calls"] = _calls(proxy)
        return result

    return run


# --- exact identity in payloads (each its own sweep, naming one provider) ------------------------------


def payload_naming(name: str, identifier: Callable[[ProviderRun], str]) -> Callable[[Sandbox, Path], RunResult]:
    """A manual sweep naming the subject provider by `identifier`, beside a bystander it must not sweep."""

    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        subject = _subject(sandbox, name)
        _bystanders(sandbox, 1)  # not named: a finding for it breaks "exactly one finding per provider named"
        return sweep(sandbox, name, [subject], event={"providers": [identifier(subject)]})

    return run
