"""The hostile matrix: what the sweep does with every hostile or faulty endpoint we could think of.

Each scenario is a named sandbox behaviour (or an AWS fault) and what the sweep must answer. The
TLS, HTTP and list scenarios share one sweep through the real handler; each AWS fault gets its own
sweep behind a `FaultProxy`; a scale run sweeps 100 providers, a third of them hostile. After each
sweep `violations` checks the invariants that hold across the whole matrix, and `render` writes the
table of docs/hostile-matrix.md. `python -m sandbox.matrix` regenerates that file (`--check` only
compares).
"""

from __future__ import annotations

import sys
from pathlib import Path

# The engine lives in the Lambda asset root, which is not an installed package.
_LAMBDA_ROOT = str(Path(__file__).resolve().parent.parent / "lambda")
if _LAMBDA_ROOT not in sys.path:
    sys.path.insert(0, _LAMBDA_ROOT)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import io  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Mapping, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Final  # noqa: E402

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from sandbox.aws import CREDENTIALS, REGION  # noqa: E402
from sandbox.environment import Sandbox, stale_thumbprint  # noqa: E402
from sandbox.faults import FaultProxy, FaultRule, closed_port, dead_endpoint_url  # noqa: E402
from sandbox.issuers import HOSTILE_ISSUER_CHARACTERS, Issuer, behaviour_named  # noqa: E402
from sandbox.odd_input import ODD_BEHAVIOURS  # noqa: E402 - also registers the odd behaviours
from sandbox.oracles import FORBIDDEN_TEXT, strings_in  # noqa: E402
from sandbox.pki import SandboxPki, write_pem_bundle  # noqa: E402
from thumbprint_remediator import contract  # noqa: E402
from thumbprint_remediator.alerts import MESSAGE_LIMIT  # noqa: E402
from thumbprint_remediator.errors import AlertDeliveryError, RemediatorError  # noqa: E402
from thumbprint_remediator.rules import MAX_THUMBPRINTS  # noqa: E402
from thumbprint_remediator.status import Action, Status  # noqa: E402

DOC_PATH: Final = Path(__file__).resolve().parent.parent / "docs" / "hostile-matrix.md"
ODD_INPUT: Final = "Exact identity and odd input"
GROUPS: Final = (
    "TLS",
    "Verified path",
    "HTTP and OIDC",
    "Thumbprint lists",
    "AWS faults",
    "Deadlines",
    "IAM write path",
    ODD_INPUT,
    "Server text",
    "Alert size",
)
TRUSTED: Final = frozenset({"public", "private", "pinned"})
# Problems that say a chain is not what IAM's chain-order rule or the verified path allow: never a write.
PATH_PROBLEMS: Final = frozenset(
    {
        "interception_suspected",
        "chain_misordered",
        "chain_duplicate_certificate",
        "chain_unrelated_certificate",
        "live_certificate_untied",
    }
)

# The sweep's settings in every matrix run (the sandbox's defaults, spelled out: the budget uses them).
CONNECT_TIMEOUT: Final = 2.0
READ_TIMEOUT: Final = 2.0
HOST_BUDGET: Final = 4.0
MAX_WORKERS: Final = 16
# On top of two host budgets per provider: IAM calls, retries after throttling, trust checks.
PER_PROVIDER_ALLOWANCE: Final = 3.0
# Once per sweep: cold start (settings, trust store), listing, the alert.
SWEEP_ALLOWANCE: Final = 5.0
SCALE_PROVIDERS: Final = 100
SCALE_LAMBDA_TIMEOUT: Final = contract.minimum_timeout_seconds()  # the shortest timeout the stack accepts

Pinned = str | Sequence[str] | Callable[[SandboxPki, Issuer | None], Sequence[str]]


def sweep_budget(providers: int, workers: int = MAX_WORKERS, host_budget: float = HOST_BUDGET) -> float:
    """The wall time a sweep may take: each provider costs at most two host budgets (the discovery
    and the JWKS endpoint) plus its IAM calls, and `workers` providers are swept at a time."""
    rounds = math.ceil(providers / workers) if providers else 0
    return rounds * (2 * host_budget + PER_PROVIDER_ALLOWANCE) + SWEEP_ALLOWANCE


# --- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One row of the matrix: a hostile endpoint (or AWS fault) and what the sweep must answer."""

    name: str
    group: str
    summary: str  # what the endpoint (or AWS) does
    status: str  # the expected finding status ("-" when the invocation itself fails)
    action: str  # the expected action ("-" likewise)
    behaviour: str | None = None  # the sandbox behaviour; None for URL-only or AWS-fault scenarios
    pinned: Pinned = "stale"
    host: str = "localhost"
    tags: Mapping[str, str] = field(default_factory=dict)
    url: Callable[[], str] | None = None  # a provider URL with no issuer behind it
    trickle_interval: float = 0.1
    fault: Callable[[Sandbox, Path], RunResult] | None = None  # runs its own sweep
    # Wordings of the problem that depend on timing: the table shows them all, joined by "or".
    racy_wording: tuple[str, ...] = ()

    @property
    def shared(self) -> bool:
        """Whether the scenario joins the shared sweep (AWS faults each run their own)."""
        return self.fault is None


@dataclass
class ProviderRun:
    """One provider of a sweep: how it was registered, what IAM holds afterwards, its finding."""

    scenario: str  # the scenario it stands for ("" for bystanders of a fault scenario)
    arn: str
    url: str
    pinned: tuple[str, ...]
    issuer: Issuer | None = None
    connections_before: int = 0
    after: tuple[str, ...] | None = None  # IAM's list after the sweep; None once the provider is gone
    finding: dict[str, Any] | None = None

    @property
    def connections_made(self) -> int:
        return (self.issuer.connections if self.issuer else 0) - self.connections_before


@dataclass
class RunResult:
    """One invocation of the handler and everything needed to judge it."""

    name: str
    providers: list[ProviderRun]
    report: dict[str, Any] | None
    error: BaseException | None
    wall_seconds: float
    budget_seconds: float
    details: dict[str, Any] = field(default_factory=dict)  # fault-specific observations

    def provider(self, scenario: str) -> ProviderRun:
        return next(run for run in self.providers if run.scenario == scenario)


@dataclass(frozen=True)
class Outcome:
    """What the table says about one scenario."""

    scenario: Scenario
    status: str
    action: str
    problem: str


def _public_top(pki: SandboxPki, _: Issuer | None) -> list[str]:
    return [pki.chain("public").top_thumbprint]


def _public_root(pki: SandboxPki, _: Issuer | None) -> list[str]:
    return [pki.public_root.sha1]


def _previous_private_ca(pki: SandboxPki, _: Issuer | None) -> list[str]:
    return [pki.private_intermediate.sha1]


def _long_chain_all_pinned(pki: SandboxPki, _: Issuer | None) -> list[str]:
    chain = pki.chain("long_chain").thumbprints  # leaf, CA 4 .. CA 1, root
    return [chain[-1], *chain[1:-1]]


def _long_chain_live_missing(pki: SandboxPki, _: Issuer | None) -> list[str]:
    chain = pki.chain("long_chain").thumbprints
    return [*chain[1:-1], chain[0]]  # the four CAs, then the leaf: the root (live) is not pinned


def _five_stale(pki: SandboxPki, issuer: Issuer | None) -> list[str]:
    return [stale_thumbprint(f"five-{index}") for index in range(5)]


def _live_in_two_cases(pki: SandboxPki, _: Issuer | None) -> list[str]:
    live, stale = pki.chain("public").top_thumbprint, stale_thumbprint("duplicates")
    return [live.upper(), live, stale, stale.upper()]


def _stale_in_two_cases(pki: SandboxPki, _: Issuer | None) -> list[str]:
    old, stale = pki.chain("public").top_thumbprint, stale_thumbprint("duplicates")
    return [stale.upper(), stale, stale.upper(), old.upper()]


def _discovery_only(pki: SandboxPki, _: Issuer | None) -> list[str]:
    return [pki.chain("public").top_thumbprint]


PRIVATE_TAG: Final = {contract.PRIVATE_CA_TAG_KEY: "true"}


def _tls(name: str, summary: str, status: str, action: str, **options: Any) -> Scenario:
    return Scenario(name, "TLS", summary, status, action, **options)


def _path(name: str, summary: str, status: str, action: str, **options: Any) -> Scenario:
    return Scenario(name, "Verified path", summary, status, action, **options)


def _http(name: str, behaviour: str, status: str = "invalid_discovery", action: str = "blocked") -> Scenario:
    return Scenario(name, "HTTP and OIDC", behaviour_named(behaviour).summary, status, action, behaviour=behaviour)


def _list(name: str, summary: str, status: str, action: str, behaviour: str, pinned: Pinned) -> Scenario:
    return Scenario(name, "Thumbprint lists", summary, status, action, behaviour=behaviour, pinned=pinned)


def _same(behaviour: str) -> str:
    return behaviour_named(behaviour).summary


# What each odd-input behaviour must come to, with a stale pin (a public chain unless it says otherwise).
ODD_OUTCOMES: Final = {
    **{name: ("invalid_discovery", "blocked") for name in (item.name for item in ODD_BEHAVIOURS)},
    "content_length_too_short": ("stale", "updated"),  # the surplus bytes are never read as a response
    "bad_chunk_size": ("unreachable", "blocked"),
    # No chain is captured from a server presenting a malformed certificate: nothing to update from.
    "duplicated_extension": ("unreachable", "none"),
    "malformed_extension": ("unreachable", "none"),
}

SHARED_SCENARIOS: Final = (
    # TLS: the chain, its verification, the handshake.
    _tls("healthy", _same("healthy") + "; its issuing CA is pinned", "ok", "none", behaviour="healthy", pinned="live"),
    _tls(
        "rotated_intermediate",
        "the public issuing CA rotated; the old one is pinned",
        "stale",
        "updated",
        behaviour="rotated_intermediate",
        pinned=_public_top,
    ),
    _tls("untrusted_root", _same("untrusted_root"), "untrusted", "blocked", behaviour="untrusted_root"),
    _tls(
        "tls_interception_public_pin",
        "re-signed by a corporate inspection CA that is in EXTRA_CA_BUNDLE; the provider pins its public issuing CA",
        "untrusted",
        "blocked",
        behaviour="inspected",
        pinned=_public_top,
    ),
    _tls(
        "tls_interception_public_root_pin",
        "re-signed by the inspection CA of EXTRA_CA_BUNDLE; the provider pins a public root",
        "untrusted",
        "blocked",
        behaviour="inspected",
        pinned=_public_root,
    ),
    _tls(
        "private_ca_first_pin",
        _same("private_ca") + "; nothing pinned yet",
        "stale",
        "updated",
        behaviour="private_ca",
        pinned="empty",
    ),
    _tls(
        "private_ca_rotated",
        "private issuing CA rotated; the pinned one is listed in EXTRA_CA_BUNDLE",
        "stale",
        "updated",
        behaviour="private_ca_rotated",
        pinned=_previous_private_ca,
    ),
    _tls(
        "private_ca_rotated_unattributed",
        "private issuing CA rotated; the pin cannot be tied to EXTRA_CA_BUNDLE",
        "untrusted",
        "blocked",
        behaviour="private_ca_rotated",
    ),
    _tls(
        "private_ca_rotated_tagged",
        "as above, on a provider tagged oidc-thumbprint-remediator:private-ca=true",
        "stale",
        "updated",
        behaviour="private_ca_rotated",
        tags=PRIVATE_TAG,
    ),
    _tls(
        "private_leaf_only_tagged",
        _same("private_leaf_only") + "; renewed, tagged private-ca",
        "stale",
        "updated",
        behaviour="private_leaf_only",
        tags=PRIVATE_TAG,
    ),
    _tls("expired_leaf", _same("expired"), "expired", "blocked", behaviour="expired"),
    _tls("not_yet_valid", _same("not_yet_valid"), "untrusted", "blocked", behaviour="not_yet_valid"),
    _tls("hostname_mismatch", _same("wrong_hostname"), "untrusted", "blocked", behaviour="wrong_hostname"),
    _tls("leaf_only", _same("leaf_only"), "untrusted", "blocked", behaviour="leaf_only"),
    _tls("self_signed", _same("self_signed"), "untrusted", "blocked", behaviour="self_signed"),
    _tls(
        "self_signed_pinned",
        _same("self_signed") + ", already pinned (trusted by continuity)",
        "ok",
        "none",
        behaviour="self_signed",
        pinned="live",
    ),
    _tls(
        "root_sent",
        _same("root_sent") + "; the issuing CA is pinned",
        "stale",
        "updated",
        behaviour="root_sent",
        pinned=_public_top,
    ),
    _tls("cross_signed", _same("cross_signed"), "stale", "updated", behaviour="cross_signed"),
    _tls("tls13_only", _same("tls13_only"), "stale", "updated", behaviour="tls13_only"),
    _tls("tls10_only", _same("tls10_only"), "unreachable", "none", behaviour="tls10_only"),
    _tls(
        "sni_dependent",
        _same("sni_dependent") + "; the public issuing CA is pinned",
        "ok",
        "none",
        behaviour="sni_dependent",
        pinned="live",
    ),
    _tls(
        "sni_dependent_ip_literal",
        "the same server named by IP address: no SNI is sent, the default certificate comes back",
        "untrusted",
        "blocked",
        behaviour="sni_dependent",
        host="127.0.0.1",
    ),
    _tls("handshake_never_completes", _same("hung"), "unreachable", "none", behaviour="hung"),
    _tls("handshake_stalls", _same("stalled_handshake"), "unreachable", "none", behaviour="stalled_handshake"),
    _tls(
        "reset_on_accept",
        _same("reset"),
        "unreachable",
        "none",
        behaviour="reset",
        # The reset lands in connect() or in the handshake, as the race goes.
        racy_wording=("while connecting", "during the TLS handshake"),
    ),
    _tls("reset_mid_handshake", _same("reset_mid_handshake"), "unreachable", "none", behaviour="reset_mid_handshake"),
    _tls("plain_http", _same("plain_http"), "unreachable", "none", behaviour="plain_http"),
    _tls(
        "client_certificate_required",
        _same("client_certificate_required"),
        "unreachable",
        "none",
        behaviour="client_certificate_required",
    ),
    _tls("ipv6_loopback", "healthy, on [::1]; a stale pin", "stale", "updated", behaviour="healthy", host="::1"),
    _tls(
        "name_does_not_resolve",
        "the provider URL names a host that does not resolve",
        "unreachable",
        "none",
        url=lambda: "does-not-resolve.invalid/oidc",
    ),
    _tls(
        "port_nobody_listens_on",
        "the provider URL names a port where connections are refused",
        "unreachable",
        "none",
        url=lambda: f"localhost:{closed_port()}",
    ),
    _tls(
        "separate_jwks_host",
        _same("separate_jwks_host") + "; only the discovery CA is pinned",
        "stale",
        "updated",
        behaviour="separate_jwks_host",
        pinned=_discovery_only,
    ),
    _tls(
        "jwks_host_refuses",
        _same("jwks_host_refuses"),
        "unreachable",
        "blocked",
        behaviour="jwks_host_refuses",
    ),
    _tls(
        "expiring_soon",
        _same("expiring_soon") + "; its issuing CA is pinned",
        "expiring",
        "none",
        behaviour="expiring_soon",
        pinned="live",
    ),
    # The verified path: only certificates tied to it by signature are ever pinned, and the presented
    # list must read as an issuer chain from the leaf up (IAM's rule; STS rejects the JWT otherwise).
    _path(
        "seed_cross_signed",
        _same("seed_cross_signed") + "; the store holds the self-signed root",
        "stale",
        "updated",
        behaviour="seed_cross_signed",
    ),
    _path(
        "proxy_forwards_pinned_public_ca",
        _same("inspected_forwarding_public_ca") + "; its CA is in EXTRA_CA_BUNDLE, that public CA is pinned",
        "untrusted",
        "blocked",
        behaviour="inspected_forwarding_public_ca",
        pinned=_public_top,
    ),
    _path(
        "proxy_forwards_pinned_public_ca_tagged",
        "as above, on a provider tagged oidc-thumbprint-remediator:private-ca=true",
        "untrusted",
        "blocked",
        behaviour="inspected_forwarding_public_ca",
        pinned=_public_top,
        tags=PRIVATE_TAG,
    ),
    _path(
        "proxy_forwards_pinned_public_root_tagged",
        _same("inspected_forwarding_public_root") + "; the root is pinned, the provider tagged private-ca",
        "untrusted",
        "blocked",
        behaviour="inspected_forwarding_public_root",
        pinned=_public_root,
        tags=PRIVATE_TAG,
    ),
    _path(
        "proxy_public_root_pin_tagged",
        _same("inspected") + "; a public root is pinned, the provider tagged private-ca",
        "untrusted",
        "blocked",
        behaviour="inspected",
        pinned=_public_root,
        tags=PRIVATE_TAG,
    ),
    _path(
        "proxy_in_front_of_private_issuer",
        _same("inspected") + "; the provider pins its private issuing CA, which EXTRA_CA_BUNDLE lists",
        "untrusted",
        "blocked",
        behaviour="inspected",
        pinned=_previous_private_ca,
    ),
    _path(
        "chain_out_of_order",
        _same("out_of_order_chain"),
        "untrusted",
        "blocked",
        behaviour="out_of_order_chain",
    ),
    _path(
        "extra_unrelated_certificate",
        _same("extra_unrelated_certificate") + "; the issuing CA is pinned",
        "untrusted",
        "blocked",
        behaviour="extra_unrelated_certificate",
        pinned=_public_top,
    ),
    _path(
        "extra_unrelated_certificate_first_pin",
        _same("extra_unrelated_certificate") + "; nothing pinned yet",
        "untrusted",
        "blocked",
        behaviour="extra_unrelated_certificate",
        pinned="empty",
    ),
    _path("unrelated_in_middle", _same("unrelated_in_middle"), "untrusted", "blocked", behaviour="unrelated_in_middle"),
    _path(
        "duplicate_intermediate",
        _same("duplicate_intermediate"),
        "untrusted",
        "blocked",
        behaviour="duplicate_intermediate",
    ),
    _path("impostor_root_last", _same("impostor_root_last"), "untrusted", "blocked", behaviour="impostor_root_last"),
    # HTTP and OIDC: what the endpoints answer. A stale pin everywhere: nothing may be written.
    _http("discovery_404", "discovery_404"),
    _http("discovery_500", "discovery_500"),
    _http("redirect_loop", "redirect_loop"),
    _http("endless_redirects", "endless_redirects"),
    _http("redirect_to_http", "insecure_redirect"),
    _http("redirect_to_another_host", "cross_host_redirect"),
    _http("same_host_redirect", "same_host_redirect", "stale", "updated"),
    _http("discovery_50_mb", "huge_discovery"),
    _http("discovery_50_mb_chunked", "huge_discovery_chunked"),
    Scenario(
        "slow_trickle",
        "HTTP and OIDC",
        "sends the discovery response one byte a second",
        "unreachable",
        "blocked",
        behaviour="slow_trickle",
        trickle_interval=1.0,
    ),
    _http("discovery_truncated_json", "malformed_discovery"),
    _http("discovery_html", "discovery_html"),
    _http("discovery_not_object", "discovery_not_object"),
    _http("jwks_uri_missing", "jwks_uri_missing"),
    _http("jwks_uri_relative", "jwks_uri_relative"),
    _http("jwks_uri_http", "jwks_uri_http"),
    _http("issuer_mismatch", "issuer_mismatch"),
    _http("jwks_not_json", "jwks_not_json"),
    _http("jwks_empty_keys", "empty_jwks"),
    # Thumbprint lists as IAM holds them.
    _list(
        "five_pinned_all_valid",
        "five pins, each a certificate the server presents, the live one among them",
        "ok",
        "none",
        "long_chain",
        _long_chain_all_pinned,
    ),
    _list(
        "five_pinned_live_missing",
        "five pins, each a presented certificate, but not the live (last) one",
        "stale",
        "updated",
        "long_chain",
        _long_chain_live_missing,
    ),
    _list("five_pinned_all_stale", "five pins matching nothing presented", "stale", "updated", "healthy", _five_stale),
    _list(
        "duplicates_and_uppercase",
        "the live pin twice (once uppercase) and a stale one twice",
        "ok",
        "none",
        "healthy",
        _live_in_two_cases,
    ),
    _list(
        "duplicates_and_uppercase_stale",
        "the CA rotated; the old pin and a stale one, duplicated and uppercase",
        "stale",
        "updated",
        "rotated_intermediate",
        _stale_in_two_cases,
    ),
    _list("empty_list", "a provider with no thumbprints", "stale", "updated", "healthy", "empty"),
    # Odd input: every malformed thing a server sends is one specific finding, never internal_error.
    *(
        Scenario(item.name, ODD_INPUT, item.summary, *ODD_OUTCOMES[item.name], behaviour=item.name)
        for item in ODD_BEHAVIOURS
    ),
    # Server text: what a server sends to forge or hide lines. Every one must arrive escaped and capped.
    *(
        Scenario(name, "Server text", behaviour_named(name).summary, status, "blocked", behaviour=name)
        for name, status in (
            ("hostile_certificate_names", "untrusted"),
            ("hostile_reason_phrase", "invalid_discovery"),
            ("hostile_issuer", "invalid_discovery"),
            ("hostile_jwks_uri", "invalid_discovery"),
            ("hostile_redirect", "invalid_discovery"),
            ("huge_hostile_issuer", "invalid_discovery"),
        )
    ),
)


# --- registering and sweeping ---------------------------------------------------------------------


def _thumbprints(sandbox: Sandbox, pinned: Pinned, issuer: Issuer | None, label: str) -> tuple[str, ...]:
    if callable(pinned):
        return tuple(pinned(sandbox.pki, issuer))
    if pinned == "live":
        assert issuer is not None
        return tuple(issuer.expected_thumbprints.values())
    if pinned == "stale":
        return (stale_thumbprint(label),)
    if pinned == "empty":
        return ()
    if isinstance(pinned, str):
        raise ValueError(f"pinned must be 'live', 'stale', 'empty', a list or a callable, got {pinned!r}")
    return tuple(pinned)


def register(sandbox: Sandbox, scenario: Scenario) -> ProviderRun:
    """Start the scenario's issuer (if any) and register it as an IAM OIDC provider."""
    issuer: Issuer | None = None
    if scenario.behaviour is not None:
        issuer = sandbox.fleet.add(
            scenario.behaviour,
            host=scenario.host,
            path=f"/{scenario.name}" if scenario.name else "",
            trickle_interval=scenario.trickle_interval,
        )
        url = issuer.url
    elif scenario.url is not None:
        url = scenario.url()
    else:
        raise ValueError(f"scenario {scenario.name} has neither a behaviour nor a URL")
    pinned = _thumbprints(sandbox, scenario.pinned, issuer, scenario.name)
    arguments: dict[str, Any] = {"Url": f"https://{url}", "ClientIDList": ["sts.amazonaws.com"]}
    if pinned:
        arguments["ThumbprintList"] = list(pinned)
    if scenario.tags:
        arguments["Tags"] = [{"Key": key, "Value": value} for key, value in scenario.tags.items()]
    arn = str(iam_client(sandbox).create_open_id_connect_provider(**arguments)["OpenIDConnectProviderArn"])
    return ProviderRun(scenario.name, arn, url, pinned, issuer, issuer.connections if issuer else 0)


def matrix_bundle(pki: SandboxPki, directory: Path) -> Path:
    """The EXTRA_CA_BUNDLE of the matrix: the private root, the private issuing CA pinned before its
    rotation, and a corporate TLS-inspection CA (as in a bundle copied from a workstation)."""
    certificates = (
        pki.private_root.certificate,
        pki.private_intermediate.certificate,
        pki.inspection_root.certificate,
    )
    return write_pem_bundle(directory / "matrix-extra-ca-bundle.pem", certificates)


def sweep(
    sandbox: Sandbox,
    name: str,
    providers: list[ProviderRun],
    environment: Mapping[str, str] | None = None,
    *,
    timeout_seconds: float = 300,
    event: Any = None,
) -> RunResult:
    """Invoke the real handler once (with `event`, the scheduled sweep by default) and read back every
    provider's list from IAM."""
    settings = {
        contract.ENV_CONNECT_TIMEOUT: f"{CONNECT_TIMEOUT:g}",
        contract.ENV_READ_TIMEOUT: f"{READ_TIMEOUT:g}",
        contract.ENV_HOST_BUDGET: f"{HOST_BUDGET:g}",
        contract.ENV_MAX_WORKERS: str(MAX_WORKERS),
        **(environment or {}),
    }
    report: dict[str, Any] | None = None
    error: BaseException | None = None
    started = time.monotonic()
    try:
        report = sandbox.invoke(event, timeout_seconds=timeout_seconds, **settings)
    except AlertDeliveryError as failure:
        error, report = failure, failure.report
    except RemediatorError as failure:
        error = failure
    wall = time.monotonic() - started
    findings = {finding["arn"]: finding for finding in (report or {}).get("findings", [])}
    for run in providers:
        run.finding = findings.get(run.arn)
        run.after = _read_back(sandbox, run.arn)
    budget = sweep_budget(
        len(providers), int(settings[contract.ENV_MAX_WORKERS]), float(settings[contract.ENV_HOST_BUDGET])
    )
    return RunResult(name, providers, report, error, wall, budget, {"alerts": sandbox.alerts()})


def iam_client(sandbox: Sandbox) -> Any:
    """One IAM client per emulator, straight to moto (a client costs more than a hundred calls)."""
    return _iam_client(sandbox.account.endpoint_url)


@functools.cache
def _iam_client(endpoint_url: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    return session.client("iam", endpoint_url=endpoint_url)


def _read_back(sandbox: Sandbox, arn: str) -> tuple[str, ...] | None:
    try:
        response = iam_client(sandbox).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        return tuple(response["ThumbprintList"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise


def run_shared(sandbox: Sandbox, workdir: Path, scenarios: Sequence[Scenario] = SHARED_SCENARIOS) -> RunResult:
    """Register every shared scenario and sweep them all at once."""
    sandbox.clear()
    providers = [register(sandbox, scenario) for scenario in scenarios]
    bundle = matrix_bundle(sandbox.pki, workdir)
    return sweep(sandbox, "shared", providers, {contract.ENV_EXTRA_CA_BUNDLE: str(bundle)})


# --- AWS faults (each its own sweep, behind the fault proxy) ----------------------------------------


def _bystanders(sandbox: Sandbox, count: int, behaviour: str = "rotated_intermediate") -> list[ProviderRun]:
    return [
        register(sandbox, Scenario("", "", "", "", "", behaviour=behaviour, pinned=_public_top)) for _ in range(count)
    ]


def _subject(sandbox: Sandbox, name: str, behaviour: str = "rotated_intermediate") -> ProviderRun:
    return register(sandbox, Scenario(name, "", "", "", "", behaviour=behaviour, pinned=_public_top))


def _calls(proxy: FaultProxy) -> list[tuple[str, str | None]]:
    return [(call.action, call.fault) for call in proxy.calls]


def run_throttling(sandbox: Sandbox, workdir: Path) -> RunResult:
    """IAM throttles the first call of each kind: the sweep gets through on botocore's retries."""
    sandbox.clear()
    providers = [_subject(sandbox, "iam_throttling"), *_bystanders(sandbox, 2), *_bystanders(sandbox, 1, "healthy")]
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.throttle("ListOpenIDConnectProviders", times=1)
        proxy.throttle("GetOpenIDConnectProvider", times=3)
        proxy.throttle("UpdateOpenIDConnectProviderThumbprint", times=1)
        result = sweep(sandbox, "iam_throttling", providers, {"AWS_ENDPOINT_URL": proxy.url})
        result.details["calls"] = _calls(proxy)
    return result


def run_access_denied(sandbox: Sandbox, workdir: Path) -> RunResult:
    """An SCP denies the update of one provider: its finding says so, the others are still fixed."""
    sandbox.clear()
    subject = _subject(sandbox, "iam_access_denied_on_update")
    providers = [subject, *_bystanders(sandbox, 2)]
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.deny(
            "UpdateOpenIDConnectProviderThumbprint",
            "User: arn:aws:sts::123456789012:assumed-role/remediator/sweep is not authorized to perform: "
            "iam:UpdateOpenIDConnectProviderThumbprint with an explicit deny in a service control policy",
            OpenIDConnectProviderArn=subject.arn,
        )
        result = sweep(sandbox, "iam_access_denied_on_update", providers, {"AWS_ENDPOINT_URL": proxy.url})
        result.details["calls"] = _calls(proxy)
    return result


def _deleted_when(action: str, name: str) -> Callable[[Sandbox, Path], RunResult]:
    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        subject = _subject(sandbox, name)
        providers = [subject, *_bystanders(sandbox, 2)]
        iam = iam_client(sandbox)
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            proxy.before(
                action,
                lambda _: iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=subject.arn),
                OpenIDConnectProviderArn=subject.arn,
            )
            result = sweep(sandbox, name, providers, {"AWS_ENDPOINT_URL": proxy.url})
            result.details["calls"] = _calls(proxy)
        return result

    return run


def run_sns_unavailable(sandbox: Sandbox, workdir: Path) -> RunResult:
    """SNS answers 503 to every Publish: the fix stands, the report is logged and carried by the error."""
    sandbox.clear()
    providers = [_subject(sandbox, "sns_unavailable"), *_bystanders(sandbox, 1, "healthy")]
    logged = _RecordCollector()
    handler_logger = logging.getLogger(contract.SERVICE_NAME)
    handler_logger.addHandler(logged)
    try:
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            proxy.unavailable("Publish")
            # SNS's client has no retry configuration of its own: AWS_MAX_ATTEMPTS keeps its retries short.
            environment = {"AWS_ENDPOINT_URL": proxy.url, "AWS_MAX_ATTEMPTS": "2"}
            result = sweep(sandbox, "sns_unavailable", providers, environment)
            result.details["calls"] = _calls(proxy)
    finally:
        handler_logger.removeHandler(logged)
    result.details["logged_reports"] = [
        getattr(record, "report", None) for record in logged.records if record.levelno >= logging.ERROR
    ]
    return result


class _RecordCollector(logging.Handler):
    """Keeps the log records the handler emits (the report it logs when the alert cannot be sent)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def run_endpoint_dead(sandbox: Sandbox, workdir: Path) -> RunResult:
    """AWS_ENDPOINT_URL points where nothing listens: a clear InventoryError, nothing probed or written."""
    sandbox.clear()
    providers = [_subject(sandbox, "aws_endpoint_dead"), *_bystanders(sandbox, 1, "healthy")]
    return sweep(sandbox, "aws_endpoint_dead", providers, {"AWS_ENDPOINT_URL": dead_endpoint_url()})


def run_alert_size(sandbox: Sandbox, workdir: Path) -> RunResult:
    """100 providers that all need attention, one serving a 1 MiB document with a 300,000-character issuer:
    the sweep still delivers one alert within SNS's 256 KB."""
    sandbox.clear()
    providers = [register(sandbox, Scenario(ALERT_SIZE, "", "", "", "", behaviour="huge_hostile_issuer"))]
    for index in range(SCALE_PROVIDERS - 1):
        behaviour = "hostile_certificate_names" if index % 5 else "rotated_intermediate"
        pinned: Pinned = "stale" if index % 5 else _public_top
        providers.append(register(sandbox, Scenario("", "", "", "", "", behaviour=behaviour, pinned=pinned)))
    return sweep(sandbox, ALERT_SIZE, providers)


ALERT_SIZE: Final = "alert_1_mib_document_among_100"


def _fault(
    name: str,
    summary: str,
    status: str,
    action: str,
    run: Callable[[Sandbox, Path], RunResult],
    group: str = "AWS faults",
) -> Scenario:
    return Scenario(name, group, summary, status, action, fault=run)


# --- deadlines and the IAM write path (each its own sweep, behind the fault proxy) ---------------------

UPDATE: Final = "UpdateOpenIDConnectProviderThumbprint"
# The function timeouts the deadline scenarios run with: the one a default deployment may not go below,
# and 60 s (which synth used to accept) with the host budget a deployment has by default.
FLOOR_TIMEOUT: Final = contract.minimum_timeout_seconds(contract.DEFAULT_HOST_BUDGET_SECONDS)
BELOW_FLOOR_TIMEOUT: Final = 60
DEFAULT_HOST_BUDGET_SETTING: Final = {contract.ENV_HOST_BUDGET: f"{contract.DEFAULT_HOST_BUDGET_SECONDS:g}"}


def run_sns_hung(sandbox: Sandbox, workdir: Path) -> RunResult:
    """SNS accepts the connection and never answers: the alert costs at most its reserve, the report survives."""
    sandbox.clear()
    providers = [_subject(sandbox, "sns_hung"), *_bystanders(sandbox, 1, "healthy")]
    release = threading.Event()
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.before("Publish", lambda _: release.wait(120), times=None)
        try:
            result = sweep(sandbox, "sns_hung", providers, {"AWS_ENDPOINT_URL": proxy.url})
        finally:
            release.set()
        result.details["calls"] = _calls(proxy)
    return result


def _timed(name: str, timeout_seconds: int) -> Callable[[Sandbox, Path], RunResult]:
    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        providers = [_subject(sandbox, name)]
        return sweep(sandbox, name, providers, DEFAULT_HOST_BUDGET_SETTING, timeout_seconds=timeout_seconds)

    return run


def run_update_in_flight_at_deadline(sandbox: Sandbox, workdir: Path) -> RunResult:
    """Updates reach IAM 17 s after they are sent, in a function with 30 s left: none may land after the report."""
    sandbox.clear()
    name = "iam_update_in_flight_at_deadline"
    providers = [_subject(sandbox, name)]
    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.before(UPDATE, lambda _: time.sleep(17), times=None)
        environment = {"AWS_ENDPOINT_URL": proxy.url, contract.ENV_HOST_BUDGET: "0.5"}
        result = sweep(sandbox, name, providers, environment, timeout_seconds=30)
        result.details["calls"] = _calls(proxy)
    return result


def _write_fault(
    name: str, inject: Callable[[FaultProxy, ProviderRun], object]
) -> Callable[[Sandbox, Path], RunResult]:
    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        subject = _subject(sandbox, name)
        providers = [subject, *_bystanders(sandbox, 1)]
        with FaultProxy(sandbox.account.endpoint_url) as proxy:
            inject(proxy, subject)
            result = sweep(sandbox, name, providers, {"AWS_ENDPOINT_URL": proxy.url})
            result.details["calls"] = _calls(proxy)
        return result

    return run


def _service_failure(proxy: FaultProxy, subject: ProviderRun) -> object:
    message = "The request processing has failed because of an unknown error, exception or failure."
    rule = FaultRule(UPDATE, "ServiceFailure", 500, message, sender_fault=False)
    rule.where = {"OpenIDConnectProviderArn": subject.arn}
    return proxy.add(rule)


DEADLINE_SCENARIOS: Final = (
    _fault(
        "sns_hung",
        "SNS accepts the connection and never answers a Publish",
        "stale",
        "updated",
        run_sns_hung,
        "Deadlines",
    ),
    _fault(
        "timeout_below_floor",
        f"a {BELOW_FLOOR_TIMEOUT} s function with the default {contract.DEFAULT_HOST_BUDGET_SECONDS:g} s host budget "
        "(synth refuses it now)",
        "error",
        "none",
        _timed("timeout_below_floor", BELOW_FLOOR_TIMEOUT),
        "Deadlines",
    ),
    _fault(
        "timeout_at_floor",
        f"a {FLOOR_TIMEOUT} s function, the shortest synth accepts for the default host budget",
        "stale",
        "updated",
        _timed("timeout_at_floor", FLOOR_TIMEOUT),
        "Deadlines",
    ),
    _fault(
        "iam_update_in_flight_at_deadline",
        "every update reaches IAM 17 s after it is sent; the function has 30 s",
        "error",
        "none",
        run_update_in_flight_at_deadline,
        "Deadlines",
    ),
)

WRITE_PATH_SCENARIOS: Final = (
    _fault(
        "iam_concurrent_modification",
        "IAM answers 409 ConcurrentModification to the first update",
        "stale",
        "updated",
        _write_fault(
            "iam_concurrent_modification",
            lambda proxy, subject: proxy.concurrent_modification(UPDATE, OpenIDConnectProviderArn=subject.arn),
        ),
        "IAM write path",
    ),
    _fault(
        "iam_stale_read_back",
        "the two reads after the update still return the old list (eventual consistency)",
        "stale",
        "updated",
        _write_fault("iam_stale_read_back", lambda proxy, subject: proxy.stale_read_back(subject.arn, times=2)),
        "IAM write path",
    ),
    _fault(
        "iam_update_answer_late",
        "IAM applies the update at once but answers only after the client's read timeout",
        "stale",
        "updated",
        _write_fault(
            "iam_update_answer_late",
            lambda proxy, subject: proxy.slow_answer(
                UPDATE, contract.AWS_READ_TIMEOUT_SECONDS + 2, OpenIDConnectProviderArn=subject.arn
            ),
        ),
        "IAM write path",
    ),
    _fault(
        "iam_update_service_failure",
        "IAM answers 500 ServiceFailure to the update",
        "stale",
        "update_failed",
        _write_fault("iam_update_service_failure", _service_failure),
        "IAM write path",
    ),
)


AWS_FAULT_SCENARIOS: Final = (
    _fault(
        "iam_throttling",
        "IAM answers Throttling to the first List, the first three Get and the first Update calls",
        "stale",
        "updated",
        run_throttling,
    ),
    _fault(
        "iam_access_denied_on_update",
        "an SCP denies UpdateOpenIDConnectProviderThumbprint on this provider (403 AccessDenied)",
        "stale",
        "update_failed",
        run_access_denied,
    ),
    _fault(
        "provider_deleted_mid_sweep",
        "the provider is deleted after it was listed, before it is read (NoSuchEntity)",
        "error",
        "none",
        _deleted_when("GetOpenIDConnectProvider", "provider_deleted_mid_sweep"),
    ),
    _fault(
        "provider_deleted_before_update",
        "the provider is deleted after it was read, before its update (NoSuchEntity)",
        "stale",
        "update_failed",
        _deleted_when("UpdateOpenIDConnectProviderThumbprint", "provider_deleted_before_update"),
    ),
    _fault(
        "sns_unavailable",
        "SNS answers 503 ServiceUnavailable to every Publish",
        "stale",
        "updated",
        run_sns_unavailable,
    ),
    _fault(
        "aws_endpoint_dead",
        "nothing listens at the AWS endpoint (the emulator is down)",
        "-",
        "-",
        run_endpoint_dead,
    ),
    Scenario(
        ALERT_SIZE,
        "Alert size",
        f"one of 100 providers needing attention serves a 1 MiB discovery document with a "
        f"{HOSTILE_ISSUER_CHARACTERS:,}-character hostile issuer; 79 quote hostile certificate names",
        "invalid_discovery",
        "blocked",
        fault=run_alert_size,
    ),
)

FAULT_SCENARIOS: Final = (*AWS_FAULT_SCENARIOS, *DEADLINE_SCENARIOS, *WRITE_PATH_SCENARIOS)
# --- exact identity in payloads (each its own sweep, naming one provider) ------------------------------


def _payload_naming(name: str, identifier: Callable[[ProviderRun], str]) -> Callable[[Sandbox, Path], RunResult]:
    """A manual sweep naming the subject provider by `identifier`, beside a bystander it must not sweep."""

    def run(sandbox: Sandbox, workdir: Path) -> RunResult:
        sandbox.clear()
        subject = _subject(sandbox, name)
        _bystanders(sandbox, 1)  # not named: a finding for it breaks "exactly one finding per provider named"
        return sweep(sandbox, name, [subject], event={"providers": [identifier(subject)]})

    return run


def _with_path_case_swapped(run: ProviderRun) -> str:
    host, _, path = run.url.partition("/")
    return f"{host}/{path.swapcase()}"


def _identity(name: str, summary: str, status: str, action: str, identifier: Callable[[ProviderRun], str]) -> Scenario:
    return Scenario(name, ODD_INPUT, summary, status, action, fault=_payload_naming(name, identifier))


IDENTITY_SCENARIOS: Final = (
    _identity(
        "payload_foreign_partition_arn",
        "the payload names the provider by an ARN of the aws-cn partition and another account",
        "-",
        "-",
        lambda run: run.arn.replace("arn:aws:iam::123456789012:", "arn:aws-cn:iam::999999999999:"),
    ),
    _identity(
        "payload_foreign_account_arn",
        "the payload names the provider by an ARN of another account",
        "-",
        "-",
        lambda run: run.arn.replace(":123456789012:", ":999999999999:"),
    ),
    _identity(
        "payload_path_case_differs",
        "the payload names the provider's URL with its path in another case",
        "-",
        "-",
        _with_path_case_swapped,
    ),
    _identity(
        "payload_exact_arn_upper_host",
        "the payload names the provider's own ARN, its host in upper case (hosts fold case)",
        "stale",
        "updated",
        lambda run: run.arn.replace("localhost", "LOCALHOST"),
    ),
)

SCENARIOS: Final = (*SHARED_SCENARIOS, *FAULT_SCENARIOS, *IDENTITY_SCENARIOS)


def scenario_named(name: str) -> Scenario:
    return next(scenario for scenario in SCENARIOS if scenario.name == name)


# --- scale -----------------------------------------------------------------------------------------

# A third of the providers hostile, spread over the failure modes that cost time and the ones that do not.
SCALE_HOSTILE: Final = (
    "hung",
    "stalled_handshake",
    "slow_trickle",
    "reset",
    "reset_mid_handshake",
    "plain_http",
    "untrusted_root",
    "expired",
    "tls10_only",
    "discovery_500",
    "redirect_loop",
    "huge_discovery_chunked",
    "jwks_not_json",
    "issuer_mismatch",
    "wrong_hostname",
    "leaf_only",
    "inspected",
)
SCALE_HEALTHY: Final = ("healthy", "rotated_intermediate", "root_sent", "separate_jwks_host", "tls13_only")


def run_scale(sandbox: Sandbox, workdir: Path, providers: int = SCALE_PROVIDERS) -> RunResult:
    """`providers` providers, every third one hostile, in one sweep with the stack's shortest timeout."""
    sandbox.clear()
    registered = []
    for index in range(providers):
        hostile = index % 3 == 2
        pool = SCALE_HOSTILE if hostile else SCALE_HEALTHY
        behaviour = pool[(index // 3) % len(pool)]
        pinned: Pinned = "stale" if hostile or behaviour == "rotated_intermediate" else "live"
        scenario = Scenario(f"scale-{index:03d}-{behaviour}", "", "", "", "", behaviour=behaviour, pinned=pinned)
        registered.append(register(sandbox, scenario))
    bundle = matrix_bundle(sandbox.pki, workdir)
    return sweep(
        sandbox,
        "scale",
        registered,
        {contract.ENV_EXTRA_CA_BUNDLE: str(bundle)},
        timeout_seconds=SCALE_LAMBDA_TIMEOUT,
    )


# --- invariants --------------------------------------------------------------------------------------


def _normal(values: Sequence[str]) -> list[str]:
    return [value.replace(":", "").strip().lower() for value in values]


def violations(run: RunResult) -> list[str]:
    """Every breach of the matrix's invariants in one sweep (empty when all hold).

    - every provider gets exactly one finding (when the sweep got as far as listing);
    - no thumbprint is written from a chain that did not verify, or while a blocking problem stands;
    - nothing is written but the live certificate of a verified chain that is in its verified path or
      tied to it by signature, and nothing at all while interception or a chain-order defect stands;
    - no provider is left without an entry it had that matches a live (last presented) certificate;
      a pin matching a presented certificate goes only when every entry kept matches one too;
    - what IAM holds afterwards is what the finding says, at most 5 entries, lowercase, no duplicates;
    - the sweep's wall time stays within `sweep_budget`.
    """
    problems: list[str] = []
    if run.wall_seconds > run.budget_seconds:
        problems.append(f"{run.name}: took {run.wall_seconds:.1f} s, over its {run.budget_seconds:.1f} s budget")
    if run.report is None:
        # The sweep never got a list of providers: nothing may have been probed or written.
        for provider in run.providers:
            if provider.after != provider.pinned:
                problems.append(f"{run.name}: {provider.arn} changed without a report: {provider.after}")
            if provider.connections_made:
                problems.append(f"{run.name}: {provider.arn} was probed although the sweep never started")
        return problems
    problems.extend(f"{run.name}: {text}" for text in _text_breaches(run))
    counts: dict[str, int] = {}
    for finding in run.report["findings"]:
        counts[finding["arn"]] = counts.get(finding["arn"], 0) + 1
    expected = {provider.arn for provider in run.providers}
    if set(counts) != expected or any(count != 1 for count in counts.values()):
        problems.append(f"{run.name}: findings per provider {counts}, expected exactly one for each of {expected}")
    for provider in run.providers:
        problems.extend(
            f"{run.name}: {provider.scenario or provider.arn}: {text}" for text in _provider_breaches(provider)
        )
    return problems


def _text_breaches(run: RunResult) -> list[str]:
    """Server text stays escaped in the report and the alert; a sent alert is one message within SNS's limit."""
    assert run.report is not None
    breaches = [
        f"raw control in the report: {text[:80]!r}" for text in strings_in(run.report) if FORBIDDEN_TEXT.search(text)
    ]
    alerts = run.details.get("alerts", [])
    if run.report.get("alert", {}).get("sent") and len(alerts) != 1:
        breaches.append(f"{len(alerts)} alerts delivered, expected one")
    for alert in alerts:
        size = len(alert.body.encode()) + len(alert.subject.encode())
        size += sum(len(name.encode()) + len(value.encode()) for name, value in alert.attributes.items())
        if size > MESSAGE_LIMIT:
            breaches.append(f"the alert is {size} bytes, over SNS's {MESSAGE_LIMIT}")
        breaches += [
            f"raw control in the alert: {line[:80]!r}" for line in alert.body.split("\n") if FORBIDDEN_TEXT.search(line)
        ]
    return breaches


def _provider_breaches(provider: ProviderRun) -> list[str]:
    finding = provider.finding
    if finding is None:
        return []  # counted above
    if provider.after is None:
        return [] if finding["status"] == "error" or finding["action"] == "update_failed" else ["gone but not failed"]
    breaches = []
    before, after = _normal(provider.pinned), _normal(provider.after)
    hosts = finding["hosts"]
    presented = {c["sha1"] for host in hosts for c in host["certificates"]}
    live = {host["live_thumbprint"] for host in hosts if host["live_thumbprint"]}
    tied_live = {
        host["live_thumbprint"]
        for host in hosts
        if host["live_thumbprint"]
        and host["trust"] in TRUSTED
        and any(c["sha1"] == host["live_thumbprint"] and c.get("tied_to_verified_path") for c in host["certificates"])
    }
    changed = list(provider.after) != list(provider.pinned)
    distrusted = any(host["trust"] == "untrusted" for host in hosts) or any(
        problem["code"] in PATH_PROBLEMS for problem in finding["problems"]
    )
    if changed and (distrusted or Status(finding["status"]).blocks_write):
        breaches.append(f"written despite {finding['status']}: {provider.pinned} -> {provider.after}")
    added = set(after) - set(before)
    if not added <= tied_live:
        breaches.append(
            f"wrote {sorted(added - tied_live)}, not the live thumbprint of a verified chain tied to its path"
        )
    lost_live = (set(before) & live) - set(after)
    if lost_live:
        breaches.append(f"lost pins of live certificates: {sorted(lost_live)}")
    lost_presented = (set(before) & presented) - set(after)
    if lost_presented and any(value not in presented for value in after):
        breaches.append(f"dropped presented {sorted(lost_presented)} while keeping entries that match nothing")
    if changed:
        if len(after) > MAX_THUMBPRINTS or not after:
            breaches.append(f"wrote {len(after)} thumbprints")
        if list(provider.after) != after or len(set(after)) != len(after):
            breaches.append(f"wrote a list that is not lowercase and duplicate-free: {provider.after}")
    # A provider left out before it was read (time budget, unreadable) has no list in its finding to compare.
    unread = finding["status"] == "error" and not finding["thumbprints_before"] and not finding["thumbprints_after"]
    if (
        finding["action"] != "would_update"
        and not unread
        and sorted(after) != sorted(_normal(finding["thumbprints_after"]))
    ):
        breaches.append(f"IAM holds {provider.after}, the finding says {finding['thumbprints_after']}")
    return breaches


# --- the table ----------------------------------------------------------------------------------------

_PORT = re.compile(r"(localhost|127\.0\.0\.1|\[::1\]):\d+")
_SHA1 = re.compile(r"\b[0-9a-f]{40}\b")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\b")
_CERTIFICATE_REPR = re.compile(r" \(encountered processing <Certificate\(.*?\)>\)")
PROBLEM_WIDTH: Final = 170


def normalise(text: str) -> str:
    """A problem text that does not change between runs: no ports, thumbprints, dates or cert dumps."""
    text = _CERTIFICATE_REPR.sub("", text)
    text = _PORT.sub(r"\1:<port>", text)
    text = _SHA1.sub("<sha1>", text)
    text = _DATE.sub("<date>", text)
    text = " ".join(text.split())
    return text if len(text) <= PROBLEM_WIDTH else text[: PROBLEM_WIDTH - 1].rstrip() + "…"


def outcome(scenario: Scenario, run: RunResult) -> Outcome:
    """The row of `scenario` from the sweep it took part in."""
    if run.report is None:
        text = f"{type(run.error).__name__}: {run.error}" if run.error else "no report"
        return Outcome(scenario, "-", "-", normalise(text))
    finding = run.provider(scenario.name).finding
    if finding is None:
        return Outcome(scenario, "-", "-", "no finding")
    problems = finding["problems"]
    deciding = next((p for p in problems if p["status"] == finding["status"]), problems[0] if problems else None)
    if finding["action"] == "update_failed" and finding.get("error"):
        text = f"`update_failed`: {finding['error']}"
    elif scenario.group == "IAM write path" and finding.get("action_reason"):
        text = f"`{finding['action']}`: {finding['action_reason']}"
    elif deciding is not None:
        text = f"`{deciding['code']}`: {deciding['message']}"
    else:
        text = "-"
    said = next((wording for wording in scenario.racy_wording if wording in text), None)
    if said is not None:
        text = text.replace(said, " or ".join(scenario.racy_wording))
    if isinstance(run.error, AlertDeliveryError):
        alert_error = run.report["alert"].get("error", "")
        text = f"`AlertDeliveryError` (the invocation fails, carrying the report): {alert_error}"
    return Outcome(scenario, finding["status"], finding["action"], normalise(text))


GROUP_NOTES: Final = {
    ODD_INPUT: (
        "A provider ARN must name the swept account's partition and account (else a validation error before",
        "any AWS call) and a URL must match the provider's path case for case; only the host folds case. Every",
        "malformed thing a server sends (URLs no client can fetch as written, JSON parsers disagree on, lying",
        "HTTP framing, certificates with broken extensions) is one specific finding with a documented probe",
        "code, never `internal_error`. `tests/hostile/test_fuzz_probe.py` checks the same across generated",
        "documents, headers and chains: exactly one finding, no `internal_error`, no write unless the chain",
        "verifies.",
        "",
    ),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(outcomes: Sequence[Outcome], scale: RunResult | None = None) -> str:
    """docs/hostile-matrix.md: deterministic for the same code."""
    lines = [
        "# The hostile matrix: what the sweep does with hostile and faulty endpoints",
        "",
        "Generated by `python -m sandbox.matrix` from real sweeps through `lambda_handler`: moto in server",
        "mode, local OIDC issuers over real TLS, a fault-injecting proxy in front of the emulator. Do not",
        "edit by hand; `tests/hostile/test_matrix_doc.py` fails when this file is out of date.",
        "",
        "Every scenario runs with a stale pin unless its description says otherwise, so a row whose",
        "action is `none` or `blocked` also shows that nothing was written. Ports, thumbprints and dates",
        "in the problem text are replaced by placeholders.",
        "",
        "Settings of every sweep: connect and read timeouts 2 s, host budget 4 s, 16 workers. The shared",
        "sweep's EXTRA_CA_BUNDLE holds the private root, the private issuing CA pinned before its",
        "rotation, and a corporate TLS-inspection CA.",
        "",
        "Across every sweep the tests assert: each provider gets exactly one finding; no thumbprint is",
        "written from a chain that did not verify or while a blocking problem stands; nothing is written",
        "but the live certificate of a verified chain that is in its verified path or tied to it by",
        "signature, and nothing at all while interception or a chain-order defect stands; no provider",
        "loses a pin of a live certificate; what IAM holds afterwards is what the finding says; the sweep",
        "ends within `ceil(providers / workers) x (2 x host budget + 3 s) + 5 s`. Server text is untrusted: no",
        "string of any report and no line of any delivered alert holds a C0 or C1 control, DEL, U+2028/2029",
        "or a bidi control (they are escaped visibly, each server value capped at 256 characters), and a",
        "sweep that alerts delivers exactly one message within SNS's 256 KB (UTF-8 bytes, attributes included).",
        "",
    ]
    for group in GROUPS:
        rows = [item for item in outcomes if item.scenario.group == group]
        if not rows:
            continue
        lines += [f"## {group}", "", *GROUP_NOTES.get(group, ())]
        lines += [
            "| Scenario | What the endpoint does | Status | Action | Problem |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{item.scenario.name}` | {_cell(item.scenario.summary)} | {item.status} | {item.action} "
            f"| {_cell(item.problem)} |"
            for item in rows
        ]
        lines.append("")
    if scale is not None and scale.report is not None:
        summary = scale.report["summary"]
        statuses = ", ".join(f"{status} {summary[status]}" for status in Status if summary.get(status))
        actions = ", ".join(f"{action} {summary[action]}" for action in Action if summary.get(action))
        lines += [
            "## Scale",
            "",
            f"{len(scale.providers)} providers in one sweep, every third one hostile, with the stack's shortest",
            f"Lambda timeout ({SCALE_LAMBDA_TIMEOUT} s): every provider gets exactly one finding, none runs out",
            "of time, and the invariants above hold. Hostile behaviours, in turn:",
            ", ".join(f"`{name}`" for name in SCALE_HOSTILE) + ".",
            "",
            f"Statuses: {statuses}. Actions: {actions}.",
            "",
        ]
    lines += [
        "## Verified-path rule",
        "",
        "Everything is judged on the verified path (the certificates the verifier returned), never on",
        "what was merely presented. A thumbprint is written only for the last presented certificate, and",
        "only when it is in that path or tied to it by signature: a cross-signed copy of a path CA (same",
        "subject and key), or the issuer of a tied certificate (the seed's Starfield G2 case). The",
        "presented list must read as an issuer chain from the leaf up; a misordered chain",
        "(`chain_misordered`), a repeated CA (`chain_duplicate_certificate`) or a certificate the path",
        "does not reach (`chain_unrelated_certificate`) is `untrusted` and blocks the write: IAM's user",
        "guide says STS then fails to validate the JWT, so the server's operator must fix it.",
        "",
        "## Interception rule",
        "",
        "A chain that verifies only through EXTRA_CA_BUNDLE takes over from a provider's pins only when",
        "something ties the provider to the operator's PKI: it has no pins yet, a pin is on the verified",
        "path or tied to it by signature, or a pin is a CA of EXTRA_CA_BUNDLE whose own issuers meet the",
        "verified path (public roots copied into the bundle do not count). A pinned certificate a proxy",
        "merely forwards is no such tie, nor a pinned bundle CA when the chain runs through another CA",
        "of the bundle. Otherwise the provider is `untrusted` with `interception_suspected` and nothing",
        "is written.",
        "A pin of the public PKI (a public root, or a presented certificate that chains to one by",
        "signature) is never overridden. A pinned public intermediate that is not presented is only a",
        "hash, indistinguishable from a rotated private issuing CA: a provider tagged",
        f"`{contract.PRIVATE_CA_TAG_KEY}=true` follows such rotations, and only those.",
        "",
    ]
    return "\n".join(lines)


# --- running everything ---------------------------------------------------------------------------------


@dataclass
class MatrixResults:
    shared: RunResult
    faults: dict[str, RunResult]
    scale: RunResult | None

    def run_of(self, scenario: Scenario) -> RunResult:
        return self.shared if scenario.shared else self.faults[scenario.name]

    def outcomes(self) -> list[Outcome]:
        return [outcome(scenario, self.run_of(scenario)) for scenario in SCENARIOS]

    def runs(self) -> Iterator[RunResult]:
        yield self.shared
        yield from self.faults.values()
        if self.scale is not None:
            yield self.scale


def run_matrix(sandbox: Sandbox, workdir: Path, *, scale: bool = True) -> MatrixResults:
    """Every sweep of the matrix, one after the other on one sandbox (each starts from an empty account)."""
    try:
        shared = run_shared(sandbox, workdir)
        faults = {}
        for scenario in (*FAULT_SCENARIOS, *IDENTITY_SCENARIOS):
            assert scenario.fault is not None
            faults[scenario.name] = scenario.fault(sandbox, workdir)
        scaled = run_scale(sandbox, workdir) if scale else None
    finally:
        sandbox.clear()
    return MatrixResults(shared, faults, scaled)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    parser.add_argument("--output", type=Path, default=DOC_PATH)
    arguments = parser.parse_args(argv)
    log = io.StringIO()
    with (
        Sandbox() as sandbox,
        tempfile.TemporaryDirectory(prefix="hostile-matrix-") as workdir,
        contextlib.redirect_stdout(log),  # the handler's JSON logs and metrics
    ):
        results = run_matrix(sandbox, Path(workdir))
    breaches = [breach for run in results.runs() for breach in violations(run)]
    wrong = [
        f"{item.scenario.name}: expected {item.scenario.status}/{item.scenario.action}, got {item.status}/{item.action}"
        for item in results.outcomes()
        if (item.status, item.action) != (item.scenario.status, item.scenario.action)
    ]
    for line in breaches + wrong:
        print(line, file=sys.stderr)
    if breaches or wrong:
        return 1
    document = render(results.outcomes(), results.scale)
    current = arguments.output.read_text() if arguments.output.exists() else None
    if arguments.check:
        if current != document:
            print(f"{arguments.output} is out of date: run python -m sandbox.matrix", file=sys.stderr)
            return 1
        return 0
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(document)
    print(f"wrote {arguments.output} ({len(results.outcomes())} scenarios)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
