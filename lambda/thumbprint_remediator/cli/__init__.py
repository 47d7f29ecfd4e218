"""`oidc-thumbprints`: the workstation CLI. The same engine the Lambda runs, with your own credentials.

Installed as a console script with the distribution (`pipx install ./lambda`); `python -m thumbprint_remediator.cli`
runs it too, and `python -m cli` from the repository root. The function never imports this package.
"""
