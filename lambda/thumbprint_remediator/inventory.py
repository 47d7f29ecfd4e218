"""IAM adapter: list, read and update OIDC providers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.errors import InventoryError, ProviderReadError, ProviderUpdateError
from thumbprint_remediator.models import ProviderConfig

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_iam import IAMClient

# Standard retries back off on throttling; a sweep can afford a few attempts. Explicit timeouts bound
# an AWS endpoint that never answers (botocore's default is 60 s per attempt).
CLIENT_CONFIG = Config(
    retries={"max_attempts": 8, "mode": "standard"},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=64,
)


class IamOidcProviders:
    """The account's IAM OIDC providers."""

    def __init__(self, client: IAMClient | None = None, session: boto3.Session | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - only when no client is handed in

            client = (session or boto3.Session()).client("iam", config=CLIENT_CONFIG)
        self._client = client

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
        """Replace the provider's whole list (IAM has no merge)."""
        if not thumbprints:
            raise ValueError("IAM requires a non-empty thumbprint list")
        try:
            self._client.update_open_id_connect_provider_thumbprint(
                OpenIDConnectProviderArn=arn, ThumbprintList=list(thumbprints)
            )
        except (ClientError, BotoCoreError) as error:
            raise ProviderUpdateError(arn, _code(error), _describe(error)) from error


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'ClientError')}: {detail.get('Message', str(error))}"
    return str(error)
