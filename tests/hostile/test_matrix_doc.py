"""docs/hostile-matrix.md is generated: it must match what the matrix does now."""

from __future__ import annotations

import pytest

from sandbox.matrix.render import DOC_PATH, normalise, render
from sandbox.matrix.runner import MatrixResults
from tests.hostile.conftest import MATRIX_GROUP

pytestmark = pytest.mark.xdist_group(MATRIX_GROUP)


def test_committed_matrix_doc_is_up_to_date(matrix: MatrixResults) -> None:
    # Given the outcomes of this run  When the table is rendered  Then it is the committed file
    rendered = render(matrix.outcomes(), matrix.scale)
    committed = DOC_PATH.read_text() if DOC_PATH.exists() else ""
    assert rendered == committed, "docs/hostile-matrix.md is out of date: run `python -m sandbox.matrix`"


def test_rendering_is_deterministic(matrix: MatrixResults) -> None:
    assert render(matrix.outcomes(), matrix.scale) == render(matrix.outcomes(), matrix.scale)


@pytest.mark.parametrize(
    ("raw", "stable"),
    [
        ("localhost:43121: refused", "localhost:<port>: refused"),
        ("[::1]:8443 and 127.0.0.1:99", "[::1]:<port> and 127.0.0.1:<port>"),
        ("live thumbprint " + "ab" * 20 + " is not pinned", "live thumbprint <sha1> is not pinned"),
        ("expired on 2026-11-27", "expired on <date>"),
        ("not valid before 2026-11-29 14:13 UTC", "not valid before <date> UTC"),
        ("a | b", "a | b"),
    ],
)
def test_problem_text_is_normalised(raw: str, stable: str) -> None:
    assert normalise(raw) == stable


def test_long_problem_text_is_shortened() -> None:
    assert normalise("x" * 500).endswith("…")
    assert len(normalise("x" * 500)) <= 170
