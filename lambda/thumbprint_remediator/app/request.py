"""What an invocation asks for: the scheduled event, a manual payload, or one step of an organization sweep.

Everything is validated before any call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thumbprint_remediator.aws.cloudtrail import ChangeRequest, is_change_event, parse_change_event
from thumbprint_remediator.aws.config_rule import ConfigRuleRequest, is_config_rule_event, parse_config_rule_event
from thumbprint_remediator.contract.names import NOTIFY_CHOICES, REPORT_CHOICES
from thumbprint_remediator.contract.validators import (
    ACCOUNT_ID,
    ACCOUNT_ID_PATTERN,
    PARENT_ID,
    PARTITION_PATTERN,
    ROLE_ARN,
    ROLE_NAME,
    is_external_id,
    is_role_arn,
    without_https_scheme,
)
from thumbprint_remediator.domain.errors import RequestError

MANUAL_KEYS = frozenset(
    {"dry_run", "providers", "notify", "account_role_arn", "external_id", "report", "compact_bytes"}
)
# A compact report's size budget: from a few findings' worth up to a whole Step Functions state.
COMPACT_BYTES_RANGE = (256, 256 * 1024)
MAX_PROVIDERS_PER_REQUEST = 1000
# Every pattern is ASCII-only and used with fullmatch: no trailing newline, no non-ASCII digit or letter.
# The account, role and external id shapes are the contract's, which the stack checks its context with.
_ROLE_ARN = ROLE_ARN
# host[:port][/path]; IPv6 in brackets. Deliberately strict: anything else is a typo worth reporting.
_PROVIDER_URL_PATTERN = (
    r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?P<port>:[0-9]{1,5})?(?P<path>(?:/[!$&'()*+,;=:@%A-Za-z0-9._~-]*)*)"
)
_PROVIDER_URL = re.compile(_PROVIDER_URL_PATTERN)
_PROVIDER_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION_PATTERN}):iam::(?P<account>{ACCOUNT_ID_PATTERN}):oidc-provider/"
    rf"(?P<url>{_PROVIDER_URL_PATTERN})"
)
# Keys an EventBridge event carries (a rule's scheduled event, or Scheduler's default payload).
_EVENTBRIDGE_KEYS = frozenset(
    {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
)


@dataclass(frozen=True)
class SweepRequest:
    """A validated invocation. `None` means "use the deployed setting"."""

    source: str  # "schedule" | "manual"
    dry_run: bool | None = None
    providers: tuple[str, ...] | None = None  # ARNs or URLs (scheme stripped); None = all
    notify: str | None = None
    account_role_arn: str | None = None  # sweep the account of this role, through STS; None = own account
    external_id: str | None = None
    report: str = "full"  # "compact": only findings that need attention, without host and certificate detail
    compact_bytes: int | None = None  # a compact report's budget for findings; None = all that need attention

    @property
    def target_account(self) -> str | None:
        """The account named by `account_role_arn`, if any."""
        match = _ROLE_ARN.fullmatch(self.account_role_arn or "")
        return match.group("account") if match else None

    @property
    def target_partition(self) -> str | None:
        """The partition of `account_role_arn`, if any."""
        match = _ROLE_ARN.fullmatch(self.account_role_arn or "")
        return match.group("partition") if match else None


def parse_event(event: Any) -> SweepRequest:  # noqa: C901 - one check per payload key, all reported together
    """Validate the Lambda event. Raise RequestError with every problem found; call nothing."""
    if event is None or (isinstance(event, Mapping) and not event):
        return SweepRequest(source="schedule")
    if not isinstance(event, Mapping):
        raise RequestError(f"the payload must be a JSON object, got {type(event).__name__}")
    if event.get("source") in ("aws.events", "aws.scheduler") or "detail-type" in event:
        unknown_keys = set(event) - _EVENTBRIDGE_KEYS
        if unknown_keys:
            raise RequestError(f"unexpected keys in the scheduled event: {', '.join(sorted(unknown_keys))}")
        return SweepRequest(source="schedule")

    errors: list[str] = []
    unknown = sorted(str(key) for key in event if key not in MANUAL_KEYS)
    if unknown:
        errors.append(
            f"unknown key(s) {', '.join(repr(k) for k in unknown)}; allowed: {', '.join(sorted(MANUAL_KEYS))}"
        )
    dry_run = event.get("dry_run")
    if dry_run is not None and not isinstance(dry_run, bool):
        errors.append(f"'dry_run' must be true or false, got {dry_run!r}")
    notify = event.get("notify")
    if notify is not None and notify not in NOTIFY_CHOICES:
        errors.append(f"'notify' must be one of {', '.join(NOTIFY_CHOICES)}, got {notify!r}")
    providers = _parse_providers(event.get("providers"), errors)
    role_arn, external_id = _parse_role(event.get("account_role_arn"), event.get("external_id"), errors)
    report = event.get("report", "full")
    if report not in REPORT_CHOICES:
        errors.append(f"'report' must be one of {', '.join(REPORT_CHOICES)}, got {report!r}")
    compact_bytes = event.get("compact_bytes")
    low, high = COMPACT_BYTES_RANGE
    if compact_bytes is not None and (
        isinstance(compact_bytes, bool) or not isinstance(compact_bytes, int) or not low <= compact_bytes <= high
    ):
        errors.append(f"'compact_bytes' must be a whole number from {low} to {high}, got {compact_bytes!r}")
    elif compact_bytes is not None and report != "compact":
        errors.append("'compact_bytes' applies to 'report': 'compact' only")
    if errors:
        raise RequestError("invalid payload: " + "; ".join(errors))
    return SweepRequest(
        source="manual",
        dry_run=dry_run,
        providers=providers,
        notify=notify,
        account_role_arn=role_arn,
        external_id=external_id,
        report=report,
        compact_bytes=compact_bytes,
    )


def parse_role_arn(value: Any) -> str | None:
    """The role ARN if `value` is one (arn:<partition>:iam::<account>:role/<name>), else None."""
    return value if is_role_arn(value) else None


def parse_external_id(value: Any) -> str | None:
    """The external id if `value` is one STS accepts, else None."""
    return value if is_external_id(value) else None


def _parse_role(role_arn: Any, external_id: Any, errors: list[str]) -> tuple[str | None, str | None]:
    valid_arn = parse_role_arn(role_arn)
    if role_arn is not None and valid_arn is None:
        errors.append(
            f"'account_role_arn' must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {role_arn!r}"
        )
    if external_id is None:
        return valid_arn, None
    if role_arn is None:
        errors.append("'external_id' is given without 'account_role_arn'")
    valid_id = parse_external_id(external_id)
    if valid_id is None:
        errors.append(
            f"'external_id' must be 2 to 1224 characters of letters, digits and +=,.@:/-_, got {external_id!r}"
        )
    return valid_arn, valid_id


@dataclass(frozen=True)
class ProviderIdentity:
    """What names one provider exactly: its URL (host lowercased, port and path as written) and, for an ARN,
    the partition and account it lives in."""

    url: str
    partition: str | None = None
    account: str | None = None


def provider_identity(identifier: str) -> ProviderIdentity:
    """The exact identity of a provider ARN or URL (scheme and trailing slash dropped; only the host folds case)."""
    arn = _PROVIDER_ARN.fullmatch(identifier)
    if arn:
        return ProviderIdentity(_url_key(arn.group("url")), arn.group("partition"), arn.group("account"))
    return ProviderIdentity(_url_key(_strip_url(identifier)))


def provider_key(identifier: str) -> str:
    """The comparable form of a provider ARN's or URL's URL: host lowercased, port and path exactly as given."""
    return provider_identity(identifier).url


def _url_key(url: str) -> str:
    text = url.rstrip("/")
    match = _PROVIDER_URL.fullmatch(text)
    if match is None:  # not a URL we accept: compared verbatim, so it never matches another
        return text
    return match.group("host").lower() + (match.group("port") or "") + match.group("path")


def select_providers(arns: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """All of `arns`, or the ones `wanted` names; RequestError naming every one that matches none.

    A URL selects the provider with exactly that URL (only the host folds case); an ARN must also name the
    listed provider's partition and account. The sweep and the CLI select with this one rule.
    """
    if wanted is None:
        return list(arns)
    listed = {arn: provider_identity(arn) for arn in arns}
    selected: list[str] = []
    unknown: list[str] = []
    for identifier in wanted:
        identity = provider_identity(identifier)
        matches = [
            arn
            for arn, known in listed.items()
            if known.url == identity.url
            and (identity.account is None or identity.account == known.account)
            and (identity.partition is None or identity.partition == known.partition)
        ]
        if len(matches) == 1:
            selected.append(matches[0])
        else:  # none, or (only for odd listed ARNs) no single one: never guess
            unknown.append(identifier)
    if unknown:
        raise RequestError(f"no such OIDC provider in this account: {', '.join(unknown)}")
    return list(dict.fromkeys(selected))


def foreign_providers(request: SweepRequest, *, account: str | None, partition: str | None) -> list[str]:
    """The requested provider ARNs that belong to another account or partition than the swept one.

    The swept account is the member role's when the request names one, else the caller's (`account`,
    `partition`: the function's own, from its ARN). None means unknown: not checked.
    """
    if request.account_role_arn is not None:
        account, partition = request.target_account, request.target_partition
    foreign = []
    for identifier in request.providers or ():
        identity = provider_identity(identifier)
        if (identity.account is not None and account is not None and identity.account != account) or (
            identity.partition is not None and partition is not None and identity.partition != partition
        ):
            foreign.append(identifier)
    return foreign


def require_providers_in_scope(request: SweepRequest, *, account: str | None, partition: str | None) -> None:
    """Raise RequestError when a requested provider ARN names another account or partition; calls nothing."""
    foreign = foreign_providers(request, account=account, partition=partition)
    if foreign:
        swept = request.target_account if request.account_role_arn else account
        swept_partition = request.target_partition if request.account_role_arn else partition
        raise RequestError(
            f"invalid payload: provider ARN(s) of another account or partition than the swept one "
            f"({swept_partition or '?'}:{swept or '?'}): {', '.join(map(repr, foreign))}"
        )


def _parse_providers(value: Any, errors: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append("'providers' must be a list of provider ARNs or URLs")
        return None
    if not value:
        errors.append("'providers' is empty; omit it to sweep every provider")
        return None
    if len(value) > MAX_PROVIDERS_PER_REQUEST:
        errors.append(f"'providers' lists {len(value)} entries; at most {MAX_PROVIDERS_PER_REQUEST}")
        return None
    parsed = []
    for item in value:
        text = item  # exact: no whitespace is folded away
        if _PROVIDER_ARN.fullmatch(text.rstrip("/")):
            parsed.append(text.rstrip("/"))
        elif _PROVIDER_URL.fullmatch(_strip_url(text)):
            parsed.append(_strip_url(text))
        else:
            errors.append(f"{item!r} is neither an OIDC provider ARN nor a provider URL")
    return tuple(dict.fromkeys(parsed))


def _strip_url(url: str) -> str:
    return without_https_scheme(url).rstrip("/")


# --- Organization sweeps: the steps the state machine invokes ---------------------------------------------------
# Organizations IDs: a root (r-...) or an organizational unit (ou-<root part>-<ou part>).
_PARENT_ID = PARENT_ID
_ACCOUNT_ID = ACCOUNT_ID
_ROLE_NAME = ROLE_NAME
LIST_ACCOUNTS_KEYS = frozenset({"parents", "accounts", "role_name", "external_id", "store"})
AGGREGATE_KEYS = frozenset({"results", "not_swept", "execution", "notify", "store"})
# S3 bucket names (3-63 of a-z0-9.-), Step Functions execution names, and the keys this sweep writes and reads.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_EXECUTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_OBJECT_KEY = re.compile(r"[A-Za-z0-9_./-]{1,512}")
LIST_STORE_KEYS = frozenset({"bucket", "execution"})
AGGREGATE_STORE_KEYS = frozenset({"bucket", "execution", "manifest_key", "work_list_key", "not_swept_key"})
# Distributed Map runs at most 10,000 child workflows at once; no organization sweep holds more accounts.
MAX_ACCOUNTS_PER_REQUEST = 10_000


@dataclass(frozen=True)
class ListAccountsRequest:
    """`{"list_accounts": {...}}`: which accounts an organization sweep covers, and how to reach each."""

    parents: tuple[str, ...]  # roots or OUs; their whole subtree is swept
    role_name: str  # the member role the StackSet deploys in every account
    accounts: tuple[str, ...] | None = None  # only these accounts of the subtree; None = all of them
    external_id: str | None = None
    store: StoreLocation | None = None  # write the work list to S3 (the Distributed Map); None = return it inline


@dataclass(frozen=True)
class StoreLocation:
    """Where one execution's objects are: the stack's bucket, the execution's name, and for Aggregate the keys
    that ListAccounts and the ResultWriter wrote."""

    bucket: str
    execution: str
    manifest_key: str | None = None
    work_list_key: str | None = None
    not_swept_key: str | None = None


@dataclass(frozen=True)
class AggregateRequest:
    """`{"aggregate": {...}}`: every account's outcome, to be turned into one organization report and alert."""

    results: tuple[Mapping[str, Any], ...] = ()  # {"account_id", "name", "report"} or {"account_id", "name", "error"}
    not_swept: tuple[Mapping[str, Any], ...] = ()  # {"account_id", "name", "reason"}
    execution: str | None = None  # the state machine execution, to find it again
    notify: str | None = None
    store: StoreLocation | None = None  # read the results from S3 instead of `results`


Invocation = SweepRequest | ListAccountsRequest | AggregateRequest | ChangeRequest | ConfigRuleRequest


def parse_invocation(event: Any) -> Invocation:
    """Any payload the function accepts: a sweep (parse_event), or a step of an organization sweep."""
    if isinstance(event, Mapping) and "list_accounts" in event:
        return _parse_list_accounts(_only_key(event, "list_accounts"))
    if isinstance(event, Mapping) and "aggregate" in event:
        return _parse_aggregate(_only_key(event, "aggregate"))
    if is_change_event(event):  # CloudTrail's change events (or a foreign event: rejected there)
        return parse_change_event(event)
    if is_config_rule_event(event):
        return parse_config_rule_event(event)
    return parse_event(event)


def _only_key(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    others = sorted(str(other) for other in event if other != key)
    if others:
        raise RequestError(f"invalid payload: {key!r} takes no sibling keys, got {', '.join(map(repr, others))}")
    body = event[key]
    if not isinstance(body, Mapping):
        raise RequestError(f"invalid payload: {key!r} must be a JSON object")
    return body


def _unknown_keys(body: Mapping[str, Any], allowed: frozenset[str], errors: list[str]) -> None:
    unknown = sorted(str(key) for key in body if key not in allowed)
    if unknown:
        errors.append(f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}")


def _id_list(
    body: Mapping[str, Any], key: str, pattern: re.Pattern[str], what: str, errors: list[str]
) -> tuple[str, ...]:
    value = body.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        errors.append(f"'{key}' must be a non-empty list of {what}")
        return ()
    if len(value) > MAX_ACCOUNTS_PER_REQUEST:
        errors.append(f"'{key}' lists {len(value)} entries; at most {MAX_ACCOUNTS_PER_REQUEST}")
        return ()
    bad = [item for item in value if not pattern.fullmatch(item)]
    if bad:
        errors.append(f"'{key}': not {what}: {', '.join(map(repr, bad[:5]))}")
    return tuple(dict.fromkeys(value))


def _parse_list_accounts(body: Mapping[str, Any]) -> ListAccountsRequest:
    errors: list[str] = []
    _unknown_keys(body, LIST_ACCOUNTS_KEYS, errors)
    parents = _id_list(body, "parents", _PARENT_ID, "root or OU ids (r-..., ou-...)", errors)
    accounts = _id_list(body, "accounts", _ACCOUNT_ID, "12-digit account ids", errors) if "accounts" in body else None
    role_name = body.get("role_name")
    if not isinstance(role_name, str) or not _ROLE_NAME.fullmatch(role_name):
        errors.append(f"'role_name' must be an IAM role name, got {role_name!r}")
    external_id = body.get("external_id")
    if external_id is not None and parse_external_id(external_id) is None:
        errors.append(
            f"'external_id' must be 2 to 1224 characters of letters, digits and +=,.@:/-_, got {external_id!r}"
        )
    store = _parse_store(body["store"], LIST_STORE_KEYS, errors) if "store" in body else None
    if errors:
        raise RequestError("invalid list_accounts payload: " + "; ".join(errors))
    return ListAccountsRequest(
        parents=parents, role_name=str(role_name), accounts=accounts, external_id=external_id, store=store
    )


def _parse_aggregate(body: Mapping[str, Any]) -> AggregateRequest:
    errors: list[str] = []
    _unknown_keys(body, AGGREGATE_KEYS, errors)
    store = _parse_store(body["store"], AGGREGATE_STORE_KEYS, errors) if "store" in body else None
    if store is not None and ("results" in body or "not_swept" in body):
        errors.append("'store' replaces 'results' and 'not_swept': give one or the other")
    if store is not None and store.manifest_key is None:
        errors.append("'store' must name the 'manifest_key' the Distributed Map's ResultWriter wrote")
    results = () if store else _outcomes(body.get("results"), "results", ("report", "error"), errors)
    not_swept = () if store else _outcomes(body.get("not_swept", []), "not_swept", ("reason",), errors)
    execution = body.get("execution")
    if execution is not None and not isinstance(execution, str):
        errors.append(f"'execution' must be a string, got {execution!r}")
    notify = body.get("notify")
    if notify is not None and notify not in NOTIFY_CHOICES:
        errors.append(f"'notify' must be one of {', '.join(NOTIFY_CHOICES)}, got {notify!r}")
    if errors:
        raise RequestError("invalid aggregate payload: " + "; ".join(errors))
    return AggregateRequest(results=results, not_swept=not_swept, execution=execution, notify=notify, store=store)


def _parse_store(value: Any, allowed: frozenset[str], errors: list[str]) -> StoreLocation | None:
    """`{"bucket", "execution", ...keys}`: the bucket name, the execution's name, object keys, each checked."""
    if not isinstance(value, Mapping):
        errors.append("'store' must be a JSON object")
        return None
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        errors.append(f"'store': unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}")
    checks = {"bucket": (_BUCKET, "an S3 bucket name"), "execution": (_EXECUTION_NAME, "an execution name")}
    fields: dict[str, str | None] = {}
    for key in sorted(allowed):
        pattern, what = checks.get(key, (_OBJECT_KEY, "an object key of [A-Za-z0-9_./-]"))
        item = value.get(key)
        if item is None and key not in checks:
            fields[key] = None
        elif not isinstance(item, str) or not pattern.fullmatch(item) or ".." in item:
            errors.append(f"'store.{key}' must be {what}, got {item!r}")
            fields[key] = None
        else:
            fields[key] = item
    if fields.get("bucket") is None or fields.get("execution") is None:
        return None
    return StoreLocation(
        bucket=str(fields["bucket"]),
        execution=str(fields["execution"]),
        manifest_key=fields.get("manifest_key"),
        work_list_key=fields.get("work_list_key"),
        not_swept_key=fields.get("not_swept_key"),
    )


def _outcomes(value: Any, key: str, one_of: tuple[str, ...], errors: list[str]) -> tuple[Mapping[str, Any], ...]:
    """Per-account objects: a 12-digit `account_id` and exactly one of `one_of` (an object, or a reason string)."""
    if not isinstance(value, list) or len(value) > MAX_ACCOUNTS_PER_REQUEST:
        errors.append(f"'{key}' must be a list of at most {MAX_ACCOUNTS_PER_REQUEST} per-account objects")
        return ()
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or not _ACCOUNT_ID.fullmatch(str(item.get("account_id", ""))):
            errors.append(f"'{key}'[{index}] must be an object with a 12-digit 'account_id'")
            continue
        present = [name for name in one_of if name in item]
        expected = str if present == ["reason"] else Mapping
        if len(present) != 1 or not isinstance(item[present[0]], expected):
            errors.append(f"'{key}'[{index}] ({item['account_id']}) must hold exactly one of {', '.join(one_of)}")
    return tuple(value)
