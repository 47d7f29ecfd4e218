"""IAM adapter: list, read and update OIDC providers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError

from thumbprint_remediator.aws.clients import Clients, client_config
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import (
    InventoryError,
    ProviderReadError,
    ProviderUpdateError,
    ProviderUpdateUnknown,
    Throttled,
    WriteConflict,
)
from thumbprint_remediator.domain.models import ProviderConfig

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_iam import IAMClient

# What this adapter calls (the contract collects it for infra): listing cannot be scoped to a resource in IAM.
PERMISSIONS: Final = (
    Permissions(actions=("iam:ListOpenIDConnectProviders",), resource="any"),
    Permissions(
        actions=(
            "iam:GetOpenIDConnectProvider",
            "iam:ListOpenIDConnectProviderTags",
            "iam:UpdateOpenIDConnectProviderThumbprint",
        ),
        resource="oidc-providers",
        when="ListOpenIDConnectProviderTags: a provider read without Tags; Update: a stale list outside dry run",
    ),
)
# The read clients' configuration (clients.py); kept under this name for the adapters that import it.
CLIENT_CONFIG = client_config("read")
# IAM's error code when someone else changed the provider at the same moment (botocore >= 1.40.57).
CONCURRENT_MODIFICATION = "ConcurrentModification"
# Refusals over the rate limit: nothing was applied, so the same update may be sent again.
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})


class IamOidcProviders:
    """The account's IAM OIDC providers. Reads retry through botocore; `write_client` makes one attempt per
    update (the sweep retries against its deadline), and defaults to `client`."""

    def __init__(
        self,
        client: IAMClient | None = None,
        session: boto3.Session | None = None,
        write_client: IAMClient | None = None,
    ) -> None:
        if client is None:
            clients = Clients(session)
            client, write_client = clients.iam(), write_client or clients.iam_writer()
        self._client = client
        self._write_client = write_client or client

    def list_arns(self) -> list[str]:
        """Every OIDC provider ARN in the account. Raises InventoryError if IAM cannot be listed."""
        try:
            response = self._client.list_open_id_connect_providers()
        except (ClientError, BotoCoreError) as error:
            raise InventoryError(f"cannot list IAM OIDC providers: {_describe(error)}") from error
        return [entry["Arn"] for entry in response.get("OpenIDConnectProviderList", []) if "Arn" in entry]

    def get(self, arn: str) -> ProviderConfig:
        """Read one provider (URL, thumbprints, client ids, tags)."""
        try:
            response: Any = self._client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            tags = response.get("Tags")
            if tags is None:  # older endpoints do not return tags with the provider
                tags = self._client.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn).get("Tags", [])
        except (ClientError, BotoCoreError) as error:
            raise ProviderReadError(arn, _code(error), _describe(error)) from error
        return ProviderConfig(
            arn=arn,
            url=str(response.get("Url", "")),
            thumbprints=tuple(response.get("ThumbprintList", [])),
            client_ids=tuple(response.get("ClientIDList", [])),
            tags=tuple((tag["Key"], tag.get("Value", "")) for tag in tags),
        )

    def update_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None:
        """Replace the provider's whole list (IAM has no merge). ProviderUpdateError if IAM refuses: WriteConflict
        when someone else changed the provider at the same moment, Throttled over the rate limit."""
        if not thumbprints:
            raise ValueError("IAM requires a non-empty thumbprint list")
        try:
            self._write_client.update_open_id_connect_provider_thumbprint(
                OpenIDConnectProviderArn=arn, ThumbprintList=list(thumbprints)
            )
        except (ReadTimeoutError, ConnectionClosedError) as error:  # sent, but no answer: it may have landed
            raise ProviderUpdateUnknown(arn, type(error).__name__, _describe(error)) from error
        except (ClientError, BotoCoreError) as error:
            raise update_refused(arn, _code(error), _describe(error)) from error


def update_refused(arn: str, code: str, message: str) -> ProviderUpdateError:
    """The error for an update IAM refused with `code`: typed, so the write protocol never reads IAM's codes."""
    if code == CONCURRENT_MODIFICATION:
        return WriteConflict(arn, code, message)
    if code in THROTTLING_CODES:
        return Throttled(arn, code, message)
    return ProviderUpdateError(arn, code, message)


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'ClientError')}: {detail.get('Message', str(error))}"
    return str(error)
