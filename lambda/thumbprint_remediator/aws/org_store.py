"""The organization sweep's S3 adapter: the work list the Distributed Map reads, the accounts left out, the
results its ResultWriter wrote, and the stored organization report. Nothing written here is a credential."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import OrganizationError

# What this adapter calls (the contract collects it for infra): objects of the stack's bucket only. IAM names the
# actions of get_object and put_object after them (a HeadObject would need s3:GetObject too; none is sent).
PERMISSIONS: Final = (Permissions(actions=("s3:GetObject", "s3:PutObject"), resource="organization-objects"),)
WORK_LIST_PREFIX: Final = "work-lists/"
NOT_SWEPT_PREFIX: Final = "not-swept/"
REPORTS_PREFIX: Final = "reports/"
# The ResultWriter's result files: what the Map wrote; FAILED holds children that failed though tolerated.
RESULT_FILE_KINDS: Final = ("SUCCEEDED", "FAILED", "PENDING")
# No object read here is larger than this (a result file holds at most 10,000 children of at most 256 KB each,
# but ours are capped at a few KB each): a bigger one is refused rather than read into memory.
MAX_OBJECT_BYTES: Final = 512 * 1024 * 1024


class OrganizationStore:
    """Objects of one organization sweep in the stack's bucket, keyed by the execution's name."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def put_work_list(self, execution: str, items: Sequence[Mapping[str, Any]]) -> str:
        """The ItemReader's input: a JSON array, one item per account to sweep. Returns its key."""
        return self._put_json(f"{WORK_LIST_PREFIX}{execution}.json", list(items))

    def put_not_swept(self, execution: str, items: Sequence[Mapping[str, Any]]) -> str:
        return self._put_json(f"{NOT_SWEPT_PREFIX}{execution}.json", list(items))

    def put_report(self, execution: str, report: Mapping[str, Any]) -> str:
        """The full organization report; returns its key."""
        return self._put_json(f"{REPORTS_PREFIX}{execution}.json", report)

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def read_list(self, key: str) -> list[Mapping[str, Any]]:
        """A JSON array of objects written by this store."""
        value = self._get_json(key)
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise OrganizationError(f"{self.location(key)} is not a JSON array of objects")
        return value

    def map_run_entries(self, manifest_key: str) -> Iterator[Mapping[str, Any]]:
        """Every child workflow's entry in the result files the ResultWriter's manifest lists, one file at a time."""
        manifest = self._get_json(manifest_key)
        files = manifest.get("ResultFiles") if isinstance(manifest, Mapping) else None
        if not isinstance(files, Mapping):
            raise OrganizationError(f"{self.location(manifest_key)} is not a Distributed Map result manifest")
        for kind in RESULT_FILE_KINDS:
            for result_file in files.get(kind) or []:
                key = result_file.get("Key") if isinstance(result_file, Mapping) else None
                if not isinstance(key, str):
                    raise OrganizationError(f"{self.location(manifest_key)} lists a {kind} file without a key")
                entries = self._get_json(key)
                if not isinstance(entries, list):
                    raise OrganizationError(f"{self.location(key)} is not a JSON array of child results")
                for entry in entries:
                    if isinstance(entry, Mapping):
                        yield entry

    def _put_json(self, key: str, value: Any) -> str:
        body = json.dumps(value, separators=(",", ":"), default=str).encode()
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        except (ClientError, BotoCoreError) as error:
            raise OrganizationError(f"cannot write {self.location(key)}: {error}") from error
        return key

    def _get_json(self, key: str) -> Any:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
            if int(response.get("ContentLength") or 0) > MAX_OBJECT_BYTES:
                raise OrganizationError(f"{self.location(key)} is over {MAX_OBJECT_BYTES} bytes")
            body = response["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise OrganizationError(f"cannot read {self.location(key)}: {error}") from error
        try:
            return json.loads(body)
        except ValueError as error:
            raise OrganizationError(f"{self.location(key)} is not JSON: {error}") from error
