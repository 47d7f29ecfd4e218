"""Fixtures shared by every test folder: one sandbox (emulated AWS + local issuers) per test process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.nodeid import coerce_node_id
from hypothesis import HealthCheck, settings

from sandbox.aws_calls import CallRecorder
from sandbox.environment import Sandbox
from sandbox.pki import default_pki
from tests.cli_runner import Cli, cli_runner
from tests.purity import is_impure

# Hypothesis fails an example slower than 200 ms, and data slow to generate: both are wall-clock assertions,
# which a loaded 2-core machine breaks at random. The properties here are about results, not speed.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture(scope="session")
def session_sandbox() -> Iterator[Sandbox]:
    """Started once per test process (each xdist worker has its own), stopped at the end."""
    with Sandbox(default_pki()) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(session_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared sandbox with no providers and no pending alerts: each test registers its own."""
    session_sandbox.clear()
    yield session_sandbox
    session_sandbox.clear()


@pytest.fixture
def cli(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run the workstation CLI in process against the sandbox (tests/cli_runner.py)."""
    return cli_runner(sandbox, monkeypatch, capsys)


CLOUDTRAIL_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cloudtrail"


@pytest.fixture
def change_event() -> Callable[..., dict[str, Any]]:
    """A CloudTrail change event (tests/fixtures/cloudtrail) naming `provider_arn`, made by `issuer_arn`'s session."""

    def build(event_name: str, provider_arn: str, issuer_arn: str | None = None, **detail: Any) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((CLOUDTRAIL_FIXTURES / f"{event_name}.json").read_text())
        record = event["detail"]
        where = (
            record["responseElements"] if event_name == "CreateOpenIDConnectProvider" else record["requestParameters"]
        )
        where["openIDConnectProviderArn"] = provider_arn
        if issuer_arn is not None:
            role_name = issuer_arn.rsplit("/", 1)[-1]
            account = issuer_arn.split(":")[4]
            record["userIdentity"] = {
                **record["userIdentity"],
                "type": "AssumedRole",
                "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/session",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": issuer_arn, "userName": role_name}},
            }
        record.update(detail)
        return event

    return build


@pytest.fixture
def aws_calls() -> Iterator[CallRecorder]:
    """Every AWS call the function's clients make during the test, as IAM actions (sandbox/aws_calls.py)."""
    with CallRecorder() as recorder:
        yield recorder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the impure tests (tests/purity.py), so that `make unit` (-m "not impure") runs every other one; under
    `--dist loadgroup`, name each test's xdist_group in its node id, so that a group shares one worker."""
    for item in items:
        if is_impure(item):
            item.add_marker(pytest.mark.impure)
    if getattr(config.option, "loadgroup", False):
        for item in items:
            _name_group(item)


def _name_group(item: pytest.Item) -> None:
    """What pytest-xdist 3.8 does for loadgroup (the `@group` suffix its scheduler splits on), through pytest 9's
    node id: xdist still sets the `_nodeid` attribute pytest 9 no longer reads, so without this every group would
    be spread over the workers and a session fixture such as the hostile matrix (two minutes) run once on each."""
    groups = sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )
    if groups and "@" not in item.nodeid:
        item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(groups)}")
