"""SNS adapter: publishes the sweep's alert, one message with a form for each kind of subscriber."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.aws.clients import Clients
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import PublishError
from thumbprint_remediator.report.alerts import Alert

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_sns import SNSClient

# What this adapter calls (the contract collects it for infra): publishing, on the alerts topic only.
PERMISSIONS: Final = (Permissions(actions=("sns:Publish",), resource="alerts-topic", when="an alert to send"),)


class AlertPublisher:
    """SNS adapter: publishes one alert to the topic."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None, session: boto3.Session | None = None):
        if client is None:
            client = Clients(session).sns()
        self._client = client
        self.topic_arn = topic_arn

    def publish(self, alert: Alert) -> str:
        """Publish one message with a form per kind of subscriber (the e-mail text, the JSON report) and return
        its id; PublishError if SNS refuses or is unreachable."""
        attributes = {
            name: {"DataType": kind, "StringValue": value} for name, (kind, value) in alert.attributes.items()
        }
        try:
            response = self._client.publish(
                TopicArn=self.topic_arn,
                Subject=alert.subject,
                Message=alert.message(),
                MessageStructure="json",
                MessageAttributes=attributes,  # type: ignore[arg-type]
            )
        except (ClientError, BotoCoreError) as error:
            raise PublishError(f"cannot publish to {self.topic_arn}: {error}") from error
        return str(response.get("MessageId", ""))
