"""Builds the CDK app: context → StackConfig (and OrganizationConfig) → the stack, with cdk-nag's checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import StackConfig
from infra.organization.config import OrganizationConfig
from infra.organization.stack import OrganizationStack
from infra.stack import ThumbprintRemediatorStack

STACK_NAME: Final = "OidcThumbprintRemediator"


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None, checks: bool = True) -> App:
    """The app `app.py` synthesizes; tests call it with their own context. Raises ConfigError on bad context."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = StackConfig.from_context(app.node.try_get_context)
    organization = OrganizationConfig.from_context(app.node.try_get_context)
    if organization is None:
        ThumbprintRemediatorStack(app, STACK_NAME, config=config)
    else:  # -c organization=true: the central stack of an organization sweep
        OrganizationStack(app, STACK_NAME, config=config, organization=organization)
    if checks:
        # Any unacknowledged finding fails the synthesis, with the report.
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
