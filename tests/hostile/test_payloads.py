"""Any manual payload, fuzzed, gives a report or a validation error: never a partial change."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sandbox.environment import Provider, Sandbox
from thumbprint_remediator.domain.errors import RequestError

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
EVENTBRIDGE_KEYS = ("version", "id", "detail-type", "account", "time", "region", "resources", "detail")


def _thumbprints(iam: Any, arn: str) -> list[str]:
    return list(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"])


def payloads(providers: list[Provider]) -> st.SearchStrategy[Any]:
    """Payloads a person (or a broken script) might send: mostly well-shaped, often wrong."""
    known = [ref for p in providers for ref in (p.arn, p.url, f"https://{p.url}/", p.url.upper())]
    unknown = ["arn:aws:iam::123456789012:oidc-provider/nope.example", "nope.example:443/x"]
    junk = ["", "https://", "not a url", "arn:aws:iam::1:oidc-provider/", "http://plain.example"]
    reference = st.sampled_from(known) | st.sampled_from(unknown + junk) | st.text(max_size=20)
    manual = st.fixed_dictionaries(
        {},
        optional={
            "dry_run": st.booleans() | JSON_VALUES,
            "providers": st.lists(reference, max_size=4) | JSON_VALUES,
            "notify": st.sampled_from(["always", "problems", "never", "sometimes"]) | JSON_VALUES,
            "unexpected": JSON_VALUES,
        },
    )
    scheduled = st.fixed_dictionaries(
        {"source": st.sampled_from(["aws.events", "aws.scheduler"]), "detail-type": st.just("Scheduled Event")},
        optional={**{key: JSON_VALUES for key in EVENTBRIDGE_KEYS[:2]}, "providers": JSON_VALUES},
    )
    well_formed = st.fixed_dictionaries(
        {},
        optional={
            "dry_run": st.booleans(),
            "providers": st.lists(st.sampled_from(known), min_size=1, max_size=3),
            "notify": st.sampled_from(["always", "problems", "never"]),
        },
    )
    return st.one_of(st.none(), JSON_VALUES, manual, well_formed, scheduled)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_payload_gives_a_report_or_a_validation_error_never_a_partial_change(
    sandbox: Sandbox, data: st.DataObject
) -> None:
    # Given a stale provider the sweep would fix and a healthy one (registered once for all examples)
    if not sandbox.providers:
        sandbox.add_provider("rotated_intermediate", pinned="stale")
        sandbox.add_provider("healthy")
    iam = sandbox.account.iam
    before = {p.arn: list(p.pinned) for p in sandbox.providers}
    connections = {p.arn: p.issuer.connections for p in sandbox.providers}
    payload = data.draw(payloads(sandbox.providers), label="payload")

    # When the handler is invoked with it
    try:
        report = sandbox.invoke(payload, {"NOTIFY_ON": "never"})
    except RequestError:
        event("rejected")
        # Then a rejected payload changed nothing and probed nothing
        assert {p.arn: _thumbprints(iam, p.arn) for p in sandbox.providers} == before
        assert {p.arn: p.issuer.connections for p in sandbox.providers} == connections
        return

    # Then a report came back, and IAM holds exactly what it says, provider by provider
    findings = {finding["arn"]: finding for finding in report["findings"]}
    event(f"swept {len(findings)} provider(s), dry run {report['dry_run']}")
    try:
        for provider in sandbox.providers:
            now = _thumbprints(iam, provider.arn)
            finding = findings.get(provider.arn)
            if finding is None or finding["action"] in ("none", "would_update", "blocked"):
                assert now == before[provider.arn]
            else:
                assert now == finding["thumbprints_after"]
    finally:
        for arn, thumbprints in before.items():  # the next example starts from the same state
            iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=thumbprints)
