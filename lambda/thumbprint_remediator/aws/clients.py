"""The one place AWS clients are built: every client gets explicit timeouts and bounded standard retries.

botocore's defaults (60 s connect, 60 s read, legacy retries) would let one hung endpoint hold a call far past
the Lambda's deadline. The bounds come from the contract, where the sweep's reserves and the smallest
function timeout are derived from them; a new service (S3, DynamoDB, Security Hub, Config, EventBridge) is
built here too, so it inherits them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.config import Config
from botocore.exceptions import ClientError

from thumbprint_remediator.contract.deadlines import (
    ALERT_MAX_ATTEMPTS,
    AWS_CONNECT_TIMEOUT_SECONDS,
    AWS_READ_MAX_ATTEMPTS,
    AWS_READ_TIMEOUT_SECONDS,
    IAM_WRITE_MAX_ATTEMPTS,
    aws_call_worst_case_seconds,
)
from thumbprint_remediator.domain.errors import OutOfTimeError

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

Purpose = Literal["read", "write", "alert"]

# Attempts per purpose: reads ride botocore's retries, writes are retried by the sweep, alerts are reserved for.
MAX_ATTEMPTS: Final[dict[Purpose, int]] = {
    "read": AWS_READ_MAX_ATTEMPTS,
    "write": IAM_WRITE_MAX_ATTEMPTS,
    "alert": ALERT_MAX_ATTEMPTS,
}
# One connection per worker: the sweep's pool never exceeds 256 (Settings.max_workers's bound).
MAX_POOL_CONNECTIONS: Final = 64
# Called with every client the factory builds (its service, the client, the session it acts as): the tests' call
# recorder (sandbox/aws_calls.py) registers here, to hold what a sweep calls equal to the declared permissions.
# Nothing registers in the deployed function.
CLIENT_OBSERVERS: Final[list[Callable[[str, Any, boto3.Session], None]]] = []


def client_config(purpose: Purpose = "read") -> Config:
    """The botocore Config every client of `purpose` is built with."""
    return Config(
        connect_timeout=AWS_CONNECT_TIMEOUT_SECONDS,
        read_timeout=AWS_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS[purpose]},  # attempts, not retries
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )


def worst_case_seconds(purpose: Purpose) -> float:
    """The longest one call of a client of `purpose` can take, retries and backoff included."""
    return aws_call_worst_case_seconds(MAX_ATTEMPTS[purpose])


class CallWindow:
    """When the calls of some clients must be over. A call whose worst case (its client's purpose) no longer fits
    before the end is refused before it is sent, with OutOfTimeError: what runs after the report (the channels)
    can never hold the invocation past its end. `until` sets the end for each invocation; None: no end."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end: float | None = None

    def until(self, end: float | None) -> None:
        self._end = end

    def admit(self, purpose: Purpose, what: str) -> None:
        """Raise OutOfTimeError when one more call of `purpose` could not finish before the end."""
        if self._end is None:
            return
        left = self._end - self._clock()
        needed = worst_case_seconds(purpose)
        if left < needed:
            raise OutOfTimeError(f"{what} not sent: {max(left, 0):.1f} s left, its worst case is {needed:g} s")


class Clients:
    """Builds the clients of one session (the function's, or a member account's assumed role)."""

    def __init__(self, session: boto3.Session | None = None) -> None:
        if session is None:
            import boto3  # noqa: PLC0415 - only when no session is handed in

            session = boto3.Session()
        self.session = session

    def client(
        self, service: str, purpose: Purpose = "read", window: CallWindow | None = None, region: str | None = None
    ) -> Any:
        """Any service's client, bounded like the others; with `window`, each call is first admitted by it; with
        `region`, in that region instead of the session's (a regional service read in every swept region)."""
        regional = {"region_name": region} if region else {}
        client = self.session.client(service, config=client_config(purpose), **regional)  # type: ignore[call-overload]
        if window is not None:

            def admit(model: Any, **_: Any) -> None:
                window.admit(purpose, f"{service} {model.name}")

            client.meta.events.register("before-call", admit)
        for observe in CLIENT_OBSERVERS:
            observe(service, client, self.session)
        return client

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


def describe_error(error: Exception) -> str:
    """One line for a failed call, as a listing's `failure` names it: AWS's code and message, else the exception."""
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'ClientError')}: {detail.get('Message', str(error))}"
    return f"{type(error).__name__}: {error}"
