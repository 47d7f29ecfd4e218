"""An emulated AWS account: moto in server mode on loopback, reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import functools
import json
import logging
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from sandbox.lambda_context import ACCOUNT_ID, REGION

# ACCOUNT_ID and REGION are the emulated account's, re-exported for the sandbox's users.
__all__ = ["ACCOUNT_ID", "CREDENTIALS", "REGION", "Alert", "EmulatedAccount", "emulated_account"]

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class Alert:
    """An alert as SNS delivered it: the e-mail a person reads, and the report the subscribed queue received.

    The queue's text is what SNS delivered to it (its `sqs` form). moto delivers nothing to e-mail subscribers, so
    the e-mail is read from moto's record of the published message, with SNS's own rule (the `email` form, else
    `default`): `forms` holds every form as published."""

    subject: str
    body: str  # the e-mail form
    attributes: dict[str, str]
    queued: str = ""  # what the SQS subscriber received (a raw JSON report, for this tool's alerts)
    message_id: str = ""
    forms: Mapping[str, str] = field(default_factory=dict)  # every form of the published message (empty: not one)
    published: str = ""  # the message as published (every form, for MessageStructure=json)

    @property
    def size(self) -> int:
        """What SNS counted against its 256 KB: the published message, the subject and every attribute's name,
        type and value, in UTF-8 bytes."""
        attributes = sum(
            len(name.encode()) + len(value.encode()) + len("Number") for name, value in self.attributes.items()
        )
        return len((self.published or self.queued).encode()) + len(self.subject.encode()) + attributes

    def report(self) -> dict[str, Any]:
        """The report the queue received, decoded."""
        decoded = json.loads(self.queued)
        assert isinstance(decoded, dict), "the queue received JSON that is not an object"
        return decoded


def delivered_form(message: str, protocol: str) -> tuple[str, dict[str, str]]:
    """What SNS delivers to a `protocol` subscriber of `message` (published with MessageStructure=json when it is a
    JSON object with a `default`), and every form of it."""
    try:
        structure = json.loads(message)
    except ValueError:
        return message, {}
    if not isinstance(structure, dict) or not isinstance(structure.get("default"), str):
        return message, {}
    forms = {str(key): str(value) for key, value in structure.items()}
    return forms.get(protocol) or forms["default"], forms


class EmulatedAccount:
    """moto's server on 127.0.0.1 and a free port. Use as a context manager, or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, hostname: str = "localhost") -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._hostname = hostname  # CloudFormation's TemplateURL resolves only for "localhost"
        self._port: int | None = None

    def start(self) -> EmulatedAccount:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        self._port = self._server.get_host_and_port()[1]
        return self

    def stop(self) -> None:
        if self._port is None:
            return
        self._server.stop()
        inner = getattr(self._server, "_server", None)
        if inner is not None:
            inner.server_close()  # stop() leaves the listening socket open
        self._port = None

    def __enter__(self) -> EmulatedAccount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulated account is not running")
        return self._port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._hostname}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The variables that point boto3, the AWS CLI and the handler at this account."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **CREDENTIALS,
        }

    def client(self, service: str) -> Any:
        return boto3.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        ).client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]

    @property
    def iam(self) -> Any:
        """One IAM client per emulator, shared by the helpers below (a client costs more than a hundred calls)."""
        return _shared_client(self.endpoint_url, "iam")

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    # --- the history table ---------------------------------------------------------------------
    def create_history_table(self, name: str = "oidc-thumbprint-history") -> str:
        """A table with the contract's key schema (what the stack creates), on demand; returns its name."""
        from thumbprint_remediator.contract.names import HISTORY_PARTITION_KEY, HISTORY_SORT_KEY  # noqa: PLC0415 - sandbox stays importable alone

        client = self.client("dynamodb")
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": HISTORY_PARTITION_KEY, "AttributeType": "S"},
                {"AttributeName": HISTORY_SORT_KEY, "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": HISTORY_PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": HISTORY_SORT_KEY, "KeyType": "RANGE"},
            ],
        )
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
        return name

    def delete_history_table(self, name: str = "oidc-thumbprint-history") -> None:
        self.client("dynamodb").delete_table(TableName=name)

    # --- IAM OIDC providers -------------------------------------------------------------------
    def create_provider(
        self,
        url: str,
        thumbprints: Sequence[str],
        client_ids: Sequence[str] = ("sts.amazonaws.com",),
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Register an OIDC provider; `url` as IAM stores it or with https://. Returns its ARN."""
        full_url = url if url.startswith("https://") else f"https://{url}"
        arguments: dict[str, Any] = {"Url": full_url, "ClientIDList": list(client_ids)}
        if thumbprints:
            arguments["ThumbprintList"] = list(thumbprints)
        if tags:
            arguments["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
        return str(self.iam.create_open_id_connect_provider(**arguments)["OpenIDConnectProviderArn"])

    def thumbprints(self, arn: str) -> list[str]:
        return list(self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"])

    def set_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None:
        self.iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=arn, ThumbprintList=list(thumbprints)
        )

    def delete_all_providers(self) -> None:
        iam = self.iam
        for entry in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=entry["Arn"])

    # --- Alerts -------------------------------------------------------------------------------
    def create_alert_topic(self, name: str = "oidc-thumbprint-alerts") -> tuple[str, str]:
        """An SNS topic with an SQS queue subscribed to it. Returns (topic ARN, queue URL)."""
        sns, sqs = self.client("sns"), self.client("sqs")
        topic_arn = str(sns.create_topic(Name=name)["TopicArn"])
        queue_url = str(sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"])
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        return topic_arn, queue_url

    def receive_alerts(self, queue_url: str, wait_seconds: int = 1) -> list[Alert]:
        """Drain the queue, unwrap each SNS envelope, and pair it with the message as published (its e-mail form)."""
        sqs = _shared_client(self.endpoint_url, "sqs")  # drained after every invocation by some tests
        envelopes: list[dict[str, Any]] = []
        while True:
            response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
            messages = response.get("Messages", [])
            if not messages:
                break
            for message in messages:
                envelopes.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            wait_seconds = 0
        published = self.published_messages(str(envelope.get("TopicArn", "")) for envelope in envelopes)
        alerts = []
        for envelope in envelopes:
            queued = str(envelope.get("Message", ""))
            message_id = str(envelope.get("MessageId", ""))
            sent = published.get(message_id, queued)
            body, forms = delivered_form(sent, "email")
            alerts.append(
                Alert(
                    subject=envelope.get("Subject", ""),
                    body=body,
                    attributes={
                        name: attribute.get("Value", "")
                        for name, attribute in envelope.get("MessageAttributes", {}).items()
                    },
                    queued=queued,
                    message_id=message_id,
                    forms=forms,
                    published=sent,
                )
            )
        return alerts

    def published_messages(self, topic_arns: Iterable[str] = ()) -> dict[str, str]:
        """Every message published to these topics, by message id, as the publisher sent it: moto's record of
        them (moto delivers nothing to e-mail subscribers). The emulator runs in this process, so its SNS
        backends are read directly (moto's documented inspection, Topic.sent_notifications); without them (an
        emulator in another process) its model-data API is asked instead."""
        from moto.sns.models import sns_backends  # noqa: PLC0415 - moto's server already imported it

        published: dict[str, str] = {}
        arns = {arn for arn in topic_arns if arn.count(":") == 5}
        for topic_arn in arns:
            region, account = topic_arn.split(":")[3:5]
            topic = sns_backends[account][region].topics.get(topic_arn)
            for sent in topic.sent_notifications if topic is not None else ():
                published[str(sent[0])] = str(sent[1])
        if published or not arns:
            return published
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=30) as response:
                data = json.load(response)
        except OSError:
            return {}
        return {
            str(sent[0]): str(sent[1])
            for topic in data.get("sns", {}).get("Topic", [])
            for sent in topic.get("sent_notifications") or []
        }

    # --- EventBridge ----------------------------------------------------------------------------
    def route_events_to_queue(self, name: str, pattern: Mapping[str, Any]) -> str:
        """A rule on the default bus delivering the matching events to a new SQS queue. Returns the queue URL."""
        events, sqs = self.client("events"), self.client("sqs")
        queue_url = str(sqs.create_queue(QueueName=f"{name}-events")["QueueUrl"])
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
        return queue_url

    def remove_event_route(self, name: str, queue_url: str) -> None:
        events = self.client("events")
        events.remove_targets(Rule=name, Ids=["queue"])
        events.delete_rule(Name=name)
        self.client("sqs").delete_queue(QueueUrl=queue_url)

    def receive_events(self, queue_url: str) -> list[dict[str, Any]]:
        """Drain the queue: the EventBridge events the rule delivered, decoded."""
        sqs = self.client("sqs")
        received: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@functools.cache
def _shared_client(endpoint_url: str, service: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]


@contextmanager
def emulated_account() -> Iterator[EmulatedAccount]:
    account = EmulatedAccount().start()
    try:
        yield account
    finally:
        account.stop()
