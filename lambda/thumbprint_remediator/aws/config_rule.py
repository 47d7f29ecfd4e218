"""AWS Config custom rule: the invocation Config sends, the evaluations drawn from a (dry-run) sweep report, and
the adapter that reports them with PutEvaluations.

Config evaluates `AWS::IAM::OIDCProvider` (a recorded resource type since 2025-06) periodically and when a
provider's configuration changes. The verdict is the sweep's: a finding that needs attention is NON_COMPLIANT.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from msgspec import UnsetType

from thumbprint_remediator.contract.names import CONFIG_RESOURCE_TYPE
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.contract.validators import ACCOUNT_ID_PATTERN
from thumbprint_remediator.domain.errors import ChannelError, RequestError
from thumbprint_remediator.domain.report import needs_attention
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.views import ChangeEntry, FindingView, Report, UntoldEntry

# What this adapter calls (the contract collects it for infra): Config defines no resource type for PutEvaluations.
PERMISSIONS: Final = (
    Permissions(actions=("config:PutEvaluations",), resource="any", when="an invocation by an AWS Config rule"),
)
ANNOTATION_LIMIT: Final = 256  # PutEvaluations: Annotation is at most 256 characters
EVALUATIONS_PER_CALL: Final = 100  # PutEvaluations: at most 100 evaluations per call
CHANGE_NOTIFICATION: Final = "ConfigurationItemChangeNotification"
OVERSIZED_NOTIFICATION: Final = "OversizedConfigurationItemChangeNotification"
SCHEDULED_NOTIFICATION: Final = "ScheduledNotification"
_DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})
_CONFIG_EVENT_KEYS = frozenset({"invokingEvent", "resultToken"})
# With fullmatch, ASCII digits only (the contract's account id): no trailing newline, no other script's digit.
_PROVIDER_ARN = re.compile(rf"arn:aws[a-z-]*:iam::{ACCOUNT_ID_PATTERN}:oidc-provider/\S{{1,255}}")


@dataclass(frozen=True)
class ConfigRuleRequest:
    """One Config rule invocation: every provider (periodic), or the one whose configuration changed."""

    result_token: str
    rule_name: str
    message_type: str
    ordering_timestamp: str  # ISO 8601: the item's capture time, or the notification's creation time
    provider_arn: str | None = None  # None: evaluate every provider
    resource_id: str | None = None  # as Config names the resource in its configuration item
    not_applicable: bool = False  # deleted, or out of the rule's scope: report NOT_APPLICABLE, probe nothing


def is_config_rule_event(event: Any) -> bool:
    return isinstance(event, Mapping) and set(event) >= _CONFIG_EVENT_KEYS


def parse_config_rule_event(event: Mapping[str, Any]) -> ConfigRuleRequest:  # noqa: C901 - one check per field of Config's event, all reported together
    """Validate Config's invocation. Raise RequestError naming every problem; call nothing."""
    errors: list[str] = []
    token = event.get("resultToken")
    if not isinstance(token, str) or not token:
        errors.append("'resultToken' must be a non-empty string")
    rule_name = event.get("configRuleName", "")
    try:
        invoking = json.loads(event["invokingEvent"]) if isinstance(event["invokingEvent"], str) else None
    except ValueError:
        invoking = None
    if not isinstance(invoking, Mapping):
        raise RequestError("invalid Config rule event: 'invokingEvent' must be a JSON object in a string")
    message_type = invoking.get("messageType")
    provider_arn = resource_id = None
    not_applicable = bool(event.get("eventLeftScope"))
    timestamp = str(invoking.get("notificationCreationTime", ""))
    if message_type in (CHANGE_NOTIFICATION, OVERSIZED_NOTIFICATION):
        item = invoking.get("configurationItem") or invoking.get("configurationItemSummary")
        if not isinstance(item, Mapping):
            errors.append("'invokingEvent.configurationItem' must be an object")
        elif item.get("resourceType") != CONFIG_RESOURCE_TYPE:
            errors.append(f"the rule evaluates {CONFIG_RESOURCE_TYPE} only, got {item.get('resourceType')!r}")
        else:
            provider_arn = item.get("ARN") or item.get("arn")
            if not isinstance(provider_arn, str) or not _PROVIDER_ARN.fullmatch(provider_arn):
                errors.append(f"the configuration item's ARN must be an OIDC provider ARN, got {provider_arn!r}")
            resource_id = str(item.get("resourceId") or provider_arn)
            timestamp = str(item.get("configurationItemCaptureTime") or timestamp)
            not_applicable = not_applicable or item.get("configurationItemStatus") in _DELETED_STATUSES
    elif message_type != SCHEDULED_NOTIFICATION:
        errors.append(f"'invokingEvent.messageType' {message_type!r} is not one Config sends to a rule")
    if not _parse_time(timestamp):
        errors.append(f"the notification carries no ISO 8601 time, got {timestamp!r}")
    if errors:
        raise RequestError("invalid Config rule event: " + "; ".join(errors))
    return ConfigRuleRequest(
        result_token=str(token),
        rule_name=str(rule_name),
        message_type=str(message_type),
        ordering_timestamp=timestamp,
        provider_arn=provider_arn,
        resource_id=resource_id,
        not_applicable=not_applicable,
    )


def evaluations(
    report: Report | None, request: ConfigRuleRequest, resource_ids: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One evaluation per provider of the report (or NOT_APPLICABLE for a deleted/out-of-scope one)."""
    timestamp = _parse_time(request.ordering_timestamp)
    if request.not_applicable or report is None:
        assert request.resource_id is not None
        return [_evaluation(request.resource_id, "NOT_APPLICABLE", "deleted or out of the rule's scope", timestamp)]
    ids = resource_ids or {}
    result = []
    for finding in report.findings:
        # Attention first: a skip tag stops writes, not watching, so drift on a tagged provider is still reported.
        if needs_attention(finding):
            compliance, annotation = "NON_COMPLIANT", describe_problem(finding)
        elif finding.status is Status.SKIPPED:
            compliance, annotation = "NOT_APPLICABLE", finding.action_reason or Status.SKIPPED.value
        else:
            compliance, annotation = "COMPLIANT", "thumbprints match the live chains"
        result.append(_evaluation(ids.get(finding.arn, finding.arn), compliance, annotation, timestamp))
    return result


def describe_problem(finding: FindingView) -> str:
    """The annotation: status and the problems' codes and first message, within 256 characters."""
    problems = [problem for problem in finding.problems if problem.status is not Status.OK]
    history = finding.history
    # No problem, but a change (drift, a new chain, one no alert has told yet): name the change itself.
    changes: list[ChangeEntry | UntoldEntry] = (
        [] if isinstance(history, UnsetType) else [*(history.since_last_sweep or []), *(history.untold or [])]
    )
    codes = (
        ", ".join(dict.fromkeys(problem.code for problem in problems))
        or ", ".join(dict.fromkeys(change.kind for change in changes))
        or finding.status
    )
    first = f": {problems[0].message}" if problems else f": {changes[0].detail}" if changes else ""
    text = f"{finding.status} ({codes}){first}"
    return text if len(text) <= ANNOTATION_LIMIT else text[: ANNOTATION_LIMIT - 3] + "..."


def _evaluation(resource_id: str, compliance: str, annotation: str, timestamp: datetime | None) -> dict[str, Any]:
    return {
        "ComplianceResourceType": CONFIG_RESOURCE_TYPE,
        "ComplianceResourceId": resource_id,
        "ComplianceType": compliance,
        "Annotation": annotation[:ANNOTATION_LIMIT],
        "OrderingTimestamp": timestamp,
    }


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


class ConfigEvaluations:
    """Config adapter: reports evaluations for one rule invocation (its result token)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def put(self, result_token: str, evaluations: Sequence[Mapping[str, Any]]) -> int:
        """PutEvaluations in batches of 100; return how many Config refused. ChannelError if it cannot be reached."""
        failed = 0
        for start in range(0, len(evaluations), EVALUATIONS_PER_CALL):
            batch = [dict(item) for item in evaluations[start : start + EVALUATIONS_PER_CALL]]
            try:
                response = self._client.put_evaluations(Evaluations=batch, ResultToken=result_token)
            except (ClientError, BotoCoreError) as error:
                raise ChannelError("config", f"PutEvaluations failed: {error}") from error
            failed += len(response.get("FailedEvaluations", []))
        return failed
