"""Which tests are pure, for `make unit`: everything that needs neither the sandbox nor the CDK.

A test is pure unless it needs the sandbox (emulated AWS, local TLS issuers), a CDK synth (a Node process)
or the CDK CLI. Purity is the default, so a new test is in `make unit` unless something marks it impure:
- a fixture below, used directly or through another fixture (pytest's closure of the test's fixtures);
- a parameter whose value names one of them (the tests that look a stack up with request.getfixturevalue);
- the markers cdk_cli and e2e, or `impure` itself where the test starts the work in its own body.
tests/test_purity.py checks that every fixture under tests/ is in IMPURE_FIXTURES or PURE_FIXTURES, or
takes an impure one, so that a new fixture that starts something cannot pass for pure unnoticed.
"""

from __future__ import annotations

import pytest

IMPURE_FIXTURES: frozenset[str] = frozenset(
    {
        "session_sandbox",  # moto in server mode and the issuer fleet
        "issuer_fleet",  # local TLS issuers
        "default_stack",  # CDK synths (tests/infra, tests/org)
        "overridden_stack",
        "stateless_stack",
        "organization_template",
        "organization_stack",
        "narrowed_organization_stack",
        "every_channel_elsewhere",
        "every_channel_in_us_east_1",
        "no_channel",
        "no_posture",
        "templates",  # copies synthesized templates for checkov
        "installed",  # builds the engine's distribution into a scratch venv (pip; setuptools from PyPI)
    }
)
PURE_FIXTURES: frozenset[str] = frozenset(
    {
        "change_event",
        "tokyo",  # sets the process's TZ for one test; starts nothing
        "aws_calls",  # records calls; starts nothing
        "metrics",  # a Powertools metric set in memory
        "sandbox_pki",  # generated in process
        "pki",
        "fast_probe_limits",
        "fast_prober",
        "sandbox_trust",
        "sampling_limits",
        "inspecting_evaluator",
        "evaluator_public",
        "evaluator",
        "dead_aws",  # a loopback port nobody listens on
        "private_ca_bundle",
        "counters",
        "architecture",
        "python313",
        "approved",  # syrupy's snapshot, as committed text
    }
)
IMPURE_MARKERS: frozenset[str] = frozenset({"impure", "cdk_cli", "e2e"})


def is_impure(item: pytest.Item) -> bool:
    """Whether `item` needs the sandbox, a CDK synth or the CDK CLI (see above)."""
    if any(marker.name in IMPURE_MARKERS for marker in item.iter_markers()):
        return True
    if IMPURE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        isinstance(value, str) and value in IMPURE_FIXTURES for value in callspec.params.values()
    )
