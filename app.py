#!/usr/bin/env python3
"""CDK entry point (cdk.json runs it): synthesizes the stack, no AWS credentials needed."""

import sys

from infra.application import build_app
from infra.config import ConfigError

try:
    app = build_app()
except ConfigError as error:
    sys.exit(f"Invalid context: {error}")
app.synth()
