"""What an invocation asks for: the scheduled event or a manual payload, validated before any call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from thumbprint_remediator.contract import NOTIFY_CHOICES
from thumbprint_remediator.errors import RequestError

MANUAL_KEYS = frozenset({"dry_run", "providers", "notify"})
MAX_PROVIDERS_PER_REQUEST = 1000
_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/(?P<url>\S+)$")
# host[:port][/path]; IPv6 in brackets. Deliberately strict: anything else is a typo worth reporting.
_PROVIDER_URL = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:/[^\s?#]*)?$")
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


def parse_event(event: Any) -> SweepRequest:
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
    if errors:
        raise RequestError("invalid payload: " + "; ".join(errors))
    return SweepRequest(source="manual", dry_run=dry_run, providers=providers, notify=notify)


def provider_key(identifier: str) -> str:
    """The comparable form of a provider ARN or URL: its URL, without scheme or trailing slash."""
    match = _PROVIDER_ARN.match(identifier)
    url = match.group("url") if match else identifier
    return _strip_url(url).lower()


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
        text = item.strip()
        if _PROVIDER_ARN.match(text):
            parsed.append(text)
        elif _PROVIDER_URL.match(_strip_url(text)):
            parsed.append(_strip_url(text))
        else:
            errors.append(f"{item!r} is neither an OIDC provider ARN nor a provider URL")
    return tuple(dict.fromkeys(parsed))


def _strip_url(url: str) -> str:
    text = url.strip()
    if text.lower().startswith("https://"):
        text = text[len("https://") :]
    return text.rstrip("/")
