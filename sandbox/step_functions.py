"""State machines executed locally: moto's Step Functions interpreter (its ASL engine, ported from LocalStack)
on the sandbox's moto server, with Lambda functions run in this process.

moto executes a definition only when told to (`execute_state_machine`), and its interpreter reaches the other
services through the server's port (`MOTO_PORT`). moto runs a Lambda function in Docker; here a function
registered with `LocalFunctions` runs in process instead, behind a lock, the way one Lambda execution
environment serves one invocation at a time. Its result, or its exception as Lambda reports an unhandled error
(`errorType`, `errorMessage`), goes back to the interpreter. Call these in the process that runs the emulator.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import traceback
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import LambdaFunction

from sandbox.aws import EmulatedAccount

LocalHandler = Callable[[Any], Any]
_ASSUMABLE_BY = {"lambda.amazonaws.com", "states.amazonaws.com"}


@dataclass
class Invocations:
    """What the local runtime saw: every payload, and how many invocations were in flight at most."""

    payloads: list[Any] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0


class LocalFunctions:
    """Lambda functions created in moto whose invocations run a Python callable in this process."""

    def __init__(self, account: EmulatedAccount) -> None:
        self._account = account
        self._handlers: dict[str, LocalHandler] = {}
        self._lock = threading.Lock()  # one execution environment: one invocation at a time
        self._count = threading.Lock()
        self.invocations = Invocations()

    def create(self, name: str, handler: LocalHandler) -> str:
        """Create `name` in moto and route its invocations to `handler`; returns the function ARN."""
        lambda_client = self._account.client("lambda")
        self._handlers[name] = handler
        try:
            return str(lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
        except lambda_client.exceptions.ResourceNotFoundException:
            pass
        role_arn = _service_role(self._account, f"{name}-role")
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("handler.py", "def lambda_handler(event, context):\n    raise NotImplementedError\n")
        function = lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role_arn,
            Handler="handler.lambda_handler",
            Code={"ZipFile": package.getvalue()},
            Timeout=900,
        )
        return str(function["FunctionArn"])

    @contextmanager
    def serving(self) -> Iterator[LocalFunctions]:
        """Route invocations of the registered functions here for the duration of the block."""
        docker_invoke = LambdaFunction._invoke_lambda
        functions = self

        def invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            handler = functions._handlers.get(self.function_name)
            if handler is None:
                return docker_invoke(self, event)
            return functions._run(handler, json.loads(event) if isinstance(event, str) else event)

        LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign]
        try:
            yield self
        finally:
            LambdaFunction._invoke_lambda = docker_invoke  # type: ignore[method-assign]

    def _run(self, handler: LocalHandler, event: Any) -> tuple[str, bool, str]:
        with self._count:
            self.invocations.payloads.append(event)
            self.invocations.in_flight += 1
            self.invocations.most_in_flight = max(self.invocations.most_in_flight, self.invocations.in_flight)
        try:
            with self._lock:
                result = handler(event)
            return json.dumps(result, default=str), False, ""
        except Exception as error:  # what Lambda reports for an unhandled error, errorType first
            error_type = getattr(error, "error_type", None) or type(error).__name__
            payload = {
                "errorType": error_type,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            return json.dumps(payload), True, ""
        finally:
            with self._count:
                self.invocations.in_flight -= 1


@dataclass(frozen=True)
class Execution:
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]


@contextmanager
def executing_state_machines(account: EmulatedAccount) -> Iterator[None]:
    """Make moto's server execute state machine definitions, reaching the other services on its own port."""
    previous_port = os.environ.get("MOTO_PORT")
    os.environ["MOTO_PORT"] = str(account.port)
    _set_config(account, execute=True)
    try:
        yield
    finally:
        _set_config(account, execute=False)
        if previous_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = previous_port


def run_state_machine(
    account: EmulatedAccount, name: str, definition: Mapping[str, Any], execution_input: Any, timeout: float = 120
) -> Execution:
    """Create the state machine, start one execution and wait for it to end."""
    stepfunctions = account.client("stepfunctions")
    machine_arn = stepfunctions.create_state_machine(
        name=name, definition=json.dumps(_as_moto_parses(definition)), roleArn=_service_role(account, f"{name}-role")
    )["stateMachineArn"]
    execution_arn = stepfunctions.start_execution(
        stateMachineArn=machine_arn, name=uuid.uuid4().hex, input=json.dumps(execution_input)
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        described = stepfunctions.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still running after {timeout} s")
        time.sleep(0.1)
    history: list[dict[str, Any]] = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        history.extend(page["events"])
    output = described.get("output")
    return Execution(
        status=described["status"],
        output=json.loads(output) if output else None,
        error=described.get("error"),
        cause=described.get("cause"),
        history=history,
    )


def _as_moto_parses(value: Any) -> Any:
    """The same definition, with a whole ToleratedFailurePercentage written as a decimal: moto's ASL grammar
    takes only its NUMBER token there (100.0), where Step Functions takes any number (100)."""
    if isinstance(value, Mapping):
        return {
            key: float(item) if key == "ToleratedFailurePercentage" and isinstance(item, int) else _as_moto_parses(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_as_moto_parses(item) for item in value]
    return value


def _service_role(account: EmulatedAccount, name: str) -> str:
    iam = account.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": sorted(_ASSUMABLE_BY)}, "Action": "sts:AssumeRole"}],
    }
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def _set_config(account: EmulatedAccount, *, execute: bool) -> None:
    request = urllib.request.Request(
        f"{account.endpoint_url}/moto-api/config",
        data=json.dumps({"stepfunctions": {"execute_state_machine": execute}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


# --- Distributed Map: what moto's interpreter leaves out ------------------------------------------------------
# moto 5.2.5 runs a Distributed Map: its ItemReader reads the work list from S3 (s3:getObject, ReaderConfig
# InputType JSON), its workers run each item as a child workflow at most MaxConcurrency at a time, and its
# ResultWriter (s3:putObject) returns {"MapRunArn", "ResultWriterDetails"} and writes manifest.json. But that
# manifest lists no result files, and none are written (a TODO in moto's result_writer/resource_eval_s3.py):
# the children's outputs are dropped. `writing_map_results` fills exactly that gap, writing the result files
# as Step Functions documents them: SUCCEEDED_0.json and FAILED_0.json, JSON arrays of child executions
# ({"ExecutionArn", "Input", "Output", "Status", ...}), listed in the manifest's ResultFiles with their Size.
# moto records no Error or Cause for a child that failed; such a child's entry says so.


@dataclass
class InterpreterCounters:
    """What one or more executions cost, as Step Functions bills and S3 counts them."""

    state_transitions: int = 0  # states entered, parent and child workflows alike
    largest_state_bytes: int = 0  # the largest input or output of any state, parent or child
    s3_get: int = 0
    s3_put: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def saw_state(self, entered: bool, size: int) -> None:
        with self._lock:
            self.state_transitions += int(entered)
            self.largest_state_bytes = max(self.largest_state_bytes, size)

    def saw_s3(self, put: bool) -> None:
        with self._lock:
            if put:
                self.s3_put += 1
            else:
                self.s3_get += 1


@contextmanager
def writing_map_results(counters: InterpreterCounters | None = None) -> Iterator[InterpreterCounters]:  # noqa: C901, PLR0915 - the patch of moto's interpreter and its counters belong in one place
    """Make the interpreter's ResultWriter write the children's results (see above); count transitions, the
    largest state and S3 requests, for the duration of the block. In the process that runs the emulator."""
    from moto.s3.responses import S3Response  # noqa: PLC0415 - moto's internals, only where the emulator runs
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (  # noqa: PLC0415
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (  # noqa: PLC0415
        resource_eval_s3 as writer,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager  # noqa: PLC0415

    counters = counters or InterpreterCounters()
    original_map_run = distributed.DistributedIterationComponent._map_run
    original_put = writer.ResourceEvalS3._handle_put_object
    original_add_event = EventManager.add_event
    # One call per GetObject or PutObject request the server answers, whoever sent it.
    original_get_object, original_put_object = S3Response.get_object, S3Response.put_object

    def map_run(self: Any, env: Any, eval_input: Any) -> None:
        items = list(env.stack[-1])
        original_map_run(self, env, eval_input)
        eval_input.map_run_record.sandbox_children = (items, list(env.stack[-1]))

    def put_results(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
        parameters = dict(env.stack[-1])
        record = env.map_run_record_pool_manager.get_all()[-1]
        items, outputs = getattr(record, "sandbox_children", ([], []))
        original_put(env, resource_runtime_part, state_credentials)
        key = env.stack[-1]["ResultWriterDetails"]["Key"]
        client = writer.ResourceEvalS3._get_s3_client(resource_runtime_part, state_credentials)
        manifest = json.loads(client.get_object(Bucket=parameters["Bucket"], Key=key)["Body"].read())
        files: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": []}
        for index, (item, output) in enumerate(zip(items, outputs, strict=False)):
            entry: dict[str, Any] = {
                "ExecutionArn": f"{record.map_run_arn.replace(':mapRun:', ':execution:')}:{index}",
                "Input": json.dumps(item),
                "InputDetails": {"Included": True},
                "Name": str(index),
                "RedriveCount": 0,
                "StateMachineArn": record.map_run_arn,
            }
            if output is None:
                entry.update(Status="FAILED", Error="Sandbox.ChildFailed", Cause="moto records no error for a child")
                files["FAILED"].append(entry)
            else:
                entry.update(Status="SUCCEEDED", Output=json.dumps(output), OutputDetails={"Included": True})
                files["SUCCEEDED"].append(entry)
        folder = key.rsplit("/", 1)[0]
        for status, entries in files.items():
            if not entries:
                continue
            body = json.dumps(entries).encode()
            file_key = f"{folder}/{status}_0.json"
            client.put_object(Bucket=parameters["Bucket"], Key=file_key, Body=body)
            manifest["ResultFiles"][status].append({"Key": file_key, "Size": len(body)})
        client.put_object(Bucket=parameters["Bucket"], Key=key, Body=json.dumps(manifest, indent=2).encode())

    def add_event(self: Any, context: Any, event_type: Any, event_details: Any = None, *args: Any, **kw: Any) -> int:
        name = str(getattr(event_type, "value", event_type))
        if name.endswith(("StateEntered", "StateExited")):
            details: dict[str, Any] = next(iter(event_details.values()), {}) if event_details else {}
            text = details.get("input") or details.get("output") or ""
            counters.saw_state(name.endswith("StateEntered"), len(str(text).encode()))
        return original_add_event(self, context, event_type, event_details, *args, **kw)

    def get_object(self: Any, *args: Any, **kw: Any) -> Any:
        counters.saw_s3(put=False)
        return original_get_object(self, *args, **kw)

    def put_object(self: Any, *args: Any, **kw: Any) -> Any:
        counters.saw_s3(put=True)
        return original_put_object(self, *args, **kw)

    distributed.DistributedIterationComponent._map_run = map_run  # type: ignore[method-assign]
    writer.ResourceEvalS3._handle_put_object = staticmethod(put_results)  # type: ignore[method-assign]
    EventManager.add_event = add_event  # type: ignore[method-assign]
    S3Response.get_object, S3Response.put_object = get_object, put_object  # type: ignore[method-assign]
    try:
        yield counters
    finally:
        distributed.DistributedIterationComponent._map_run = original_map_run  # type: ignore[method-assign]
        writer.ResourceEvalS3._handle_put_object = original_put  # type: ignore[method-assign]
        EventManager.add_event = original_add_event  # type: ignore[method-assign]
        S3Response.get_object, S3Response.put_object = original_get_object, original_put_object  # type: ignore[method-assign]
