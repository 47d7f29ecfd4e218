"""Over IAM's limit of 5: which entries go first, and what the finding says about each."""

from __future__ import annotations

from tests.unit.builders import NOW, capture, probe_of, provider, sha1_of, trusted
from thumbprint_remediator.domain.rules import assess, dropped_thumbprints, merge_thumbprints

LEAF, C1, C2, C3, C4, TOP = (sha1_of(name) for name in ("leaf", "c1", "c2", "c3", "c4", "top"))
CHAIN = [LEAF, C1, C2, C3, C4, TOP]  # leaf first, as presented


def test_a_leaf_match_goes_before_any_ca_of_the_chain() -> None:
    # Given a full list of the chain's certificates below the live top
    existing = [LEAF, C1, C2, C3, C4]
    # When the top is merged in
    merged = merge_thumbprints(existing, [TOP], [CHAIN])
    # Then the leaf is the one dropped, and the finding says it was a leaf
    assert merged == (TOP, C1, C2, C3, C4)
    assert dropped_thumbprints(existing, merged, [CHAIN]) == (
        (LEAF, "matches a leaf certificate, which IAM never checks"),
    )


def test_the_lowest_cas_go_first_and_the_one_below_the_top_stays() -> None:
    # Given two hosts, each with a top, and pins of both chains' CAs
    other = [sha1_of("leaf-2"), sha1_of("d1"), sha1_of("top-2")]
    existing = [C1, C2, C4, other[1]]
    # When both tops are merged in (7 candidates for 5 places)
    merged = merge_thumbprints(existing, [TOP, other[2]], [CHAIN, other])
    # Then the two just below a top are kept, and the lowest CAs are dropped with their position
    assert merged == (TOP, other[2], C2, C4, other[1])
    assert dropped_thumbprints(existing, merged, [CHAIN, other]) == (
        (C1, "matches a certificate 4 below the top of a presented chain"),
    )


def test_entries_matching_nothing_go_before_a_leaf() -> None:
    stale = [sha1_of(f"stale-{i}") for i in range(2)]
    existing = [stale[0], LEAF, stale[1], C1, C2]
    merged = merge_thumbprints(existing, [TOP], [CHAIN])
    assert merged == (TOP, LEAF, C1, C2, stale[0])
    assert dropped_thumbprints(existing, merged, [CHAIN]) == (
        (stale[1], "matches no certificate the provider presents"),
    )


def test_the_dropped_note_never_calls_a_presented_intermediate_unmatched() -> None:
    # Given a provider pinning five intermediates of the chain its host presents, none of them the live top
    host = capture(["leaf", "i1", "i2", "i3", "i4", "i5", "top"])
    pinned = [sha1_of(name) for name in ("i1", "i2", "i3", "i4", "i5")]
    # When assessed
    result = assess(provider(*pinned), probe_of(host), trusted(host), 30, NOW)
    # Then the lowest intermediate goes, and the note says where it sat in the chain
    assert result.proposed_thumbprints == (sha1_of("top"), *pinned[1:])
    [note] = [problem for problem in result.problems if problem.code == "thumbprints_dropped"]
    assert f"{pinned[0]} (matches a certificate 5 below the top of a presented chain)" in note.message
    assert "matches no certificate" not in note.message
