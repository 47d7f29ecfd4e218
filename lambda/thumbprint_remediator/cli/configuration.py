"""The sweep's settings on a workstation: the function's environment variables, read by the function's rules
(Settings.from_env: the same defaults, bounds and messages), with command-line flags overriding them.

Left out on purpose: DRY_RUN (a workstation run writes only with --apply), TOPIC_ARN (it publishes only with
--topic-arn), FINDING_EVENTS and SECURITY_HUB (those channels are the deployed function's) and FUNCTION_ROLE_ARN
(the function's own identity). Every other variable the function reads, this reads too.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.contract.names import (
    ENV_DRY_RUN,
    ENV_FINDING_EVENTS,
    ENV_FUNCTION_ROLE_ARN,
    ENV_SECURITY_HUB,
    ENV_TOPIC_ARN,
)
from thumbprint_remediator.contract.settings import SETTINGS_ENV_NAMES
from thumbprint_remediator.domain.errors import SettingsError

NOT_READ: Final = frozenset(
    {
        ENV_DRY_RUN,
        ENV_TOPIC_ARN,
        ENV_FINDING_EVENTS,
        ENV_SECURITY_HUB,
        ENV_FUNCTION_ROLE_ARN,
    }
)
READ: Final = tuple(name for name in SETTINGS_ENV_NAMES if name not in NOT_READ)
DEFAULTS: Final = Settings()


@dataclass(frozen=True)
class SettingFlag:
    """A flag that sets one of the function's variables, validated by the function's rule for it."""

    flag: str
    variable: str
    field: str  # the Settings field the variable sets: its default is the one --help shows
    metavar: str
    help: str

    @property
    def default(self) -> object:
        return getattr(DEFAULTS, self.field)

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        default = self.default
        parser.add_argument(
            self.flag,
            type=checked(self.variable),
            metavar=self.metavar,
            help=f"{self.help} (env {self.variable}; default: {'none' if default is None else default})",
        )


def checked(variable: str) -> Callable[[str], str]:
    """An argparse `type` that refuses what Settings would refuse for `variable`, with its message (its range)."""

    def check(raw: str) -> str:
        try:
            Settings.from_env({variable: raw}, topic_required=False)
        except SettingsError as error:
            message = str(error)
            raise argparse.ArgumentTypeError(message.removeprefix(f"{variable} ")) from None
        return raw

    check.__name__ = variable
    return check


@dataclass(frozen=True)
class Configured:
    """The settings of a run, and which variables came from the environment (to say where a value came from)."""

    settings: Settings
    from_environment: tuple[str, ...]


def settings_for(
    environ: Mapping[str, str], flags: Mapping[str, str | None], *, apply: bool, topic_arn: str | None
) -> Configured:
    """The environment's variables (the function's, less NOT_READ), overridden by the flags given (keyed by
    variable), read by Settings.from_env. SettingsError names a bad variable: with flags checked by `checked`,
    only the environment can hold one."""
    from_environment = {name: environ[name] for name in READ if environ.get(name, "").strip()}
    given = {name: value for name, value in flags.items() if value is not None}
    variables = {**from_environment, **given}
    if topic_arn is not None:
        variables[ENV_TOPIC_ARN] = topic_arn
    settings = Settings.from_env(variables, topic_required=False)
    return Configured(
        replace(settings, dry_run=not apply),
        tuple(name for name in from_environment if name not in given),
    )
