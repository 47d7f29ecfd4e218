"""The pinned CDK CLI pointed at the emulated account, and what its CloudFormation made of the stack."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.application import STACK_NAME
from sandbox.aws import ACCOUNT_ID, REGION, EmulatedAccount

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The binary `npx cdk` runs; called by path so that bootstrap can run outside the project (below).
CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
BOOTSTRAP_STACK = "CDKToolkit"
CLI_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class StackResource:
    """One resource as CloudFormation lists it; moto lists the ones it skipped without ids."""

    logical_id: str
    type: str
    physical_id: str


class CdkCli:
    """`cdk bootstrap`, `deploy` and `destroy` against the emulator: its endpoint, its dummy credentials."""

    def __init__(self, account: EmulatedAccount, workdir: Path, context: Mapping[str, str]) -> None:
        self._account = account
        self._workdir = workdir
        self._context = dict(context)

    def environment(self) -> dict[str, str]:
        """This environment without any AWS or CDK setting of the host, pointed at the emulator."""
        inherited = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "CDK_"))}
        return {
            **inherited,
            **self._account.environment(),
            # No profile or credential file of the host: the emulator's dummy credentials only.
            "AWS_CONFIG_FILE": str(self._workdir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self._workdir / "no-aws-credentials"),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            # Telemetry and notices are fetched from AWS; nothing may leave the machine.
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "CDK_DISABLE_VERSION_CHECK": "1",
            "npm_config_update_notifier": "false",
        }

    def bootstrap(self) -> str:
        # From a directory without cdk.json: bootstrapping needs no app, so ours is synthesized (and bundled) once.
        return self._run("bootstrap", f"aws://{ACCOUNT_ID}/{REGION}", cwd=self._workdir)

    def deploy(self, outdir: Path) -> str:
        return self._run("deploy", STACK_NAME, "--require-approval", "never", "--output", str(outdir), *self._flags())

    def destroy(self, outdir: Path) -> str:
        return self._run("destroy", STACK_NAME, "--force", "--output", str(outdir), *self._flags())

    def _flags(self) -> list[str]:
        return [flag for key, value in self._context.items() for flag in ("--context", f"{key}={value}")]

    def _run(self, *arguments: str, cwd: Path = PROJECT_ROOT) -> str:
        command = [str(CDK), *arguments, "--no-notices"]
        result = subprocess.run(
            command,
            cwd=cwd,
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
            timeout=CLI_TIMEOUT_SECONDS,
        )
        output = f"{result.stdout}\n{result.stderr}"
        if result.returncode != 0:
            raise AssertionError(f"cdk {arguments[0]} failed with exit code {result.returncode}:\n{output}")
        return output


def stack_resources(account: EmulatedAccount, stack_name: str = STACK_NAME) -> list[StackResource]:
    cloudformation = account.client("cloudformation")
    summaries: list[dict[str, Any]] = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        summaries.extend(page["StackResourceSummaries"])
    return [
        StackResource(
            item.get("LogicalResourceId", ""), item.get("ResourceType", ""), item.get("PhysicalResourceId", "")
        )
        for item in summaries
    ]


def skipped_by_emulator(template: Mapping[str, Any], created: list[StackResource]) -> dict[str, str]:
    """Logical id → type of the template's resources the emulator's CloudFormation did not create."""
    created_ids = {resource.logical_id for resource in created}
    return {
        logical_id: resource["Type"]
        for logical_id, resource in template["Resources"].items()
        if logical_id not in created_ids
    }


def physical_ids(created: list[StackResource]) -> dict[str, list[str]]:
    """Resource type → the physical ids the emulator's CloudFormation created for it."""
    by_type: dict[str, list[str]] = {}
    for resource in created:
        if resource.logical_id:
            by_type.setdefault(resource.type, []).append(resource.physical_id)
    return by_type


def staging_bucket(account: EmulatedAccount) -> str | None:
    """The bucket `cdk deploy` uploads assets to, if the account is bootstrapped."""
    stacks = account.client("cloudformation").describe_stacks()["Stacks"]
    if BOOTSTRAP_STACK not in [stack["StackName"] for stack in stacks]:
        return None
    # Not DescribeStackResource: moto fails on it when the stack holds a type it skipped.
    buckets = [r.physical_id for r in stack_resources(account, BOOTSTRAP_STACK) if r.logical_id == "StagingBucket"]
    return buckets[0] if buckets else None


def remove_bootstrap(account: EmulatedAccount) -> None:
    """Delete the CDK bootstrap stack and its staging bucket (which the stack retains): the emulator as found."""
    bucket_name = staging_bucket(account)
    if bucket_name is None:
        return
    s3 = account.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket_name):
        for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=bucket_name, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket_name)
    account.client("cloudformation").delete_stack(StackName=BOOTSTRAP_STACK)
