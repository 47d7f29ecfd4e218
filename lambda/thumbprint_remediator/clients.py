"""The one place AWS clients are built: every client gets explicit timeouts and bounded standard retries.

botocore's defaults (60 s connect, 60 s read, legacy retries) would let one hung endpoint hold a call far past
the Lambda's deadline. The bounds come from the contract, where the sweep's reserves and the smallest
function timeout are derived from them; a new service (S3, DynamoDB, Security Hub, Config, EventBridge) is
built here too, so it inherits them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.config import Config

from thumbprint_remediator import contract

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

Purpose = Literal["read", "write", "alert"]

# Attempts per purpose: reads ride botocore's retries, writes are retried by the sweep, alerts are reserved for.
MAX_ATTEMPTS: Final[dict[Purpose, int]] = {
    "read": contract.AWS_READ_MAX_ATTEMPTS,
    "write": contract.IAM_WRITE_MAX_ATTEMPTS,
    "alert": contract.ALERT_MAX_ATTEMPTS,
}
# One connection per worker: the sweep's pool never exceeds 256 (Settings.max_workers's bound).
MAX_POOL_CONNECTIONS: Final = 64


def client_config(purpose: Purpose = "read") -> Config:
    """The botocore Config every client of `purpose` is built with."""
    return Config(
        connect_timeout=contract.AWS_CONNECT_TIMEOUT_SECONDS,
        read_timeout=contract.AWS_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS[purpose]},  # attempts, not retries
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )


def worst_case_seconds(purpose: Purpose) -> float:
    """The longest one call of a client of `purpose` can take, retries and backoff included."""
    return contract.aws_call_worst_case_seconds(MAX_ATTEMPTS[purpose])


class Clients:
    """Builds the clients of one session (the function's, or a member account's assumed role)."""

    def __init__(self, session: boto3.Session | None = None) -> None:
        if session is None:
            import boto3  # noqa: PLC0415 - only when no session is handed in

            session = boto3.Session()
        self.session = session

    def client(self, service: str, purpose: Purpose = "read") -> Any:
        """Any service's client, bounded like the others."""
        return self.session.client(service, config=client_config(purpose))  # type: ignore[call-overload]

    def iam(self) -> IAMClient:
        return self.client("iam", "read")  # type: ignore[no-any-return]

    def iam_writer(self) -> IAMClient:
        return self.client("iam", "write")  # type: ignore[no-any-return]

    def sns(self) -> SNSClient:
        return self.client("sns", "alert")  # type: ignore[no-any-return]

    def sts(self) -> STSClient:
        return self.client("sts", "read")  # type: ignore[no-any-return]

    def organizations(self) -> Any:
        return self.client("organizations", "read")
