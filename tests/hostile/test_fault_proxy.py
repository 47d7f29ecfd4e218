"""The fault proxy itself: real AWS error documents that botocore parses, everything else forwarded."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.aws import CREDENTIALS, REGION
from sandbox.environment import Sandbox
from sandbox.faults import FaultProxy, error_response

ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


def test_injected_errors_parse_as_aws_errors_and_other_calls_pass_through(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.throttle("GetOpenIDConnectProvider", times=1)
        proxy.deny("UpdateOpenIDConnectProviderThumbprint", "denied by an SCP", OpenIDConnectProviderArn=provider.arn)
        proxy.unavailable("Publish")
        iam = _session().client("iam", endpoint_url=proxy.url, config=ONE_ATTEMPT)
        sns = _session().client("sns", endpoint_url=proxy.url, config=ONE_ATTEMPT)

        # the first Get is throttled, the second reaches moto
        with pytest.raises(ClientError) as throttled:
            iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider.arn)
        assert throttled.value.response["Error"]["Code"] == "Throttling"
        assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider.arn)["ThumbprintList"]

        with pytest.raises(ClientError) as denied:
            iam.update_open_id_connect_provider_thumbprint(
                OpenIDConnectProviderArn=provider.arn, ThumbprintList=["0" * 40]
            )
        assert denied.value.response["Error"] == {
            "Type": "Sender",
            "Code": "AccessDenied",
            "Message": "denied by an SCP",
        }

        with pytest.raises(ClientError) as unavailable:
            sns.publish(TopicArn=sandbox.topic_arn, Message="x")
        assert unavailable.value.response["Error"]["Code"] == "ServiceUnavailable"

        assert [(call.action, call.fault) for call in proxy.calls] == [
            ("GetOpenIDConnectProvider", "Throttling"),
            ("GetOpenIDConnectProvider", None),
            ("UpdateOpenIDConnectProviderThumbprint", "AccessDenied"),
            ("Publish", "ServiceUnavailable"),
        ]
    assert sandbox.thumbprints(provider) == list(provider.pinned)


def test_hook_runs_before_forwarding(sandbox: Sandbox) -> None:
    provider = sandbox.add_provider("healthy")
    iam_direct = _session().client("iam", endpoint_url=sandbox.account.endpoint_url, config=ONE_ATTEMPT)
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.before(
            "GetOpenIDConnectProvider",
            lambda _: iam_direct.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider.arn),
            OpenIDConnectProviderArn=provider.arn,
        )
        with pytest.raises(ClientError) as gone:
            _session().client("iam", endpoint_url=proxy.url, config=ONE_ATTEMPT).get_open_id_connect_provider(
                OpenIDConnectProviderArn=provider.arn
            )
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
    sandbox.providers.clear()


def test_error_document_names_the_api_namespace() -> None:
    assert b'xmlns="http://sns.amazonaws.com/doc/2010-03-31/"' in error_response("X", "y", "2010-03-31")
    assert b'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"' in error_response("X", "y", "2010-05-08")
    assert b"<Message>a &lt;b&gt;</Message>" in error_response("X", "a <b>", None)
