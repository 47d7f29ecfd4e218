"""`python -m cli`: an alias, from the repository root, of the workstation CLI `oidc-thumbprints`
(lambda/thumbprint_remediator/cli, shipped with the engine's distribution)."""
