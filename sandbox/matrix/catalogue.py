"""The catalogue of the hostile matrix: every scenario, the group it belongs to and what the sweep must answer.

Shared scenarios name a sandbox behaviour and a pin and join one sweep; the others (AWS faults,
deadlines, the IAM write path, exact identity, alert size) name the sweep they run on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from sandbox.environment import Sandbox, stale_thumbprint
from sandbox.faults import FaultProxy, FaultRule, closed_port
from sandbox.issuers import HOSTILE_ISSUER_CHARACTERS, Issuer, behaviour_named
from sandbox.matrix import silence
from sandbox.matrix.model import Pinned, ProviderRun, RunResult, Scenario
from sandbox.matrix.registration import public_top
from sandbox.matrix.shared_endpoints import GROUP as SHARED_ENDPOINTS
from sandbox.matrix.shared_endpoints import SHARED_ENDPOINT_SCENARIOS
from sandbox.matrix.sweeps import (
    ALERT_SIZE,
    BELOW_FLOOR_TIMEOUT,
    FLOOR_TIMEOUT,
    UPDATE,
    deleted_when,
    payload_naming,
    run_access_denied,
    run_alert_size,
    run_endpoint_dead,
    run_sns_hung,
    run_sns_unavailable,
    run_throttling,
    run_update_in_flight_at_deadline,
    timed,
    write_fault,
)
from sandbox.odd_input import ODD_BEHAVIOURS  # importing it also registers the odd behaviours
from sandbox.pki import SandboxPki
from thumbprint_remediator.contract.deadlines import AWS_READ_TIMEOUT_SECONDS, DEFAULT_HOST_BUDGET_SECONDS
from thumbprint_remediator.contract.names import PRIVATE_CA_TAG_KEY

ODD_INPUT: Final = "Exact identity and odd input"
SILENCE: Final = "Silence"
GROUPS: Final = (
    "TLS",
    "Verified path",
    "HTTP and OIDC",
    SHARED_ENDPOINTS,
    "Thumbprint lists",
    "AWS faults",
    "Deadlines",
    "IAM write path",
    ODD_INPUT,
    "Server text",
    "Alert size",
    SILENCE,
)


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


PRIVATE_TAG: Final = {PRIVATE_CA_TAG_KEY: "true"}


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
        pinned=public_top,
    ),
    _tls("untrusted_root", _same("untrusted_root"), "untrusted", "blocked", behaviour="untrusted_root"),
    _tls(
        "tls_interception_public_pin",
        "re-signed by a corporate inspection CA that is in EXTRA_CA_BUNDLE; the provider pins its public issuing CA",
        "untrusted",
        "blocked",
        behaviour="inspected",
        pinned=public_top,
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
        pinned=public_top,
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
        pinned=public_top,
    ),
    _path(
        "proxy_forwards_pinned_public_ca_tagged",
        "as above, on a provider tagged oidc-thumbprint-remediator:private-ca=true",
        "untrusted",
        "blocked",
        behaviour="inspected_forwarding_public_ca",
        pinned=public_top,
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
        pinned=public_top,
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


# --- scenarios that run their own sweep ---------------------------------------------------------------


def _fault(
    name: str,
    summary: str,
    status: str,
    action: str,
    run: Callable[[Sandbox, Path], RunResult],
    group: str = "AWS faults",
) -> Scenario:
    return Scenario(name, group, summary, status, action, fault=run)


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
        f"a {BELOW_FLOOR_TIMEOUT} s function with the default {DEFAULT_HOST_BUDGET_SECONDS:g} s host budget "
        "(synth refuses it now)",
        "error",
        "none",
        timed("timeout_below_floor", BELOW_FLOOR_TIMEOUT),
        "Deadlines",
    ),
    _fault(
        "timeout_at_floor",
        f"a {FLOOR_TIMEOUT} s function, the shortest synth accepts for the default host budget",
        "stale",
        "updated",
        timed("timeout_at_floor", FLOOR_TIMEOUT),
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
        write_fault(
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
        write_fault("iam_stale_read_back", lambda proxy, subject: proxy.stale_read_back(subject.arn, times=2)),
        "IAM write path",
    ),
    _fault(
        "iam_update_answer_late",
        "IAM applies the update at once but answers only after the client's read timeout",
        "stale",
        "updated",
        write_fault(
            "iam_update_answer_late",
            lambda proxy, subject: proxy.slow_answer(
                UPDATE, AWS_READ_TIMEOUT_SECONDS + 2, OpenIDConnectProviderArn=subject.arn
            ),
        ),
        "IAM write path",
    ),
    _fault(
        "iam_update_service_failure",
        "IAM answers 500 ServiceFailure to the update",
        "stale",
        "update_failed",
        write_fault("iam_update_service_failure", _service_failure),
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
        deleted_when("GetOpenIDConnectProvider", "provider_deleted_mid_sweep"),
    ),
    _fault(
        "provider_deleted_before_update",
        "the provider is deleted after it was read, before its update (NoSuchEntity)",
        "stale",
        "update_failed",
        deleted_when("UpdateOpenIDConnectProviderThumbprint", "provider_deleted_before_update"),
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


def _silence(name: str, summary: str, status: str, action: str, run: Callable[..., RunResult]) -> Scenario:
    scenario = Scenario(name, SILENCE, summary, status, action, behaviour="healthy", pinned="live")
    return silence.bound(scenario, run)


# News that something other than a delivered alert could use up; the row is the next scheduled sweep's.
SILENCE_SCENARIOS: Final = (
    _silence(
        "silence_config_saw_drift",
        "someone adds a pin; an AWS Config evaluation (never e-mails) sees it before the scheduled sweep",
        "ok",
        "none",
        silence.silenced(silence.drift, silence.config_evaluation),
    ),
    _silence(
        "silence_quiet_dry_run_saw_interception",
        'the chain is intercepted; a manual {"dry_run": true, "notify": "never"} sees it first',
        "untrusted",
        "blocked",
        silence.silenced(silence.interception, silence.quiet_dry_run),
    ),
    _silence(
        "silence_interception_came_and_went",
        "intercepted while a quiet dry run looks, clean again by the scheduled sweep",
        "ok",
        "none",
        silence.silenced(silence.interception_that_stops, silence.quiet_dry_run, restore=True),
    ),
    _silence(
        "silence_sns_refused",
        "someone adds a pin; the sweep that sees it cannot publish (SNS refuses), so the invocation fails",
        "ok",
        "none",
        silence.silenced(silence.drift, silence.sns_refuses),
    ),
    _silence(
        "silence_told_mark_refused",
        "someone adds a pin; its alert is delivered, then the table refuses to mark it told",
        "ok",
        "none",
        silence.silenced(silence.drift, silence.told_mark_refused),
    ),
    _silence(
        "silence_foreign_skip_tag",
        "someone else tags the provider skip=true and replaces its pins with a foreign one",
        "stale",
        "none",
        silence.silenced(silence.foreign_skip_tag_and_pin, None),
    ),
)

FAULT_SCENARIOS: Final = (*AWS_FAULT_SCENARIOS, *DEADLINE_SCENARIOS, *WRITE_PATH_SCENARIOS, *SILENCE_SCENARIOS)


def _with_path_case_swapped(run: ProviderRun) -> str:
    host, _, path = run.url.partition("/")
    return f"{host}/{path.swapcase()}"


def _identity(name: str, summary: str, status: str, action: str, identifier: Callable[[ProviderRun], str]) -> Scenario:
    return Scenario(name, ODD_INPUT, summary, status, action, fault=payload_naming(name, identifier))


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

SCENARIOS: Final = (*SHARED_SCENARIOS, *SHARED_ENDPOINT_SCENARIOS, *FAULT_SCENARIOS, *IDENTITY_SCENARIOS)


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
