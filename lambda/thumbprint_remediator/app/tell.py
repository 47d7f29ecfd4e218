"""Tell: the one delivery step of every invocation (a sweep, the immediate check of a change, the organization's
aggregate). Each builds its report and hands it here with the news it carries; `tell` decides whether the alert
is due, publishes it, and gives back the news to remember as told: all of it once SNS accepted the alert, none
otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from thumbprint_remediator.app.ports import Log, Publisher
from thumbprint_remediator.domain.errors import AlertDeliveryError, PublishError
from thumbprint_remediator.domain.views import AlertOutcome, ReportLike, as_tree, to_builtins
from thumbprint_remediator.report.alerts import should_notify

News = TypeVar("News")


@dataclass(frozen=True)
class Delivery:
    """How one kind of invocation tells: where to, under which policy, rendered how, and named how in a failure."""

    publisher: Publisher | None  # None: no topic, nothing is ever sent
    log: Log
    notify_on: str
    render: Callable[[Any], Any]
    what: str = "sweep"
    policy: Callable[[ReportLike, str], bool] = should_notify


@dataclass(frozen=True)
class Told(Generic[News]):
    """The alert's outcome, and the news to remember as told: what the alert carried, if SNS accepted it."""

    alert: AlertOutcome
    news: tuple[News, ...]


def tell(
    report: ReportLike,
    news: Sequence[News],
    delivery: Delivery,
    *,
    worth_telling: bool = False,
    carried: ReportLike | None = None,
) -> Told[News]:
    """Publish the alert of `report` when due: the policy says so, or the report is `worth_telling` whatever it
    says (a change by someone else), unless the policy is `never`. The alert renders `carried` when given (what an
    alert carries of a report too large for it), else the report.

    If SNS refuses, nothing is lost: the full report is logged, and AlertDeliveryError carries it (and says it) so
    the invocation fails visibly and the errors alarm fires; no news is told.
    """
    notify_on = delivery.notify_on
    due = notify_on != "never" and (worth_telling or delivery.policy(report, notify_on))
    if not due or delivery.publisher is None:
        return Told(AlertOutcome(sent=False, notify_on=notify_on), ())
    shown = report if carried is None else carried
    alert = delivery.render(shown)
    try:
        message_id = delivery.publisher.publish(alert)
    except PublishError as error:
        outcome = AlertOutcome(sent=False, notify_on=notify_on, error=str(error))
        full = {**as_tree(shown), "alert": to_builtins(outcome)}
        delivery.log.error(f"alert delivery failed ({delivery.what}); full report follows", extra={"report": full})
        raise AlertDeliveryError(
            f"{error}. The {delivery.what} itself completed; report: {json.dumps(full, default=str)}", full
        ) from error
    return Told(AlertOutcome(sent=True, notify_on=notify_on, message_id=message_id, subject=alert.subject), tuple(news))
