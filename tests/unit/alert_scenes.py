"""Deterministic sweep reports for the alert's approval and fact tests: every status and every action, judged by
the real rules (assess), decided and written as the sweep would (remediation), on a fixed clock with fixed
certificate names (so fixed thumbprints). Plain data, no network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tests.unit.builders import NOW, certificate, sha1_of
from thumbprint_remediator.contract.names import SKIP_TAG_KEY
from thumbprint_remediator.domain.models import (
    CertificateInfo,
    Endpoint,
    HostCapture,
    ProbeFailure,
    ProbeResult,
    ProviderConfig,
    Role,
    Trust,
    TrustResult,
)
from thumbprint_remediator.domain.remediation import Remediation, Write, WriteOutcome, decide, judge_write
from thumbprint_remediator.domain.report import Finding, build_report, describe_host
from thumbprint_remediator.domain.rules import assess
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.untrusted import server_text
from thumbprint_remediator.domain.views import ChangeEntry, FindingHistory, to_builtins
from thumbprint_remediator.report.alerts import AlertContext

ACCOUNT = "123456789012"
SWEEP_ID = "5e1f0c2a9b7d"
CONTEXT = AlertContext(
    region="eu-west-1",
    stack_name="OidcThumbprintRemediator",
    function_name="OidcThumbprintRemediator-SweepFunction1A2B3C4D-AbCdEfGh1234",
    dashboard_name="OidcThumbprintRemediator-eu-west-1",
    log_group_name="/aws/lambda/OidcThumbprintRemediator-Sweep",
)
OUTSIDER = "0123456789abcdef0123456789abcdef01234567"
SKIP_HOLD = f"tagged {SKIP_TAG_KEY}=true"

# What each host presents: a leaf and the issuing CA on top (the certificate IAM pins), named after the host.
Chain = tuple[str, ...]


def chain_of(host: str, generation: str = "") -> Chain:
    return (f"{host} leaf{generation}", f"{host} issuing CA{generation}")


def top(host: str, generation: str = "") -> str:
    """The thumbprint of a host's top certificate: what IAM pins."""
    return sha1_of(chain_of(host, generation)[-1])


def host_capture(host: str, names: Sequence[str], *, days_left: float = 365, accepts_tls12: bool = True) -> HostCapture:
    chain: tuple[CertificateInfo, ...] = tuple(
        certificate(name, days_left, is_ca=index > 0) for index, name in enumerate(names)
    )
    return HostCapture(
        endpoint=Endpoint(host, 443),
        roles=(Role.DISCOVERY, Role.JWKS),
        presented_chain=chain,
        tls_version="TLSv1.2",
        accepts_tls12=accepts_tls12,
        handshakes=1,
    )


def probe(host: HostCapture | None, *, failure: ProbeFailure | None = None) -> ProbeResult:
    return ProbeResult(
        provider_url="",
        hosts=(host,) if host else (),
        issuer=server_text("https://issuer"),
        jwks_uri=server_text("https://issuer/keys"),
        jwks_key_count=1,
        failure=failure,
    )


def landed(proposed: Sequence[str], current: Sequence[str]) -> WriteOutcome:
    return WriteOutcome(proposed=tuple(proposed), current=tuple(current), read_back=tuple(proposed))


def refused(proposed: Sequence[str], current: Sequence[str]) -> WriteOutcome:
    return WriteOutcome(proposed=tuple(proposed), current=tuple(current), refused="AccessDenied: not authorized")


def unanswered(proposed: Sequence[str], current: Sequence[str]) -> WriteOutcome:
    return WriteOutcome(
        proposed=tuple(proposed), current=tuple(current), unanswered="read timeout on IAM", read_error="read timeout"
    )


def finding(
    url: str,
    *,
    pinned: Sequence[str],
    capture: HostCapture | None,
    trust: Trust = Trust.PUBLIC,
    failure: ProbeFailure | None = None,
    dry_run: bool = False,
    hold: bool = False,
    write: Callable[[Sequence[str], Sequence[str]], WriteOutcome] = landed,
    history: FindingHistory | None = None,
    trust_error: str | None = None,
) -> Finding:
    """One provider as the sweep would report it: assessed by the rules, decided, and written with `write`."""
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}"
    config = ProviderConfig(arn=arn, url=url, thumbprints=tuple(pinned))
    observed = probe(capture, failure=failure)
    trusts = {}
    if capture is not None:
        verified = () if trust is Trust.UNTRUSTED else tuple(c.sha1 for c in capture.presented_chain)
        trusts[capture.endpoint] = TrustResult(trust, verified_path=verified, error=trust_error)
    assessment = assess(config, observed, trusts, 30, NOW)
    decision = decide(
        tuple(pinned), assessment, dry_run=dry_run, seconds_left=None, write_window=12, hold=SKIP_HOLD if hold else None
    )
    outcome: Remediation = judge_write(write(decision.thumbprints, pinned)) if isinstance(decision, Write) else decision
    healthy_but_held = hold and Status(assessment.status).healthy  # as the sweep reports it
    return Finding(
        arn=arn,
        url=url,
        status=Status.SKIPPED if healthy_but_held else assessment.status,
        action=outcome.action,
        problems=assessment.problems,
        thumbprints_before=tuple(pinned),
        thumbprints_after=outcome.after,
        hosts=tuple(describe_host(h, trusts.get(h.endpoint), NOW) for h in observed.hosts),
        error=outcome.error,
        action_reason=outcome.reason,
        thumbprint_reliance=assessment.thumbprint_reliance,
        nearest_expiry=assessment.nearest_expiry,
        history=history,
    )


def report(findings: Sequence[Finding], *, dry_run: bool = False, history: bool = False) -> dict[str, Any]:
    return to_builtins(
        build_report(
            account=ACCOUNT,
            dry_run=dry_run,
            started_at=NOW,
            duration_ms=240,
            findings=findings,
            sweep_id=SWEEP_ID,
            history_enabled=history,
        )
    )


# --- one provider of each kind -------------------------------------------------------------------------------------
def healthy(url: str = "eks.example/id/5ECB27") -> Finding:
    host = url.split("/", maxsplit=1)[0]
    return finding(url, pinned=[top(host)], capture=host_capture(host, chain_of(host)))


def skipped(url: str = "legacy-ok.example") -> Finding:
    host = url.split("/", maxsplit=1)[0]
    return finding(url, pinned=[top(host)], capture=host_capture(host, chain_of(host)), hold=True)


def rotated(url: str = "gitlab.example", *, dry_run: bool = False, hold: bool = False, **kw: Any) -> Finding:
    """A public CA rotated its issuing CA: the live top is not pinned (IAM's fallback only)."""
    host = url.split("/", maxsplit=1)[0]
    return finding(
        url, pinned=[top(host)], capture=host_capture(host, chain_of(host, " 2")), dry_run=dry_run, hold=hold, **kw
    )


def private_empty(url: str = "keycloak.example/realms/prod", *, dry_run: bool = False) -> Finding:
    """A private CA's provider registered without thumbprints: IAM relies on the thumbprint."""
    host = url.split("/", maxsplit=1)[0]
    return finding(url, pinned=[], capture=host_capture(host, chain_of(host)), trust=Trust.PRIVATE, dry_run=dry_run)


def private_rotated(url: str = "vault.example", *, dry_run: bool = False) -> Finding:
    host = url.split("/", maxsplit=1)[0]
    return finding(
        url, pinned=[top(host)], capture=host_capture(host, chain_of(host, " 2")), trust=Trust.PRIVATE, dry_run=dry_run
    )


def intercepted(url: str = "corp.example") -> Finding:
    host = url.split("/", maxsplit=1)[0]
    return finding(
        url,
        pinned=[top(host)],
        capture=host_capture(host, (f"{host} leaf", "Interception Root CA")),
        trust=Trust.UNTRUSTED,
        trust_error="no path to a trusted CA: the issuer of the last certificate presented ('CN=Interception Root CA "
        "issuer') is not in the trust store, EXTRA_CA_BUNDLE or the pins",
    )


def expiring(url: str = "k8s.example", *, days: float = 9.5) -> Finding:
    """The leaf and the issuing CA expire the same day."""
    host = url.split("/", maxsplit=1)[0]
    return finding(url, pinned=[top(host)], capture=host_capture(host, chain_of(host), days_left=days))


def expired(url: str = "old.example") -> Finding:
    host = url.split("/", maxsplit=1)[0]
    return finding(url, pinned=[top(host)], capture=host_capture(host, chain_of(host), days_left=-2))


def unreachable(url: str = "down.example") -> Finding:
    host = url.split("/", maxsplit=1)[0]
    failure = ProbeFailure(
        Status.UNREACHABLE, "connect_timeout", server_text(f"{host}:443: connect timed out after 5 s")
    )
    return finding(url, pinned=[top(host)], capture=None, failure=failure)


def invalid_discovery(url: str = "broken.example") -> Finding:
    host = url.split("/", maxsplit=1)[0]
    failure = ProbeFailure(
        Status.INVALID_DISCOVERY,
        "issuer_mismatch",
        server_text("the discovery document names issuer https://other.example"),
    )
    return finding(url, pinned=[top(host)], capture=host_capture(host, chain_of(host)), failure=failure)


def drifted_private(url: str = "keycloak.example/realms/prod", pin: str = OUTSIDER) -> Finding:
    """A private CA's provider, healthy, whose list someone else widened since the last sweep."""
    host = url.split("/", maxsplit=1)[0]
    history = FindingHistory(
        state="on",
        first_sweep=False,
        since_last_sweep=[ChangeEntry(kind="drift", detail=f"changed outside the tool: added {pin}")],
        drift=True,
        news="changed since the last sweep: drift",
        untold=[],
        placeholder_pins=[],
        pruned=[],
        prune_pending=[],
    )
    return finding(
        url, pinned=[top(host), pin], capture=host_capture(host, chain_of(host)), trust=Trust.PRIVATE, history=history
    )
