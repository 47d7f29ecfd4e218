"""The matrix's shared endpoints: whatever one host does on its kept-alive connections, each of its providers gets
one finding of its own kind, the host costs at most two budgets, and the host beside it is not affected."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.matrix.model import ProviderRun
from sandbox.matrix.runner import MatrixResults
from sandbox.matrix.shared_endpoints import HOST_BUDGET, SHARED_ENDPOINT_SCENARIOS, shared_host_run
from tests.hostile.conftest import MATRIX_GROUP

pytestmark = pytest.mark.xdist_group(MATRIX_GROUP)

NAMES = [scenario.name for scenario in SHARED_ENDPOINT_SCENARIOS]
OUT_OF_STEP = [
    "shared_host_duplicate_response",
    "shared_host_late_duplicate_response",
    "shared_host_duplicates_every_response",
    "shared_host_connection_close_mix",
    "shared_host_early_hints",
    "shared_host_idle_request_timeout",
]
# What a provider reading another provider's answer would be told.
MISREAD = frozenset({"issuer_mismatch", "issuer_missing", "jwks_no_keys", "jwks_not_object", "bad_http_response"})
# A clock's worth of slack on top of the bound: the server notes contacts, the sweep's threads get scheduled.
SLACK_SECONDS = 1.0


def _finding(provider: ProviderRun) -> dict[str, Any]:
    assert provider.finding is not None, f"no finding for {provider.arn}"
    return provider.finding


def _codes(provider: ProviderRun) -> list[str]:
    return [problem["code"] for problem in _finding(provider)["problems"]]


@pytest.mark.parametrize("name", NAMES)
def test_each_provider_of_the_host_has_a_finding_of_its_own_kind(matrix: MatrixResults, name: str) -> None:
    shared = shared_host_run(matrix.faults[name])
    endpoint = str(shared.endpoint.endpoint)
    for provider in shared.host:
        finding = _finding(provider)
        assert "internal_error" not in _codes(provider)
        assert (finding["status"], finding["action"]) in {("stale", "updated"), ("unreachable", "blocked")}
        if finding["status"] == "unreachable":
            deciding = [problem for problem in finding["problems"] if problem["status"] == "unreachable"]
            assert deciding, finding["problems"]
            assert all(problem["host"] == endpoint for problem in deciding)


@pytest.mark.parametrize("name", NAMES)
def test_clients_keep_at_the_host_for_at_most_two_budgets(matrix: MatrixResults, name: str) -> None:
    # From the first connection the host accepted to the last request it read: the host's cost to the sweep
    assert shared_host_run(matrix.faults[name]).endpoint.contact_span <= 2 * HOST_BUDGET + SLACK_SECONDS


@pytest.mark.parametrize("name", NAMES)
def test_the_host_beside_it_is_not_affected(matrix: MatrixResults, name: str) -> None:
    shared = shared_host_run(matrix.faults[name])
    assert [(_finding(p)["status"], _finding(p)["action"]) for p in shared.bystanders] == [("stale", "updated")] * len(
        shared.bystanders
    )


@pytest.mark.parametrize("name", NAMES)
def test_no_connection_is_left_open(matrix: MatrixResults, name: str) -> None:
    shared = shared_host_run(matrix.faults[name])
    assert (shared.endpoint.open_connections, shared.bystander_endpoint.open_connections) == (0, 0)


@pytest.mark.parametrize("name", OUT_OF_STEP)
def test_a_host_out_of_step_misleads_no_provider(matrix: MatrixResults, name: str) -> None:
    # Given a host that sends responses nobody asked for, or closes its kept-alive connections as it likes
    shared = shared_host_run(matrix.faults[name])
    # Then every provider read its own documents, and was updated from its own chain
    for provider in shared.host:
        assert (_finding(provider)["status"], _finding(provider)["action"]) == ("stale", "updated")
        assert not MISREAD & set(_codes(provider))


def test_a_stalled_host_judges_the_providers_it_did_not_serve_at_once(matrix: MatrixResults) -> None:
    shared = shared_host_run(matrix.faults["shared_host_stalls_after_answers"])
    judged = [p for p in shared.host if any("not served" in problem["message"] for problem in _finding(p)["problems"])]
    # Some were never tried: the endpoint's judgment reached them without a connection of their own
    assert judged
    assert shared.endpoint.connections < len(shared.host)


def test_a_backend_failing_at_the_document_stage_is_named_in_every_finding(matrix: MatrixResults) -> None:
    shared = shared_host_run(matrix.faults["shared_host_trickles_on_one_address"])
    for provider in shared.host:
        [problem] = [p for p in _finding(provider)["problems"] if p["code"] == "backend_failed"]
        assert problem["message"].startswith("address 127.0.0.2: ")
        assert not {"read_timeout", "host_budget_exceeded"} & set(_codes(provider))


def test_an_address_sampling_could_not_reach_gets_no_connection(matrix: MatrixResults) -> None:
    shared = shared_host_run(matrix.faults["shared_host_unresponsive_address"])
    for provider in shared.host:
        assert _finding(provider)["action"] == "updated"
        assert "address_unreachable" in _codes(provider)


def test_one_providers_endless_body_costs_only_that_provider(matrix: MatrixResults) -> None:
    shared = shared_host_run(matrix.faults["shared_host_one_endless_body"])
    first, *others = shared.host
    assert "read_timeout" in _codes(first)
    assert {_finding(provider)["action"] for provider in others} == {"updated"}


def test_a_slow_host_leaves_the_few_workers_time_for_the_host_beside_it(matrix: MatrixResults) -> None:
    shared = shared_host_run(matrix.faults["shared_host_slow_few_workers"])
    # The bystanders come after the slow host's 20 providers, two at a time, in a function that admits
    # providers for 8 s: one budget for the slow host leaves them their time, one per provider would not
    assert {_finding(provider)["action"] for provider in shared.bystanders} == {"updated"}
    assert not any("time_budget_exhausted" in _codes(provider) for provider in shared.host)
