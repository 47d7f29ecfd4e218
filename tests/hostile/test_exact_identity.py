"""Exact identity in payloads, through the real handler on moto: a provider ARN of another account or
partition is refused before any AWS call, and a URL selects only the provider with exactly that path."""

from __future__ import annotations

import pytest

from sandbox.environment import Sandbox, applied_environment
from sandbox.faults import FaultProxy, dead_endpoint_url
from thumbprint_remediator.cli.main import main as cli_main
from thumbprint_remediator.domain.errors import RequestError

FOREIGN_PREFIXES = ("arn:aws-cn:iam::999999999999", "arn:aws-cn:iam::123456789012", "arn:aws:iam::999999999999")


@pytest.mark.parametrize("prefix", FOREIGN_PREFIXES)
def test_foreign_provider_arn_is_refused_before_any_aws_call(sandbox: Sandbox, prefix: str) -> None:
    # Given a stale provider of this account, named by an ARN of another partition or account
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    foreign = f"{prefix}:oidc-provider/{provider.url}"

    # When the handler is invoked with AWS unreachable (any AWS call would fail differently)
    with pytest.raises(RequestError) as raised:
        sandbox.invoke({"providers": [foreign]}, AWS_ENDPOINT_URL=dead_endpoint_url(), NOTIFY_ON="never")

    # Then it is a validation error naming the ARN, and nothing was probed or written
    assert "another account or partition" in str(raised.value)
    assert foreign in str(raised.value)
    assert provider.issuer.connections == 0
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def test_foreign_provider_arn_never_sweeps_this_accounts_provider(sandbox: Sandbox) -> None:
    # Given the same, with AWS reachable
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")

    # When the handler is invoked with the China-partition ARN of another account
    with pytest.raises(RequestError):
        sandbox.invoke({"providers": [f"arn:aws-cn:iam::999999999999:oidc-provider/{provider.url}"]})

    # Then this account's provider was neither probed nor changed
    assert provider.issuer.connections == 0
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def test_url_with_another_path_case_selects_nothing(sandbox: Sandbox) -> None:
    # Given a provider at .../tenant
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale", path="/tenant")

    # When the payload names .../Tenant
    with pytest.raises(RequestError) as raised:
        sandbox.invoke({"providers": [provider.url.replace("/tenant", "/Tenant")]}, NOTIFY_ON="never")

    # Then no provider matches, and nothing was probed or written
    assert "no such OIDC provider" in str(raised.value)
    assert provider.issuer.connections == 0
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def test_arn_with_another_path_case_selects_nothing(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale", path="/tenant")

    with pytest.raises(RequestError):
        sandbox.invoke({"providers": [provider.arn.replace("/tenant", "/Tenant")]}, NOTIFY_ON="never")

    assert provider.issuer.connections == 0


def test_host_case_and_scheme_still_select_the_provider(sandbox: Sandbox) -> None:
    # Given a provider at localhost:<port>/tenant and a neighbour at .../tenant2
    provider = sandbox.add_provider("healthy", path="/tenant")
    neighbour = sandbox.add_provider("healthy", path="/tenant2")

    # When the payload names it with an upper-case host, a scheme and a trailing slash
    report = sandbox.invoke({"providers": [f"https://{provider.url.upper().replace('/TENANT', '/tenant')}/"]})

    # Then exactly that provider is swept
    assert [finding["arn"] for finding in report["findings"]] == [provider.arn]
    assert neighbour.issuer.connections == 0


def test_own_provider_arn_is_swept(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")

    report = sandbox.invoke({"providers": [provider.arn]})

    assert [finding["arn"] for finding in report["findings"]] == [provider.arn]


def test_cli_refuses_a_foreign_provider_arn_before_any_iam_call(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a provider, and the workstation CLI pointed at the emulator through a proxy that records calls
    provider = sandbox.add_provider("rotated_intermediate", pinned="stale")
    foreign = provider.arn.replace(":123456789012:", ":999999999999:")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        environment = {**sandbox.account.environment(), "AWS_ENDPOINT_URL": proxy.url}

        # When it is asked to sweep the provider by an ARN of another account
        with applied_environment(environment):
            status = cli_main(["sweep", "--provider", foreign, "--apply"])
        actions = [call.action for call in proxy.calls]

    # Then it exits with a usage error naming the ARN, after STS told it the account and before any IAM call
    assert status == 2
    assert foreign in capsys.readouterr().err
    assert actions == ["GetCallerIdentity"]
    assert provider.issuer.connections == 0
    assert sandbox.thumbprints(provider) == list(provider.pinned)
