"""Keeps IAM OIDC identity-provider thumbprints in step with their live TLS chains."""
