"""The small taxonomy of domain errors. Each is raised `from` the low-level error it wraps."""

from __future__ import annotations

from typing import Any


class RemediatorError(Exception):
    """Base of every error this package raises on purpose."""


class SettingsError(RemediatorError):
    """An environment variable is missing or malformed; the message names it."""


class RequestError(RemediatorError):
    """The invocation payload is invalid; nothing was called or changed."""


class InventoryError(RemediatorError):
    """The account's OIDC providers could not be listed: no sweep is possible."""


class AccountAccessError(RemediatorError):
    """Another account's role could not be assumed (missing, trust denied, wrong external id). Becomes that
    account's finding in an organization sweep."""

    def __init__(self, role_arn: str, code: str, message: str) -> None:
        super().__init__(f"cannot assume {role_arn}: {message}")
        self.role_arn = role_arn
        self.code = code
        self.detail = message


class OrganizationError(RemediatorError):
    """The organization's accounts could not be listed: no organization sweep is possible."""


class ProviderReadError(RemediatorError):
    """One provider could not be read (deleted, access denied, ...). Becomes its finding."""

    def __init__(self, arn: str, code: str, message: str) -> None:
        super().__init__(f"{arn}: {code}: {message}")
        self.arn = arn
        self.code = code
        self.detail = message


class ProviderUpdateError(ProviderReadError):
    """Writing a provider's thumbprints failed. Becomes its finding (`update_failed`)."""


class ProviderUpdateUnknown(ProviderUpdateError):
    """The update was sent but IAM's answer never came (read timeout, connection lost): it may have landed."""


class WriteConflict(ProviderUpdateError):
    """IAM refused the update because someone else changed the provider at the same moment: re-read, re-merge."""


class Throttled(ProviderUpdateError):
    """IAM refused the update over its rate limit, before applying it: the same list may be sent again."""


class PublishError(RemediatorError):
    """SNS refused or could not be reached."""


class AlertDeliveryError(RemediatorError):
    """The alert could not be published. Carries the full report so nothing is lost."""

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report


class OutOfTimeError(RemediatorError):
    """A call was not sent: its worst case no longer fits before the invocation's end (clients.CallWindow)."""


class ChannelError(RemediatorError):
    """A channel beyond the e-mail (events, Security Hub, Config) refused or could not be reached."""

    def __init__(self, channel: str, message: str, code: str | None = None) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.code = code


class HistoryUnavailable(RemediatorError):
    """The provider's history could not be read or written (table missing, throttled, corrupt or oversized
    item, conditional check lost). The sweep goes on statelessly for that provider and says so."""

    def __init__(self, arn: str, message: str, damaged_version: int | None = None) -> None:
        super().__init__(f"{arn}: history unavailable: {message}")
        self.arn = arn
        self.detail = message
        # Set when the item was read but cannot be used: a fresh record may replace that very version.
        self.damaged_version = damaged_version
