"""Which providers a command is about: the sweep's own selection rule, with answers a person can act on."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Final

from thumbprint_remediator.app.request import SweepRequest, foreign_providers, parse_event, select_providers
from thumbprint_remediator.cli.aws import SetupError
from thumbprint_remediator.domain.errors import RequestError
from thumbprint_remediator.domain.untrusted import quoted, server_text

# An unknown provider's error lists the account's real ones, up to this many.
SHOWN_PROVIDERS: Final = 10
_PAYLOAD_PREFIX: Final = "invalid payload: "


def provider_argument(raw: str) -> str:
    """An argparse `type`: an OIDC provider ARN or URL, as the sweep's payload accepts one."""
    try:
        parse_event({"providers": [raw]})
    except RequestError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix(_PAYLOAD_PREFIX)) from None
    return raw


def sweep_request(providers: Sequence[str] | None, *, apply: bool) -> SweepRequest:
    """The engine's request for a workstation sweep (checked by the engine's own parser)."""
    try:
        return parse_event({"dry_run": not apply} | ({"providers": list(providers)} if providers else {}))
    except RequestError as error:
        raise RequestError(str(error).removeprefix(_PAYLOAD_PREFIX)) from None


def require_in_scope(request: SweepRequest, *, account: str, partition: str, how: str) -> None:
    """SetupError when a requested provider ARN belongs to another account or partition than the swept one."""
    foreign = foreign_providers(request, account=account, partition=partition)
    if foreign:
        raise SetupError(
            f"--provider {', '.join(quoted(arn) for arn in foreign)} is not in account {account} ({partition}), "
            f"the one {how}: sweep its account with that account's credentials (--profile) or a role in it "
            "(--role-arn)"
        )


def select(arns: Sequence[str], wanted: Sequence[str], *, account: str) -> list[str]:
    """The listed providers `wanted` names (the sweep's rule); SetupError naming the unknown ones and listing the
    account's real ones (at most SHOWN_PROVIDERS, by URL)."""
    try:
        return select_providers(arns, wanted)
    except RequestError:
        unknown = [identifier for identifier in wanted if not _known(arns, identifier)]
    if not arns:
        listing = "it has no OIDC providers"
    else:
        urls = sorted(server_text(arn.partition(":oidc-provider/")[2] or arn) for arn in arns)
        listing = f"its {_count(len(urls))}: {', '.join(urls[:SHOWN_PROVIDERS])}"
        if len(urls) > SHOWN_PROVIDERS:
            listing += f" and {len(urls) - SHOWN_PROVIDERS} more"
    raise SetupError(f"no OIDC provider {', '.join(quoted(item) for item in unknown)} in account {account}; {listing}")


def _known(arns: Sequence[str], identifier: str) -> bool:
    try:
        select_providers(arns, [identifier])
    except RequestError:
        return False
    return True


def _count(number: int) -> str:
    return f"{number} provider{'' if number == 1 else 's'}"
