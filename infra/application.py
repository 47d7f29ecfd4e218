"""Builds the CDK app: context → StackConfig (and OrganizationConfig) → the stack, with cdk-nag's checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.channels import FORWARDER_STACK_NAME, ChannelsConfig, IamEventsForwarderStack
from infra.config import StackConfig
from infra.organization.config import OrganizationConfig
from infra.organization.stack import OrganizationStack
from infra.stack import ThumbprintRemediatorStack
from thumbprint_remediator.contract.names import IAM_EVENTS_REGION

STACK_NAME: Final = "OidcThumbprintRemediator"


def build_app(
    context: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    checks: bool = True,
    default_region: str | None = None,
) -> App:
    """The app `app.py` synthesizes; tests call it with their own context. Raises ConfigError on bad context.
    `default_region` (app.py: the CLI's CDK_DEFAULT_REGION) stands in for `-c region` when that is not given."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = StackConfig.from_context(app.node.try_get_context)
    organization = OrganizationConfig.from_context(app.node.try_get_context)
    if organization is None:
        channels = ChannelsConfig.from_context(app.node.try_get_context, default_region)
        # A known region pins the stack there; without one the stack stays environment-agnostic.
        env = Environment(region=channels.region) if channels.region and channels.change_check else None
        ThumbprintRemediatorStack(app, STACK_NAME, config=config, channels=channels, env=env)
        if channels.needs_forwarder:  # IAM's events reach EventBridge in us-east-1 only
            assert channels.region is not None
            IamEventsForwarderStack(
                app,
                FORWARDER_STACK_NAME,
                target_region=channels.region,
                env=Environment(region=IAM_EVENTS_REGION),
            )
    else:  # -c organization=true: the central stack of an organization sweep
        OrganizationStack(app, STACK_NAME, config=config, organization=organization)
    if checks:
        # Any unacknowledged finding fails the synthesis, with the report.
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
