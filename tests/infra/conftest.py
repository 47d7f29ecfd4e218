"""Fixtures: one synthesized app per session for the assertion tests, one with every override, one organization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.pki import issue_root, write_pem_bundle
from tests.infra.synthesis import ALERT_EMAILS, OVERRIDES, Synthesized, synthesize
from tests.org.synthesis import ORGANIZATION_CONTEXT, SynthesizedOrganization, synthesize_organization


@pytest.fixture(scope="session")
def private_ca_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PEM bundle with one private root CA, as an operator would pass with -c extraCaBundle=..."""
    now = datetime.now(UTC)
    root = issue_root("Corporate Private Root CA", now - timedelta(days=1), now + timedelta(days=3650))
    return write_pem_bundle(tmp_path_factory.mktemp("pki") / "corporate-ca.pem", [root.certificate])


@pytest.fixture(scope="session")
def default_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app as `npx cdk deploy -c alertEmails=...` builds it: every other setting at its default."""
    return synthesize({"alertEmails": ",".join(ALERT_EMAILS)}, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def overridden_stack(tmp_path_factory: pytest.TempPathFactory, private_ca_bundle: Path) -> Synthesized:
    """Every context key set away from its default (and no alertEmails), in one synthesis."""
    context = {**OVERRIDES, "extraCaBundle": str(private_ca_bundle)}
    return synthesize(context, tmp_path_factory.mktemp("cdk-overridden"))


@pytest.fixture(scope="session")
def organization_template(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedOrganization:
    """The organization stack, for the scanners that must pass on every template we ship."""
    return synthesize_organization(ORGANIZATION_CONTEXT, tmp_path_factory.mktemp("cdk-organization"))


@pytest.fixture(scope="session")
def stateless_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app deployed with `-c history=false`: no history table, the function runs statelessly."""
    return synthesize(
        {"alertEmails": ",".join(ALERT_EMAILS), "history": "false"}, tmp_path_factory.mktemp("cdk-stateless")
    )
