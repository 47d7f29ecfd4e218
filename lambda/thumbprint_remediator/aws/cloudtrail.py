"""The immediate check's input: an IAM CloudTrail event, as EventBridge delivers it, validated before any call.

EventBridge wraps the CloudTrail record ("AWS API Call via CloudTrail") in its envelope: the record is `detail`.
Pure: no I/O, nothing imported that does any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from thumbprint_remediator.contract.names import CHANGE_EVENT_NAMES, CHANGE_EVENT_SOURCE, CLOUDTRAIL_DETAIL_TYPE
from thumbprint_remediator.contract.validators import ACCOUNT_ID_PATTERN, is_account_id
from thumbprint_remediator.domain.errors import RequestError
from thumbprint_remediator.domain.views import ChangeView, PrincipalView

IAM_EVENT_SOURCE: Final = "iam.amazonaws.com"
# The event the schedule rule sends; every other EventBridge event is a change event or foreign.
SCHEDULED_DETAIL_TYPE: Final = "Scheduled Event"
# With fullmatch, ASCII digits only (the contract's account id): no trailing newline, no other script's digit.
_PROVIDER_ARN = re.compile(rf"arn:aws[a-z-]*:iam::(?P<account>{ACCOUNT_ID_PATTERN}):oidc-provider/[^\s]{{1,255}}")
# Bounds on what the event carries into the report and the alert: it is input, not trusted.
_MAX_TEXT = 512


@dataclass(frozen=True)
class Principal:
    """Who made the call (the record's userIdentity), reduced to what an alert names."""

    type: str  # IAMUser, AssumedRole, Root, AWSService, FederatedUser, ...
    arn: str | None  # the caller: user ARN or assumed-role session ARN
    issuer_arn: str | None  # for temporary credentials: the role (or user) that issued the session

    def describe(self) -> str:
        """`arn:aws:sts::1:assumed-role/Ops/alice (AssumedRole)`."""
        return f"{self.arn or self.issuer_arn or 'unknown principal'} ({self.type})"


@dataclass(frozen=True)
class ChangeRequest:
    """A change to one OIDC provider that CloudTrail recorded: sweep that provider now."""

    provider_arn: str
    event_name: str
    event_id: str
    event_time: str
    principal: Principal
    error_code: str | None = None  # the call failed: nothing was changed

    def made_by(self, role_arn: str | None) -> bool:
        """Whether the call was made with credentials issued by `role_arn` (the tool's own role)."""
        return role_arn is not None and self.principal.issuer_arn == role_arn

    def view(self, *, by_tool: bool, outside_tool: bool = False) -> ChangeView:
        """The change as the report names it (views.ChangeView)."""
        return ChangeView(
            provider_arn=self.provider_arn,
            event_name=self.event_name,
            event_id=self.event_id,
            event_time=self.event_time,
            principal=PrincipalView(
                type=self.principal.type, arn=self.principal.arn, issuer_arn=self.principal.issuer_arn
            ),
            error_code=self.error_code,
            by_tool=by_tool,
            outside_tool=outside_tool,
        )


def is_change_event(event: Any) -> bool:
    """An EventBridge event that is not the schedule's: this module parses (or rejects) it."""
    return (
        isinstance(event, Mapping)
        and "detail-type" in event
        and event.get("detail-type") != SCHEDULED_DETAIL_TYPE
        and event.get("source") not in ("aws.events", "aws.scheduler")
    )


def parse_change_event(event: Mapping[str, Any]) -> ChangeRequest:
    """Validate an IAM CloudTrail event on an OIDC provider. Raise RequestError naming every problem; call nothing."""
    source, detail_type = event.get("source"), event.get("detail-type")
    if source != CHANGE_EVENT_SOURCE or detail_type != CLOUDTRAIL_DETAIL_TYPE:
        raise RequestError(
            f"unsupported event: source {_shown(source)} / detail-type {_shown(detail_type)}; this function takes "
            f"the schedule's events and {CHANGE_EVENT_SOURCE} / {CLOUDTRAIL_DETAIL_TYPE!r} events only"
        )
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise RequestError("invalid CloudTrail event: 'detail' must be the CloudTrail record (an object)")
    errors: list[str] = []
    if detail.get("eventSource") != IAM_EVENT_SOURCE:
        errors.append(f"'detail.eventSource' must be {IAM_EVENT_SOURCE}, got {_shown(detail.get('eventSource'))}")
    event_name = detail.get("eventName")
    if event_name not in CHANGE_EVENT_NAMES:
        errors.append(f"'detail.eventName' must be one of {', '.join(CHANGE_EVENT_NAMES)}, got {_shown(event_name)}")
    principal = _principal(detail.get("userIdentity"), errors)
    error_code = detail.get("errorCode")
    if error_code is not None and not isinstance(error_code, str):
        errors.append("'detail.errorCode' must be a string")
    arn = _provider_arn(detail, str(event_name), error_code is not None, errors)
    account = event.get("account", detail.get("recipientAccountId"))
    if not isinstance(account, str) or not is_account_id(account):
        errors.append(f"'account' must be a 12-digit account id, got {_shown(account)}")
    elif arn is not None:
        match = _PROVIDER_ARN.fullmatch(arn)
        if match and match.group("account") != account:
            errors.append(f"the provider {arn} is not in the event's account {account}")
    if errors:
        raise RequestError("invalid CloudTrail event: " + "; ".join(errors))
    assert principal is not None
    return ChangeRequest(
        provider_arn=arn or "",
        event_name=str(event_name),
        event_id=_text(detail.get("eventID")) or _text(event.get("id")) or "",
        event_time=_text(detail.get("eventTime")) or _text(event.get("time")) or "",
        principal=principal,
        error_code=_text(error_code),
    )


def _principal(identity: Any, errors: list[str]) -> Principal | None:
    if not isinstance(identity, Mapping) or not isinstance(identity.get("type"), str):
        errors.append("'detail.userIdentity' must be an object with a 'type'")
        return None
    issuer = identity.get("sessionContext", {})
    issuer = issuer.get("sessionIssuer", {}) if isinstance(issuer, Mapping) else {}
    issuer_arn = issuer.get("arn") if isinstance(issuer, Mapping) else None
    arn = identity.get("arn")
    if arn is None and isinstance(identity.get("invokedBy"), str):
        arn = identity["invokedBy"]  # an AWS service acting on its own
    return Principal(type=_text(identity["type"]) or "", arn=_text(arn), issuer_arn=_text(issuer_arn))


def _provider_arn(detail: Mapping[str, Any], event_name: str, failed: bool, errors: list[str]) -> str | None:
    """Create names the new ARN in its response; the others name it in their request."""
    parameters = detail.get("requestParameters")
    if not isinstance(parameters, Mapping):
        errors.append("'detail.requestParameters' must be an object")
        return None
    if event_name == "CreateOpenIDConnectProvider":
        response = detail.get("responseElements")
        arn = response.get("openIDConnectProviderArn") if isinstance(response, Mapping) else None
        if arn is None and failed:
            return None  # a refused create made nothing: there is no provider to name
        where = "detail.responseElements.openIDConnectProviderArn"
    else:
        arn = parameters.get("openIDConnectProviderArn")
        where = "detail.requestParameters.openIDConnectProviderArn"
    if not isinstance(arn, str) or not _PROVIDER_ARN.fullmatch(arn):
        errors.append(f"'{where}' must be an OIDC provider ARN, got {_shown(arn)}")
        return None
    return arn


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return text[:_MAX_TEXT]


def _shown(value: Any) -> str:
    return repr(_text(value))
