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
        name=name, definition=json.dumps(definition), roleArn=_service_role(account, f"{name}-role")
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
