"""IAM-like access control in the emulator, far enough to exercise a role's least-privilege policy.

Once switched on (`POST /moto-api/reset-auth`), moto in server mode checks every request's SigV4
signature and evaluates the caller's identity policies (inline and attached; assumed-role sessions
included) for the request's action. What it does not do, and what this module adds or leaves:

- It matches a statement's `Resource` against `*` for almost every action, so a statement scoped to
  an ARN never applies and every scoped grant is denied. Here, requests naming an OIDC provider
  (`OpenIDConnectProviderArn`) or a topic (`TopicArn`) are checked against that ARN instead, and
  DynamoDB requests naming a table (`TableName`, in the JSON body) against the table's ARN.
- Conditions see only request parameters: a statement with a condition such as `kms:ViaService`
  never allows anything. The function's only conditioned statement is for KMS, which moto's SNS
  never calls, so it is not exercised.
- Resource-based policies (the topic policy) are not evaluated at all.

Call `enforced_iam` in the process that runs the emulator (the resource patch is in-process).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from moto.dynamodb.responses import DynamoHandler
from moto.iam.responses import IamResponse
from moto.sns.responses import SNSResponse
from moto.utilities.utils import get_partition

from sandbox.aws import EmulatedAccount

# The request parameter that names the resource an action acts on, per emulated service.
RESOURCE_PARAMETERS: Final[dict[type[Any], str]] = {
    IamResponse: "OpenIDConnectProviderArn",
    SNSResponse: "TopicArn",
}
_INSTALLED_MARK: Final = "_sandbox_resource_parameter"


def _resource_from(parameter: str, fallback: Callable[[Any], str] | None) -> Callable[[Any], str]:
    def determine_resource(response: Any) -> str:
        values = response.querystring.get(parameter)
        if values:
            return str(values[0])
        return fallback(response) if fallback else "*"

    setattr(determine_resource, _INSTALLED_MARK, parameter)
    return determine_resource


def check_resource_arns() -> None:
    """Make moto evaluate `Resource` against the ARN a request names (see the module docstring); idempotent."""
    for response_class, parameter in RESOURCE_PARAMETERS.items():
        current = getattr(response_class, "_determine_resource", None)
        if getattr(current, _INSTALLED_MARK, None) == parameter:
            continue
        response_class._determine_resource = _resource_from(parameter, current)
    dynamodb: type[Any] = DynamoHandler
    if getattr(getattr(dynamodb, "_determine_resource", None), _INSTALLED_MARK, None) != _TABLE_PARAMETER:
        dynamodb._determine_resource = _table_arn


_TABLE_PARAMETER: Final = "TableName"


def _table_arn(response: Any) -> str:
    """The ARN of the table a DynamoDB request names (moto has parsed its JSON body by now), else `*`."""
    body = response.body if isinstance(response.body, dict) else {}
    name = body.get(_TABLE_PARAMETER)
    if not isinstance(name, str) or not name:
        return "*"
    return f"arn:{get_partition(response.region)}:dynamodb:{response.region}:{response.current_account}:table/{name}"


setattr(_table_arn, _INSTALLED_MARK, _TABLE_PARAMETER)


@contextmanager
def enforced_iam(account: EmulatedAccount) -> Iterator[None]:
    """Within the block every request needs a valid signature by a known identity whose policies allow it.

    The dummy credentials of `EmulatedAccount` are no identity: use credentials from STS `AssumeRole`.
    """
    check_resource_arns()
    previous = _reset_auth(account, "0")
    try:
        yield
    finally:
        _reset_auth(account, previous)


def _reset_auth(account: EmulatedAccount, initial_no_auth_action_count: str) -> str:
    """Set moto's count of requests let through unchecked; returns the previous setting."""
    request = urllib.request.Request(
        f"{account.endpoint_url}/moto-api/reset-auth",
        data=initial_no_auth_action_count.encode(),
        headers={"Content-Type": "text/plain"},  # a form content type would hide the body from moto
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])
