"""The silence class: news that something other than a delivered alert could use up.

Each scenario lets the tool see a provider once (history on, NOTIFY_ON=changes), changes the world, lets a sweep
that tells nobody (a Config evaluation, a manual dry run that notifies no one, an alert SNS refuses, a told-mark the
table refuses) or a foreign skip tag see it first, then runs the scheduled sweep. The row is that scheduled
sweep's finding; `details["news"]` is what its delivered alert must say, `details["alerts"]` what SNS delivered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.faults import FaultProxy, FaultRule
from sandbox.matrix.model import ProviderRun, RunResult, Scenario
from sandbox.matrix.registration import register
from sandbox.matrix.sweeps import sweep
from thumbprint_remediator.contract.names import ENV_HISTORY_TABLE, ENV_NOTIFY_ON, ENV_TOPIC_ARN, SKIP_TAG_KEY
from thumbprint_remediator.domain.errors import AlertDeliveryError

# A periodic invocation by an AWS Config rule, as Config sends it (the tests of quiet sweeps share it).
CONFIG_EVENT: Final = {
    "version": "1.0",
    "invokingEvent": '{"messageType": "ScheduledNotification", "notificationCreationTime": "2026-12-01T10:00:00Z"}',
    "ruleParameters": "{}",
    "resultToken": "result-token-1",
    "eventLeftScope": False,
    "configRuleName": "oidc-provider-thumbprints",
    "accountId": "123456789012",
}
QUIET_DRY_RUN: Final = {"dry_run": True, "notify": "never"}

# What sees the change first: (sandbox, environment) -> None. Each tells nobody.
Witness = Callable[[Sandbox, dict[str, str]], None]
# What changes: (sandbox, provider) -> the text the next delivered alert must carry.
WorldChange = Callable[[Sandbox, ProviderRun], str]


@contextmanager
def _history(sandbox: Sandbox) -> Iterator[dict[str, str]]:
    table = sandbox.account.create_history_table(f"matrix-{uuid.uuid4().hex[:8]}")
    try:
        yield {ENV_HISTORY_TABLE: table, ENV_NOTIFY_ON: "changes"}
    finally:
        sandbox.account.delete_history_table(table)


def config_evaluation(sandbox: Sandbox, environment: dict[str, str]) -> None:
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.keep("PutEvaluations", {"FailedEvaluations": []})
        sandbox.invoke(CONFIG_EVENT, {**environment, "AWS_ENDPOINT_URL": proxy.url})


def quiet_dry_run(sandbox: Sandbox, environment: dict[str, str]) -> None:
    sandbox.invoke(QUIET_DRY_RUN, environment)


def sns_refuses(sandbox: Sandbox, environment: dict[str, str]) -> None:
    try:
        sandbox.invoke(None, {**environment, ENV_TOPIC_ARN: sandbox.topic_arn + "-missing"})
    except AlertDeliveryError:
        return
    raise AssertionError("the sweep whose alert SNS refused did not fail")


def told_mark_refused(sandbox: Sandbox, environment: dict[str, str]) -> None:
    """The alert is delivered, but from then on the table refuses every write: nothing is marked told."""
    with FaultProxy(sandbox.account.endpoint_url) as proxy:

        def refuse_writes(_call: object) -> None:
            message = "The level of configured provisioned throughput for the table was exceeded."
            proxy.add(FaultRule("PutItem", "ProvisionedThroughputExceededException", 400, message))

        # The sweep's own saves go through; once SNS has accepted the alert, every PutItem is refused.
        proxy.add(FaultRule("Publish", after=refuse_writes, times=1))
        sandbox.invoke(None, {**environment, "AWS_ENDPOINT_URL": proxy.url})


def drift(sandbox: Sandbox, provider: ProviderRun) -> str:
    outsider = stale_thumbprint(f"outsider-{provider.scenario}")
    sandbox.account.set_thumbprints(provider.arn, [*provider.pinned, outsider])
    return outsider


def interception(sandbox: Sandbox, provider: ProviderRun) -> str:
    assert provider.issuer is not None
    sandbox.fleet.present(provider.issuer, sandbox.pki.chain("private"))
    return "interception_suspected"


def interception_that_stops(sandbox: Sandbox, provider: ProviderRun) -> str:
    """Intercepted while a quiet sweep looks, clean again by the scheduled one."""
    return interception(sandbox, provider)


def foreign_skip_tag_and_pin(sandbox: Sandbox, provider: ProviderRun) -> str:
    foreign = stale_thumbprint(f"foreign-{provider.scenario}")
    sandbox.account.iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=provider.arn, Tags=[{"Key": SKIP_TAG_KEY, "Value": "true"}]
    )
    sandbox.account.set_thumbprints(provider.arn, [foreign])
    return foreign


def silenced(change: WorldChange, witness: Witness | None, *, restore: bool = False) -> Callable[..., RunResult]:
    """A scenario's run: seen once, `change`, `witness` sees it first (None: only the scheduled sweep does), the
    world restored when `restore`, then the scheduled sweep; `details["news"]` is what its alert must carry."""

    def run(sandbox: Sandbox, workdir: Path, scenario: Scenario) -> RunResult:
        sandbox.clear()
        provider = register(sandbox, scenario)
        with _history(sandbox) as environment:
            sandbox.invoke(None, environment)
            sandbox.alerts()
            news = change(sandbox, provider)
            # What IAM holds once the world changed is the "before" the invariants judge the tool's writes against.
            provider.pinned = tuple(sandbox.thumbprints(provider.arn))
            if witness is not None:
                witness(sandbox, environment)
            if restore:
                assert provider.issuer is not None
                sandbox.fleet.present(provider.issuer, sandbox.pki.chain("public"))
            sandbox.alerts()  # whatever a witness delivered is not the news under test
            result = sweep(sandbox, scenario.name, [provider], environment)
        result.details["news"] = news
        return result

    return run


def bound(scenario: Scenario, run: Callable[..., RunResult]) -> Scenario:
    """`scenario` with its fault runner bound to itself (the runner registers the scenario's own provider)."""
    from dataclasses import replace  # noqa: PLC0415 - only here

    def fault(sandbox: Sandbox, workdir: Path) -> RunResult:
        return run(sandbox, workdir, bound_scenario)

    bound_scenario = replace(scenario, fault=fault)
    return bound_scenario


def news_told(result: RunResult) -> bool:
    """Whether an alert SNS delivered in the scheduled sweep carries the scenario's news."""
    alerts: list[Any] = result.details.get("alerts", [])
    return any(str(result.details["news"]) in alert.body for alert in alerts)
