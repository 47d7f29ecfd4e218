"""One SNS message, a form per reader, as moto delivers it: the queue gets the report, the e-mail form the text,
and a subscription filter on the open counts pages only for what is still open.

What moto shows: it honours MessageStructure=json for the protocols it delivers (SQS, HTTP(S), Lambda), picking
the protocol's key else `default`, and it applies subscription filter policies to message attributes. It delivers
nothing to e-mail or email-json subscribers, so the e-mail form is read from moto's record of the published
message (Topic.sent_notifications) with the same rule SNS applies."""

from __future__ import annotations

import json

from sandbox.environment import Sandbox
from sandbox.report_schema import validate_handler_output
from thumbprint_remediator.report.alerts import JSON_FORMS, MESSAGE_LIMIT


def test_the_queue_gets_the_report_and_the_email_form_is_the_text(sandbox: Sandbox) -> None:
    # Given a provider the sweep fixes and one it must block
    fixed = sandbox.add_provider("rotated_intermediate", pinned="stale")
    blocked = sandbox.add_provider("untrusted_root", pinned="stale")
    # When the real handler sweeps and alerts
    report = sandbox.invoke(None)
    [alert] = sandbox.alerts()
    # Then the queue received the report itself, schema-valid, with both providers
    queued = alert.report()
    validate_handler_output(queued)
    assert {finding["arn"] for finding in queued["findings"]} == {fixed.arn, blocked.arn}
    assert queued["sweep_id"] == report["sweep_id"]
    # And an e-mail subscriber reads the text: no JSON, the blocked provider first, the fixed one for information
    assert alert.forms["email"] == alert.forms["default"] == alert.body
    assert "{" not in alert.body.split("Re-check")[0]
    assert alert.body.index(f"[UNTRUSTED -> BLOCKED] {blocked.url}") < alert.body.index(
        f"[STALE -> UPDATED] {fixed.url}"
    )
    assert f"sweep {report['sweep_id']}".lower() in alert.body.lower()
    # And every program form is the same report; the whole message fits SNS's limit
    assert all(json.loads(alert.forms[name]) == queued for name in JSON_FORMS)
    assert alert.size <= MESSAGE_LIMIT


def test_a_filter_on_open_critical_pages_for_a_block_and_not_for_a_fix(sandbox: Sandbox) -> None:
    # Given a second queue subscribed with the filter a pager would use
    sns, sqs = sandbox.account.client("sns"), sandbox.account.client("sqs")
    pager_url = sqs.create_queue(QueueName="pager")["QueueUrl"]
    pager_arn = sqs.get_queue_attributes(QueueUrl=pager_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(
        TopicArn=sandbox.topic_arn,
        Protocol="sqs",
        Endpoint=pager_arn,
        Attributes={"FilterPolicy": json.dumps({"open_critical": [{"numeric": [">", 0]}]})},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    try:
        # When a sweep only fixes a stale provider
        sandbox.add_provider("rotated_intermediate", pinned="stale")
        sandbox.invoke(None)
        [fixed_only] = sandbox.alerts()
        # Then the team's inbox hears of it, the pager does not
        assert (fixed_only.attributes["fixed"], fixed_only.attributes["open_critical"]) == ("1", "0")
        assert not sqs.receive_message(QueueUrl=pager_url, WaitTimeSeconds=0).get("Messages")
        # And when a later sweep finds an intercepted chain it must not pin, the pager gets the report
        sandbox.add_provider("untrusted_root", pinned="stale")
        sandbox.invoke(None)
        paged = sqs.receive_message(QueueUrl=pager_url, WaitTimeSeconds=1).get("Messages", [])
        assert len(paged) == 1
        envelope = json.loads(paged[0]["Body"])
        assert envelope["MessageAttributes"]["severity"]["Value"] == "critical"
        assert json.loads(envelope["Message"])["summary"]["blocked"] == 1
    finally:
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=pager_url)
