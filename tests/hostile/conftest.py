"""Fixtures of the hostile matrix: every sweep of the matrix, run once per test process."""

from __future__ import annotations

import pytest

from sandbox.environment import Sandbox
from sandbox.matrix.runner import MatrixResults, run_matrix

# The tests that read the matrix share one worker, so that the sweeps run once.
MATRIX_GROUP = "hostile-matrix"


@pytest.fixture(scope="session")
def matrix(session_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> MatrixResults:
    """The shared sweep, each AWS-fault sweep and the scale sweep, on the session's sandbox."""
    return run_matrix(session_sandbox, tmp_path_factory.mktemp("hostile-matrix"))
