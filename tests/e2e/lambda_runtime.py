"""A stand-in for the Lambda Python runtime: one invocation of a deployed handler, in this process.

Run it as `python -I -S lambda_runtime.py INVOCATION_JSON RESULT_JSON`: no site-packages, no
PYTHONPATH, not even this file's directory on the path. Like the runtime it reads `LAMBDA_TASK_ROOT`
(the unpacked deployment package), `LAMBDA_RUNTIME_DIR` (where the runtime's AWS SDK lives) and
`_HANDLER` from the environment, imports the handler's module from the task root and calls it with
the event and a context. The result file receives what Invoke would return (the payload, or the
runtime's error document) and the file each top-level module was loaded from. Standard library only.

With E2E_AWS_CALL_LOG set (by the test, never by the stack), every call the package's AWS clients make is
appended to that file, as sandbox/aws_calls.py records them in process: through the package's own client factory.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

CALL_LOG_VARIABLE = "E2E_AWS_CALL_LOG"


class LambdaContext:
    """The context object the runtime passes, from the variables it sets and the invocation."""

    def __init__(self, invoked_function_arn: str, timeout_seconds: float) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def record_calls(path: str) -> None:
    """Append each call of every client the package's factory builds to `path`, one JSON object a line."""
    from thumbprint_remediator.aws import clients  # noqa: PLC0415 - the package's own, from the task root

    lock = threading.Lock()

    def observe(service: str, client: Any, session: Any) -> None:
        credentials = session.get_credentials()
        access_key = credentials.access_key if credentials is not None else ""

        def record(model: Any, **_: Any) -> None:
            line = json.dumps({"access_key": access_key, "service": service, "operation": model.name})
            with lock, open(path, "a", encoding="utf-8") as log:
                log.write(line + "\n")

        client.meta.events.register("before-call", record)

    clients.CLIENT_OBSERVERS.append(observe)


def invoke(invocation: dict[str, Any]) -> dict[str, Any]:
    """Import the handler as the runtime does and call it once; errors become the runtime's error document."""
    sys.path[:0] = [os.environ["LAMBDA_TASK_ROOT"], os.environ["LAMBDA_RUNTIME_DIR"]]
    if os.environ.get(CALL_LOG_VARIABLE):
        record_calls(os.environ[CALL_LOG_VARIABLE])
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    context = LambdaContext(invocation["invoked_function_arn"], float(invocation["timeout_seconds"]))
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        return {"payload": handler(invocation["event"], context)}
    except Exception as error:  # reported as the runtime reports it, like any error of the handler
        return {
            "error": {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
        }


def main(invocation_path: str, result_path: str) -> int:
    outcome = invoke(json.loads(Path(invocation_path).read_text()))
    outcome["sys_path"] = list(sys.path)
    outcome["stdlib"] = str(Path(os.__file__).parent)
    outcome["modules"] = {
        name: getattr(module, "__file__", None) for name, module in sorted(sys.modules.items()) if "." not in name
    }
    Path(result_path).write_text(json.dumps(outcome, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
