"""Every fact of the approved alerts, asserted one by one: the order, the counts, the dates, the thumbprints, the
remedies, the links and the message's forms. The approval tests hold the wording; these hold what it must say."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import msgspec

from tests.unit import alert_scenes as scene
from thumbprint_remediator.report.alerts import JSON_FORMS, MESSAGE_LIMIT, TEXT_FORMS, AlertContext, render_alert

DEMO_ORDER = [
    scene.healthy(),
    scene.rotated(),
    scene.private_empty(),
    scene.rotated("dex.example"),
    scene.expiring(),
    scene.intercepted(),
    scene.rotated("legacy.example", hold=True),
]


def _demo() -> tuple[dict[str, Any], str]:
    report = scene.report(DEMO_ORDER)
    return report, render_alert(report, scene.CONTEXT).body


def _block(body: str, url: str) -> str:
    """The block of the provider at `url`: from its headline to the blank line after it."""
    start = next(i for i, line in enumerate(body.split("\n")) if line.startswith("[") and line.endswith(f"] {url}"))
    lines = body.split("\n")[start:]
    return "\n".join(lines[: lines.index("")])


def test_blocks_come_in_the_order_of_urgency_not_iams_list_order() -> None:
    _, body = _demo()
    headlines = [line for line in body.split("\n") if line.startswith("[")]
    # Then the one critical provider comes first, the two warnings next, the three fixed last
    assert headlines == [
        "[UNTRUSTED -> BLOCKED] corp.example",
        "[EXPIRING] k8s.example",
        "[STALE] legacy.example",
        "[STALE -> UPDATED] gitlab.example",
        "[STALE -> UPDATED] keycloak.example/realms/prod",
        "[STALE -> UPDATED] dex.example",
    ]
    assert body.index("ACT NOW: 1 critical") < body.index("ACT SOON: 2 warnings")
    assert body.index("ACT SOON: 2 warnings") < body.index("DONE, FOR YOUR INFORMATION: 3 fixed by this sweep")
    assert body.index("DONE, FOR YOUR INFORMATION") < body.index("Healthy (1): eks.example/id/5ECB27.")


def test_the_header_counts_each_group_truthfully() -> None:
    _, body = _demo()
    assert (
        "Severity: critical. 7 providers checked: 3 need action (1 now, 2 soon), 3 fixed by this sweep, 1 healthy."
        in body
    )


def test_attributes_separate_what_is_open_from_what_was_fixed() -> None:
    report, _ = _demo()
    attributes = {name: value for name, (_, value) in render_alert(report, scene.CONTEXT).attributes.items()}
    assert attributes["open_critical"] == "1"
    assert attributes["open_warning"] == "2"
    assert attributes["fixed"] == "3"
    assert attributes["severity"] == "critical"
    assert "stale" not in attributes  # it counted fixed providers: a filter on it paged for work already done
    assert len(attributes) <= 10


def test_fixed_providers_carry_no_remedy() -> None:
    _, body = _demo()
    for url in ("gitlab.example", "keycloak.example/realms/prod", "dex.example"):
        block = _block(body, url)
        assert "What to do" not in block
        assert "(read back from IAM)" in block
    assert f"Thumbprints: {scene.top('gitlab.example')} -> {scene.top('gitlab.example', ' 2')}, " in _block(
        body, "gitlab.example"
    )
    assert f"Thumbprints: (none) -> {scene.top('keycloak.example')} (read back from IAM)" in _block(
        body, "keycloak.example/realms/prod"
    )


def test_a_skip_tagged_provider_is_not_promised_a_write() -> None:
    block = _block(_demo()[1], "legacy.example")
    assert "the sweep does when" not in block
    assert "What to do: the tool does not write this provider (oidc-thumbprint-remediator:skip=true)" in block
    assert f"a write would pin {scene.top('legacy.example', ' 2')}, {scene.top('legacy.example')}" in block


def test_the_intercepted_block_gives_one_remedy_and_claims_no_reliance() -> None:
    block = _block(_demo()[1], "corp.example")
    assert block.count("What to do") == 1
    assert "What to do: if the issuer uses a private CA, add that CA to EXTRA_CA_BUNDLE; otherwise suspect" in block
    assert "What to do: pin it" not in block
    assert "IAM relies on the thumbprint here" not in block
    assert "Whether IAM relies on the thumbprint is unknown" in block
    # And the Action line says what blocked the write in a few words, not the problem's message again
    assert "  Action: not updated: the chain does not verify (the first problem below)" in block.split("\n")


def test_the_expiring_leaf_and_top_share_one_bullet_with_the_date_and_a_remedy_for_each() -> None:
    block = _block(_demo()[1], "k8s.example")
    assert "  Nearest expiry: 2026-12-08 00:00 UTC (9 days) CN=k8s.example leaf" in block.split("\n")
    assert (
        "  - k8s.example: 2 certificates expire on 2026-12-08 (9 days left): server certificate 'CN=k8s.example "
        "leaf'; top certificate (the one IAM pins) 'CN=k8s.example issuing CA'"
    ) in block.split("\n")
    assert (
        "    What to do: renew them before 2026-12-08; once the new chain is live the sweep pins its top certificate."
    ) in block.split("\n")
    assert block.count("What to do") == 1


def test_why_this_email_is_said_once() -> None:
    report = scene.report(DEMO_ORDER)
    for finding in report["findings"]:
        finding["history"] = {"state": "on", "news": "no history: every problem is new", "placeholder_pins": []}
    body = render_alert(report, scene.CONTEXT).body
    assert body.count("Why this e-mail: no history: every problem is new") == 1


def test_the_context_names_region_stack_sweep_links_and_the_recheck() -> None:
    _, body = _demo()
    lines = body.split("\n")
    assert lines[0] == "OIDC thumbprint sweep of account 123456789012 in eu-west-1 at 2026-11-28 12:00 UTC."
    assert f"Sweep {scene.SWEEP_ID}, stack OidcThumbprintRemediator, function {scene.CONTEXT.function_name}." in lines
    assert (
        "Dashboard: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#dashboards:name=OidcThumbprintRemediator-eu-west-1"
    ) in lines
    logs = next(line for line in lines if line.startswith("Logs of this sweep: "))
    assert "#logsV2:log-groups/log-group/$252Faws$252Flambda$252FOidcThumbprintRemediator-Sweep/log-events" in logs
    assert logs.endswith(f"filterPattern$3D$2522{scene.SWEEP_ID}$2522")
    assert (
        "Re-check now (dry run, no e-mail): aws lambda invoke --region eu-west-1 --function-name "
        f"{scene.CONTEXT.function_name} --cli-binary-format raw-in-base64-out --payload "
        """'{"dry_run": true, "notify": "never"}' report.json"""
    ) in lines
    assert any(
        line.startswith("A provider managed elsewhere: tag it oidc-thumbprint-remediator:skip=true") for line in lines
    )
    assert (
        "  IAM console: https://eu-west-1.console.aws.amazon.com/iam/home?region=eu-west-1#/identity_providers/"
        "details/OPENID/arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fcorp.example"
    ) in lines


def test_without_context_the_email_still_reads_and_links_nothing() -> None:
    body = render_alert(scene.report(DEMO_ORDER)).body
    assert "http" not in body
    assert "aws lambda invoke" not in body
    assert body.split("\n")[0] == "OIDC thumbprint sweep of account 123456789012 at 2026-11-28 12:00 UTC."


def test_the_healthy_line_says_what_skipped_means() -> None:
    body = render_alert(scene.report([scene.healthy(), scene.skipped()]), scene.CONTEXT).body
    assert body.split("\n")[-1] == (
        "Healthy (2): eks.example/id/5ECB27, legacy-ok.example (tagged skip). Tagged skip: checked like the others, "
        "never written."
    )
    assert "Severity: info." in body


def test_one_message_carries_a_form_per_reader_within_sns_limits() -> None:
    report, _ = _demo()
    alert = render_alert(report, scene.CONTEXT)
    forms = json.loads(alert.message())
    assert set(forms) == {*TEXT_FORMS, *JSON_FORMS}
    assert forms["default"] == forms["email"] == alert.body
    for name in JSON_FORMS:
        assert json.loads(forms[name]) == report
    assert alert.size <= MESSAGE_LIMIT
    assert alert.subject.isascii()
    assert len(alert.subject) <= 100


def test_a_large_report_trims_the_json_form_with_a_note_and_every_form_fits() -> None:
    # Given 120 providers whose hosts carry long certificate names: too much for four copies of the report
    findings = [
        dataclasses.replace(
            finding,
            hosts=tuple(
                msgspec.structs.replace(
                    host,
                    certificates=[
                        msgspec.structs.replace(certificate, subject="CN=" + "x" * 900)
                        for certificate in host.certificates
                    ],
                )
                for host in finding.hosts
            ),
        )
        for finding in (scene.rotated(f"issuer-{index:03d}.example") for index in range(120))
    ]
    report = scene.report(findings)
    alert = render_alert(report, AlertContext(log_group_name="/aws/lambda/OidcThumbprintRemediator-Sweep"))
    trimmed = json.loads(alert.report_json)
    assert alert.size <= MESSAGE_LIMIT
    assert trimmed["trimmed"]["note"].startswith("Report trimmed to fit SNS's 256 KB limit")
    assert "log group /aws/lambda/OidcThumbprintRemediator-Sweep" in trimmed["trimmed"]["note"]
    assert len(trimmed["findings"]) + trimmed["trimmed"]["findings_omitted"] == 120
    assert all(finding["hosts"] == [] for finding in trimmed["findings"])
