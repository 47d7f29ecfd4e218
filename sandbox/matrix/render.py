"""The table of docs/hostile-matrix.md: each scenario's outcome, with the text that changes between runs removed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sandbox.matrix.catalogue import GROUPS, ODD_INPUT, SCALE_HOSTILE, SILENCE
from sandbox.matrix.model import RunResult, Scenario
from sandbox.matrix.shared_endpoints import GROUP as SHARED_ENDPOINTS
from sandbox.matrix.shared_endpoints import GROUP_NOTE as SHARED_ENDPOINTS_NOTE
from sandbox.matrix.sweeps import SCALE_LAMBDA_TIMEOUT
from thumbprint_remediator.contract.names import PRIVATE_CA_TAG_KEY
from thumbprint_remediator.domain.errors import AlertDeliveryError
from thumbprint_remediator.domain.status import Action, Status

DOC_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "hostile-matrix.md"
_PORT = re.compile(r"(localhost|127\.0\.0\.1|\[::1\]):\d+")
_SHA1 = re.compile(r"\b[0-9a-f]{40}\b")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\b")
_CERTIFICATE_REPR = re.compile(r" \(encountered processing <Certificate\(.*?\)>\)")
_CLUSTER = re.compile(r"/id/[0-9A-F]{8}E{24}\b")  # a shared-host tenant's path: numbered in creation order
PROBLEM_WIDTH: Final = 170


def normalise(text: str) -> str:
    """A problem text that does not change between runs: no ports, thumbprints, dates, cluster ids or cert dumps."""
    text = _CERTIFICATE_REPR.sub("", text)
    text = _PORT.sub(r"\1:<port>", text)
    text = _SHA1.sub("<sha1>", text)
    text = _CLUSTER.sub("/id/<cluster>", text)
    text = _DATE.sub("<date>", text)
    text = " ".join(text.split())
    return text if len(text) <= PROBLEM_WIDTH else text[: PROBLEM_WIDTH - 1].rstrip() + "…"


@dataclass(frozen=True)
class Outcome:
    """What the table says about one scenario."""

    scenario: Scenario
    status: str
    action: str
    problem: str


def outcome(scenario: Scenario, run: RunResult) -> Outcome:
    """The row of `scenario` from the sweep it took part in."""
    if run.report is None:
        text = f"{type(run.error).__name__}: {run.error}" if run.error else "no report"
        return Outcome(scenario, "-", "-", normalise(text))
    finding = run.provider(scenario.name).finding
    if finding is None:
        return Outcome(scenario, "-", "-", "no finding")
    # The endpoint's problems: no role trusts a matrix provider, so posture would only add its unused-provider note.
    problems = [problem for problem in finding["problems"] if "severity" not in problem]
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
    SHARED_ENDPOINTS: SHARED_ENDPOINTS_NOTE,
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
    SILENCE: (
        "Nothing but a delivered alert uses up news. Each row: the tool saw the provider once (history on,",
        "`NOTIFY_ON=changes`), the world changed, something that tells nobody saw it first (a Config evaluation,",
        "a quiet dry run, an alert SNS refused, a told-mark the table refused) or someone else tagged the",
        "provider to be skipped; the row is the next scheduled sweep, and `tests/hostile/test_matrix.py` holds",
        "that its delivered alert tells the change.",
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
        "action is `none` or `blocked` also shows that nothing was written. Ports, thumbprints, dates",
        "and shared-host cluster ids in the problem text are replaced by placeholders.",
        "",
        "Settings of every sweep unless its group says otherwise: connect and read timeouts 2 s, host",
        "budget 4 s, 16 workers. The shared sweep's EXTRA_CA_BUNDLE holds the private root, the private",
        "issuing CA pinned before its rotation, and a corporate TLS-inspection CA.",
        "",
        "Across every sweep the tests assert: each provider gets exactly one finding; no thumbprint is",
        "written from a chain that did not verify or while a blocking problem stands; nothing is written",
        "but the live certificate of a verified chain that is in its verified path or tied to it by",
        "signature, and nothing at all while interception or a chain-order defect stands; no provider",
        "loses a pin of a live certificate; what IAM holds afterwards is what the finding says; no finding",
        "is an `internal_error`; the sweep ends within `ceil(providers / workers) x (2 x host budget + 3 s)",
        "+ 5 s`. Server text is untrusted: no string of any report and no line of any delivered alert holds",
        "a C0 or C1 control, DEL, U+2028/2029 or a bidi control (they are escaped visibly, each server value",
        "capped at 256 characters), and a sweep that alerts delivers exactly one message within SNS's 256 KB",
        "(UTF-8 bytes, attributes included).",
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
        f"`{PRIVATE_CA_TAG_KEY}=true` follows such rotations, and only those.",
        "",
    ]
    return "\n".join(lines)
