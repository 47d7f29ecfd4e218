"""What `cdk deploy` prints: function name, topic ARN, the on-demand sweep command and the dashboard."""

from __future__ import annotations

import pytest

from tests.infra.synthesis import Synthesized

pytestmark = pytest.mark.xdist_group("cdk-assertions")

REGION = {"Ref": "AWS::Region"}


def test_outputs_name_the_function_the_topic_the_log_group_and_the_dead_letter_queue(
    default_stack: Synthesized,
) -> None:
    outputs = default_stack.template.to_json()["Outputs"]

    assert outputs["FunctionName"]["Value"] == {"Ref": default_stack.logical_id("AWS::Lambda::Function")}
    assert outputs["TopicArn"]["Value"] == {"Ref": default_stack.logical_id("AWS::SNS::Topic")}
    assert outputs["LogGroupName"]["Value"] == {"Ref": default_stack.logical_id("AWS::Logs::LogGroup")}
    assert outputs["DeadLetterQueueUrl"]["Value"] == {"Ref": default_stack.logical_id("AWS::SQS::Queue")}


def test_invoke_command_output_is_the_exact_dry_run_command(default_stack: Synthesized) -> None:
    command = default_stack.template.to_json()["Outputs"]["InvokeCommand"]["Value"]

    assert command == {
        "Fn::Join": [
            "",
            [
                "aws lambda invoke --region ",
                REGION,
                " --function-name ",
                {"Ref": default_stack.logical_id("AWS::Lambda::Function")},
                " --cli-binary-format raw-in-base64-out --payload '{\"dry_run\": true}' report.json",
            ],
        ]
    }


def test_dashboard_url_output_opens_the_dashboard(default_stack: Synthesized) -> None:
    url = default_stack.template.to_json()["Outputs"]["DashboardUrl"]["Value"]["Fn::Join"][1]

    assert url[0] == "https://"
    assert url[-1] == {"Ref": default_stack.logical_id("AWS::CloudWatch::Dashboard")}
