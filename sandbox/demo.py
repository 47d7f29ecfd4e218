"""`make demo`: the whole job on the offline sandbox, through the same lambda_handler the Lambda runs.

1. a dry run, shown as a table of findings;
2. a real sweep, with each provider's thumbprint list before -> after as read back from IAM;
3. the alert as SNS delivers it: the e-mail a person reads, and the report as JSON the queue received;
4. a second sweep a day later, remembering the first (history table): what changed since the last sweep.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import msgspec

from sandbox.aws import Alert
from sandbox.environment import Provider, Sandbox
from thumbprint_remediator.cli.table import findings_table, summary_line, use_colour
from thumbprint_remediator.contract.names import ENV_HISTORY_TABLE, ENV_NOTIFY_ON, SKIP_TAG_KEY
from thumbprint_remediator.domain.views import Report


@dataclass(frozen=True)
class DemoProvider:
    label: str  # what kind of real issuer it stands for
    behaviour: str
    pinned: str
    path: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    rotate_to: str | None = None  # the issuer's CA rotates after it was registered


CATALOGUE = (
    DemoProvider("EKS cluster, healthy", "healthy", "live", "/id/5ECB2797CB1324A37FC79E3C46851CED"),
    DemoProvider("GitLab, CA rotated", "healthy", "live", "/gitlab", rotate_to="rotated"),
    DemoProvider("Keycloak, private CA", "private_ca", "empty", "/realms/prod"),
    DemoProvider("Dex, separate JWKS host", "separate_jwks_host", "stale", "/dex"),
    DemoProvider("Kubernetes, CA expiring soon", "expiring_soon", "live", "/k8s"),
    DemoProvider("Intercepted (MITM)", "untrusted_root", "stale", "/corp"),
    DemoProvider("Legacy, tagged skip", "rotated_intermediate", "stale", "/legacy", ((SKIP_TAG_KEY, "true"),)),
)


def populate(sandbox: Sandbox) -> list[tuple[DemoProvider, Provider]]:
    """Register the demo's providers; rotate the CAs that rotate after registration."""
    registered = []
    for item in CATALOGUE:
        provider = sandbox.add_provider(item.behaviour, pinned=item.pinned, path=item.path, tags=dict(item.tags))
        if item.rotate_to:
            sandbox.fleet.rotate(provider.issuer, item.rotate_to)
        registered.append((item, provider))
    return registered


class Printer:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = use_colour(stream)

    def heading(self, text: str) -> None:
        rule = "=" * len(text)
        if self.colour:
            text = f"\033[1;36m{text}\033[0m"
        self.line(f"\n{text}\n{rule}")

    def line(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)


def _decoded(report: object) -> Report:
    """The function's JSON as the report it was built as: the CLI's renderers read the typed report."""
    return msgspec.convert(report, Report)


def run(stream: TextIO = sys.stdout) -> int:  # noqa: C901, PLR0915 - the demo's script, step by step as the README shows it
    out = Printer(stream)
    started = time.monotonic()
    log_path = Path(tempfile.gettempdir()) / "oidc-thumbprint-demo-function.log"
    out.heading("Starting the sandbox")
    # The function's own stdout (JSON logs, EMF metrics) goes to a file, as CloudWatch would take it.
    # It stays open for the whole run: the function's logger keeps the stream it first saw.
    with log_path.open("w") as function_log, Sandbox() as sandbox:

        def function_output() -> contextlib.AbstractContextManager[object]:
            return contextlib.redirect_stdout(function_log)

        registered = populate(sandbox)
        out.line(f"Emulated AWS account 123456789012 at {sandbox.account.endpoint_url} (moto)")
        out.line(f"{len(registered)} local OIDC issuers on 127.0.0.1 with a generated PKI, registered in IAM:")
        for item, provider in registered:
            out.line(f"  {item.label:<30} https://{provider.url}")

        out.heading("1. Dry run: what the sweep would do")
        with function_output():
            report = sandbox.invoke({"dry_run": True, "notify": "never"})
        out.line(findings_table(_decoded(report), colour=out.colour))
        out.line()
        out.line(summary_line(_decoded(report)))

        out.heading("2. Real sweep (the scheduled event)")
        history: dict[str, Any] = {ENV_HISTORY_TABLE: sandbox.account.create_history_table(), ENV_NOTIFY_ON: "changes"}
        with function_output():
            report = sandbox.invoke(None, history)
        out.line(summary_line(_decoded(report)))
        labels = {provider.arn: item.label for item, provider in registered}
        for finding in report["findings"]:
            out.line(f"\n  {labels[finding['arn']]}: {finding['status']} -> {finding['action']}")
            out.line(f"    before: {_thumbprints(finding['thumbprints_before'])}")
            out.line(f"    after:  {_thumbprints(sandbox.thumbprints(finding['arn']))}  (read back from IAM)")
            if finding.get("action_reason") and finding["action"] != "none":
                out.line(f"    why:    {finding['action_reason']}")

        out.heading("3. The alert, as SNS delivers it: the e-mail, and the report the queue received")
        alerts = sandbox.alerts()
        for alert in alerts:
            out.line(f"Subject: {alert.subject}")
            out.line(f"Attributes: {_attributes(alert.attributes)}")
            out.line()
            out.line(alert.body)
            out.line()
            out.line(_forms(alert))
        if not alerts:
            out.line("No alert was delivered: that is a bug, the sweep above found problems.")
            return 1

        out.heading("4. The next sweep: what changed since the last sweep")
        by_label = {item.label: provider for item, provider in registered}
        eks, keycloak = by_label["EKS cluster, healthy"], by_label["Keycloak, private CA"]
        sandbox.fleet.rotate(eks.issuer, "rotated")
        outsider = "0123456789abcdef0123456789abcdef01234567"
        sandbox.account.set_thumbprints(keycloak.arn, [*sandbox.thumbprints(keycloak), outsider])
        out.line("Meanwhile the EKS issuer's intermediate CA rotated, and someone added a thumbprint to the")
        out.line("Keycloak provider with the AWS API. The function remembers the first sweep in its history table.")
        with function_output():
            report = sandbox.invoke(None, history)
        for finding in report["findings"]:
            changes = finding.get("history", {}).get("since_last_sweep", [])
            news = finding.get("history", {}).get("news")
            if changes or news:
                out.line(f"\n  {labels[finding['arn']]}: {finding['status']} -> {finding['action']}")
                for change in changes:
                    out.line(f"    since the last sweep: {change['kind']}: {change['detail']}")
                if news:
                    out.line(f"    why it is news: {news}")
        quiet = [labels[f["arn"]] for f in report["findings"] if not f.get("history", {}).get("since_last_sweep")]
        out.line(f"\n  Unchanged since the last sweep (standing problems are reminded, not news): {', '.join(quiet)}")
        for alert in sandbox.alerts():
            out.line(f"\nSubject: {alert.subject}")
            out.line(f"Attributes: {_attributes(alert.attributes)}")
            widened = _block_of(alert.body, "TRUST WIDENED")
            if widened:
                out.line("The thumbprint added by hand widens what IAM trusts for the private CA's provider:")
                out.line(widened)

    out.heading("Done")
    out.line(f"Demo finished in {time.monotonic() - started:.1f} s. The function's own log lines are in {log_path}.")
    out.line("Deploy it for real, once per account:")
    out.line("  make deploy-install")
    out.line("  npx cdk bootstrap")
    out.line("  npx cdk deploy -c alertEmails=you@example.com")
    out.line("Explore the sandbox yourself: make sandbox")
    return 0


def _thumbprints(values: Any) -> str:
    if values is None:
        return "unknown (not read)"
    return ", ".join(values) if values else "(empty)"


def _attributes(attributes: dict[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(attributes.items()))


def _block_of(body: str, marker: str) -> str:
    """The e-mail's block whose headline carries `marker`, up to the blank line after it."""
    lines = body.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("[") and marker in line), None)
    if start is None:
        return ""
    end = lines.index("", start)
    return "\n".join(lines[start:end])


def _forms(alert: Alert) -> str:
    """What the other subscribers got, and what the one message weighs against SNS's limit."""
    report = alert.report()
    message = json.dumps(alert.forms, ensure_ascii=False, separators=(",", ":"))
    sizes = ", ".join(f"{name} {len(text.encode()):,}" for name, text in alert.forms.items())
    return (
        f"The queue received the report as JSON ({len(alert.queued.encode()):,} bytes, "
        f"{len(report['findings'])} findings, sweep_id {report['sweep_id']}); so would a Lambda, HTTPS or "
        f"email-json subscriber.\n"
        f"One message, a form per reader, in bytes: {sizes}; {len(message.encode()):,} in all, of SNS's 262,144."
    )


if __name__ == "__main__":
    sys.exit(run())
