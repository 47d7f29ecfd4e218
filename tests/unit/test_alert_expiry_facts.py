"""What the account's alert says of expiring certificates: one bullet per host and date, how many certificates and
which, the days left, and the remedy each kind of certificate needs (a leaf is renewed, a new top is pinned, by the
sweep or, under a skip tag, by the provider's owner). Every fact asserted line by line."""

from __future__ import annotations

import dataclasses

from tests.unit import alert_scenes as scene
from tests.unit.builders import assessed_report, capture, probe_of, provider, sha1_of
from thumbprint_remediator.report.alerts import render_alert


def _block(body: str, url: str) -> list[str]:
    """The lines of the provider's block at `url`: from its headline to the blank line after it."""
    lines = body.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("[") and line.endswith(f"] {url}"))
    rest = lines[start:]
    return rest[: rest.index("")]


def _expiring_chains() -> str:
    """Three public-CA providers on issuer.example: a leaf and its CA expiring on different days (on port 8443), an
    intermediate expiring, a leaf alone expiring."""
    report = assessed_report(
        (
            "two.example",
            provider(sha1_of("ca")),
            probe_of(capture(["leaf", "ca"], port=8443, days_left={"leaf": 5, "ca": 20})),
        ),
        ("mid.example", provider(sha1_of("root")), probe_of(capture(["leaf", "mid", "root"], days_left={"mid": 12}))),
        ("leaf.example", provider(sha1_of("ca")), probe_of(capture(["leaf", "ca"], days_left={"leaf": 12}))),
    )
    return render_alert(report).body


def test_certificates_expiring_on_different_days_get_a_bullet_each_with_their_own_remedy() -> None:
    block = _block(_expiring_chains(), "two.example")
    # Then the host is named with its port, each date has its bullet, its days left and the certificate's role
    assert (
        "  - issuer.example:8443: a certificate expires on 2026-12-03 (5 days left): server certificate 'CN=leaf'"
    ) in block
    assert (
        "  - issuer.example:8443: a certificate expires on 2026-12-18 (20 days left): top certificate (the one IAM "
        "pins) 'CN=ca'"
    ) in block
    # And the leaf is renewed with nothing to re-pin, while the new top is pinned by the sweep once live
    assert (
        "    What to do: renew it before 2026-12-03: IAM pins the top certificate, so there is nothing to re-pin."
    ) in block
    assert (
        "    What to do: renew it before 2026-12-18; once the new chain is live the sweep pins its top certificate."
    ) in block
    assert sum(line.startswith("  - ") for line in block) == 2
    # And the nearer date comes first, its remedy under it
    dated = [line for line in block if line.startswith(("  - ", "    What to do"))]
    assert ["2026-12-03" in line for line in dated] == [True, True, False, False]


def test_an_expiring_intermediate_is_renewed_and_the_sweep_pins_the_new_chain() -> None:
    block = _block(_expiring_chains(), "mid.example")
    assert "  - issuer.example: a certificate expires on 2026-12-10 (12 days left): intermediate 'CN=mid'" in block
    assert "    What to do: renew it before 2026-12-10; the sweep pins the new chain once it is live." in block
    assert sum("What to do" in line for line in block) == 1


def test_an_expiring_leaf_alone_needs_no_new_pin() -> None:
    block = _block(_expiring_chains(), "leaf.example")
    assert (
        "  - issuer.example: a certificate expires on 2026-12-10 (12 days left): server certificate 'CN=leaf'" in block
    )
    assert (
        "    What to do: renew it before 2026-12-10: IAM pins the top certificate, so there is nothing to re-pin."
    ) in block


def test_a_lone_server_certificate_is_also_the_top_so_the_sweep_pins_its_successor() -> None:
    # Given a chain of one certificate, expiring, that the sweep just pinned
    finding = scene.finding(
        "one.example",
        pinned=[scene.top("one.example")],
        capture=scene.host_capture("one.example", ("one.example leaf",), days_left=9),
    )
    block = _block(render_alert(scene.report([finding])).body, "one.example")
    assert (
        "  - one.example: a certificate expires on 2026-12-07 (9 days left): server certificate (also its top, the "
        "one IAM pins) 'CN=one.example leaf'"
    ) in block
    assert (
        "    What to do: renew it before 2026-12-07; once the new chain is live the sweep pins its top certificate."
    ) in block


def test_a_skip_tagged_provider_is_told_to_pin_the_new_top_where_it_is_managed() -> None:
    # Given a skip-tagged provider whose rotated chain (leaf and top) expires in 9 days
    host = "held.example"
    finding = scene.finding(
        host,
        pinned=[scene.top(host)],
        capture=scene.host_capture(host, scene.chain_of(host, " 2"), days_left=9),
        hold=True,
    )
    block = _block(render_alert(scene.report([finding])).body, host)
    assert (
        "  - held.example: 2 certificates expire on 2026-12-07 (9 days left): server certificate 'CN=held.example "
        "leaf 2'; top certificate (the one IAM pins) 'CN=held.example issuing CA 2'"
    ) in block
    assert (
        "    What to do: renew them before 2026-12-07; then pin the new top certificate where the provider is managed "
        "(oidc-thumbprint-remediator:skip=true)."
    ) in block
    assert not any("the sweep pins its top certificate" in line for line in block)


def test_expiring_certificates_the_report_has_no_chain_for_are_told_each_with_its_remedy() -> None:
    # Given the expiring provider whose hosts are not in the report (the chain cannot be named)
    finding = dataclasses.replace(scene.expiring(), hosts=())
    block = _block(render_alert(scene.report([finding])).body, "k8s.example")
    # Then each problem is told as the rules wrote it, each with its remedy
    assert block[-4:] == [
        "  - k8s.example: certificate 'CN=k8s.example leaf' expires on 2026-12-08 (9 days left)",
        "    What to do: renew it before it expires; the sweep will pin the new chain once it is live",
        "  - k8s.example: certificate 'CN=k8s.example issuing CA' expires on 2026-12-08 (9 days left)",
        "    What to do: renew it before it expires; the sweep will pin the new chain once it is live",
    ]


def test_a_written_pin_is_told_as_fixed_beside_the_expiry_still_open() -> None:
    # Given a rotated chain, expiring in 9 days, whose new top the sweep pinned
    host = "fixedexp.example"
    finding = scene.finding(
        host, pinned=[scene.top(host)], capture=scene.host_capture(host, scene.chain_of(host, " 2"), days_left=9)
    )
    block = _block(render_alert(scene.report([finding])).body, host)
    assert block[0] == "[STALE -> UPDATED] fixedexp.example"
    bullets = [line for line in block if line.startswith(("  - ", "    "))]
    assert bullets == [
        "  - fixedexp.example: 2 certificates expire on 2026-12-07 (9 days left): server certificate "
        "'CN=fixedexp.example leaf 2'; top certificate (the one IAM pins) 'CN=fixedexp.example issuing CA 2'",
        "    What to do: renew them before 2026-12-07; once the new chain is live the sweep pins its top certificate.",
        f"  - Fixed: fixedexp.example: live thumbprint {scene.top(host, ' 2')} (discovery, jwks) is not pinned; IAM "
        "verifies this public chain itself, so the thumbprint is only its fallback",
    ]
