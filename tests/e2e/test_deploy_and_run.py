"""End to end through the real deploy path: `cdk deploy` to the emulated account, then run what was deployed.

One test, not several: bootstrap, deploy and destroy are the slow part and must happen once, on one
worker, in this order. Its steps:

1. The sandbox: the emulated account and local issuers behind a healthy, a stale and a private-CA provider.
2. `cdk bootstrap`, then `cdk deploy` of the real app with bundling, for this machine's architecture,
   with an alert e-mail and the sandbox's private CA bundle packaged; a queue subscribed to the topic.
3. Read back what CloudFormation created: the function's configuration and, through GetFunction's
   code location, its package, unpacked.
4. Run the package as the Lambda runtime would (see deployed_function.py) with the credentials of the
   deployed role, IAM policies enforced: the scheduled event, then a manual payload.
5. Providers fixed or untouched in IAM, the alerts in the queue, the reports, the deployed schedule
   and environment equal to the context.
5b. Every channel is on (events, the immediate check, Security Hub, the Config rule): the package handles
   a CloudTrail change event (events reach a queue, Security Hub holds the finding, the alert names who
   changed the provider), the tool's own change, and a Config evaluation (PutEvaluations kept by the fault
   proxy). These run without IAM enforcement: the emulator matches JSON-protocol requests' resources
   against "*" only, so the channels' scoped grants cannot be exercised there.
6. `cdk destroy --force`: nothing of the stack is left in the emulated account.

Wall time, emulator gaps and what IAM enforcement covered are recorded as properties of the test
(shown at the end of `make e2e`, and in a JUnit report).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.application import STACK_NAME
from infra.bundling import EXTRA_CA_BUNDLE_NAME, TASK_ROOT
from sandbox.access_control import enforced_iam
from sandbox.aws import ACCOUNT_ID, REGION, EmulatedAccount
from sandbox.aws_calls import RecordedCall, load_calls
from sandbox.cloudformation import teach_cloudformation
from sandbox.environment import Provider, Sandbox, stale_thumbprint
from sandbox.eventbridge import teach_eventbridge
from sandbox.faults import FaultProxy
from tests.e2e.cdk_cli import CDK, CdkCli, physical_ids, remove_bootstrap, skipped_by_emulator, stack_resources
from tests.e2e.deployed_function import (
    DeployedFunction,
    Invocation,
    RoleCredentials,
    host_architecture,
    lambda_python,
    loaded_from_elsewhere,
)
from tests.e2e.lambda_runtime import CALL_LOG_VARIABLE
from thumbprint_remediator.contract.metrics import METRICS_NAMESPACE
from thumbprint_remediator.contract.names import (
    CHANGE_EVENT_NAMES,
    ENV_DASHBOARD_NAME,
    ENV_DRY_RUN,
    ENV_EXPIRY_WARNING_DAYS,
    ENV_EXTRA_CA_BUNDLE,
    ENV_FINDING_EVENTS,
    ENV_FUNCTION_ROLE_ARN,
    ENV_HISTORY_TABLE,
    ENV_LOG_GROUP_NAME,
    ENV_NOTIFY_ON,
    ENV_POSTURE,
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_SECURITY_HUB,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
    FINDING_EVENT_DETAIL_TYPE,
    FINDING_EVENT_SOURCE,
    HANDLER,
    SERVICE_NAME,
    SUMMARY_EVENT_DETAIL_TYPE,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.cdk_cli,
    pytest.mark.slow,
    # moto's note for each type it skips; the test records the list as a property instead.
    pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning"),
]

ALERT_EMAIL = "ops@example.com"
SCHEDULE = "rate(6 hours)"
EXPIRY_WARNING_DAYS = "45"
# Modules the package must bring: the handler, the engine and its compiled and pure dependencies.
PACKAGED_MODULES = ("handler", "thumbprint_remediator", "aws_lambda_powertools", "aws_xray_sdk", "cryptography")
RUNTIME_MODULES = ("boto3", "botocore")


@pytest.fixture
def architecture() -> str:
    architecture = host_architecture()
    if architecture is None:
        pytest.skip("the deployed package can only run on Linux x86_64 or arm64")
    return architecture


@pytest.fixture
def python313() -> str:
    python = lambda_python()
    if python is None:
        pytest.skip("no Python 3.13 to run the package with (its compiled wheels are built for cp313)")
    return python


@pytest.fixture
def emulated_deploy(sandbox: Sandbox, tmp_path: Path, architecture: str) -> Iterator[CdkCli]:
    """The CDK CLI aimed at the sandbox's account; afterwards the account holds none of it, even on failure."""
    if not CDK.exists():
        pytest.fail("the pinned CDK CLI is missing: run `npm ci` (or `make install`)")
    teach_cloudformation()  # the emulator runs in this process
    teach_eventbridge()  # the deployed schedule rule must not swallow the function's events
    context = {
        "architecture": architecture,
        "alertEmails": ALERT_EMAIL,
        "schedule": SCHEDULE,
        "expiryWarningDays": EXPIRY_WARNING_DAYS,
        "notifyOn": "problems",
        "dryRun": "false",
        "extraCaBundle": sandbox.trust_environment[ENV_EXTRA_CA_BUNDLE],
        # Every channel on; in the stack's own region (us-east-1) no forwarding stack is needed.
        "findingEvents": "true",
        "changeCheck": "true",
        "securityHub": "true",
        "configRule": "true",
        "region": REGION,
    }
    workdir = tmp_path / "cdk"
    workdir.mkdir()
    try:
        yield CdkCli(sandbox.account, workdir, context)
    finally:
        if STACK_NAME in _stack_names(sandbox.account):  # the test failed before `cdk destroy`
            sandbox.account.client("cloudformation").delete_stack(StackName=STACK_NAME)
        remove_bootstrap(sandbox.account)


def test_cdk_deploy_then_the_deployed_package_fixes_stale_providers_and_destroy_leaves_nothing(
    sandbox: Sandbox,
    emulated_deploy: CdkCli,
    python313: str,
    architecture: str,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    started = time.monotonic()
    account = sandbox.account

    # 1. Given a healthy provider, one whose issuer rotated its CA, and one on a private CA pinning nothing
    healthy = sandbox.add_provider("healthy")
    stale = sandbox.add_provider("rotated_intermediate", pinned="stale")
    private = sandbox.add_provider("private_ca", pinned="empty")

    # 2. When the real app is bootstrapped and deployed with the real CLI
    outdir = tmp_path / "cdk.out"
    timings: dict[str, float] = {}
    with _timed(timings, "cdk_bootstrap"):
        emulated_deploy.bootstrap()
    with _timed(timings, "cdk_deploy"):
        emulated_deploy.deploy(outdir)
    template = json.loads((outdir / f"{STACK_NAME}.template.json").read_text())
    created = stack_resources(account)
    skipped = skipped_by_emulator(template, created)
    record_property("emulator_skipped_types", ", ".join(sorted(set(skipped.values()))))
    deployed = physical_ids(created)
    [function_name] = deployed["AWS::Lambda::Function"]
    [topic_arn] = deployed["AWS::SNS::Topic"]
    [history_table] = deployed["AWS::DynamoDB::Table"]
    rules = {name: account.client("events").describe_rule(Name=name) for name in deployed["AWS::Events::Rule"]}
    [rule_name] = [name for name, rule in rules.items() if "ScheduleExpression" in rule]
    [change_rule] = [rule for rule in rules.values() if "EventPattern" in rule]
    inbox = _subscribe_queue(account, topic_arn)

    # 3. Then the function is configured as the context asked, and its package is complete
    function = DeployedFunction(account, function_name, tmp_path / "lambda")
    configuration = function.configuration
    assert (configuration["Runtime"], configuration["Handler"]) == ("python3.13", HANDLER)
    assert configuration["Architectures"] == [architecture]
    assert configuration["Role"].endswith(f":role/{deployed['AWS::IAM::Role'][0]}")
    assert function.deployed_environment == {
        ENV_TOPIC_ARN: topic_arn,
        ENV_DRY_RUN: "false",
        ENV_EXPIRY_WARNING_DAYS: EXPIRY_WARNING_DAYS,
        ENV_NOTIFY_ON: "problems",
        ENV_EXTRA_CA_BUNDLE: f"{TASK_ROOT}/{EXTRA_CA_BUNDLE_NAME}",
        ENV_FINDING_EVENTS: "true",
        ENV_SECURITY_HUB: "true",
        ENV_POSTURE: "true",  # who can use each provider: on by default, so the deployed role may list roles
        ENV_FUNCTION_ROLE_ARN: configuration["Role"],
        ENV_HISTORY_TABLE: history_table,
        ENV_POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ENV_POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        # What the alert links to: the stack, its dashboard (named after the stack and region) and its log group
        ENV_STACK_NAME: "OidcThumbprintRemediator",
        ENV_DASHBOARD_NAME: "OidcThumbprintRemediator-us-east-1",
        ENV_LOG_GROUP_NAME: "/aws/lambda/OidcThumbprintRemediator-Sweep",
    }
    assert sorted(json.loads(change_rule["EventPattern"])["detail"]["eventName"]) == sorted(CHANGE_EVENT_NAMES)
    packaged_bundle = function.local_path(function.deployed_environment[ENV_EXTRA_CA_BUNDLE])
    assert packaged_bundle.read_bytes() == Path(sandbox.trust_environment[ENV_EXTRA_CA_BUNDLE]).read_bytes()
    record_property("package_bytes", len(function.package))
    # and the schedule invokes it as asked
    events = account.client("events")
    rule = events.describe_rule(Name=rule_name)
    assert (rule["ScheduleExpression"], rule["State"]) == (SCHEDULE, "ENABLED")
    [target] = events.list_targets_by_rule(Rule=rule_name)["Targets"]
    assert target["Arn"] == configuration["FunctionArn"]
    # and one sweep runs at a time, and a scheduled sweep that failed every attempt is kept, encrypted, 14 days
    concurrency = account.client("lambda").get_function(FunctionName=function_name)["Concurrency"]
    assert concurrency == {"ReservedConcurrentExecutions": 1}
    [dead_letters] = deployed["AWS::SQS::Queue"]
    queue = account.client("sqs").get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["All"])["Attributes"]
    assert queue["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert queue["KmsMasterKeyId"].endswith(f":key/{deployed['AWS::KMS::Key'][0]}")
    # and every alarm notifies the topic
    alarms = account.client("cloudwatch").describe_alarms(AlarmNames=deployed["AWS::CloudWatch::Alarm"])
    assert sorted(alarm["AlarmName"] for alarm in alarms["MetricAlarms"]) == [
        f"{STACK_NAME}-FailedSweepsKept",
        f"{STACK_NAME}-HistoryUnavailable",
        f"{STACK_NAME}-NoCompletedSweep",
        f"{STACK_NAME}-SweepErrors",
    ]
    assert all(alarm["AlarmActions"] == [topic_arn] for alarm in alarms["MetricAlarms"])
    # and the history table is keyed by two strings and billed on demand (moto reads neither the encryption, nor the
    # TTL, nor point-in-time recovery of a CloudFormation table: the synthesized template's tests assert those)
    table = account.client("dynamodb").describe_table(TableName=history_table)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # and the e-mail subscription is in the deployed template (the emulator may skip creating it)
    [subscription] = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert (subscription["Properties"]["Protocol"], subscription["Properties"]["Endpoint"]) == ("email", ALERT_EMAIL)

    # 4. When the package runs as the runtime runs it, with its role's credentials and IAM enforced
    credentials = RoleCredentials.assume(account, configuration["Role"], function_name)
    environment = function.runtime_environment(
        credentials, Path(sandbox.trust_environment["SSL_CERT_FILE"]), account.endpoint_url
    )
    call_log = tmp_path / "aws-calls.jsonl"  # every call the package's clients make, in every invocation below
    environment[CALL_LOG_VARIABLE] = str(call_log)
    with enforced_iam(account):
        _assert_the_role_is_denied_what_it_was_not_granted(account, credentials, sandbox.topic_arn)
        with _timed(timings, "invoke_scheduled"):
            scheduled = function.invoke(_scheduled_event(rule["Arn"]), environment, python313)
        with _timed(timings, "invoke_manual"):
            manual = function.invoke({"dry_run": True, "notify": "always"}, environment, python313)
        # After the sweeps, which so met the table as deployed; the check's item is a key no provider has.
        _assert_the_role_may_only_get_and_put_history_items(account, credentials, history_table)
    record_property(
        "iam_enforced",
        "signature + the role's identity policies, action and resource (OIDC provider, topic and table ARNs); "
        "no conditions, no resource policies",
    )

    # 5. Then the scheduled sweep fixed the stale providers, left the healthy one alone and alerted
    assert scheduled.error is None, f"{scheduled.error}\n{scheduled.logs}"
    _assert_ran_from_the_package_only(scheduled, function)
    report = scheduled.payload
    assert (report["account"], report["dry_run"]) == (ACCOUNT_ID, False)
    assert _outcomes(report) == {
        healthy.arn: ("ok", "none"),
        stale.arn: ("stale", "updated"),
        private.arn: ("stale", "updated"),
    }
    assert sandbox.thumbprints(healthy) == list(healthy.pinned)
    assert sandbox.thumbprints(stale) == [*stale.live_thumbprints, *stale.pinned]
    assert sandbox.thumbprints(private) == list(private.live_thumbprints)
    assert _finding(report, private)["hosts"][0]["trust"] == "private"  # through the packaged CA bundle
    assert report["alert"]["sent"] is True
    alerts = {alert.attributes["dry_run"]: alert for alert in account.receive_alerts(inbox)}
    assert sorted(alerts) == ["false", "true"]  # one alert per invocation
    alert = alerts["false"]
    assert alert.subject == f"OIDC thumbprints: 2 updated ({ACCOUNT_ID})"
    # Severity from impact: a sweep that only fixed things leaves nothing open, so it pages no one
    assert (alert.attributes["severity"], alert.attributes["fixed"], alert.attributes["open_critical"]) == (
        "info",
        "2",
        "0",
    )
    assert f"[STALE -> UPDATED] {stale.url}" in alert.body
    assert f"[STALE -> UPDATED] {private.url}" in alert.body
    # and the manual dry run found everything in order, changed nothing and, asked to, said so
    assert manual.error is None, f"{manual.error}\n{manual.logs}"
    _assert_ran_from_the_package_only(manual, function)
    assert manual.payload["dry_run"] is True
    assert set(_outcomes(manual.payload).values()) == {("ok", "none")}
    assert sandbox.thumbprints(stale) == [*stale.live_thumbprints, *stale.pinned]
    assert alerts["true"].attributes["severity"] == "info"
    record_property("channels_under_iam_enforcement", json.dumps(report.get("channels")))

    # 5b. Every channel, through the deployed package (see the module docstring on enforcement)
    with _timed(timings, "channels"):
        _assert_every_channel_works(account, function, environment, python313, healthy, configuration["Role"], inbox)

    # 5c. And what the package called, over every invocation, is what the deployed role grants for it
    _assert_the_calls_are_the_grants(load_calls(call_log), template, credentials.access_key_id)

    # 6. When the stack is destroyed, nothing of it is left
    with _timed(timings, "cdk_destroy"):
        emulated_deploy.destroy(outdir)
    assert STACK_NAME not in _stack_names(account)
    remaining = {
        resource_type: [physical_id for physical_id in ids if _still_exists(account, resource_type, physical_id)]
        for resource_type, ids in deployed.items()
        if resource_type != "AWS::Lambda::Permission"  # a property of the function, gone with it
    }
    assert remaining == {resource_type: [] for resource_type in remaining}
    account.client("sqs").delete_queue(QueueUrl=inbox)

    timings["total"] = time.monotonic() - started
    for phase, seconds in timings.items():
        record_property(f"seconds_{phase}", round(seconds, 1))


# Granted to the role for what the function's code never calls itself: Lambda sends to the dead-letter queue, the
# logs and traces are the runtime's, and the keys are used by SNS, SQS and DynamoDB on the function's behalf.
NOT_CALLED_BY_THE_CODE = frozenset(
    {
        "sqs:SendMessage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
)


def _assert_the_calls_are_the_grants(calls: tuple[RecordedCall, ...], template: dict[str, Any], key: str) -> None:
    """No call without a grant in the deployed template, and no grant (for the code) that no invocation called."""
    [role] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    granted = {
        action
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert calls, "the package's clients recorded no call"
    assert {call.access_key for call in calls} == {key}  # all of them as the deployed role
    called = {call.action for call in calls if call.action is not None}
    assert called - granted == set(), "called without a grant"
    # Only an endpoint that answers a provider's read without its tags makes the sweep list them: the integration
    # test (tests/integration/test_permissions_used.py) drives that path through the fault proxy.
    assert granted - NOT_CALLED_BY_THE_CODE - called == {"iam:ListOpenIDConnectProviderTags"}, "granted, never called"


def _assert_every_channel_works(
    account: EmulatedAccount,
    function: DeployedFunction,
    environment: dict[str, str],
    python: str,
    provider: Provider,
    role_arn: str,
    inbox: str,
) -> None:
    """A change by someone else, the tool's own change and a Config evaluation, through the deployed package."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "cloudtrail"
    change = json.loads((fixtures / "UpdateOpenIDConnectProviderThumbprint.json").read_text())
    change["detail"]["requestParameters"]["openIDConnectProviderArn"] = provider.arn
    outsider = change["detail"]["userIdentity"]["arn"]
    routed = account.route_events_to_queue("e2e-oidc", {"source": [FINDING_EVENT_SOURCE]})
    hub = account.client("securityhub")
    hub.enable_security_hub()
    try:
        # Someone else pins a stale list: the immediate check repairs it and names them
        account.set_thumbprints(provider.arn, [stale_thumbprint("e2e-outsider")])
        checked = function.invoke(change, environment, python)
        assert checked.error is None, f"{checked.error}\n{checked.logs}"
        assert checked.payload["change"]["outside_tool"] is True
        assert set(provider.live_thumbprints) <= set(account.thumbprints(provider.arn))
        [alert] = account.receive_alerts(inbox)
        assert outsider in alert.body
        kinds = sorted(event["detail-type"] for event in account.receive_events(routed))
        assert kinds == [FINDING_EVENT_DETAIL_TYPE, SUMMARY_EVENT_DETAIL_TYPE]
        found = [f for f in hub.get_findings()["Findings"] if f["Resources"][0]["Id"] == provider.arn]
        assert {f["RecordState"] for f in found} == {"ACTIVE"}
        problems = {f["ProductFields"][f"{SERVICE_NAME}/problem"] for f in found}
        assert problems == {"thumbprint_missing", "changed_outside_tool"}  # one finding per problem
        # The tool's own change starts nothing
        own = json.loads(json.dumps(change))
        own["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = role_arn
        ignored = function.invoke(own, environment, python)
        assert ignored.error is None, f"{ignored.error}\n{ignored.logs}"
        assert ignored.payload["checked"] is False
        # Config's periodic evaluation: PutEvaluations, which moto lacks outside TestMode, kept by the proxy
        with FaultProxy(account.endpoint_url) as proxy:
            proxy.keep("PutEvaluations", {"FailedEvaluations": []})
            scheduled = '{"messageType": "ScheduledNotification", "notificationCreationTime": "2026-12-01T10:00:00Z"}'
            event = {"invokingEvent": scheduled, "resultToken": "e2e-token", "configRuleName": "oidc", "version": "1.0"}
            evaluated = function.invoke(event, {**environment, "AWS_ENDPOINT_URL": proxy.url}, python)
            assert evaluated.error is None, f"{evaluated.error}\n{evaluated.logs}"
            [call] = proxy.kept("PutEvaluations")
        assert isinstance(call, dict)
        assert call["ResultToken"] == "e2e-token"
        assert {e["ComplianceType"] for e in call["Evaluations"]} == {"COMPLIANT"}  # all fixed by now
    finally:
        hub.disable_security_hub()
        account.remove_event_route("e2e-oidc", routed)


@contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        timings[phase] = time.monotonic() - started


def _subscribe_queue(account: EmulatedAccount, topic_arn: str) -> str:
    """A queue subscribed to the deployed topic, to read what an e-mail subscriber would receive."""
    sqs = account.client("sqs")
    queue_url = str(sqs.create_queue(QueueName=f"e2e-alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"])
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    account.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return queue_url


def _scheduled_event(rule_arn: str) -> dict[str, Any]:
    """What the EventBridge rule sends."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


def _assert_the_role_is_denied_what_it_was_not_granted(
    account: EmulatedAccount, credentials: RoleCredentials, other_topic_arn: str
) -> None:
    """Enforcement is real: the role's credentials cannot do what its policies do not allow."""
    iam, sns = credentials.client(account, "iam"), credentials.client(account, "sns")
    denied: dict[str, Callable[[], object]] = {
        "iam:CreateOpenIDConnectProvider": lambda: iam.create_open_id_connect_provider(
            Url="https://denied.example", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["0" * 40]
        ),
        "sns:Publish to another topic": lambda: sns.publish(TopicArn=other_topic_arn, Message="denied"),
        "the emulator's dummy credentials": lambda: account.client("iam").list_open_id_connect_providers(),
    }
    for what, call in denied.items():
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] in ("AccessDenied", "InvalidClientTokenId"), what


def _assert_the_role_may_only_get_and_put_history_items(
    account: EmulatedAccount, credentials: RoleCredentials, table_name: str
) -> None:
    """The history grant works as deployed: one item read and put on its table, nothing else of DynamoDB."""
    dynamodb = credentials.client(account, "dynamodb")
    key = {"pk": {"S": "grant-check"}, "sk": {"S": "grant-check"}}
    dynamodb.put_item(TableName=table_name, Item={**key, "expires_at": {"N": "0"}})
    assert dynamodb.get_item(TableName=table_name, Key=key)["Item"]["pk"] == {"S": "grant-check"}
    denied: dict[str, Callable[[], object]] = {
        "dynamodb:DeleteItem": lambda: dynamodb.delete_item(TableName=table_name, Key=key),
        "dynamodb:Scan": lambda: dynamodb.scan(TableName=table_name),
        "dynamodb:GetItem on another table": lambda: dynamodb.get_item(TableName=f"{table_name}-other", Key=key),
    }
    for what, call in denied.items():
        with pytest.raises(ClientError) as raised:
            call()
        # moto answers DynamoDB's JSON protocol with its generic access-denied body: botocore sees only the 403.
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, what


def _assert_ran_from_the_package_only(invocation: Invocation, function: DeployedFunction) -> None:
    """Everything but the standard library came from the package, and the SDK from the runtime's directory."""
    assert not [entry for entry in invocation.sys_path if "site-packages" in entry]
    outside = loaded_from_elsewhere(invocation, function.task_root, function.runtime_dir, Path(invocation.stdlib))
    assert outside == {}, f"loaded from outside the package, the SDK and the standard library: {outside}"
    for name in PACKAGED_MODULES:
        assert str(invocation.modules[name]).startswith(f"{function.task_root}/"), name
    for name in RUNTIME_MODULES:
        assert str(invocation.modules[name]).startswith(f"{function.runtime_dir}/"), name


def _stack_names(account: EmulatedAccount) -> list[str]:
    return [stack["StackName"] for stack in account.client("cloudformation").describe_stacks()["Stacks"]]


def _outcomes(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {finding["arn"]: (finding["status"], finding["action"]) for finding in report["findings"]}


def _finding(report: dict[str, Any], provider: Provider) -> dict[str, Any]:
    return next(finding for finding in report["findings"] if finding["arn"] == provider.arn)


def _still_exists(account: EmulatedAccount, resource_type: str, physical_id: str) -> bool:  # noqa: C901 - one lookup per resource type the stack creates
    if resource_type == "AWS::Lambda::Function":
        return physical_id in [f["FunctionName"] for f in account.client("lambda").list_functions()["Functions"]]
    if resource_type == "AWS::IAM::Role":
        return physical_id in [r["RoleName"] for r in account.client("iam").list_roles()["Roles"]]
    if resource_type == "AWS::Events::Rule":
        return physical_id in [r["Name"] for r in account.client("events").list_rules()["Rules"]]
    if resource_type == "AWS::Logs::LogGroup":
        groups = account.client("logs").describe_log_groups(logGroupNamePrefix=physical_id)["logGroups"]
        return physical_id in [group["logGroupName"] for group in groups]
    if resource_type == "AWS::SNS::Topic":
        return physical_id in [t["TopicArn"] for t in account.client("sns").list_topics()["Topics"]]
    if resource_type == "AWS::CloudWatch::Alarm":
        return bool(account.client("cloudwatch").describe_alarms(AlarmNames=[physical_id])["MetricAlarms"])
    if resource_type == "AWS::CloudWatch::Dashboard":
        entries = account.client("cloudwatch").list_dashboards()["DashboardEntries"]
        return physical_id in [entry["DashboardName"] for entry in entries]
    if resource_type == "AWS::SQS::Queue":
        return physical_id in account.client("sqs").list_queues().get("QueueUrls", [])
    if resource_type == "AWS::DynamoDB::Table":
        return physical_id in account.client("dynamodb").list_tables()["TableNames"]
    if resource_type == "AWS::KMS::Key":
        try:
            state = account.client("kms").describe_key(KeyId=physical_id)["KeyMetadata"]["KeyState"]
        except ClientError:
            return False
        return bool(state != "PendingDeletion")  # as in AWS: scheduled for deletion, after the stack's pending window
    raise AssertionError(f"no check that a {resource_type} is gone: add one")
