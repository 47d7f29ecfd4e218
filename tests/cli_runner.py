"""Running the workstation CLI (`oidc-thumbprints`) in process against the sandbox, as its tests do: the `cli`
fixture (tests/conftest.py) starts each run from the sandbox's account and trust store, with none of the
machine's own AWS setup (profiles, region, credentials, instance metadata) able to leak in."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.environment import Sandbox
from thumbprint_remediator.contract.settings import SETTINGS_ENV_NAMES

# Variables that would let the machine's own AWS setup leak into a run: every run starts without them.
AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@dataclass(frozen=True)
class Run:
    """How one run ended: its exit status and what it printed."""

    status: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


Cli = Callable[..., Run]


def cli_runner(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`run(*argv, env=..., unset=...)`: `oidc-thumbprints ARGV...` with the sandbox's account (its endpoint, region
    and credentials) and public trust store in the environment, `env` added and `unset` removed; the exit status
    argparse ends with included."""
    from thumbprint_remediator.cli.main import main  # noqa: PLC0415 - the code under test, imported when run

    def run(*argv: str, env: Mapping[str, str] | None = None, unset: Sequence[str] = ()) -> Run:
        with monkeypatch.context() as patch:
            for name in (*AWS_VARIABLES, *SETTINGS_ENV_NAMES):
                patch.delenv(name, raising=False)
            patch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
            patch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never the instance metadata service
            variables = {
                **sandbox.account.environment(),
                "SSL_CERT_FILE": sandbox.trust_environment["SSL_CERT_FILE"],
                **(env or {}),
            }
            for name, value in variables.items():
                patch.setenv(name, value)
            for name in unset:
                patch.delenv(name, raising=False)
            capsys.readouterr()
            try:
                status = main(list(argv))
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else 2
            captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run
