"""One rule selects providers, for the sweep's `providers` payload and for `oidc-thumbprints history PROVIDER`."""

from __future__ import annotations

import pytest

from thumbprint_remediator.app.request import select_providers
from thumbprint_remediator.domain.errors import RequestError

GITLAB = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/Team"
EKS = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.example.com:8443/id/ABC"
LISTED = [GITLAB, EKS]


def test_nothing_wanted_selects_every_listed_provider() -> None:
    assert select_providers(LISTED, None) == [GITLAB, EKS]


@pytest.mark.parametrize(
    ("wanted", "selected"),
    [
        ("HTTPS://GitLab.Example.COM/Team", GITLAB),  # scheme in any case, host folds case
        ("gitlab.example.com/Team/", GITLAB),  # a trailing slash is not part of the URL
        (EKS, EKS),
        ("oidc.eks.example.com:8443/id/ABC", EKS),
    ],
)
def test_a_url_or_arn_selects_exactly_its_provider(wanted: str, selected: str) -> None:
    assert select_providers(LISTED, [wanted]) == [selected]


@pytest.mark.parametrize(
    "wanted",
    [
        "gitlab.example.com/team",  # the path keeps its case
        "oidc.eks.example.com/id/ABC",  # the port is part of the URL
        "arn:aws:iam::210987654321:oidc-provider/gitlab.example.com/Team",  # another account
        "arn:aws-cn:iam::123456789012:oidc-provider/gitlab.example.com/Team",  # another partition
    ],
)
def test_anything_else_is_refused_by_name(wanted: str) -> None:
    with pytest.raises(RequestError, match="no such OIDC provider in this account: " + wanted.replace(".", r"\.")):
        select_providers(LISTED, [wanted])


def test_the_same_provider_named_twice_is_selected_once() -> None:
    assert select_providers(LISTED, [GITLAB, "gitlab.example.com/Team"]) == [GITLAB]
