"""How a refused update reads in the finding: the AWS error once, not wrapped in the ARN and the code again."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tests.unit.builders import NOW, FixedProber, PublicTrust, capture, provider, sha1_of
from thumbprint_remediator.app.request import SweepRequest
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.app.sweep import Sweeper
from thumbprint_remediator.domain.errors import ProviderUpdateError
from thumbprint_remediator.domain.models import ProviderConfig
from thumbprint_remediator.domain.views import to_builtins

STALE = sha1_of("stale")
HOST = capture(["leaf", "new-intermediate"])


class RefusingInventory:
    """One stale provider whose update IAM refuses, as an SCP would."""

    def __init__(self) -> None:
        self.provider: ProviderConfig = provider(STALE)

    def list_arns(self) -> list[str]:
        return [self.provider.arn]

    def get(self, arn: str) -> ProviderConfig:
        return self.provider

    def update_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None:
        raise ProviderUpdateError(arn, "AccessDenied", "AccessDenied: explicit deny in a service control policy")


def test_refused_update_names_the_aws_error_once() -> None:
    # Given a stale provider whose update IAM refuses
    sweeper = Sweeper(
        settings=Settings(),
        inventory=RefusingInventory(),
        prober=FixedProber(HOST),
        trust=PublicTrust(),
        publisher=None,
        log=logging.getLogger("test"),
        clock=lambda: NOW,
    )
    # When it is swept
    report = to_builtins(sweeper.run(SweepRequest(source="manual"), account="123456789012"))
    # Then the finding is update_failed, keeps the old list and quotes AWS's error once
    [finding] = report["findings"]
    assert (finding["status"], finding["action"]) == ("stale", "update_failed")
    assert finding["thumbprints_after"] == [STALE]
    assert finding["error"] == "AccessDenied: explicit deny in a service control policy"
