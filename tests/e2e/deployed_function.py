"""The function as the emulated Lambda service holds it, run the way the Lambda runtime would run it.

The runtime gives a function its unpacked package at /var/task, the AWS SDK, the variables it
deploys with and its own (LAMBDA_TASK_ROOT, _HANDLER, AWS_LAMBDA_FUNCTION_NAME, ...), and the
credentials of its role. Here: the package fetched from the emulator and unpacked into a temporary
directory, boto3 and its dependencies linked from this venv into another, and a fresh interpreter
(`-I -S`: no site-packages) running `lambda_runtime.py`. Deployed values naming a file under
/var/task are mapped to the same file in the unpacked package.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
import platform
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

import boto3

from infra.bundling import TASK_ROOT
from sandbox.aws import REGION, EmulatedAccount
from sandbox.report_schema import validate_handler_output
from tests.e2e.cdk_cli import staging_bucket

RUNTIME_SCRIPT: Final = Path(__file__).with_name("lambda_runtime.py")
LAMBDA_PYTHON: Final = (3, 13)
# What the python3.13 runtime puts on the path besides the standard library: the AWS SDK and its imports.
RUNTIME_PACKAGES: Final = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Lambda's architecture names for the machines an x86_64 or arm64 package can run on.
_ARCHITECTURES: Final = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str | None:
    """The function architecture whose package this machine can run, if any."""
    return _ARCHITECTURES.get(platform.machine().lower()) if sys.platform == "linux" else None


def lambda_python() -> str | None:
    """A Python of the runtime's version: the package's compiled wheels are built for it."""
    if sys.version_info[:2] == LAMBDA_PYTHON:
        return sys.executable
    return shutil.which("python{}.{}".format(*LAMBDA_PYTHON))


@dataclass(frozen=True)
class Invocation:
    """What one invocation returned, and where the process found each top-level module."""

    payload: Any
    error: dict[str, Any] | None
    modules: dict[str, str | None]
    sys_path: list[str]
    stdlib: str  # the interpreter's standard library directory
    logs: str


@dataclass(frozen=True)
class RoleCredentials:
    """A session of the function's role."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    @classmethod
    def assume(cls, account: EmulatedAccount, role_arn: str, session_name: str) -> RoleCredentials:
        """The role's session credentials, as the Lambda service obtains them for the function (STS AssumeRole)."""
        credentials = account.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return cls(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])

    def client(self, account: EmulatedAccount, service: str) -> Any:
        return boto3.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=self.session_token,
            region_name=REGION,
        ).client(service, endpoint_url=account.endpoint_url)  # type: ignore[call-overload]


class DeployedFunction:
    """GetFunction's configuration and code package, unpacked, and a way to invoke it."""

    def __init__(self, account: EmulatedAccount, function_name: str, workdir: Path) -> None:
        self._account = account
        function = account.client("lambda").get_function(FunctionName=function_name)
        self.configuration: dict[str, Any] = function["Configuration"]
        self.code_location: str = function["Code"]["Location"]
        self.package = fetch_package(account, self.code_location, self.configuration["CodeSha256"])
        self.task_root = workdir / "task"
        with zipfile.ZipFile(io.BytesIO(self.package)) as package:
            package.extractall(self.task_root)
        self.runtime_dir = provide_runtime_sdk(workdir / "runtime")
        self._workdir = workdir

    @property
    def deployed_environment(self) -> dict[str, str]:
        return dict(self.configuration.get("Environment", {}).get("Variables", {}))

    def local_path(self, deployed_path: str) -> Path:
        """Where a file the function sees under /var/task is in the unpacked package."""
        if not deployed_path.startswith(f"{TASK_ROOT}/"):
            raise ValueError(f"{deployed_path!r} is not under {TASK_ROOT}")
        return self.task_root / deployed_path.removeprefix(f"{TASK_ROOT}/")

    def runtime_environment(
        self, credentials: RoleCredentials, system_trust_store: Path, endpoint_url: str
    ) -> dict[str, str]:
        """The variables the runtime would set, the deployed ones, and what only the emulation needs."""
        configuration = self.configuration
        name = configuration["FunctionName"]
        deployed = {
            variable: str(self.local_path(value)) if value.startswith(f"{TASK_ROOT}/") else value
            for variable, value in self.deployed_environment.items()
        }
        log_group = configuration.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{name}"
        return {
            **deployed,
            # Set by the Lambda runtime
            "_HANDLER": configuration["Handler"],
            "LAMBDA_TASK_ROOT": str(self.task_root),
            "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{configuration['Runtime']}",
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": configuration.get("Version", "$LATEST"),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration["MemorySize"]),
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": f"e2e/[$LATEST]{uuid.uuid4().hex}",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_SESSION_TOKEN": credentials.session_token,
            # Active tracing hands each invocation a trace header; an unsampled one sends no segment.
            "_X_AMZN_TRACE_ID": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};"
            "Sampled=0",
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self._workdir),
            # Only for the emulation: the emulator's endpoint, and the sandbox's public root as the system store
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_CONFIG_FILE": str(self._workdir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self._workdir / "no-aws-credentials"),
            "SSL_CERT_FILE": str(system_trust_store),
        }

    def invoke(self, event: Any, environment: Mapping[str, str], python: str) -> Invocation:
        """One invocation in a fresh interpreter that sees only the package, the SDK and the standard library."""
        invocation_file = self._workdir / f"invocation-{uuid.uuid4().hex}.json"
        result_file = invocation_file.with_suffix(".result.json")
        invocation_file.write_text(
            json.dumps(
                {
                    "event": event,
                    "invoked_function_arn": self.configuration["FunctionArn"],
                    "timeout_seconds": self.configuration["Timeout"],
                }
            )
        )
        process = subprocess.run(
            [python, "-I", "-S", str(RUNTIME_SCRIPT), str(invocation_file), str(result_file)],
            cwd=self.task_root,
            env=dict(environment),
            capture_output=True,
            text=True,
            check=False,
            timeout=int(self.configuration["Timeout"]) + 30,
        )
        logs = f"{process.stdout}\n{process.stderr}"
        if process.returncode != 0 or not result_file.exists():
            raise AssertionError(f"the runtime process failed with exit code {process.returncode}:\n{logs}")
        outcome = json.loads(result_file.read_text())
        if outcome.get("payload") is not None:  # what the deployed package returned is the contract, too
            validate_handler_output(outcome["payload"])
        return Invocation(
            outcome.get("payload"),
            outcome.get("error"),
            outcome["modules"],
            outcome["sys_path"],
            outcome["stdlib"],
            logs,
        )


def fetch_package(account: EmulatedAccount, code_location: str, code_sha256: str) -> bytes:
    """The package GetFunction's code location names, checked against the function's CodeSha256.

    The location moto returns names AWS's own bucket (awslambda-<region>-tasks), which is not emulated;
    its key is the S3 key the function was created from, in the CDK staging bucket.
    """
    key = urlparse(code_location).path.lstrip("/")
    bucket = staging_bucket(account)
    assert bucket is not None, "the account is not bootstrapped"
    package = account.client("s3").get_object(Bucket=bucket, Key=key)
    content: bytes = package["Body"].read()
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    if digest != code_sha256:
        raise AssertionError(f"s3 key {key}: SHA-256 {digest}, but the function's CodeSha256 is {code_sha256}")
    return content


def provide_runtime_sdk(directory: Path) -> Path:
    """A directory holding only what the runtime provides besides the standard library, linked from this venv."""
    directory.mkdir(parents=True)
    for name in RUNTIME_PACKAGES:
        origin = importlib.import_module(name).__file__
        assert origin is not None, f"{name} has no file"
        source = Path(origin)
        source = source.parent if source.name == "__init__.py" else source
        (directory / source.name).symlink_to(source, target_is_directory=source.is_dir())
    return directory


def loaded_from_elsewhere(invocation: Invocation, *roots: Path) -> dict[str, str]:
    """Top-level modules the invocation loaded from outside `roots`, the runtime script aside: name → file."""
    prefixes = tuple(f"{root}/" for root in roots)
    return {
        name: file
        for name, file in invocation.modules.items()
        if file is not None and file != str(RUNTIME_SCRIPT) and not file.startswith(prefixes)
    }
