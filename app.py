#!/usr/bin/env python3
"""CDK entry point (cdk.json runs it): synthesizes the stack, no AWS credentials needed."""

import os
import sys

from infra.application import build_app
from infra.config import ConfigError

try:
    # The CLI sets CDK_DEFAULT_REGION from the profile (no credentials needed): where -c changeCheck=true deploys.
    app = build_app(default_region=os.environ.get("CDK_DEFAULT_REGION"))
except ConfigError as error:
    sys.exit(f"Invalid context: {error}")
app.synth()
