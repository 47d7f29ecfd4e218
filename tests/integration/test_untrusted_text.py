"""Server text through the real handler: escaped in the report, the log and the e-mail; the alert always fits."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sandbox.environment import Sandbox
from sandbox.issuers import HOSTILE_ISSUER_CHARACTERS
from sandbox.oracles import FORBIDDEN_TEXT, strings_in
from thumbprint_remediator.report.alerts import MESSAGE_LIMIT, TEXT_BUDGET

# What the issue forbids, written out apart from the code: C0, DEL and C1, line/paragraph separators, bidi.
HOSTILE = (
    "hostile_certificate_names",
    "hostile_reason_phrase",
    "hostile_issuer",
    "hostile_jwks_uri",
    "hostile_redirect",
    "huge_hostile_issuer",
)


def _log_records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_hostile_server_text_is_escaped_in_report_log_and_delivered_alert(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given issuers whose certificate names, reason phrase, issuer, jwks_uri and redirect carry controls
    providers = {name: sandbox.add_provider(name, pinned="stale") for name in HOSTILE}

    # When the real handler sweeps them, with its logs captured and the alert delivered to the queue
    report = sandbox.invoke(None, POWERTOOLS_LOG_LEVEL="DEBUG")
    records = _log_records(capsys.readouterr().out)
    alerts = sandbox.alerts()

    # Then the hostile text did reach the report, escaped, and no string of the report holds a control
    text = json.dumps(report)
    assert "evil\\\\n\\\\n[OK] token.actions.githubusercontent.com" in text
    assert "\\\\x1b[2J" in text
    assert "\\\\u202egnp.exe" in text
    assert not any(FORBIDDEN_TEXT.search(value) for value in strings_in(report))
    # And no field of any log record does either
    assert records
    assert not any(FORBIDDEN_TEXT.search(value) for record in records for value in strings_in(record))
    # And exactly one e-mail arrived, every provider in it, and no line of it is a block the sweep did not write
    assert len(alerts) == 1
    body = alerts[0].body
    assert not any(FORBIDDEN_TEXT.search(line) for line in body.split("\n"))
    assert "[OK]" not in [line[:4] for line in body.split("\n")]
    headlines = [line for line in body.split("\n") if line.startswith("[")]
    assert sorted(line.split("] ", 1)[1] for line in headlines) == sorted(p.url for p in providers.values())
    assert "ca evil\\n\\n[OK] token.actions.githubusercontent.com" in body
    assert "HTTP 503 Unavailable\\r\\x1b[2J\\x85[OK]" in body
    # And the 300,000-character issuer is cut to the field cap and says how much was left out
    huge = next(f for f in report["findings"] if f["url"] == providers["huge_hostile_issuer"].url)
    message = next(p["message"] for p in huge["problems"] if p["code"] == "issuer_mismatch")
    assert len(message) < 1024
    left_out = int(re.search(r"…\[\+(\d+) chars\]", message).group(1))  # type: ignore[union-attr]
    assert HOSTILE_ISSUER_CHARACTERS - 256 < left_out < HOSTILE_ISSUER_CHARACTERS
    # And nothing was written from any of them
    assert all(sandbox.thumbprints(p) == list(p.pinned) for p in providers.values())


@pytest.mark.slow
def test_a_1_mib_hostile_document_among_100_providers_still_gets_one_alert_under_256_kb(sandbox: Sandbox) -> None:
    # Given 100 providers that all need attention: one serves a 1 MiB discovery document with a 300,000-character
    # issuer, 60 present certificate names that quote a forged block, 39 rotated their CA
    huge = sandbox.add_provider("huge_hostile_issuer", pinned="stale")
    issuers = sandbox.fleet.add_many("hostile_certificate_names", 60)
    issuers += sandbox.fleet.add_many("rotated_intermediate", 39)
    providers = [huge, *(sandbox.register(issuer, pinned="stale") for issuer in issuers)]

    # When the real handler sweeps them in dry run
    report = sandbox.invoke({"dry_run": True})
    alerts = sandbox.alerts()

    # Then exactly one message arrived, within SNS's limit in UTF-8 bytes, attributes and subject included
    assert report["alert"]["sent"] is True
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.size <= MESSAGE_LIMIT
    # And its e-mail kept to its budget while accounting for all 100 providers, by block or by URL
    text = alert.body
    assert len(text.encode()) <= TEXT_BUDGET
    assert "100 providers checked: 100 need action (" in text
    assert "more providers here, listed by URL only" in text
    shown = {line.split("] ", 1)[1] for line in text.split("\n") if line.lstrip().startswith("[")}
    assert shown == {provider.url for provider in providers}
    assert not any(FORBIDDEN_TEXT.search(line) for line in alert.body.split("\n"))
    assert len(report["findings"]) == 100
