"""The matrix: every scenario gets the status and action it must, and the invariants hold in every sweep."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.matrix.catalogue import SCENARIOS, SHARED_SCENARIOS, SILENCE, scenario_named
from sandbox.matrix.model import ProviderRun
from sandbox.matrix.render import outcome
from sandbox.matrix.runner import MatrixResults
from sandbox.matrix.silence import news_told
from sandbox.matrix.sweeps import SCALE_LAMBDA_TIMEOUT, sweep_budget
from sandbox.pki import default_pki
from tests.hostile.conftest import MATRIX_GROUP
from tests.hostile.oracle import violations
from thumbprint_remediator.contract.deadlines import ALERT_MAX_ATTEMPTS, alert_reserve_seconds

pytestmark = pytest.mark.xdist_group(MATRIX_GROUP)

RUN_NAMES = ("shared", *(scenario.name for scenario in SCENARIOS if not scenario.shared), "scale")


def test_the_matrix_has_at_least_thirty_uniquely_named_scenarios() -> None:
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", [scenario.name for scenario in SCENARIOS])
def test_scenario_gets_its_status_and_action(matrix: MatrixResults, name: str) -> None:
    # Given the scenario's sweep  When its row is read  Then status and action are the expected ones
    scenario = scenario_named(name)
    row = outcome(scenario, matrix.run_of(scenario))
    assert (row.status, row.action) == (scenario.status, scenario.action), row.problem


@pytest.mark.parametrize("run_name", RUN_NAMES)
def test_invariants_hold_in_every_sweep(matrix: MatrixResults, run_name: str) -> None:
    run = {run.name: run for run in matrix.runs()}[run_name]
    assert violations(run) == []


def test_every_provider_of_the_shared_sweep_has_exactly_one_finding(matrix: MatrixResults) -> None:
    arns = [finding["arn"] for finding in matrix.shared.report["findings"]]  # type: ignore[index]
    assert sorted(arns) == sorted(provider.arn for provider in matrix.shared.providers)
    assert len(arns) == len(SHARED_SCENARIOS)


def _after(matrix: MatrixResults, name: str) -> list[str]:
    return list(matrix.shared.provider(name).after or ())


def _finding(matrix: MatrixResults, name: str) -> dict[str, Any]:
    return _found(matrix.shared.provider(name))


def _found(provider: ProviderRun) -> dict[str, Any]:
    """The provider's finding; every provider of a completed sweep has one."""
    assert provider.finding is not None, f"no finding for {provider.arn}"
    return provider.finding


def _codes(finding: dict[str, Any]) -> list[str]:
    return [problem["code"] for problem in finding["problems"]]


# --- TLS -------------------------------------------------------------------------------------------


def test_interception_keeps_the_public_pin_and_writes_nothing(matrix: MatrixResults) -> None:
    for name in ("tls_interception_public_pin", "tls_interception_public_root_pin"):
        provider = matrix.shared.provider(name)
        finding = _finding(matrix, name)
        assert finding["hosts"][0]["trust"] == "private"  # the inspection CA is in EXTRA_CA_BUNDLE
        assert "interception_suspected" in _codes(finding)
        assert "TLS interception suspected" in finding["action_reason"]
        assert provider.after == provider.pinned


def test_private_rotation_tied_to_the_bundle_keeps_the_old_pin_after_the_new_one(matrix: MatrixResults) -> None:
    pki = default_pki()
    assert _after(matrix, "private_ca_rotated") == [
        pki.chain("private_rotated").top_thumbprint,
        pki.private_intermediate.sha1,
    ]
    assert _finding(matrix, "private_ca_rotated")["thumbprint_reliance"] == "required"


def test_private_rotation_on_a_tagged_provider_is_followed_and_says_why(matrix: MatrixResults) -> None:
    for name in ("private_ca_rotated_tagged", "private_leaf_only_tagged"):
        assert "private_ca_rotation_followed" in _codes(_finding(matrix, name))
    assert _after(matrix, "private_leaf_only_tagged")[0] == default_pki().chain("private_leaf_only").top_thumbprint


def test_the_last_presented_certificate_is_pinned(matrix: MatrixResults) -> None:
    pki = default_pki()
    assert _after(matrix, "root_sent") == [pki.public_root.sha1, pki.public_intermediate.sha1]
    # the cross-signed certificate as presented, not its self-signed twin
    assert _after(matrix, "cross_signed")[0] == pki.cross_signed_root.sha1 != pki.cross_root.sha1


# --- the verified path ------------------------------------------------------------------------------


def test_seed_cross_signed_top_is_pinned_though_the_path_ends_at_the_stores_root(matrix: MatrixResults) -> None:
    pki = default_pki()
    # G2 cross-signed by Class 2, as presented: neither the self-signed G2 nor the store's root
    assert _after(matrix, "seed_cross_signed")[0] == pki.services_root_g2_cross_signed.sha1
    top = _finding(matrix, "seed_cross_signed")["hosts"][0]["certificates"][-1]
    assert (top["in_verified_path"], top["tied_to_verified_path"]) == (False, True)


@pytest.mark.parametrize(
    "name",
    [
        "proxy_forwards_pinned_public_ca",
        "proxy_forwards_pinned_public_ca_tagged",
        "proxy_forwards_pinned_public_root_tagged",
        "proxy_public_root_pin_tagged",
        "proxy_in_front_of_private_issuer",
    ],
)
def test_a_proxy_is_never_pinned_whatever_it_forwards_or_the_tag_says(matrix: MatrixResults, name: str) -> None:
    provider = matrix.shared.provider(name)
    finding = _finding(matrix, name)
    assert finding["hosts"][0]["trust"] == "private"  # the inspection CA is in EXTRA_CA_BUNDLE
    assert "interception_suspected" in _codes(finding)
    assert "private_ca_rotation_followed" not in _codes(finding)
    assert provider.after == provider.pinned
    assert default_pki().inspection_intermediate.sha1 not in (provider.after or ())


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("chain_out_of_order", "chain_misordered"),
        ("extra_unrelated_certificate", "chain_unrelated_certificate"),
        ("extra_unrelated_certificate_first_pin", "chain_unrelated_certificate"),
        ("unrelated_in_middle", "chain_unrelated_certificate"),
        ("duplicate_intermediate", "chain_duplicate_certificate"),
        ("impostor_root_last", "chain_unrelated_certificate"),
        ("proxy_forwards_pinned_public_ca", "chain_unrelated_certificate"),
    ],
)
def test_a_chain_against_the_order_rule_is_named_and_writes_nothing(
    matrix: MatrixResults, name: str, code: str
) -> None:
    pki = default_pki()
    provider = matrix.shared.provider(name)
    [problem] = [p for p in _finding(matrix, name)["problems"] if p["code"] == code]
    assert "STS rejects the JWT" in problem["message"]
    assert problem["remedy"].startswith("the server's operator must fix it")
    assert provider.after == provider.pinned
    assert not {pki.unrelated_root.sha1, pki.impostor_root.sha1} & set(provider.after or ())


def test_sni_is_sent_for_names_and_not_for_ip_literals(matrix: MatrixResults) -> None:
    with_sni = _finding(matrix, "sni_dependent")["hosts"][0]
    without_sni = _finding(matrix, "sni_dependent_ip_literal")["hosts"][0]
    assert with_sni["live_thumbprint"] == default_pki().chain("public").top_thumbprint
    assert without_sni["live_thumbprint"] == default_pki().chain("no_sni_default").top_thumbprint


def test_ipv6_provider_is_probed_and_written(matrix: MatrixResults) -> None:
    provider = matrix.shared.provider("ipv6_loopback")
    assert provider.url.startswith("[::1]:")
    assert _after(matrix, "ipv6_loopback")[0] == default_pki().chain("public").top_thumbprint


def test_separate_jwks_host_gets_its_thumbprint_next_to_the_discovery_one(matrix: MatrixResults) -> None:
    pki = default_pki()
    # live thumbprints first, discovery endpoint then JWKS endpoint
    assert _after(matrix, "separate_jwks_host") == [
        pki.chain("public").top_thumbprint,
        pki.chain("rotated").top_thumbprint,
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("handshake_never_completes", "tls_handshake_timeout"),
        ("handshake_stalls", "tls_handshake_timeout"),
        ("reset_on_accept", "connection_reset"),
        ("reset_mid_handshake", "connection_reset"),
        ("plain_http", "not_tls"),
        ("tls10_only", "tls_version_unsupported"),
        ("name_does_not_resolve", "dns_failure"),
        ("port_nobody_listens_on", "connection_refused"),
        ("slow_trickle", "read_timeout"),
        ("discovery_50_mb", "document_too_large"),
        ("discovery_50_mb_chunked", "document_too_large"),
        ("leaf_only", "chain_untrusted"),
    ],
)
def test_failure_is_named_precisely(matrix: MatrixResults, name: str, code: str) -> None:
    assert code in _codes(_finding(matrix, name))


def test_a_50_mb_document_is_neither_read_nor_held_whole(matrix: MatrixResults) -> None:
    for name in ("discovery_50_mb", "discovery_50_mb_chunked"):
        issuer = matrix.shared.provider(name).issuer
        assert issuer is not None
        # The probe stops after 1 MiB; what the server sent is bounded by socket buffers, not 50 MB.
        assert issuer.discovery.bytes_sent < 50 * 1024 * 1024 / 4


# --- lists ---------------------------------------------------------------------------------------


def test_full_list_of_presented_certificates_makes_room_for_the_live_one_by_dropping_the_leaf(
    matrix: MatrixResults,
) -> None:
    chain = default_pki().chain("long_chain").thumbprints  # leaf, CA 4 .. CA 1, root
    assert _after(matrix, "five_pinned_live_missing") == [chain[-1], *chain[1:-1]]
    assert "thumbprints_dropped" in _codes(_finding(matrix, "five_pinned_live_missing"))


def test_five_stale_pins_make_room_for_the_live_one_in_order(matrix: MatrixResults) -> None:
    provider = matrix.shared.provider("five_pinned_all_stale")
    assert _after(matrix, "five_pinned_all_stale") == [
        default_pki().chain("public").top_thumbprint,
        *provider.pinned[:4],
    ]


def test_duplicates_and_uppercase_are_merged_into_one_lowercase_entry(matrix: MatrixResults) -> None:
    provider = matrix.shared.provider("duplicates_and_uppercase_stale")
    stale, old = provider.pinned[1], provider.pinned[3].lower()
    assert _after(matrix, "duplicates_and_uppercase_stale") == [
        default_pki().chain("rotated").top_thumbprint,
        stale,
        old,
    ]


def test_a_healthy_list_with_duplicates_is_left_as_it_is(matrix: MatrixResults) -> None:
    provider = matrix.shared.provider("duplicates_and_uppercase")
    assert provider.after == provider.pinned


# --- AWS faults ------------------------------------------------------------------------------------


def test_throttled_calls_are_retried_and_the_sweep_completes(matrix: MatrixResults) -> None:
    run = matrix.faults["iam_throttling"]
    calls = run.details["calls"]
    throttled = [action for action, fault in calls if fault == "Throttling"]
    assert sorted(throttled) == sorted(
        ["ListOpenIDConnectProviders", *["GetOpenIDConnectProvider"] * 3, "UpdateOpenIDConnectProviderThumbprint"]
    )
    # every throttled call was followed by a successful one: all four providers are assessed and fixed
    assert sorted(_found(provider)["action"] for provider in run.providers) == ["none", "updated", "updated", "updated"]


def test_access_denied_on_one_update_leaves_the_others_fixed(matrix: MatrixResults) -> None:
    run = matrix.faults["iam_access_denied_on_update"]
    subject, *others = run.providers
    assert _found(subject)["error"].startswith("AccessDenied: User: ")
    assert _found(subject)["error"].count("AccessDenied") == 1
    assert subject.after == subject.pinned
    assert [_found(other)["action"] for other in others] == ["updated", "updated"]


def test_provider_deleted_mid_sweep_is_an_error_finding_and_the_rest_go_on(matrix: MatrixResults) -> None:
    run = matrix.faults["provider_deleted_mid_sweep"]
    subject, *others = run.providers
    assert subject.after is None
    assert _codes(_found(subject)) == ["iam_NoSuchEntity"]
    assert [_found(other)["action"] for other in others] == ["updated", "updated"]


def test_provider_deleted_before_its_update_is_an_update_failure(matrix: MatrixResults) -> None:
    subject = matrix.faults["provider_deleted_before_update"].providers[0]
    assert subject.after is None
    assert _found(subject)["error"].startswith("NoSuchEntity: ")


def test_sns_unavailable_fails_the_invocation_with_the_report_logged_and_carried(matrix: MatrixResults) -> None:
    run = matrix.faults["sns_unavailable"]
    assert type(run.error).__name__ == "AlertDeliveryError"
    assert run.report is not None
    assert run.report["alert"]["sent"] is False
    # the fix was applied before the alert failed, and the report says so
    subject = run.providers[0]
    assert _found(subject)["action"] == "updated"
    assert subject.arn in str(run.error)
    # Publish was attempted (and retried once, AWS_MAX_ATTEMPTS=2), then the full report logged
    assert [fault for action, fault in run.details["calls"] if action == "Publish"] == ["ServiceUnavailable"] * 2
    [logged] = run.details["logged_reports"]
    assert [finding["arn"] for finding in logged["findings"]] == [p.arn for p in run.providers]


def test_dead_aws_endpoint_is_a_clear_error_and_nothing_is_probed_or_written(matrix: MatrixResults) -> None:
    run = matrix.faults["aws_endpoint_dead"]
    assert type(run.error).__name__ == "InventoryError"
    assert "cannot list IAM OIDC providers: Could not connect to the endpoint URL" in str(run.error)
    assert run.report is None
    for provider in run.providers:
        assert provider.after == provider.pinned
        assert provider.connections_made == 0


# --- scale ------------------------------------------------------------------------------------------


def test_a_hundred_providers_a_third_hostile_finish_inside_the_lambda_timeout(matrix: MatrixResults) -> None:
    run = matrix.scale
    assert run is not None
    assert run.report is not None
    findings = run.report["findings"]
    assert len(findings) == len(run.providers) == 100
    # Within the stack's shortest timeout, which the scale run is given; how fast is the benchmark's figure
    assert run.wall_seconds < SCALE_LAMBDA_TIMEOUT
    assert not [f for f in findings if f["problems"] and f["problems"][0]["code"] == "time_budget_exhausted"]
    hostile = [provider for index, provider in enumerate(run.providers) if index % 3 == 2]
    assert len(hostile) == 33
    assert all(_found(provider)["status"] not in ("ok", "skipped") for provider in hostile)


# --- deadlines and the IAM write path ------------------------------------------------------------


def test_a_hung_sns_fails_the_invocation_within_the_alert_reserve(matrix: MatrixResults) -> None:
    run = matrix.faults["sns_hung"]
    assert type(run.error).__name__ == "AlertDeliveryError"
    assert run.report is not None
    assert run.report["alert"]["sent"] is False
    assert _found(run.providers[0])["action"] == "updated"
    # The sweep's own budget, then the alert's reserve: the proxy holds Publish for 120 s
    assert run.wall_seconds < sweep_budget(len(run.providers)) + alert_reserve_seconds()
    assert [action for action, _ in run.details["calls"]].count("Publish") == ALERT_MAX_ATTEMPTS


def test_a_timeout_below_the_floor_probes_nothing_and_the_floor_probes(matrix: MatrixResults) -> None:
    below, floor = matrix.faults["timeout_below_floor"], matrix.faults["timeout_at_floor"]
    assert below.providers[0].connections_made == 0
    assert floor.providers[0].connections_made > 0


def test_no_update_in_flight_at_the_deadline_lands_after_the_report(matrix: MatrixResults) -> None:
    run = matrix.faults["iam_update_in_flight_at_deadline"]
    [subject] = run.providers
    assert subject.after == subject.pinned
    assert [action for action, _ in run.details["calls"]].count("UpdateOpenIDConnectProviderThumbprint") == 0


def test_a_concurrent_modification_is_sent_again_after_a_re_read(matrix: MatrixResults) -> None:
    calls = matrix.faults["iam_concurrent_modification"].details["calls"]
    updates = [fault for action, fault in calls if action == "UpdateOpenIDConnectProviderThumbprint"]
    assert updates.count("ConcurrentModification") == 1
    assert len(updates) == 3  # the subject's refused and repeated update, and the bystander's


def test_a_late_answer_is_not_sent_twice(matrix: MatrixResults) -> None:
    calls = matrix.faults["iam_update_answer_late"].details["calls"]
    assert [action for action, _ in calls].count("UpdateOpenIDConnectProviderThumbprint") == 2  # subject, bystander


@pytest.mark.parametrize("name", [scenario.name for scenario in SCENARIOS if scenario.group == SILENCE])
def test_news_that_a_quiet_sweep_saw_first_is_told_by_the_next_delivered_alert(
    matrix: MatrixResults, name: str
) -> None:
    # Given a change some sweep that tells nobody saw first (or a foreign skip tag)
    run = matrix.faults[name]
    # Then the next scheduled sweep's delivered alert tells it
    assert run.report is not None
    assert run.report["alert"]["sent"] is True, run.report["alert"]
    assert news_told(run), (run.details["news"], [alert.body[:400] for alert in run.details["alerts"]])
