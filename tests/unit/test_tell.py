"""The one delivery step: whether the alert is due, what SNS answered, and which news comes back to be told."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from thumbprint_remediator.app.tell import Delivery, tell
from thumbprint_remediator.aws.inventory import update_refused
from thumbprint_remediator.domain.errors import (
    AlertDeliveryError,
    ProviderUpdateError,
    PublishError,
    Throttled,
    WriteConflict,
)

REPORT = {"sweep_id": "abc", "findings": [{"status": "stale"}]}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: Any


@dataclass
class Topic:
    """A publisher that records what it was handed, or refuses as SNS would."""

    refuse: bool = False
    topic_arn: str = "arn:aws:sns:eu-west-1:123456789012:alerts"
    published: list[Any] = field(default_factory=list)

    def publish(self, alert: Any) -> str:
        if self.refuse:
            raise PublishError("AuthorizationError: not allowed to publish")
        self.published.append(alert)
        return f"message-{len(self.published)}"


def _delivery(topic: Topic | None, notify_on: str = "always", policy_says: bool = True) -> Delivery:
    return Delivery(
        topic,
        logging.getLogger("test"),
        notify_on,
        lambda report: Rendered(subject=f"{len(report['findings'])} finding", body=report),
        "sweep",
        lambda report, notify_on: policy_says,
    )


def test_news_comes_back_only_once_sns_accepted_the_alert() -> None:
    # Given a topic and an alert the policy says is due
    topic = Topic()
    # When the report is told
    told = tell(REPORT, ("news-a", "news-b"), _delivery(topic))
    # Then the alert went out and its news comes back to be remembered as told
    assert told.alert.sent
    assert told.alert.message_id == "message-1"
    assert told.alert.subject == "1 finding"
    assert told.news == ("news-a", "news-b")
    assert [alert.body for alert in topic.published] == [REPORT]


@pytest.mark.parametrize(("topic", "notify_on", "policy_says"), [(Topic(), "problems", False), (None, "always", True)])
def test_an_alert_not_sent_tells_no_news(topic: Topic | None, notify_on: str, policy_says: bool) -> None:
    # Given a report the policy finds quiet, or no topic at all
    # When it is told
    told = tell(REPORT, ("news",), _delivery(topic, notify_on, policy_says))
    # Then nothing is published and no news is used up
    assert not told.alert.sent
    assert told.news == ()
    assert topic is None or topic.published == []


def test_a_change_worth_telling_goes_out_whatever_the_policy_says_but_never() -> None:
    # Given a quiet report that carries a change made by someone else
    topic = Topic()
    # When it is told under `problems`, and under `never`
    loud = tell(REPORT, ("news",), _delivery(topic, "problems", policy_says=False), worth_telling=True)
    quiet = tell(REPORT, ("news",), _delivery(topic, "never", policy_says=False), worth_telling=True)
    # Then only `never` keeps it quiet
    assert loud.alert.sent
    assert loud.news == ("news",)
    assert not quiet.alert.sent
    assert quiet.news == ()
    assert len(topic.published) == 1


def test_a_refused_alert_carries_the_full_report_and_tells_nothing() -> None:
    # Given a topic that refuses
    # When the report is told
    with pytest.raises(AlertDeliveryError) as raised:
        tell(REPORT, ("news",), _delivery(Topic(refuse=True)))
    # Then the error carries the report with the refusal, and says the sweep itself completed
    assert raised.value.report["findings"] == REPORT["findings"]
    assert raised.value.report["alert"] == {
        "sent": False,
        "notify_on": "always",
        "error": "AuthorizationError: not allowed to publish",
    }
    assert "The sweep itself completed" in str(raised.value)


def test_an_alert_view_is_rendered_while_the_full_report_decides() -> None:
    # Given an organization's stored report, whose alert carries only a view of it
    topic = Topic()
    view = {"findings": [], "report": "s3://bucket/report.json"}
    # When it is told
    told = tell(REPORT, ("news",), _delivery(topic), carried=view)
    # Then the view is what went out
    assert told.alert.sent
    assert [alert.body for alert in topic.published] == [view]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ConcurrentModification", WriteConflict),
        ("Throttling", Throttled),
        ("ThrottlingException", Throttled),
        ("RequestLimitExceeded", Throttled),
        ("AccessDenied", ProviderUpdateError),
    ],
)
def test_iam_refusals_reach_the_write_protocol_typed(code: str, kind: type[ProviderUpdateError]) -> None:
    # Given IAM's refusal code, when the adapter turns it into an error, then its type says what may be retried
    error = update_refused("arn:aws:iam::123456789012:oidc-provider/example.com", code, f"{code}: refused")
    assert type(error) is kind
    assert error.code == code
