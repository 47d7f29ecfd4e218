"""The Lambda context, as the sandbox and the benchmark hand it to the handler. Imports nothing heavy:
the benchmark's function process uses it without loading the emulator."""

from __future__ import annotations

import time
import uuid

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
FUNCTION_NAME = "oidc-thumbprint-remediator"


class LocalLambdaContext:
    """The parts of the Lambda context the handler and Powertools read."""

    def __init__(
        self, timeout_seconds: float = 300, function_name: str = FUNCTION_NAME, log_stream_name: str = "local"
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)
