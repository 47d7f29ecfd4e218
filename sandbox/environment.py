"""The whole sandbox: an emulated AWS account, local OIDC issuers, providers pointing at them, the alerts
topic with a queue subscribed, and a way to run the real `lambda_handler` against all of it.

Tests, the demo and the benchmark all use this one module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sandbox.aws import Alert, EmulatedAccount
from sandbox.entry_point import import_handler
from sandbox.issuers import Issuer, IssuerFleet
from sandbox.lambda_context import ACCOUNT_ID, REGION, LocalLambdaContext
from sandbox.pki import SandboxPki, default_pki
from sandbox.report_schema import validate_handler_output

# getaddrinfo's signature, as OidcProber takes it.
Resolver = Callable[[str, int], Sequence[tuple[Any, ...]]]


@dataclass(frozen=True)
class Provider:
    """An issuer registered as an IAM OIDC provider."""

    issuer: Issuer
    arn: str
    pinned: tuple[str, ...]  # the list it was registered with

    @property
    def url(self) -> str:
        return self.issuer.url

    @property
    def live_thumbprints(self) -> tuple[str, ...]:
        return tuple(self.issuer.expected_thumbprints.values())


# The stack name the sandbox's function believes it was deployed by (the stack's default).
SANDBOX_STACK_NAME = "OidcThumbprintRemediator"


def stale_thumbprint(label: str) -> str:
    """A well-formed thumbprint that matches nothing any issuer presents."""
    return hashlib.sha1(f"stale:{label}".encode()).hexdigest()


class Sandbox:
    """Emulated account + issuer fleet + alerts topic. A context manager; `stop()` leaves nothing behind."""

    def __init__(self, pki: SandboxPki | None = None) -> None:
        self.pki = pki or default_pki()
        self.account = EmulatedAccount()
        self.fleet = IssuerFleet(self.pki)
        self.providers: list[Provider] = []
        self.topic_arn = ""
        self.queue_url = ""
        self._files: tempfile.TemporaryDirectory[str] | None = None
        self.trust_environment: dict[str, str] = {}  # SSL_CERT_FILE and EXTRA_CA_BUNDLE
        # The environment the handler's cached runtime was built in by the last invocation, and that runtime.
        self._warm: tuple[dict[str, str], object] | None = None

    def start(self) -> Sandbox:
        try:
            self._files = tempfile.TemporaryDirectory(prefix="oidc-sandbox-")
            # The sandbox's stand-in for the system trust store, and the operator's private CAs.
            self.trust_environment = self.pki.trust_environment(Path(self._files.name))
            self.account.start()
            self.fleet.start()
            self.topic_arn, self.queue_url = self.account.create_alert_topic()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the issuers and the emulator and remove the files; safe to call twice."""
        try:
            self.fleet.stop()
        finally:
            try:
                self.account.stop()
            finally:
                if self._files is not None:
                    self._files.cleanup()
                    self._files = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # --- providers ------------------------------------------------------------------------------
    def add_provider(
        self,
        behaviour: str = "healthy",
        *,
        pinned: str | Sequence[str] = "live",
        tags: Mapping[str, str] | None = None,
        path: str = "",
        latency: float = 0.0,
        host: str = "localhost",
    ) -> Provider:
        """Start an issuer and register it. `pinned`: "live" (right), "stale", "empty" or a list."""
        issuer = self.fleet.add(behaviour, path=path, latency=latency, host=host)
        return self.register(issuer, pinned=pinned, tags=tags)

    def register(
        self, issuer: Issuer, *, pinned: str | Sequence[str] = "live", tags: Mapping[str, str] | None = None
    ) -> Provider:
        thumbprints: tuple[str, ...]
        if pinned == "live":
            thumbprints = tuple(issuer.expected_thumbprints.values()) or (stale_thumbprint(issuer.name),)
        elif pinned == "stale":
            thumbprints = (stale_thumbprint(issuer.name),)
        elif pinned == "empty":
            thumbprints = ()
        elif isinstance(pinned, str):
            raise ValueError(f"pinned must be 'live', 'stale', 'empty' or a list, got {pinned!r}")
        else:
            thumbprints = tuple(pinned)
        arn = self.account.create_provider(issuer.url, thumbprints, tags=tags)
        provider = Provider(issuer, arn, thumbprints)
        self.providers.append(provider)
        return provider

    def register_url(self, url: str, *, pinned: Sequence[str] = (), tags: Mapping[str, str] | None = None) -> str:
        """Register a provider whose URL no issuer serves (a name that does not resolve, a closed port): its ARN."""
        return self.account.create_provider(url, pinned, tags=tags)

    def thumbprints(self, provider: Provider | str) -> list[str]:
        """The provider's list as IAM holds it now."""
        return self.account.thumbprints(provider if isinstance(provider, str) else provider.arn)

    def clear(self) -> None:
        """Delete every provider and drain pending alerts (between tests sharing one sandbox)."""
        self.account.delete_all_providers()
        self.providers.clear()
        self.alerts()

    def alerts(self) -> list[Alert]:
        """The alerts SNS delivered since the last call: each with its e-mail and the report the queue received."""
        return self.account.receive_alerts(self.queue_url, wait_seconds=0)

    # --- the handler ----------------------------------------------------------------------------
    def handler_environment(self, **overrides: str) -> dict[str, str]:
        """The environment the stack gives the function, pointed at this sandbox."""
        from thumbprint_remediator.contract.metrics import METRICS_NAMESPACE  # noqa: PLC0415 - sandbox stays importable alone
        from thumbprint_remediator.contract.names import (  # noqa: PLC0415 - sandbox stays importable alone
            ENV_CONNECT_TIMEOUT,
            ENV_DASHBOARD_NAME,
            ENV_DRY_RUN,
            ENV_EXPIRY_WARNING_DAYS,
            ENV_HOST_BUDGET,
            ENV_LOG_GROUP_NAME,
            ENV_MAX_WORKERS,
            ENV_NOTIFY_ON,
            ENV_POWERTOOLS_METRICS_NAMESPACE,
            ENV_POWERTOOLS_SERVICE_NAME,
            ENV_READ_TIMEOUT,
            ENV_STACK_NAME,
            ENV_TOPIC_ARN,
            SERVICE_NAME,
        )

        environment = {
            **self.account.environment(),
            ENV_TOPIC_ARN: self.topic_arn,
            ENV_DRY_RUN: "false",
            ENV_EXPIRY_WARNING_DAYS: "30",
            ENV_NOTIFY_ON: "problems",
            ENV_CONNECT_TIMEOUT: "2",
            ENV_READ_TIMEOUT: "2",
            ENV_HOST_BUDGET: "4",
            ENV_MAX_WORKERS: "16",
            ENV_POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
            ENV_POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
            # The names the stack gives its parts (infra/function.py), for the alert's links.
            ENV_STACK_NAME: SANDBOX_STACK_NAME,
            ENV_DASHBOARD_NAME: f"{SANDBOX_STACK_NAME}-{REGION}",
            ENV_LOG_GROUP_NAME: f"/aws/lambda/{SANDBOX_STACK_NAME}-Sweep",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **self.trust_environment,
        }
        environment.update(overrides)
        return environment

    def invoke(
        self,
        event: Any = None,
        environment: Mapping[str, str] | None = None,
        /,
        *,
        timeout_seconds: float = 300,
        warm: bool = False,
        **environment_overrides: str,
    ) -> dict[str, Any]:
        """Run the real `lambda_handler` in process, with the environment the stack sets.

        Each invocation is a cold start (settings read, clients built afresh) unless `warm`: then, as a warm
        Lambda does, it reuses the runtime the last invocation built when the environment is the same (a
        tenth of the time: building the clients is most of a small sweep's cost).

        Overrides keyed by a constant (`contract.ENV_*`) go in `environment`, not `**{...}`: a `**` dict of
        strings could also fill `timeout_seconds`, which a type checker rightly refuses.
        """
        overrides = {**(environment or {}), **environment_overrides}
        variables = self.handler_environment(**overrides)
        with applied_environment(variables):
            handler = import_handler() if warm and self._built_in(variables) else load_handler()
            try:
                output = handler.lambda_handler(event, LocalLambdaContext(timeout_seconds))
            finally:
                cached = handler._runtime.cache_info().currsize
                self._warm = (variables, handler._runtime()) if cached else None
            return validate_handler_output(output)  # type: ignore[no-any-return]

    def sweep_resolving(self, resolver: Resolver | None = None, /, **environment_overrides: str) -> dict[str, Any]:
        """Sweep the account with the handler's own wiring (settings, clients, trust store, alert), resolving
        names with `resolver`; by default the fleet's, which gives "localhost" several loopback addresses on
        load-balanced and multi-address hosts. Without a Lambda context: no deadline."""
        import logging  # noqa: PLC0415 - sandbox stays importable alone

        from thumbprint_remediator.app.request import SweepRequest  # noqa: PLC0415
        from thumbprint_remediator.app.runtime import build_sweeper  # noqa: PLC0415
        from thumbprint_remediator.app.settings import Settings  # noqa: PLC0415
        from thumbprint_remediator.domain.views import to_builtins  # noqa: PLC0415
        from thumbprint_remediator.tls.probe import OidcProber  # noqa: PLC0415

        with applied_environment(self.handler_environment(**environment_overrides)):
            sweeper = build_sweeper(Settings.from_env(), logging.getLogger("sandbox.sweep_resolving"))
            assert isinstance(sweeper.prober, OidcProber)
            prober = OidcProber(sweeper.prober.limits, resolver=resolver or self.fleet.resolve)
            report = dataclasses.replace(sweeper, prober=prober).run(SweepRequest(source="manual"), account=ACCOUNT_ID)
            return validate_handler_output(to_builtins(report))  # type: ignore[no-any-return]

    def _built_in(self, variables: Mapping[str, str]) -> bool:
        """Whether the handler's cached runtime is the one the last invocation built, in `variables`: nothing
        else (another sandbox, an organization sweep) has rebuilt it since."""
        if self._warm is None or self._warm[0] != variables:
            return False
        handler = import_handler()
        return bool(handler._runtime.cache_info().currsize) and handler._runtime() is self._warm[1]


def load_handler() -> Any:
    """Import `lambda/handler.py` and forget settings cached by an earlier invocation in this process."""
    handler = import_handler()
    handler._runtime.cache_clear()  # a real cold start reads settings once; here each invocation may differ
    return handler


@contextmanager
def applied_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore the old values."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
