"""`python -m thumbprint_remediator.cli`: the console script `oidc-thumbprints`, where it is not on PATH."""

from thumbprint_remediator.cli.main import run

run()
