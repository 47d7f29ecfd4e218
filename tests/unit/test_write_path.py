"""The write path at unit speed: the real Sweeper against the in-memory IAM store and its injected faults."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from sandbox.iam_store import InMemoryProviders, StoreFaults
from tests.unit.builders import NOW, FixedProber, PublicTrust, capture, provider, sha1_of
from thumbprint_remediator.app.request import SweepRequest
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.app.sweep import Sweeper
from thumbprint_remediator.contract.deadlines import provider_seconds
from thumbprint_remediator.domain.views import to_builtins

STALE = sha1_of("stale")
LIVE = sha1_of("new-intermediate")
HOST = capture(["leaf", "new-intermediate"])
ARN = provider().arn


class FakeClock:
    """A monotonic clock the store's faults can move forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sweeper(store: InMemoryProviders, **options: Any) -> Sweeper:
    return Sweeper(
        settings=options.pop("settings", Settings()),
        inventory=store,
        prober=FixedProber(HOST),
        trust=PublicTrust(),
        publisher=None,
        log=logging.getLogger("test"),
        clock=lambda: NOW,
        sleep=options.pop("sleep", lambda seconds: None),
        **options,
    )


def _store(faults: StoreFaults | None = None, *pinned: str) -> InMemoryProviders:
    store = InMemoryProviders(faults=faults or StoreFaults())
    store.add(provider(*(pinned or (STALE,))))
    return store


def _sweep(sweeper: Sweeper, deadline: float | None = None) -> dict[str, Any]:
    report = sweeper.run(SweepRequest(source="manual"), account="123456789012", deadline=deadline)
    [finding] = to_builtins(report)["findings"]
    return finding  # type: ignore[no-any-return]


def test_a_stale_provider_is_written_once_and_read_back() -> None:
    store = _store()
    finding = _sweep(_sweeper(store))
    assert (finding["action"], finding["thumbprints_after"]) == ("updated", [LIVE, STALE])
    assert [landed.thumbprints for landed in store.landed] == [(LIVE, STALE)]


def test_a_read_back_that_keeps_differing_is_update_failed_after_retries() -> None:
    # Given IAM that keeps showing another list after the write
    other = (sha1_of("someone-else"),)
    store = _store(StoreFaults(read_back_list=other))
    # When swept
    finding = _sweep(_sweeper(store))
    # Then the read-back was retried before failing, and the finding shows what IAM holds
    assert finding["action"] == "update_failed"
    assert finding["action_reason"] == "read-back differs from what was written"
    assert finding["thumbprints_after"] == list(other)
    assert store.gets == 1 + 4  # the read before, then the read-back and its three retries


def test_eventual_consistency_is_waited_out_before_calling_it_a_failure() -> None:
    # Given IAM that shows the old list twice more after the write
    pauses: list[float] = []
    store = _store(StoreFaults(stale_reads=2))
    # When swept
    finding = _sweep(_sweeper(store, sleep=pauses.append))
    # Then it is updated, after two pauses
    assert (finding["action"], finding["thumbprints_after"]) == ("updated", [LIVE, STALE])
    assert len(pauses) == 2


def test_a_read_back_that_fails_is_update_failed_with_the_list_sent() -> None:
    store = _store(StoreFaults(read_back_error="Throttling"))
    finding = _sweep(_sweeper(store))
    assert finding["action"] == "update_failed"
    assert finding["action_reason"] == "the update was sent but could not be read back"
    assert "Throttling" in finding["error"]
    assert store.thumbprints(ARN) == (LIVE, STALE)


def test_no_write_starts_when_the_deadline_falls_before_it() -> None:
    # Given a deadline that leaves room to probe, and a read that takes almost all of it
    clock = FakeClock()
    sweeper = _sweeper(_store(), monotonic=clock)
    room = provider_seconds(sweeper.settings.host_budget, sweeper.iam_attempt_seconds)
    deadline = clock.now + room + sweeper.finish_reserve_seconds
    store = _store(StoreFaults(on_get=lambda arn: setattr(clock, "now", clock.now + room - 1)))
    # When swept
    finding = _sweep(_sweeper(store, monotonic=clock), deadline)
    # Then nothing is sent and the finding says why
    assert finding["action"] == "blocked"
    assert "ran out before the write" in finding["action_reason"]
    assert store.updates_sent == 0
    assert finding["thumbprints_after"] == [STALE]


def test_a_concurrent_modification_is_re_read_and_merged_with_what_is_there_now() -> None:
    # Given someone else adding a thumbprint at the moment of the first update
    theirs = sha1_of("added-by-someone-else")
    store = _store(StoreFaults(concurrent_modifications=1, concurrent_list=(STALE, theirs)))
    # When swept
    pauses: list[float] = []
    finding = _sweep(_sweeper(store, sleep=pauses.append))
    # Then the second update keeps their entry, and IAM holds what the finding says
    assert finding["action"] == "updated"
    assert store.thumbprints(ARN) == (LIVE, STALE, theirs)
    assert finding["thumbprints_after"] == [LIVE, STALE, theirs]
    assert store.updates_sent == 2
    assert len(pauses) == 1


def test_a_concurrent_fix_by_someone_else_is_not_written_again() -> None:
    store = _store(StoreFaults(concurrent_modifications=1, concurrent_list=(LIVE,)))
    finding = _sweep(_sweeper(store))
    assert finding["action"] == "none"
    assert "someone else changed the provider" in finding["action_reason"]
    assert finding["thumbprints_after"] == [LIVE]
    assert store.updates_sent == 1


def test_concurrent_modifications_that_persist_end_as_update_failed() -> None:
    store = _store(StoreFaults(concurrent_modifications=10))
    finding = _sweep(_sweeper(store))
    assert finding["action"] == "update_failed"
    assert "ConcurrentModification" in finding["error"]
    assert store.updates_sent == 3
    assert store.thumbprints(ARN) == (STALE,)


def test_an_iam_internal_error_is_update_failed_and_keeps_the_list() -> None:
    store = _store(StoreFaults(update_error="ServiceFailure"))
    finding = _sweep(_sweeper(store))
    assert (finding["action"], finding["thumbprints_after"]) == ("update_failed", [STALE])
    assert finding["error"].startswith("ServiceFailure")


def test_a_bug_in_the_write_is_an_internal_error_finding_not_a_crash() -> None:
    store = _store(StoreFaults(update_exception=RuntimeError("boom")))
    finding = _sweep(_sweeper(store))
    assert (finding["status"], finding["problems"][0]["code"]) == ("error", "internal_error")


def test_an_unanswered_update_that_landed_is_updated_by_its_fresh_read() -> None:
    store = _store(StoreFaults(update_unanswered=True))
    finding = _sweep(_sweeper(store))
    assert finding["action"] == "updated"
    assert "did not arrive" in finding["action_reason"]
    assert finding["thumbprints_after"] == [LIVE, STALE]


def test_an_unanswered_update_not_yet_visible_is_reported_as_outcome_unknown() -> None:
    store = _store(StoreFaults(update_unanswered=True, stale_reads=10))
    finding = _sweep(_sweeper(store))
    assert finding["action"] == "update_unknown"
    assert finding["action_reason"].startswith("sent, outcome unknown")
    assert finding["thumbprints_after"] == [STALE]  # the fresh read
    assert store.updates_sent == 1


@pytest.mark.parametrize("released", [True, False])
def test_a_write_in_flight_at_the_deadline_is_awaited_or_reported_unknown(released: bool) -> None:
    # Given an update that IAM holds until after the sweep's deadline
    gate = threading.Event()
    store = _store(StoreFaults(update_gate=gate))
    attempt = 0.3
    sweeper = _sweeper(store, iam_attempt_seconds=attempt, settings=Settings(host_budget=0.5))
    room = provider_seconds(0.5, attempt)
    deadline = time.monotonic() + room + 0.2 + sweeper.finish_reserve_seconds
    # released during the drain (half an attempt after the sweep's deadline), or never while the sweep runs
    timer = threading.Timer(room + 0.2 + attempt / 2, gate.set) if released else None
    if timer is not None:
        timer.start()
    # When swept
    finding = _sweep(sweeper, deadline)
    gate.set()
    if timer is not None:
        timer.join()
    # Then an answered write is reported as it is; an unanswered one as unknown with a fresh read
    if released:
        assert (finding["action"], finding["thumbprints_after"]) == ("updated", [LIVE, STALE])
    else:
        assert finding["action"] == "update_unknown"
        assert finding["thumbprints_after"] == [STALE]
    # And no worker sends anything after the report
    time.sleep(0.3)
    assert store.updates_sent == 1


def test_a_throttled_update_is_sent_again_without_a_re_read() -> None:
    # Given IAM throttling the first update
    store = _store(StoreFaults(update_error="Throttling"))
    attempts: list[float] = []

    def pause(seconds: float) -> None:  # the store stops throttling once the sweep has waited
        attempts.append(seconds)
        store.faults.update_error = None

    # When swept
    finding = _sweep(_sweeper(store, sleep=pause))
    # Then the same list went out again and landed
    assert (finding["action"], store.updates_sent, len(attempts)) == ("updated", 2, 1)
    assert store.gets == 2  # the read before, the read-back: no re-read between the two sends
