"""What the function's AWS clients actually call, as IAM actions: the tests hold it equal to the declared permissions.

The recorder registers with the client factory (clients.CLIENT_OBSERVERS), so it sees every call the function's
code makes and none of the calls the sandbox makes to arrange a scene. It hooks botocore's `before-call` event
after the client's own call window: a call the window refuses is never sent, and is not recorded.

IAM names an action after its service's prefix and, nearly always, the API operation. The exceptions for the
operations this project could call are written out below from the Service Authorization Reference, not from the
declarations under test. A service not listed is recorded as `unmapped:<service>:<operation>`, which no
declaration can equal: a new service fails the comparison until its prefix is added here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from thumbprint_remediator.aws import clients

if TYPE_CHECKING:
    import boto3

# botocore service name -> IAM action prefix (the same for every service the function calls today).
IAM_PREFIXES: Final = {
    "iam": "iam",
    "sts": "sts",
    "sns": "sns",
    "dynamodb": "dynamodb",
    "events": "events",
    "securityhub": "securityhub",
    "config": "config",
    "organizations": "organizations",
    "s3": "s3",
    "eks": "eks",
}
# Operations whose IAM action is not named after them; None: AWS answers them without any permission.
OPERATION_ACTIONS: Final[dict[tuple[str, str], str | None]] = {
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetObjectAttributes"): "s3:GetObjectAttributes",
    ("sts", "GetCallerIdentity"): None,
}


def iam_action(service: str, operation: str) -> str | None:
    """The IAM action a call of `operation` on `service` needs; None when it needs none."""
    if (service, operation) in OPERATION_ACTIONS:
        return OPERATION_ACTIONS[(service, operation)]
    prefix = IAM_PREFIXES.get(service)
    return f"unmapped:{service}:{operation}" if prefix is None else f"{prefix}:{operation}"


@dataclass(frozen=True)
class RecordedCall:
    """One API call as sent: the credentials it was signed with, and the IAM action it needs (None: no action)."""

    access_key: str
    service: str
    operation: str
    action: str | None


class CallRecorder:
    """Records every call of every client the factory builds while it is entered (threads included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._recording = False

    def __enter__(self) -> CallRecorder:
        self._recording = True
        clients.CLIENT_OBSERVERS.append(self._observe)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._recording = False
        clients.CLIENT_OBSERVERS.remove(self._observe)

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        with self._lock:
            return tuple(self._calls)

    def actions(self, access_keys: Iterable[str] | None = None) -> frozenset[str]:
        """The IAM actions the recorded calls needed (those signed with `access_keys` only, when given)."""
        keys = None if access_keys is None else set(access_keys)
        return frozenset(
            call.action for call in self.calls if call.action is not None and (keys is None or call.access_key in keys)
        )

    def _observe(self, service: str, client: Any, session: boto3.Session) -> None:
        credentials = session.get_credentials()
        access_key = credentials.access_key if credentials is not None else ""

        def record(model: Any, **_: Any) -> None:
            if not self._recording:
                return
            call = RecordedCall(access_key, service, model.name, iam_action(service, model.name))
            with self._lock:
                self._calls.append(call)

        client.meta.events.register("before-call", record)


def load_calls(path: Path) -> tuple[RecordedCall, ...]:
    """The calls a recorder in another process (tests/e2e/lambda_runtime.py) appended to `path`, one JSON object
    with access_key, service and operation a line; mapped to IAM actions here, as in process."""
    lines = path.read_text().splitlines() if path.exists() else []
    calls = (json.loads(line) for line in lines if line)
    return tuple(
        RecordedCall(c["access_key"], c["service"], c["operation"], iam_action(c["service"], c["operation"]))
        for c in calls
    )
