"""The history table adapter: one DynamoDB item per provider, read before a sweep, written after it.

The record itself (memory.HistoryRecord) is a pure value; this module only stores it as JSON under the
contract's key schema, with a `version` number that makes every write conditional, and `expires_at` (TTL).
"""

from __future__ import annotations

import json
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.contract.names import HISTORY_PARTITION_KEY, HISTORY_SORT_KEY, HISTORY_TTL_ATTRIBUTE
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import HistoryUnavailable
from thumbprint_remediator.domain.memory import HistoryRecord, record_from_dict

# What this adapter calls (the contract collects it for infra): one item per provider, read then conditionally
# written, on the history table only.
PERMISSIONS: Final = (Permissions(actions=("dynamodb:GetItem", "dynamodb:PutItem"), resource="history-table"),)
# The one sort key of a provider's item: its current state (timeline entries live inside it, capped).
STATE_SORT_KEY: Final = "state"
# DynamoDB refuses items over 400 KB; ours stay far below, and a record that would not is refused before sending.
MAX_RECORD_BYTES: Final = 64 * 1024
# A record no sweep has touched for this long expires (the provider was deleted or left the sweep).
RECORD_TTL_DAYS: Final = 400


def partition_key(arn: str) -> str:
    return f"provider#{arn}"


class HistoryTable:
    """Reads and conditionally writes providers' history records in one table."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self._client = client

    def load(self, arn: str) -> HistoryRecord | None:
        """The provider's record, or None when it has none yet. Raises HistoryUnavailable."""
        try:
            answer = self._client.get_item(
                TableName=self.table_name,
                Key=self._key(arn),
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(arn, _reason(error)) from error
        item = answer.get("Item")
        if item is None:
            return None
        try:
            version = int(item["version"]["N"])
        except (KeyError, TypeError, ValueError) as error:
            raise HistoryUnavailable(arn, f"corrupt history item: no version: {error}") from error
        try:
            raw = item["record"]["S"]
            if len(raw.encode()) > MAX_RECORD_BYTES:
                raise ValueError(f"record of {len(raw.encode())} bytes exceeds {MAX_RECORD_BYTES}")
            record = record_from_dict(json.loads(raw), version=version)
        except (KeyError, TypeError, ValueError) as error:
            raise HistoryUnavailable(arn, f"corrupt history item: {type(error).__name__}: {error}", version) from error
        if record.arn != arn:
            raise HistoryUnavailable(arn, "corrupt history item: it names another provider", version)
        return record

    def save(self, record: HistoryRecord, expected_version: int | None) -> int:
        """Write `record` if the stored version is still `expected_version` (None: no item yet); return the
        new version. A lost condition (another sweep wrote first) raises HistoryUnavailable: nothing is merged."""
        raw = json.dumps(record.to_dict(), separators=(",", ":"), sort_keys=True)
        if len(raw.encode()) > MAX_RECORD_BYTES:
            raise HistoryUnavailable(record.arn, f"record of {len(raw.encode())} bytes exceeds {MAX_RECORD_BYTES}")
        new_version = (expected_version or 0) + 1
        expires_at = int(record.last_seen.timestamp()) + RECORD_TTL_DAYS * 86400
        item = {
            **self._key(record.arn),
            "version": {"N": str(new_version)},
            "record": {"S": raw},
            HISTORY_TTL_ATTRIBUTE: {"N": str(expires_at)},
        }
        if expected_version is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(#pk)"}
            condition["ExpressionAttributeNames"] = {"#pk": HISTORY_PARTITION_KEY}
        else:
            condition = {
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        try:
            self._client.put_item(TableName=self.table_name, Item=item, **condition)
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(record.arn, _reason(error)) from error
        return new_version

    def _key(self, arn: str) -> dict[str, dict[str, str]]:
        return {
            HISTORY_PARTITION_KEY: {"S": partition_key(arn)},
            HISTORY_SORT_KEY: {"S": STATE_SORT_KEY},
        }


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code == "ConditionalCheckFailedException":
            return "another sweep wrote this provider's history first (conditional check lost)"
        return f"{code}: {error.response.get('Error', {}).get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"
