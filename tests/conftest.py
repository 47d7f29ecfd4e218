"""Fixtures shared by every test folder: one sandbox (emulated AWS + local issuers) per test process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.environment import Sandbox
from sandbox.pki import default_pki


@pytest.fixture(scope="session")
def session_sandbox() -> Iterator[Sandbox]:
    """Started once per test process (each xdist worker has its own), stopped at the end."""
    with Sandbox(default_pki()) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(session_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared sandbox with no providers and no pending alerts: each test registers its own."""
    session_sandbox.clear()
    yield session_sandbox
    session_sandbox.clear()
