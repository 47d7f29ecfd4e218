"""Builds the CDK app: context → StackConfig → the stack, with cdk-nag's AWS Solutions checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import StackConfig
from infra.stack import ThumbprintRemediatorStack

STACK_NAME: Final = "OidcThumbprintRemediator"


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None, checks: bool = True) -> App:
    """The app `app.py` synthesizes; tests call it with their own context. Raises ConfigError on bad context."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = StackConfig.from_context(app.node.try_get_context)
    ThumbprintRemediatorStack(app, STACK_NAME, config=config)
    if checks:
        # Any unacknowledged finding fails the synthesis, with the report.
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
